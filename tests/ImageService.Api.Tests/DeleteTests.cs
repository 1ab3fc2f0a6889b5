using System.Net;
using System.Text.Json;
using ImageService.Testing;

namespace ImageService.Api.Tests;

public abstract class DeleteTests(Backend backend)
{
    [Fact]
    public async Task A_deleted_image_is_gone_everywhere()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var kept = await client.UploadOkAsync(TestImages.Jpeg(64, 64));
        var doomed = await client.UploadOkAsync(TestImages.Jpeg(64, 64));
        var id = doomed.Str("image_id");

        using var response = await client.DeleteAsync($"/images/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Image deleted successfully", (await response.JsonAsync()).Str("message"));
        using var view = await client.GetAsync($"/images/{id}");
        await view.AssertProblemAsync(404, id);
        using var oldLink = await service.DownloadAsync(client, doomed.Str("url"));
        Assert.Equal(HttpStatusCode.NotFound, oldLink.StatusCode);
        var listed = JsonDocument.Parse(await client.GetStringAsync("/images?tag=travel")).RootElement.EnumerateArray().Select(i => i.Str("image_id"));
        Assert.Equal([kept.Str("image_id")], listed);
        var leftovers = await service.LeftoversAsync();
        Assert.DoesNotContain(leftovers, file => file.Contains(id, StringComparison.Ordinal));
        Assert.Equal(3, leftovers.Count(file => file.Contains(kept.Str("image_id"), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Deleting_an_unknown_or_already_deleted_image_is_404()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64));
        using var first = await client.DeleteAsync($"/images/{uploaded.Str("image_id")}");

        using var again = await client.DeleteAsync($"/images/{uploaded.Str("image_id")}");
        using var unknown = await client.DeleteAsync($"/images/{Guid.NewGuid()}");
        using var malformed = await client.DeleteAsync("/images/..%2F..%2Fdata");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await again.AssertProblemAsync(404, "There is no image with id");
        await unknown.AssertProblemAsync(404, "There is no image with id");
        await malformed.AssertProblemAsync(400, "is not an image id");
    }
}

public sealed class LocalDeleteTests() : DeleteTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsDeleteTests(ImageService.Testing.Aws.AwsEmulators emulators) : DeleteTests(new AwsBackend(emulators));
