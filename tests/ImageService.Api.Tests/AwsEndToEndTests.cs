using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Web;
using Amazon.DynamoDBv2.Model;
using Amazon.S3.Model;
using ImageService.Testing;
using ImageService.Testing.Aws;

namespace ImageService.Api.Tests;

/// <summary>The whole life of an image on the AWS backend, checked against S3 and DynamoDB with the SDK directly.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class AwsEndToEndTests(AwsEmulators emulators)
{
    [Fact]
    public async Task Upload_list_presigned_download_and_delete_leave_s3_and_dynamodb_as_they_should()
    {
        var bucket = await emulators.CreateBucketAsync();
        var table = await emulators.CreateTableAsync();
        using var service = new ServiceFactory(emulators.ServiceSettings(bucket, table));
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(TestImages.JpegWithOrientationAndGps());
        var id = uploaded.Str("image_id");

        // Stored in S3: three objects under the image's prefix, the original exactly what the record hashes.
        var objects = await emulators.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = $"images/{id}/" });
        Assert.Equal(["images/" + id + "/display.webp", "images/" + id + "/original.jpg", "images/" + id + "/thumbnail.webp"],
            objects.S3Objects.Select(o => o.Key).Order());
        using var stored = await emulators.S3.GetObjectAsync(bucket, $"images/{id}/original.jpg");
        using var storedBytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(storedBytes);
        Assert.Equal("image/jpeg", stored.Headers.ContentType);
        Assert.Equal(uploaded.Str("sha256"), Convert.ToHexStringLower(SHA256.HashData(storedBytes.ToArray())));

        // Listed, and viewable through a real presigned URL that returns the stored bytes exactly.
        var listed = JsonDocument.Parse(await client.GetStringAsync("/images?user_id=123&tag=sunset")).RootElement;
        Assert.Equal(id, listed[0].Str("image_id"));
        var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();
        var url = new Uri(view.Str("url"));
        Assert.StartsWith(emulators.S3Endpoint, url.AbsoluteUri, StringComparison.Ordinal);
        var query = HttpUtility.ParseQueryString(url.Query);
        Assert.NotNull(query["X-Amz-Signature"]);
        var lifetime = int.Parse(query["X-Amz-Expires"]!);
        Assert.InRange(lifetime, 3600, 3600 + 300);
        using var download = await service.DownloadAsync(client, url.AbsoluteUri);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("inline", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(storedBytes.ToArray(), await download.Content.ReadAsByteArrayAsync());

        using var deleted = await client.DeleteAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        // Gone: no object under the prefix, no item in the image's partition (record or tag edges).
        var after = await emulators.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = $"images/{id}/" });
        Assert.Empty(after.S3Objects ?? []);
        var items = await emulators.DynamoDb.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "pk = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = $"image#{id}" } },
            ConsistentRead = true,
        });
        Assert.Empty(items.Items ?? []);
        using var gone = await client.GetAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var oldLink = await service.DownloadAsync(client, url.AbsoluteUri);
        Assert.Equal(HttpStatusCode.NotFound, oldLink.StatusCode);
    }

    [Fact]
    public async Task Readiness_checks_the_bucket_and_the_table()
    {
        var bucket = await emulators.CreateBucketAsync();
        var table = await emulators.CreateTableAsync();
        using var ready = new ServiceFactory(emulators.ServiceSettings(bucket, table));
        using var noTable = new ServiceFactory(emulators.ServiceSettings(bucket, "no_such_table"));
        using var noBucket = new ServiceFactory(emulators.ServiceSettings("no-such-bucket", table));

        using var healthy = await ready.CreateClient().GetAsync("/health/ready");
        using var missingTable = await noTable.CreateClient().GetAsync("/health/ready");
        using var missingBucket = await noBucket.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, missingTable.StatusCode);
        Assert.Equal("Unhealthy", (await missingTable.JsonAsync()).GetProperty("checks").Str("image_index"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, missingBucket.StatusCode);
        Assert.Equal("Unhealthy", (await missingBucket.JsonAsync()).GetProperty("checks").Str("blob_store"));
    }

    [Fact]
    public async Task The_aws_backend_serves_no_local_download_route()
    {
        using var service = new ServiceFactory(emulators.ServiceSettings(await emulators.CreateBucketAsync(), await emulators.CreateTableAsync()));
        using var client = service.CreateClient();

        using var response = await client.GetAsync("/files/images/x/original.jpg?exp=1&ct=a&fn=b&sig=c");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
