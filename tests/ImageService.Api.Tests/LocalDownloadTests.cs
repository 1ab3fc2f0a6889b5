using System.Net;
using System.Net.Http.Headers;
using ImageService.Testing;

namespace ImageService.Api.Tests;

/// <summary>The embedded backend's own download links: served by the app, signed with its key.</summary>
public sealed class LocalDownloadTests
{
    [Fact]
    public async Task A_download_is_typed_unsniffable_cacheable_until_expiry_and_supports_ranges()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(300, 200));
        var url = uploaded.Str("url");
        var expiresAt = DateTimeOffset.Parse(uploaded.Str("expires_at"));

        using var full = await client.GetAsync(url);
        var bytes = await full.Content.ReadAsByteArrayAsync();
        Assert.Equal("image/jpeg", full.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", full.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("default-src 'none'; sandbox", full.Headers.GetValues("Content-Security-Policy").Single());
        Assert.NotNull(full.Headers.ETag);
        var maxAge = full.Headers.CacheControl!.MaxAge!.Value;
        var remaining = expiresAt - service.Clock.GetUtcNow();
        Assert.InRange(maxAge, remaining - TimeSpan.FromSeconds(1), remaining + TimeSpan.FromSeconds(1));
        Assert.Equal("inline", full.Content.Headers.ContentDisposition!.DispositionType);

        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, url);
        rangeRequest.Headers.Range = new RangeHeaderValue(10, 19);
        using var partial = await client.SendAsync(rangeRequest);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[10..20], await partial.Content.ReadAsByteArrayAsync());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(full.Headers.ETag!);
        using var notModified = await client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Theory]
    [InlineData("sig=", "sig=0")]
    [InlineData("ct=image%2Fjpeg", "ct=text%2Fhtml")]
    [InlineData("original.jpg?", "display.webp?")]
    public async Task A_tampered_link_is_403(string from, string to)
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64));

        using var response = await client.GetAsync(uploaded.Str("url").Replace(from, to, StringComparison.Ordinal));

        await response.AssertProblemAsync(403, "not valid");
    }

    [Fact]
    public async Task An_expired_link_is_403_and_a_fresh_view_gives_a_working_one()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64));

        service.Clock.Advance(TimeSpan.FromHours(2));
        using var expired = await client.GetAsync(uploaded.Str("url"));
        using var fresh = await client.GetAsync($"/images/{uploaded.Str("image_id")}");
        using var download = await client.GetAsync((await fresh.JsonAsync()).Str("url"));

        await expired.AssertProblemAsync(403, "expired");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
    }
}
