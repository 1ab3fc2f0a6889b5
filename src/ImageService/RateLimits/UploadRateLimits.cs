using System.Globalization;
using System.Threading.RateLimiting;
using ImageService.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace ImageService.RateLimits;

/// <summary>Upload and edit rate limits, bound from <c>RateLimits</c>. Each process counts on its own.</summary>
public sealed class UploadRateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Uploads a signed-in user may make per minute (Jwt mode; without sign-in there is no trustworthy user).</summary>
    public int UploadsPerMinutePerUser { get; set; } = 30;

    /// <summary>Uploads one client address may make per minute.</summary>
    public int UploadsPerMinutePerAddress { get; set; } = 120;

    /// <summary>Edits (PATCH) a signed-in user may make per minute.</summary>
    public int EditsPerMinutePerUser { get; set; } = 60;

    /// <summary>Edits one client address may make per minute.</summary>
    public int EditsPerMinutePerAddress { get; set; } = 240;

    public IEnumerable<string> Validate()
    {
        if (EditsPerMinutePerUser is < 1 or > 100_000)
        {
            yield return "RateLimits:EditsPerMinutePerUser must be between 1 and 100000.";
        }

        if (EditsPerMinutePerAddress is < 1 or > 100_000)
        {
            yield return "RateLimits:EditsPerMinutePerAddress must be between 1 and 100000.";
        }

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

    /// <summary>Edits have their own buckets, kept the same way as uploads'.</summary>
    public const string EditPolicy = "edits";

    /// <summary>Token buckets per client address and per signed-in user, refilled every minute; a refusal is a 429
    /// problem with Retry-After.</summary>
    public static WebApplicationBuilder AddUploadRateLimits(this WebApplicationBuilder builder)
    {
        builder.AddValidated(builder.Configuration.GetSection(UploadRateLimitOptions.Section).Get<UploadRateLimitOptions>(), o => o.Validate());
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per address: every upload (or edit), signed in or not.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => PolicyOf(context) switch
            {
                Policy => Bucket($"address:{context.Connection.RemoteIpAddress}", Options(context).UploadsPerMinutePerAddress),
                EditPolicy => Bucket($"edit-address:{context.Connection.RemoteIpAddress}", Options(context).EditsPerMinutePerAddress),
                _ => RateLimitPartition.GetNoLimiter("neither an upload nor an edit"),
            });
            // Per user: only a signed-in user is a user we can trust; anonymous callers are counted by address alone.
            limiter.AddPolicy(Policy, context => context.User.FindFirst("sub")?.Value is { } subject
                ? Bucket($"user:{subject}", Options(context).UploadsPerMinutePerUser)
                : RateLimitPartition.GetNoLimiter("anonymous"));
            limiter.AddPolicy(EditPolicy, context => context.User.FindFirst("sub")?.Value is { } subject
                ? Bucket($"edit-user:{subject}", Options(context).EditsPerMinutePerUser)
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
                        Title = PolicyOf(http) == EditPolicy ? "Too many edits" : "Too many uploads",
                        Detail = $"Too many {(PolicyOf(http) == EditPolicy ? "edits" : "uploads")} in the last minute from you. Try again in {seconds} s.",
                    },
                });
            };
        });
        return builder;
    }

    private static string? PolicyOf(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;

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
