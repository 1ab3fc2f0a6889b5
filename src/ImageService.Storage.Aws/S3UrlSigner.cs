using Amazon.S3;
using Amazon.S3.Model;
using ImageService.Core.Ports;

namespace ImageService.Storage.Aws;

/// <summary>S3 presigned GET URLs that make S3 answer with the stored content type and an inline file name.</summary>
public sealed class S3UrlSigner(IAmazonS3 s3, AwsStorageOptions options) : IBlobUrlSigner
{
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
}
