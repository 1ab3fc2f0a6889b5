using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ImageService.Testing;

namespace ImageService.Api.Tests;

/// <summary>
/// The catalogue of hostile and broken uploads. Each answers its exact status with a problem+json whose detail
/// says what to fix, persists nothing (no blob, no record, no staged file) and leaves the service ready.
/// </summary>
public abstract class UploadRejectionTests(Backend backend)
{
    public static TheoryData<string, int, string> Cases => new()
    {
        { "no-file", 400, "'file' part is missing" },
        { "two-files", 400, "more than one 'file' part" },
        { "empty-file", 400, "'file' part is empty" },
        { "no-metadata", 400, "'metadata' part is missing" },
        { "metadata-not-json", 400, "not valid JSON" },
        { "metadata-no-user", 400, "'metadata.user_id' is required" },
        { "metadata-bad-tag", 400, "'metadata.tags[0]' is not a valid tag" },
        { "metadata-huge", 400, "'metadata' part is larger than" },
        { "text-named-jpg", 415, "not an image format this service recognises" },
        { "svg", 415, "SVG" },
        { "heic", 415, "HEIC" },
        { "not-multipart", 415, "multipart/form-data" },
        { "malformed-multipart", 400, "multipart body is malformed" },
        { "truncated-jpeg", 422, "corrupt or truncated" },
        { "pixel-bomb-header", 422, "10,000,000,000 pixels" },
        { "too-large", 413, "larger than the 1,000,000 bytes" },
        { "html-named-jpg", 415, "not an image format this service recognises" },
        { "magick-mvg", 415, "not an image format this service recognises" },
        { "pdf", 415, "PDF" },
        { "tiff", 415, "TIFF" },
        { "bmp", 415, "BMP" },
        { "pixel-flood-png", 422, "400,000,000 pixels" },
        { "raw-control-characters", 400, "not valid JSON" },
        { "truncated-png", 422, "corrupt or truncated" },
        { "truncated-webp", 422, "corrupt or truncated" },
        { "corrupt-jpeg-huffman", 422, "corrupt or truncated" },
        { "png-bad-crc", 422, "corrupt or truncated" },
        { "metadata-deeply-nested", 400, "not valid JSON" },
        { "metadata-control-characters", 400, "control characters" },
        { "metadata-zero-width-tag", 400, "'metadata.tags[0]' is not a valid tag" },
        { "metadata-nul-in-user-id", 400, "'metadata.user_id' must be 1–128" },
        { "metadata-newline-after-user-id", 400, "'metadata.user_id' must be 1–128" },
        { "two-metadata-parts", 400, "more than one 'metadata' part" },
        { "raw-image-body", 415, "multipart/form-data" },
        { "multipart-mixed", 415, "multipart/form-data" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_rejected_upload_explains_itself_and_leaves_nothing_behind(string kind, int status, string detail)
    {
        using var service = await ServiceFactory.StartAsync(backend, new() { ["Limits:MaxUploadBytes"] = "1000000" });
        using var client = service.CreateClient();

        using var response = await SendAsync(client, kind);

        await response.AssertProblemAsync(status, detail);
        Assert.Empty(await service.LeftoversAsync());
        Assert.Equal("[]", await client.GetStringAsync("/images"));
        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string kind)
    {
        var jpeg = TestImages.Jpeg(64, 64);
        switch (kind)
        {
            case "no-file":
                return client.PostAsync("/images", new MultipartFormDataContent { { new StringContent(Api.DefaultMetadata), "metadata" } });
            case "two-files":
                return client.PostAsync("/images", new MultipartFormDataContent
                {
                    { new ByteArrayContent(jpeg), "file", "a.jpg" },
                    { new ByteArrayContent(jpeg), "file", "b.jpg" },
                    { new StringContent(Api.DefaultMetadata), "metadata" },
                });
            case "empty-file":
                return client.UploadAsync([]);
            case "no-metadata":
                return client.UploadAsync(jpeg, metadata: null);
            case "metadata-not-json":
                return client.UploadAsync(jpeg, "{user_id: 123");
            case "metadata-no-user":
                return client.UploadAsync(jpeg, """{"caption":"who am I"}""");
            case "metadata-bad-tag":
                return client.UploadAsync(jpeg, $$"""{"user_id":"u","tags":["{{new string('x', 10_000)}}"]}""");
            case "metadata-huge":
                return client.UploadAsync(jpeg, $$"""{"user_id":"u","caption":"{{new string('x', 100_000)}}"}""");
            case "text-named-jpg":
                return client.UploadAsync(TestImages.Text(), fileName: "holiday.jpg");
            case "svg":
                return client.UploadAsync(TestImages.Svg(), fileName: "logo.png");
            case "heic":
                return client.UploadAsync(TestImages.FakeHeic(), fileName: "IMG_0001.HEIC");
            case "not-multipart":
                return client.PostAsync("/images", new StringContent(Api.DefaultMetadata, Encoding.UTF8, "application/json"));
            case "malformed-multipart":
                var garbage = new ByteArrayContent("--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"u8.ToArray());
                garbage.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
                return client.PostAsync("/images", garbage);
            case "truncated-jpeg":
                return client.UploadAsync(TestImages.Truncated(TestImages.NoisyJpeg(400, 300)));
            case "pixel-bomb-header":
                return client.UploadAsync(TestImages.PngClaiming(100_000, 100_000), fileName: "bomb.png");
            case "too-large":
                return client.UploadAsync(new byte[1_100_000]);
            case "html-named-jpg":
                return client.UploadAsync(HostileFiles.HtmlNamedJpg(), fileName: "cat.jpg");
            case "magick-mvg":
                return client.UploadAsync(HostileFiles.MagickMvg(), fileName: "exploit.jpg");
            case "pdf":
                return client.UploadAsync(HostileFiles.Pdf(), fileName: "doc.jpg");
            case "tiff":
                return client.UploadAsync(HostileFiles.Tiff(), fileName: "scan.jpg");
            case "bmp":
                return client.UploadAsync(HostileFiles.Bmp(), fileName: "paint.jpg");
            case "pixel-flood-png":
                return client.UploadAsync(TestImages.PixelFloodPng(20_000, 20_000), fileName: "flood.png");
            case "truncated-png":
                return client.UploadAsync(TestImages.Truncated(TestImages.Png(300, 300), 0.5));
            case "truncated-webp":
                return client.UploadAsync(TestImages.Truncated(TestImages.WebP(300, 300), 0.5));
            case "corrupt-jpeg-huffman":
                return client.UploadAsync(HostileFiles.JpegWithCorruptHuffmanTable());
            case "png-bad-crc":
                return client.UploadAsync(HostileFiles.PngWithBadCrc());
            case "metadata-deeply-nested":
                return client.UploadAsync(jpeg, $$"""{"user_id":"u","x":{{new string('[', 5000)}}{{new string(']', 5000)}}}""");
            case "metadata-control-characters":
                return client.UploadAsync(jpeg, """{"user_id":"u","caption":"line\u0000break\u001b[31m"}""");
            case "metadata-zero-width-tag":
                return client.UploadAsync(jpeg, """{"user_id":"u","tags":["tra\u200Bvel"]}""");
            case "raw-control-characters":
                return client.UploadAsync(jpeg, "{\"user_id\":\"u\",\"caption\":\"bell\u0007\"}");
            case "metadata-nul-in-user-id":
                return client.UploadAsync(jpeg, """{"user_id":"admin\u0000"}""");
            case "metadata-newline-after-user-id":
                return client.UploadAsync(jpeg, """{"user_id":"alice\n"}""");
            case "two-metadata-parts":
                return client.PostAsync("/images", new MultipartFormDataContent
                {
                    { new ByteArrayContent(jpeg), "file", "a.jpg" },
                    { new StringContent(Api.DefaultMetadata), "metadata" },
                    { new StringContent("""{"user_id":"other"}"""), "metadata" },
                });
            case "raw-image-body":
                var raw = new ByteArrayContent(jpeg);
                raw.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                return client.PostAsync("/images", raw);
            case "multipart-mixed":
                var mixed = new MultipartContent("mixed") { new ByteArrayContent(jpeg) };
                return client.PostAsync("/images", mixed);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}

public sealed class LocalUploadRejectionTests() : UploadRejectionTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsUploadRejectionTests(ImageService.Testing.Aws.AwsEmulators emulators) : UploadRejectionTests(new AwsBackend(emulators));
