using System.Globalization;
using System.Threading.RateLimiting;
using ImageService.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace ImageService.RateLimits;

/// <summary>Upload rate limits, bound from <c>RateLimits</c>. Each process counts on its own.</summary>
public sealed class UploadRateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Uploads a signed-in user may make per minute (Jwt mode; without sign-in there is no trustworthy user).</summary>
    public int UploadsPerMinutePerUser { get; set; } = 30;

    /// <summary>Uploads one client address may make per minute.</summary>
    public int UploadsPerMinutePerAddress { get; set; } = 120;

    public IEnumerable<string> Validate()
    {
        if (UploadsPerMinutePerUser is < 1 or > 100_000)
        {
            yield return "RateLimits:UploadsPerMinutePerUser must be between 1 and 100000.";
        }

        if (UploadsPerMinutePerAddress is < 1 or > 100_000)
        {
            yield return "RateLimits:UploadsPerMinutePerAddress must be between 1 and 100000.";
        }
    }
}

internal static class UploadRateLimits
{
    public const string Policy = "uploads";

    /// <summary>Token buckets per client address and per signed-in user, refilled every minute; a refusal is a 429
    /// problem with Retry-After.</summary>
    public static WebApplicationBuilder AddUploadRateLimits(this WebApplicationBuilder builder)
    {
        builder.AddValidated<UploadRateLimitOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(UploadRateLimitOptions.Section));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per address: every upload, signed in or not.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == Policy
                    ? Bucket($"address:{context.Connection.RemoteIpAddress}", Options(context).UploadsPerMinutePerAddress)
                    : RateLimitPartition.GetNoLimiter("not an upload"));
            // Per user: only a signed-in user is a user we can trust; anonymous callers are counted by address alone.
            limiter.AddPolicy(Policy, context => context.User.FindFirst("sub")?.Value is { } subject
                ? Bucket($"user:{subject}", Options(context).UploadsPerMinutePerUser)
                : RateLimitPartition.GetNoLimiter("anonymous"));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                var http = rejected.HttpContext;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails
                    {
                        Type = "https://www.rfc-editor.org/rfc/rfc6585#section-4",
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many uploads",
                        Detail = $"Too many uploads in the last minute from you. Try again in {seconds} s.",
                    },
                });
            };
        });
        return builder;
    }

    private static UploadRateLimitOptions Options(HttpContext context) => context.RequestServices.GetRequiredService<UploadRateLimitOptions>();

    private static RateLimitPartition<string> Bucket(string key, int perMinute) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = perMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
