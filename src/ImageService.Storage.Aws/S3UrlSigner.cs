using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using ImageService.Core.Ports;

namespace ImageService.Storage.Aws;

/// <summary>S3 presigned GET URLs that make S3 answer with the stored content type and an inline file name, and S3
/// presigned POST forms whose policy pins the key, the content type, the exact size and, when given, the SHA-256 that
/// S3 checks the body against.</summary>
/// <param name="credentials">The credentials <paramref name="s3"/> was built with, when it was given some; otherwise it
/// signs with the SDK's default chain, and so does <see cref="LatestExpiryAsync"/>.</param>
public sealed class S3UrlSigner(IAmazonS3 s3, AwsStorageOptions options, AWSCredentials? credentials = null) : IBlobUrlSigner
{
    /// <summary>How long temporary credentials that do not say when they expire are trusted to last from now. Lambda's
    /// execution role hands the process such credentials (environment variables, no expiry), and AWS documents no
    /// lifetime for them; an hour is within what every kind of role session lasts.</summary>
    public static readonly TimeSpan UnknownSessionLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// Credentials that say when they expire (a role assumed through STS, SSO, a container or instance role) cap the
    /// expiry at that instant; temporary ones that do not (Lambda's) at <see cref="UnknownSessionLifetime"/> from now;
    /// long-term keys not at all. A capped expiry is rounded down to a five-minute mark, as uncapped ones are rounded
    /// up, so that links stay the same for a while and browsers can cache them.
    /// </summary>
    public async ValueTask<DateTimeOffset> LatestExpiryAsync(DateTimeOffset wanted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var signing = await AwsFailures.Guard("S3 link signing", async () =>
        {
            var identity = credentials ?? s3.Config.DefaultAWSCredentials ?? await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync(s3.Config);
            var current = await identity.GetCredentialsAsync();
            return (Identity: identity, current.UseToken);
        });
        DateTimeOffset? latest = signing.Identity.Expiration is { } expiration
            ? new DateTimeOffset(DateTime.SpecifyKind(expiration, expiration.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : expiration.Kind))
            : signing.UseToken ? now + UnknownSessionLifetime : null;
        if (latest is not { } cap || cap >= wanted)
        {
            return wanted;
        }

        const long Step = Core.Images.DownloadOptions.ExpiryStepSeconds;
        var seconds = cap.ToUnixTimeSeconds();
        var rounded = seconds / Step * Step;
        // Never a link that is dead on arrival: below a minute of life, no rounding (and the caller gets what there is).
        return DateTimeOffset.FromUnixTimeSeconds(rounded - now.ToUnixTimeSeconds() >= 60 ? rounded : seconds);
    }

    public async ValueTask<Uri> SignDownloadAsync(BlobDownload download, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = options.Bucket,
            Key = download.Key,
            Verb = HttpVerb.GET,
            Expires = expiresAt.UtcDateTime,
            // An emulator on http:// must be signed for http://, or the link points at a TLS port that is not there.
            Protocol = s3.Config.ServiceURL?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentType = download.ContentType;
        request.ResponseHeaderOverrides.ContentDisposition = $"inline; filename=\"{download.FileName}\"";
        // Signing reads credentials, which may mean a call to a container or instance credentials endpoint.
        return new Uri(await AwsFailures.Guard("S3 link signing", () => s3.GetPreSignedURLAsync(request)));
    }

    public async ValueTask<SignedUploadForm> SignUploadAsync(UploadPermit permit, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var request = new CreatePresignedPostRequest
        {
            BucketName = options.Bucket,
            Key = permit.Key,
            Expires = expiresAt.UtcDateTime,
            // Each field is also an exact-match condition of the policy.
            Fields = new() { ["Content-Type"] = permit.ContentType },
            // A presigned PUT could not bound the size; a POST policy can, to the declared byte.
            Conditions = [S3PostCondition.ContentLengthRange(permit.SizeBytes, permit.SizeBytes)],
        };
        if (permit.Sha256 is not null)
        {
            // S3 computes the body's SHA-256 and refuses the upload (400 BadDigest) when it is not this one.
            var checksum = Convert.ToBase64String(Convert.FromHexString(permit.Sha256));
            request.Fields["x-amz-checksum-algorithm"] = "SHA256";
            request.Fields["x-amz-checksum-sha256"] = checksum;
        }

        var response = await AwsFailures.Guard("S3 upload signing", () => s3.CreatePresignedPostAsync(request));
        return new SignedUploadForm(new Uri(response.Url), response.Fields);
    }
}
