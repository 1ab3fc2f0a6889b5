using System.Net;
using System.Net.Http.Headers;
using ImageService.Testing;

namespace ImageService.Api.Tests;

public abstract class ViewTests(Backend backend)
{
    [Fact]
    public async Task Viewing_answers_the_record_with_a_signed_link_per_variant_and_its_expiry()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(900, 600));

        using var response = await client.GetAsync($"/images/{uploaded.Str("image_id")}");
        var body = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(uploaded.Str("image_id"), body.Str("image_id"));
        var expiresAt = DateTimeOffset.Parse(body.Str("expires_at"));
        Assert.InRange(expiresAt - service.Clock.GetUtcNow(), TimeSpan.FromHours(1), TimeSpan.FromHours(1) + TimeSpan.FromMinutes(5));
        Assert.Equal(3, body.GetProperty("variants").GetArrayLength());
        var original = await service.DownloadBytesAsync(client, body.Str("url"));
        Assert.Equal((900, 600), (ImageInspection.Describe(original).Width, ImageInspection.Describe(original).Height));
    }

    [Fact]
    public async Task Redirect_true_answers_302_to_the_signed_link()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient(new() { AllowAutoRedirect = false });
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64));

        using var response = await client.GetAsync($"/images/{uploaded.Str("image_id")}?redirect=true");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(uploaded.Str("url"), response.Headers.Location!.AbsoluteUri);
    }

    [Fact]
    public async Task An_unknown_id_is_404_and_a_malformed_one_is_400()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var unknown = await client.GetAsync($"/images/{Guid.NewGuid()}");
        using var malformed = await client.GetAsync("/images/not-a-uuid");
        using var traversal = await client.GetAsync("/images/..%2F..%2Fetc%2Fpasswd");

        await unknown.AssertProblemAsync(404, "There is no image with id");
        await malformed.AssertProblemAsync(400, "is not an image id");
        await traversal.AssertProblemAsync(400, "is not an image id");
    }
}

public sealed class LocalViewTests() : ViewTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsViewTests(ImageService.Testing.Aws.AwsEmulators emulators) : ViewTests(new AwsBackend(emulators));
