using System.Net;
using System.Text.Json;
using ImageService.Testing;

namespace ImageService.Api.Tests;

public abstract class ListTests(Backend backend)
{
    [Fact]
    public async Task Lists_are_newest_first_and_filter_by_user_tag_or_both()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var a = await UploadAsync(service, client, "alice", "travel");
        var b = await UploadAsync(service, client, "bob", "travel");
        var c = await UploadAsync(service, client, "alice", "food");

        Assert.Equal([c, b, a], await client.ListIdsAsync("/images"));
        Assert.Equal([c, a], await client.ListIdsAsync("/images?user_id=alice"));
        Assert.Equal([b, a], await client.ListIdsAsync("/images?tag=travel"));
        Assert.Equal([a], await client.ListIdsAsync("/images?user_id=alice&tag=travel"));
        Assert.Equal([b, a], await client.ListIdsAsync("/images?tag=%23Travel"));
        Assert.Empty(await client.ListIdsAsync("/images?user_id=carol"));
    }

    [Fact]
    public async Task Items_carry_the_specified_fields_and_working_links()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        await client.UploadOkAsync(TestImages.Jpeg(800, 600));

        var item = JsonDocument.Parse(await client.GetStringAsync("/images")).RootElement[0];

        foreach (var field in new[] { "image_id", "user_id", "caption", "tags", "url", "thumbnail_url", "created_at" })
        {
            Assert.True(item.TryGetProperty(field, out _), $"missing {field}");
        }

        using var thumbnail = await service.DownloadAsync(client, item.Str("thumbnail_url"));
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/webp", thumbnail.Content.Headers.ContentType!.MediaType);
        Assert.Equal((320, 320), Dimensions(await thumbnail.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Following_the_link_header_walks_every_image_once()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var uploaded = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            uploaded.Insert(0, await UploadAsync(service, client, "alice", "travel"));
        }

        var walked = new List<string>();
        var url = "/images?tag=travel&limit=2";
        var pages = 0;
        while (url is not null)
        {
            using var response = await client.GetAsync(url);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(JsonValueKind.Array, page.ValueKind);
            walked.AddRange(page.EnumerateArray().Select(i => i.Str("image_id")));
            url = response.Headers.TryGetValues("Link", out var links) ? NextLink(links.Single()) : null;
            pages++;
        }

        Assert.Equal(uploaded, walked);
        Assert.Equal(3, pages);
    }

    [Theory]
    [InlineData("/images?limit=0", "'limit' must be a whole number from 1 to 100")]
    [InlineData("/images?limit=101", "'limit' must be a whole number from 1 to 100")]
    [InlineData("/images?limit=ten", "'limit' must be a whole number from 1 to 100")]
    [InlineData("/images?cursor=forged", "not one this service issued")]
    [InlineData("/images?tag=two%20words", "'tag' must be 1–64")]
    [InlineData("/images?user_id=..%2Fetc", "'user_id' must be 1–128")]
    public async Task Bad_list_parameters_are_400_with_the_fix(string url, string detail)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.GetAsync(url);

        await response.AssertProblemAsync(400, detail);
    }

    [Fact]
    public async Task A_cursor_from_one_filter_is_refused_on_another()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        await UploadAsync(service, client, "alice", "travel");
        await UploadAsync(service, client, "alice", "travel");
        using var first = await client.GetAsync("/images?user_id=alice&limit=1");
        var next = NextLink(first.Headers.GetValues("Link").Single());
        var cursor = next[(next.IndexOf("cursor=", StringComparison.Ordinal) + 7)..];

        using var replay = await client.GetAsync($"/images?user_id=bob&limit=1&cursor={cursor}");

        await replay.AssertProblemAsync(400, "other 'user_id'/'tag' filters");
    }

    private static async Task<string> UploadAsync(ServiceFactory service, HttpClient client, string user, string tag)
    {
        // A millisecond apart at least, so "newest first" has one right answer.
        service.Clock.Advance(TimeSpan.FromSeconds(1));
        var body = await client.UploadOkAsync(TestImages.Jpeg(64, 64), $$"""{"user_id":"{{user}}","tags":["{{tag}}"]}""");
        return body.Str("image_id");
    }

    private static string NextLink(string header)
    {
        Assert.EndsWith("; rel=\"next\"", header, StringComparison.Ordinal);
        return header[1..header.IndexOf('>', StringComparison.Ordinal)];
    }

    private static (int, int) Dimensions(byte[] image)
    {
        var described = ImageInspection.Describe(image);
        return (described.Width, described.Height);
    }
}

public sealed class LocalListTests() : ListTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsListTests(ImageService.Testing.Aws.AwsEmulators emulators) : ListTests(new AwsBackend(emulators));
