using System.Text.Json;
using ImageService.Testing;
using ImageService.Testing.Aws;
using NetVips;

namespace ImageService.Api.Tests;

/// <summary>Placeholders: every image carries a ThumbHash and a dominant colour, with its size, wherever it is returned,
/// so a client can reserve the box and paint it before the pixels arrive.</summary>
public abstract class PlaceholderTests(Backend backend)
{
    [Fact]
    public async Task The_upload_answer_the_view_and_the_list_carry_a_placeholder_that_decodes_to_the_images_colour()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        double[] orange = [230, 120, 30];

        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(800, 450, orange));
        var view = await (await client.GetAsync($"/images/{uploaded.Str("image_id")}")).JsonAsync();
        var listed = JsonDocument.Parse(await client.GetStringAsync("/images")).RootElement[0];

        foreach (var image in new[] { uploaded, view, listed })
        {
            Assert.Equal(uploaded.Str("placeholder"), image.Str("placeholder"));
            Assert.Equal(uploaded.Str("dominant_color"), image.Str("dominant_color"));
            Assert.Equal((800, 450), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        }

        var hash = Convert.FromBase64String(uploaded.Str("placeholder"));
        Assert.InRange(hash.Length, 5, 40);
        Assert.Matches("^#[0-9a-f]{6}$", uploaded.Str("dominant_color"));
        // The thumbnail, as a client downloads it, against what the reference decoder paints from the placeholder.
        using var thumbnail = Image.NewFromBuffer(await service.DownloadBytesAsync(client, uploaded.Str("thumbnail_url")));
        var decoded = await ThumbHashReference.DecodeAsync(hash);
        var average = decoded.GetProperty("average").EnumerateArray().Select(v => v.GetDouble() * 255).ToArray();
        var aspect = decoded.GetProperty("aspect").GetDouble();
        for (var band = 0; band < 3; band++)
        {
            using var channel = thumbnail[band];
            Assert.InRange(average[band], channel.Avg() - 12, channel.Avg() + 12);
        }

        Assert.InRange(aspect, 800 / 450.0 * 0.8, 800 / 450.0 * 1.25);
        var color = Convert.FromHexString(uploaded.Str("dominant_color")[1..]);
        for (var band = 0; band < 3; band++)
        {
            Assert.InRange(color[band], orange[band] - 12, orange[band] + 12);
        }
    }

    [Fact]
    public async Task With_Processing_Placeholders_off_images_are_stored_and_returned_without_a_placeholder()
    {
        using var service = await ServiceFactory.StartAsync(backend, new() { ["Processing:Placeholders"] = "false" });
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(800, 450));
        var view = await (await client.GetAsync($"/images/{uploaded.Str("image_id")}")).JsonAsync();
        var listed = JsonDocument.Parse(await client.GetStringAsync("/images")).RootElement[0];

        foreach (var image in new[] { uploaded, view, listed })
        {
            Assert.Equal(JsonValueKind.Null, image.GetProperty("placeholder").ValueKind);
            Assert.Equal(JsonValueKind.Null, image.GetProperty("dominant_color").ValueKind);
            Assert.Equal((800, 450), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        }
    }
}

public sealed class LocalPlaceholderTests() : PlaceholderTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsPlaceholderTests(AwsEmulators emulators) : PlaceholderTests(new AwsBackend(emulators));
