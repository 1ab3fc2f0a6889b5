using System.Net;
using System.Text.Json;
using ImageService.Core.Uploads;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>Direct uploads (POST /uploads → the form → complete) on each backend: the same image as POST /images,
/// once however often it is completed, and nothing kept of what storage should have refused.</summary>
public abstract class DirectUploadTests(Backend backend)
{
    /// <summary>A phone photo's worth of bytes: about 25 MB of noisy 30-megapixel JPEG.</summary>
    private static readonly Lazy<byte[]> PhonePhoto = new(() => TestImages.NoisyJpeg(6000, 5000));

    [Fact]
    public async Task A_25_MB_photo_through_the_direct_flow_is_the_same_image_as_through_POST_images()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var photo = PhonePhoto.Value;
        Assert.InRange(photo.Length, 20_000_000, 50_000_000);

        var direct = await client.UploadDirectOkAsync(photo, withSha256: true);
        var posted = await client.UploadOkAsync(photo);

        Assert.Equal("Image uploaded successfully", direct.Str("message"));
        foreach (var field in new[] { "user_id", "caption", "content_type", "sha256" })
        {
            Assert.Equal(posted.Str(field), direct.Str(field));
        }

        Assert.Equal(posted.GetProperty("tags").ToString(), direct.GetProperty("tags").ToString());
        Assert.Equal((6000, 5000), (direct.GetProperty("width").GetInt32(), direct.GetProperty("height").GetInt32()));
        // libvips' encoders are deterministic: the same file gives byte-identical renditions by either path.
        Assert.Equal(Renditions(posted), Renditions(direct));
        var original = await service.DownloadBytesAsync(client, direct.Str("url"));
        Assert.Equal(direct.Str("sha256"), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)));
        // The raw upload is gone once it became an image.
        Assert.DoesNotContain(await service.LeftoversAsync(), key => key.StartsWith(DirectUpload.RawPrefix, StringComparison.Ordinal));
        Assert.Equal(2, await client.CountAsync());
    }

    [Fact]
    public async Task Completing_again_and_twice_at_once_gives_the_one_image()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(800, 600);
        var started = await client.StartOkAsync(photo);
        using (var posted = await client.PostFileAsync(started, photo))
        {
            Assert.True(posted.IsSuccessStatusCode);
        }

        var both = await Task.WhenAll(client.CompleteAsync(started), client.CompleteAsync(started));
        using var again = await client.CompleteAsync(started);

        var ids = new List<string>();
        foreach (var response in both.Append(again))
        {
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            ids.Add((await response.JsonAsync()).Str("image_id"));
            response.Dispose();
        }

        Assert.Single(ids.Distinct());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task Completing_before_the_file_arrived_is_409_and_the_upload_still_completes_later()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);

        using var early = await client.CompleteAsync(started);
        await early.AssertProblemAsync(409, "has not arrived");

        using (await client.PostFileAsync(started, photo))
        {
        }

        using var completed = await client.CompleteAsync(started);
        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
    }

    [Fact]
    public async Task An_unknown_upload_is_404_a_malformed_id_400_and_one_past_its_time_404()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo))
        {
        }

        using var unknown = await client.PostAsync($"/uploads/{Guid.NewGuid():D}/complete", null);
        using var malformed = await client.PostAsync("/uploads/not-an-id/complete", null);
        service.Clock.Advance(TimeSpan.FromSeconds(900 + 3600 + 1));
        using var late = await client.CompleteAsync(started);

        await unknown.AssertProblemAsync(404, "There is no upload");
        await malformed.AssertProblemAsync(400, "is not an upload id");
        await late.AssertProblemAsync(404, "its time to complete has passed");
        Assert.Equal(0, await client.CountAsync());
    }

    public static TheoryData<string, int, string> LiesAboutTheFile => new()
    {
        { "larger", 413, "larger than the" },
        { "shorter", 422, "smaller than the" },
        { "other-type", 415, "The file is image/png, but the upload declared image/jpeg" },
        { "corrupted", 422, "was corrupted on the way" },
    };

    /// <summary>What S3 would have refused by the form's policy, and s3rver (or a client round it) stored anyway.</summary>
    [Theory]
    [MemberData(nameof(LiesAboutTheFile))]
    public async Task Complete_refuses_a_stored_file_that_is_not_what_was_declared_deletes_it_and_says_so_again(string lie, int status, string detail)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var declared = TestImages.Jpeg(320, 240);
        var stored = lie switch
        {
            "larger" => [.. declared, .. new byte[100]],
            "shorter" => declared[..^100],
            "other-type" => TestImages.Png(320, 240),
            _ => Flipped(declared),
        };
        var started = await client.StartOkAsync(lie == "other-type" ? stored : declared, withSha256: lie == "corrupted");
        await service.PutRawAsync(started, stored);

        using var refused = await client.CompleteAsync(started);
        using var again = await client.CompleteAsync(started);

        await refused.AssertProblemAsync(status, detail);
        await again.AssertProblemAsync(status, detail);
        Assert.Empty(await service.LeftoversAsync());
        Assert.Equal(0, await client.CountAsync());
    }

    public static TheoryData<string, int, string> BadStarts => new()
    {
        { """{"user_id":"not a user!","size_bytes":100,"content_type":"image/jpeg"}""", 400, "user_id" },
        { """{"size_bytes":100,"content_type":"image/jpeg"}""", 400, "user_id" },
        { """{"user_id":"123","content_type":"image/jpeg"}""", 400, "'size_bytes' is required" },
        { """{"user_id":"123","size_bytes":-5,"content_type":"image/jpeg"}""", 400, "'size_bytes' is required" },
        { """{"user_id":"123","size_bytes":52428801,"content_type":"image/jpeg"}""", 413, "max_direct_upload_bytes" },
        { """{"user_id":"123","size_bytes":100}""", 400, "'content_type' is required" },
        { """{"user_id":"123","size_bytes":100,"content_type":"image/svg+xml"}""", 415, "does not accept" },
        { """{"user_id":"123","size_bytes":100,"content_type":"image/jpeg","sha256":"abc"}""", 400, "64 hexadecimal digits" },
        { """[1,2]""", 400, "must be a JSON object" },
        { """{"user_id":""", 400, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadStarts))]
    public async Task A_bad_start_is_a_clear_4xx_and_leaves_no_upload(string body, int status, string detail)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.PostAsync("/uploads", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        using var notJson = await client.PostAsync("/uploads", new StringContent(body));

        await response.AssertProblemAsync(status, detail);
        await notJson.AssertProblemAsync(415, "takes application/json");
        Assert.Empty(await service.LeftoversAsync());
    }

    /// <summary>The state a client that went to sleep (or a service killed between the upload and complete) leaves: the
    /// raw file stored, the upload open. The sweep completes it once its form has expired, and removes what is left of
    /// uploads past their time or unknown.</summary>
    [Fact]
    public async Task The_sweep_completes_an_arrived_upload_nobody_completed_and_removes_raw_files_past_their_time()
    {
        using var service = await ServiceFactory.StartAsync(backend, new() { ["Sweeper:Enabled"] = "false" });
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(640, 480);
        var asleep = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(asleep, photo))
        {
        }

        var sweep = service.Services.GetRequiredService<Sweeping.RoutineSweep>();
        var tooEarly = await sweep.RunAsync(CancellationToken.None);
        service.Clock.Advance(TimeSpan.FromSeconds(901));
        var afterExpiry = await sweep.RunAsync(CancellationToken.None);

        Assert.Equal(0, tooEarly.DirectUploadsCompleted);
        Assert.Equal(1, afterExpiry.DirectUploadsCompleted);
        var image = Assert.Single(await client.ListIdsAsync("/images"));
        using (var late = await client.CompleteAsync(asleep))
        {
            Assert.Equal(image, (await late.JsonAsync()).Str("image_id"));
        }

        var forgotten = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(forgotten, photo))
        {
        }

        await service.PutRawAsync(JsonDocument.Parse($$"""{"upload_id":"{{Guid.NewGuid():D}}"}""").RootElement, photo);
        service.Clock.Advance(TimeSpan.FromSeconds(900 + 3600 + 1));
        var pastTime = await sweep.RunAsync(CancellationToken.None);

        Assert.Equal(2, pastTime.RawUploadsRemoved);
        Assert.Empty(await service.LeftoversAsync() is var left ? left.Where(key => !key.StartsWith("images/", StringComparison.Ordinal)) : []);
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task Limits_report_the_direct_upload_limit()
    {
        using var service = await ServiceFactory.StartAsync(backend, new() { ["DirectUploads:MaxBytes"] = "1048576" });
        using var client = service.CreateClient();

        var limits = JsonDocument.Parse(await client.GetStringAsync("/limits")).RootElement;
        using var tooLarge = await client.StartAsync(TestImages.Jpeg(64, 64), sizeBytes: 1048577);

        Assert.Equal(1048576, limits.GetProperty("max_direct_upload_bytes").GetInt64());
        Assert.Equal(900, limits.GetProperty("direct_upload_url_expiry_seconds").GetInt32());
        await tooLarge.AssertProblemAsync(413, "1,048,576 bytes");
    }

    private static string Renditions(JsonElement image) => string.Join(";", image.GetProperty("variants").EnumerateArray()
        .OrderBy(v => v.Str("name"))
        .Select(v => $"{v.Str("name")} {v.Str("content_type")} {v.GetProperty("width")}x{v.GetProperty("height")} {v.GetProperty("size_bytes")}"));

    private static byte[] Flipped(byte[] bytes)
    {
        var copy = bytes.ToArray();
        copy[copy.Length / 2] ^= 0xFF;
        return copy;
    }
}

public sealed class LocalDirectUploadTests() : DirectUploadTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsDirectUploadTests(AwsEmulators emulators) : DirectUploadTests(new AwsBackend(emulators));
