using System.Net;
using ImageService.Testing;

namespace ImageService.Api.Tests;

public abstract class UploadTests(Backend backend)
{
    [Fact]
    public async Task An_upload_answers_201_with_the_id_the_message_and_the_stored_record()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.UploadAsync(TestImages.Jpeg(1600, 1200));
        var body = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Image uploaded successfully", body.Str("message"));
        var id = Guid.Parse(body.Str("image_id"));
        Assert.Equal($"/images/{id:D}", response.Headers.Location!.OriginalString);
        Assert.Equal("123", body.Str("user_id"));
        Assert.Equal("Beach vibes #sunset", body.Str("caption"));
        Assert.Equal(["travel", "beach", "sunset"], body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal((1600, 1200), (body.GetProperty("width").GetInt32(), body.GetProperty("height").GetInt32()));
        Assert.Equal("image/jpeg", body.Str("content_type"));
        Assert.True(body.GetProperty("size_bytes").GetInt64() > 0);
        Assert.True(DateTimeOffset.Parse(body.Str("created_at")) > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(["thumbnail", "display", "original"], body.GetProperty("variants").EnumerateArray().Select(v => v.Str("name")));
    }

    [Fact]
    public async Task The_downloaded_original_is_upright_and_holds_no_exif_gps_or_xmp()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(TestImages.JpegWithOrientationAndGps());
        var original = await service.DownloadBytesAsync(client, uploaded.Str("url"));

        Assert.Equal((100, 200), (uploaded.GetProperty("width").GetInt32(), uploaded.GetProperty("height").GetInt32()));
        Assert.Equal(100, ImageInspection.Describe(original).Width);
        Assert.Empty(ImageInspection.MetadataFields(original));
        Assert.False(ImageInspection.ContainsText(original, "Exif"));
        Assert.False(ImageInspection.ContainsText(original, TestImages.XmpPlace));
        Assert.Equal(uploaded.Str("sha256"), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)));
    }

    [Fact]
    public async Task Every_variant_is_stored_and_downloadable_with_its_own_type()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(TestImages.PngWithAlpha(600, 400));

        foreach (var variant in uploaded.GetProperty("variants").EnumerateArray())
        {
            using var download = await service.DownloadAsync(client, variant.Str("url"));
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(variant.Str("content_type"), download.Content.Headers.ContentType!.MediaType);
            var bytes = await download.Content.ReadAsByteArrayAsync();
            Assert.Equal(variant.GetProperty("size_bytes").GetInt64(), bytes.Length);
            Assert.Equal(variant.GetProperty("width").GetInt32(), ImageInspection.Describe(bytes).Width);
        }

        Assert.Equal("image/png", uploaded.Str("content_type"));
    }

    [Fact]
    public async Task Concurrent_uploads_each_get_their_own_image()
    {
        // Eight users, though the test server gives them one address.
        using var service = await ServiceFactory.StartAsync(backend, new() { ["Uploads:MaxInFlightPerClient"] = "8" });
        using var client = service.CreateClient();

        var uploads = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.UploadOkAsync(TestImages.Jpeg(64 + i, 64), $$"""{"user_id":"u{{i}}","tags":["burst"]}""")));

        var ids = uploads.Select(u => u.Str("image_id")).ToList();
        Assert.Equal(8, ids.Distinct().Count());
        var listed = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/images?tag=burst")).RootElement
            .EnumerateArray().Select(i => (i.Str("image_id"), i.Str("user_id"), i.GetProperty("width").GetInt32()));
        Assert.Equal(uploads.Select(u => (u.Str("image_id"), u.Str("user_id"), u.GetProperty("width").GetInt32())).Order(), listed.Order());
    }

    [Fact]
    public async Task The_format_comes_from_the_bytes_not_the_file_name()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.UploadAsync(TestImages.WebP(200, 100), fileName: "looks-like.gif");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_polyglot_jpeg_is_served_as_the_re_encoded_image_only()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(TestImages.JpegHtmlPolyglot());
        var original = await service.DownloadBytesAsync(client, uploaded.Str("url"));

        Assert.False(ImageInspection.ContainsText(original, "<script>"));
        Assert.Equal("jpegload_buffer", ImageInspection.Describe(original).Loader);
    }
}

public sealed class LocalUploadTests() : UploadTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsUploadTests(ImageService.Testing.Aws.AwsEmulators emulators) : UploadTests(new AwsBackend(emulators));
