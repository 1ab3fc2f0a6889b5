using Amazon.S3.Model;
using ImageService.Testing;
using ImageService.Testing.Browser;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// A real upload client, Uppy with its S3 plugin in headless Chromium, sending an S3 presigned POST form to s3rver
/// from a page on another origin, the way the web app will upload straight to the bucket. s3rver checks no part of a
/// POST policy (signature, expiry, content-length-range, conditions all pass), so nothing here relies on S3 refusing a
/// form; the bucket's CORS rule it does enforce.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class UppyS3PostTests(AwsEmulators emulators, Chromium chromium) : IClassFixture<Chromium>
{
    // localhost, not 127.0.0.1 where s3rver listens: another origin, and still a secure context as the web app's is.
    private const string PageOrigin = "http://localhost:5080";

    // The signing answer the service's POST /uploads will give: the form's action URL and its fields.
    private const string SignWithPresignedPost = "(request, post) => ({ url: post.url, fields: post.fields })";

    [Fact]
    public async Task Uppy_uploads_a_20_MB_photo_with_a_presigned_POST_and_s3_stores_its_exact_bytes_as_the_pinned_type()
    {
        var bucket = await CreateBucketAllowingAsync(PageOrigin);
        // A 24-megapixel camera's size, of noise that JPEG cannot shrink.
        var photo = TestImages.NoisyJpeg(6000, 4000);
        Assert.InRange(photo.Length, 18_000_000, 30_000_000);
        var key = $"uploads/{Guid.NewGuid():N}/original";
        var post = PresignedPost(bucket, key, "image/jpeg", maxBytes: 32 * 1024 * 1024);

        await using var uppy = await UppyClient.OpenAsync(chromium.Browser, PageOrigin);
        var report = await uppy.UploadAsync("holiday.jpg", "image/jpeg", photo, SignWithPresignedPost, post);

        Assert.True(report.Succeeded, $"Uppy reported: {report.Error}; console: {string.Join(" | ", report.Console)}");
        Assert.Equal(key, report.Key);
        Assert.Equal(photo.Length, report.BytesUploaded);
        using var stored = await emulators.S3.GetObjectAsync(bucket, key);
        using var storedBytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(storedBytes);
        Assert.Equal("image/jpeg", stored.Headers.ContentType);
        Assert.True(photo.AsSpan().SequenceEqual(storedBytes.ToArray()), $"stored {storedBytes.Length} bytes differ from the {photo.Length} sent");
    }

    [Fact]
    public async Task Uppy_reports_a_failed_upload_when_the_bucket_does_not_allow_the_pages_origin()
    {
        var bucket = await CreateBucketAllowingAsync("https://images.example.com");
        var key = $"uploads/{Guid.NewGuid():N}/original";
        var post = PresignedPost(bucket, key, "image/jpeg", maxBytes: 1024 * 1024);

        await using var uppy = await UppyClient.OpenAsync(chromium.Browser, PageOrigin);
        var report = await uppy.UploadAsync("holiday.jpg", "image/jpeg", TestImages.Jpeg(), SignWithPresignedPost, post);

        Assert.False(report.Succeeded);
        Assert.Equal(0, report.Status);
        Assert.Equal("Network error during S3 request", report.Error);
        Assert.Contains(report.Console, line => line.Contains($"from origin '{PageOrigin}' has been blocked by CORS policy", StringComparison.Ordinal));
        // A form POST is a CORS simple request: the browser sends it and hides only the answer, so S3 keeps the object
        // that the user was told did not upload. Whatever completes an upload must look at the bucket, not the client.
        var stored = await emulators.S3.GetObjectMetadataAsync(bucket, key);
        Assert.Equal("image/jpeg", stored.Headers.ContentType);
    }

    [Fact]
    public async Task Uppy_reports_the_signers_refusal_and_sends_nothing_to_s3()
    {
        var bucket = await CreateBucketAllowingAsync(PageOrigin);

        await using var uppy = await UppyClient.OpenAsync(chromium.Browser, PageOrigin);
        var report = await uppy.UploadAsync("holiday.jpg", "image/jpeg", TestImages.Jpeg(),
            "() => { throw new Error('Uploads are closed for maintenance.'); }");

        Assert.False(report.Succeeded);
        Assert.Equal("Uploads are closed for maintenance.", report.Error);
        var objects = await emulators.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(objects.S3Objects ?? []);
    }

    private async Task<string> CreateBucketAllowingAsync(string origin)
    {
        var bucket = await emulators.CreateBucketAsync();
        await emulators.S3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration
            {
                Rules = [new CORSRule { AllowedOrigins = [origin], AllowedMethods = ["POST"], AllowedHeaders = ["*"], ExposeHeaders = ["ETag"] }],
            },
        });
        return bucket;
    }

    private object PresignedPost(string bucket, string key, string contentType, long maxBytes)
    {
        var post = emulators.S3.CreatePresignedPost(new CreatePresignedPostRequest
        {
            BucketName = bucket,
            Key = key,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Fields = new Dictionary<string, string> { ["Content-Type"] = contentType },
            Conditions = [S3PostCondition.ExactMatch("Content-Type", contentType), S3PostCondition.ContentLengthRange(1, maxBytes)],
        });
        return new { url = post.Url, fields = post.Fields };
    }
}
