using System.Net;
using ImageService.Testing;

namespace ImageService.Api.Tests;

/// <summary>Idempotency-Key on POST /images: a retry never creates a second image.</summary>
public abstract class IdempotencyTests(Backend backend)
{
    [Fact]
    public async Task A_retry_with_the_same_key_and_body_replays_the_first_upload()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        using var first = await client.UploadWithKeyAsync(image, "key-1");
        using var retry = await client.UploadWithKeyAsync(image, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((await first.JsonAsync()).Str("image_id"), (await retry.JsonAsync()).Str("image_id"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_creates_nothing()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        using var first = await client.UploadWithKeyAsync(TestImages.Jpeg(64, 64), "key-2");

        using var other = await client.UploadWithKeyAsync(TestImages.Jpeg(65, 64), "key-2");

        await other.AssertProblemAsync(422, "already used for a different upload");
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task A_duplicate_while_the_first_is_still_running_is_409()
    {
        var gate = new SemaphoreSlim(0);
        using var service = await ServiceFactory.StartAsync(backend, services: services =>
            GatedProcessor.Register(services, gate));
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        var first = client.UploadWithKeyAsync(image, "key-3");
        await GatedProcessor.HeldAsync(gate);
        using var duplicate = await client.UploadWithKeyAsync(image, "key-3");
        gate.Release();
        using var firstResponse = await first;

        await duplicate.AssertProblemAsync(409, "still being processed");
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task A_failed_upload_frees_its_key_and_an_expired_key_starts_afresh()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        using var broken = await client.UploadWithKeyAsync(TestImages.Truncated(TestImages.NoisyJpeg(200, 200)), "key-4");
        using var fixedUp = await client.UploadWithKeyAsync(image, "key-4");
        service.Clock.Advance(TimeSpan.FromDays(2));
        using var later = await client.UploadWithKeyAsync(image, "key-4");

        await broken.AssertProblemAsync(422, "corrupt or truncated");
        Assert.Equal(HttpStatusCode.Created, fixedUp.StatusCode);
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.NotEqual((await fixedUp.JsonAsync()).Str("image_id"), (await later.JsonAsync()).Str("image_id"));
        Assert.Equal(2, await client.CountAsync());
    }

    [Fact]
    public async Task A_malformed_key_is_400()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await client.UploadWithKeyAsync(TestImages.Jpeg(64, 64), new string('k', 300));

        await response.AssertProblemAsync(400, "Idempotency-Key header must be");
        Assert.Equal(0, await client.CountAsync());
    }
}

public sealed class LocalIdempotencyTests() : IdempotencyTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsIdempotencyTests(ImageService.Testing.Aws.AwsEmulators emulators) : IdempotencyTests(new AwsBackend(emulators));
