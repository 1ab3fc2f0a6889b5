using ImageService.Testing;

namespace ImageService.Api.Tests;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Uploads_past_the_per_address_limit_are_429_and_reads_are_not_limited()
    {
        using var service = new ServiceFactory(new() { ["RateLimits:UploadsPerMinutePerAddress"] = "2" });
        using var client = service.CreateClient();

        await client.UploadOkAsync(TestImages.Jpeg(64, 64));
        await client.UploadOkAsync(TestImages.Jpeg(64, 64));
        using var third = await client.UploadAsync(TestImages.Jpeg(64, 64));

        await third.AssertProblemAsync(429, "Try again in");
        Assert.True(third.Headers.Contains("Retry-After"));
        Assert.Equal(2, await client.CountAsync());
        Assert.Equal(6, (await service.LeftoversAsync()).Count);
    }
}
