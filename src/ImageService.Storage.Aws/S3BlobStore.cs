using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using ImageService.Core.Images;
using ImageService.Core.Ports;

namespace ImageService.Storage.Aws;

/// <summary>Blobs as objects in one S3 bucket. A put is atomic on S3's side: readers see the old object or the new one.</summary>
public sealed class S3BlobStore(IAmazonS3 s3, AwsStorageOptions options) : IBlobStore
{
    private const string Store = "The S3 bucket";

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        BlobKeys.EnsureValid(key);
        await AwsFailures.Guard(Store, () => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = options.Bucket,
            Key = key,
            InputStream = content,
            ContentType = contentType,
            AutoCloseStream = false,
            // Plain bodies: s3rver stores aws-chunked framing as if it were the object's bytes.
            UseChunkEncoding = false,
        }, cancellationToken));
    }

    public async Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        BlobKeys.EnsureValid(key);
        try
        {
            var response = await AwsFailures.Guard(Store, () => s3.GetObjectAsync(options.Bucket, key, cancellationToken));
            return new BlobContent(response.ResponseStream, response.ContentLength,
                response.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.UnixEpoch,
                response.ETag ?? "\"\"");
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        BlobKeys.EnsureValid(key);
        // S3 deletes silently whether or not the object existed; the port promises to say which.
        try
        {
            await AwsFailures.Guard(Store, () => s3.GetObjectMetadataAsync(options.Bucket, key, cancellationToken));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await RemoveAsync(key, cancellationToken);
        return true;
    }

    public Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        BlobKeys.EnsureValid(key);
        return AwsFailures.Guard(Store, () => s3.DeleteObjectAsync(options.Bucket, key, cancellationToken));
    }

    public async IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // S3 lists in UTF-8 byte order, which for the ASCII of valid keys is ordinal order; StartAfter resumes there.
        var request = new ListObjectsV2Request { BucketName = options.Bucket, Prefix = prefix, StartAfter = startAfter };
        do
        {
            var page = await AwsFailures.Guard("S3", () => s3.ListObjectsV2Async(request, cancellationToken));
            foreach (var item in page.S3Objects ?? [])
            {
                yield return item.Key;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));
    }

    /// <summary>HEAD on the bucket: cheap, needs only s3:ListBucket, and fails when the bucket is missing or unreachable.</summary>
    public Task ProbeAsync(CancellationToken cancellationToken) =>
        AwsFailures.Guard(Store, () => s3.HeadBucketAsync(new HeadBucketRequest { BucketName = options.Bucket }, cancellationToken));
}
