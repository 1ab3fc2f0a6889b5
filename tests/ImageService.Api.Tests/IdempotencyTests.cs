using System.Net;
using System.Text.Json;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Imaging;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

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

        using var first = await UploadAsync(client, image, "key-1");
        using var retry = await UploadAsync(client, image, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((await first.JsonAsync()).Str("image_id"), (await retry.JsonAsync()).Str("image_id"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await CountAsync(client));
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_creates_nothing()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        using var first = await UploadAsync(client, TestImages.Jpeg(64, 64), "key-2");

        using var other = await UploadAsync(client, TestImages.Jpeg(65, 64), "key-2");

        await other.AssertProblemAsync(422, "already used for a different upload");
        Assert.Equal(1, await CountAsync(client));
    }

    [Fact]
    public async Task A_duplicate_while_the_first_is_still_running_is_409()
    {
        var gate = new SemaphoreSlim(0);
        using var service = await ServiceFactory.StartAsync(backend, services: services =>
            services.AddSingleton<IImageProcessor>(provider => new GatedProcessor(
                new VipsImageProcessor(provider.GetRequiredService<UploadLimits>(), provider.GetRequiredService<ProcessingOptions>()), gate)));
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        var first = UploadAsync(client, image, "key-3");
        await WaitUntilAsync(() => gate.CurrentCount == 0 && GatedProcessor.Waiting(gate));
        using var duplicate = await UploadAsync(client, image, "key-3");
        gate.Release();
        using var firstResponse = await first;

        await duplicate.AssertProblemAsync(409, "still being processed");
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        Assert.Equal(1, await CountAsync(client));
    }

    [Fact]
    public async Task A_failed_upload_frees_its_key_and_an_expired_key_starts_afresh()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        using var broken = await UploadAsync(client, TestImages.Truncated(TestImages.NoisyJpeg(200, 200)), "key-4");
        using var fixedUp = await UploadAsync(client, image, "key-4");
        service.Clock.Advance(TimeSpan.FromDays(2));
        using var later = await UploadAsync(client, image, "key-4");

        await broken.AssertProblemAsync(422, "corrupt or truncated");
        Assert.Equal(HttpStatusCode.Created, fixedUp.StatusCode);
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.NotEqual((await fixedUp.JsonAsync()).Str("image_id"), (await later.JsonAsync()).Str("image_id"));
        Assert.Equal(2, await CountAsync(client));
    }

    [Fact]
    public async Task A_malformed_key_is_400()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();

        using var response = await UploadAsync(client, TestImages.Jpeg(64, 64), new string('k', 300));

        await response.AssertProblemAsync(400, "Idempotency-Key header must be");
        Assert.Equal(0, await CountAsync(client));
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] image, string key)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(image), "file", "a.jpg" }, { new StringContent(Api.DefaultMetadata), "metadata" } };
        var request = new HttpRequestMessage(HttpMethod.Post, "/images") { Content = form };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static async Task<int> CountAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/images")).RootElement.GetArrayLength();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "the first upload never reached processing");
    }

    /// <summary>Holds every upload in processing until the test releases the gate.</summary>
    private sealed class GatedProcessor(IImageProcessor inner, SemaphoreSlim gate) : IImageProcessor
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SemaphoreSlim, object> Waiters = [];

        public IReadOnlyList<string> AcceptedContentTypes => inner.AcceptedContentTypes;

        public static bool Waiting(SemaphoreSlim gate) => Waiters.TryGetValue(gate, out _);

        public async Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken)
        {
            Waiters.AddOrUpdate(gate, new object());
            await gate.WaitAsync(cancellationToken);
            return await inner.ProcessAsync(sourcePath, outputFolder, cancellationToken);
        }
    }
}

public sealed class LocalIdempotencyTests() : IdempotencyTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsIdempotencyTests(ImageService.Testing.Aws.AwsEmulators emulators) : IdempotencyTests(new AwsBackend(emulators));
