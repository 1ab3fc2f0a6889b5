using System.Net;
using System.Text.Json;
using ImageService.Testing;
using ImageService.Testing.Aws;

namespace ImageService.Api.Tests;

/// <summary>Alt text: a description for people who cannot see the image, sent with the metadata of either upload path
/// and returned wherever the image is.</summary>
public abstract class AltTextTests(Backend backend)
{
    private const string Description = "A golden retriever asleep on a sunny beach, paws in the sand.";

    [Fact]
    public async Task Alt_text_sent_with_the_metadata_comes_back_in_the_upload_answer_the_view_and_the_list()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64), $$"""{"user_id":"123","alt_text":"  {{Description}}  "}""");
        var view = await (await client.GetAsync($"/images/{uploaded.Str("image_id")}")).JsonAsync();
        var listed = JsonDocument.Parse(await client.GetStringAsync("/images?user_id=123")).RootElement[0];

        Assert.Equal(Description, uploaded.Str("alt_text"));
        Assert.Equal(Description, view.Str("alt_text"));
        Assert.Equal(Description, listed.Str("alt_text"));
    }

    [Fact]
    public async Task A_direct_upload_carries_its_alt_text_too_and_blank_alt_text_means_none()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(64, 64);

        using var start = await client.PostAsync("/uploads", new StringContent(
            $$"""{"user_id":"123","alt_text":"{{Description}}","size_bytes":{{photo.Length}},"content_type":"image/jpeg"}""",
            System.Text.Encoding.UTF8, "application/json"));
        var started = await start.JsonAsync();
        using (await client.PostFileAsync(started, photo))
        {
        }

        using var completed = await client.CompleteAsync(started);
        var blank = await client.UploadOkAsync(photo, """{"user_id":"123","alt_text":"   "}""");

        Assert.Equal(Description, (await completed.JsonAsync()).Str("alt_text"));
        Assert.Equal(JsonValueKind.Null, blank.GetProperty("alt_text").ValueKind);
    }

    [Theory]
    [InlineData("""{"user_id":"123","alt_text":42}""", "'metadata.alt_text' must be a string")]
    [InlineData("""{"user_id":"123","alt_text":["a"]}""", "'metadata.alt_text' must be a string")]
    [InlineData("""{"user_id":"123","alt_text":"bell\u0007"}""", "control characters")]
    public async Task Alt_text_that_is_not_plain_text_is_400_and_stores_nothing(string metadata, string detail)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.UploadAsync(TestImages.Jpeg(64, 64), metadata);

        await response.AssertProblemAsync(400, detail);
        Assert.Empty(await service.LeftoversAsync());
    }

    [Fact]
    public async Task Alt_text_over_1000_characters_is_400_naming_the_limit_which_GET_limits_reports()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.UploadAsync(TestImages.Jpeg(64, 64), $$"""{"user_id":"123","alt_text":"{{new string('a', 1001)}}"}""");
        var limits = JsonDocument.Parse(await client.GetStringAsync("/limits")).RootElement;

        await response.AssertProblemAsync(400, "has 1001 characters; the limit is 1000");
        Assert.Equal(1000, limits.GetProperty("max_alt_text_length").GetInt32());
        Assert.Equal(0, await client.CountAsync());
    }
}

public sealed class LocalAltTextTests() : AltTextTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsAltTextTests(AwsEmulators emulators) : AltTextTests(new AwsBackend(emulators));
