using System.Net;
using System.Text.Json;
using ImageService.Testing;

namespace ImageService.Api.Tests;

/// <summary>Hostile files that are also valid images: accepted, but what is stored is the re-encoded image alone.</summary>
public abstract class HostileAcceptedTests(Backend backend)
{
    [Fact]
    public async Task A_gif_with_a_zip_appended_is_stored_without_the_archive()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(HostileFiles.GifWithZip());

        foreach (var variant in uploaded.GetProperty("variants").EnumerateArray())
        {
            var bytes = await service.DownloadBytesAsync(client, variant.Str("url"));
            Assert.False(ImageInspection.ContainsText(bytes, "PK\u0003\u0004"), $"{variant.Str("name")} still carries the ZIP");
            Assert.False(ImageInspection.ContainsText(bytes, "evil.class"));
        }
    }

    [Fact]
    public async Task Sixty_kilobytes_of_junk_metadata_are_not_stored()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(HostileFiles.JpegWithJunkMetadata());
        var original = await service.DownloadBytesAsync(client, uploaded.Str("url"));

        Assert.False(ImageInspection.ContainsText(original, "JUNKMETA"));
        Assert.True(original.Length < 20_000, $"original is {original.Length} bytes");
    }

    [Fact]
    public async Task A_five_thousand_frame_animation_is_stored_as_its_first_frame()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(HostileFiles.ManyFrameGif(5000));

        Assert.Equal((8, 8), (uploaded.GetProperty("width").GetInt32(), uploaded.GetProperty("height").GetInt32()));
        using var ready = await client.GetAsync("/health/ready");
        Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/images/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/images/%2e%2e%2f%2e%2e%2fdata")]
    [InlineData("/images/0193a5b2-7c4e-7d1a-9f3e-2b6c8d4e1a5f%2F..")]
    [InlineData("/images/' OR '1'='1")]
    [InlineData("/images/0193a5b27c4e7d1a9f3e2b6c8d4e1a5f")]
    public async Task Ids_that_are_not_uuids_are_400_for_view_and_delete(string path)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var view = await client.GetAsync(path);
        using var delete = await client.DeleteAsync(path);

        await view.AssertProblemAsync(400, "is not an image id");
        await delete.AssertProblemAsync(400, "is not an image id");
    }

    [Theory]
    [InlineData("eyJ2IjoxfQ")]
    [InlineData("YzF8OTk5OTk5OTk5OTk5OTk5OTk5OXxub3QtYS1ndWlkfGZmZmZmZg")]
    [InlineData("../../etc/passwd")]
    public async Task Forged_cursors_are_400(string cursor)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.GetAsync($"/images?cursor={Uri.EscapeDataString(cursor)}");

        await response.AssertProblemAsync(400, "not one this service issued");
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(await client.GetStringAsync("/images")).RootElement.ValueKind);
    }
}

public sealed class LocalHostileAcceptedTests() : HostileAcceptedTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsHostileAcceptedTests(ImageService.Testing.Aws.AwsEmulators emulators) : HostileAcceptedTests(new AwsBackend(emulators));
