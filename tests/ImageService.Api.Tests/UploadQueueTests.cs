using System.Net;
using System.Net.Sockets;
using System.Text;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Imaging;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>The upload queue is bounded: beyond its place, disk and wait limits an upload gets a 503 with Retry-After,
/// before its body is read, and leaves nothing behind; once the rush is over, uploads work again.</summary>
public abstract class UploadQueueTests(Backend backend)
{
    [Fact]
    public async Task An_upload_beyond_the_in_flight_limit_is_503_before_its_body_is_sent_and_uploads_work_again_afterwards()
    {
        var held = new HeldProcessor();
        using var service = await StartOnKestrelAsync(new() { ["Uploads:MaxInFlight"] = "1" }, held);
        using var client = service.CreateClient();
        var first = client.UploadAsync(TestImages.Jpeg(64, 64));
        await held.Reached;

        // Only the headers of a 5 MB upload: the answer must come without the body.
        var raw = await RawUploads.AnswerToHeadersAsync(client, 5_000_000);
        // A client that sends its whole body at once still reads the answer.
        using var whole = await client.UploadAsync(TestImages.NoisyJpeg(600, 400));

        Assert.StartsWith("HTTP/1.1 503", raw, StringComparison.Ordinal);
        Assert.Contains("Retry-After: ", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("application/problem+json", raw, StringComparison.Ordinal);
        Assert.Contains("send the upload again after the Retry-After delay", raw, StringComparison.Ordinal);
        await whole.AssertProblemAsync(503, "uploads at once");
        Assert.NotNull(whole.Headers.RetryAfter);

        held.Release();
        using var firstResponse = await first;
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        await client.UploadOkAsync(TestImages.Jpeg(32, 32));
        Assert.Equal(2, (await client.ListIdsAsync("/images")).Count);
        Assert.Empty(Staged(service));
    }

    [Fact]
    public async Task An_upload_that_would_overfill_the_staging_budget_is_503_until_the_disk_is_free_again()
    {
        // One client stands for many here: neither its own share nor the pace of its body is what this test is about.
        using var service = await StartOnKestrelAsync(new()
        {
            ["Uploads:MaxStagedBytes"] = "1048576",
            ["Uploads:MaxInFlightPerClient"] = "16",
            ["Uploads:MinBodyBytesPerSecond"] = "0",
        });
        using var client = service.CreateClient();

        // A body that declares most of the budget and is still arriving holds its share.
        var slow = await RawUploads.SendHeadersAsync(client, "q", 1_048_000,
            RawUploads.FilePartStart + new string('x', 1000));
        for (var i = 0; i < 200 && Staged(service).Length == 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Single(Staged(service));
        using (var refused = await UploadUntilAsync(client, HttpStatusCode.ServiceUnavailable))
        {
            await refused.AssertProblemAsync(503, "disk space set aside");
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        slow.Dispose();
        using var accepted = await UploadUntilAsync(client, HttpStatusCode.Created);
        Assert.Single(await client.ListIdsAsync("/images"));
    }

    [Fact]
    public async Task A_client_with_its_share_of_uploads_in_progress_gets_429_before_its_body_is_read()
    {
        var held = new HeldProcessor();
        using var service = await StartOnKestrelAsync(new() { ["Uploads:MaxInFlightPerClient"] = "1" }, held);
        using var client = service.CreateClient();
        var first = client.UploadAsync(TestImages.Jpeg(64, 64));
        await held.Reached;

        var raw = await RawUploads.AnswerToHeadersAsync(client, 5_000_000);
        held.Release();
        using var firstResponse = await first;

        Assert.StartsWith("HTTP/1.1 429", raw, StringComparison.Ordinal);
        Assert.Contains("Retry-After: ", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("as many uploads in progress as one client may (1)", raw, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        await client.UploadOkAsync(TestImages.Jpeg(32, 32));
        Assert.Empty(Staged(service));
    }

    [Fact]
    public async Task A_body_that_trickles_in_is_cut_off_with_408_and_gives_up_its_place()
    {
        using var service = await StartOnKestrelAsync(new() { ["Uploads:MaxInFlight"] = "1", ["Uploads:MinBodyBytesPerSecond"] = "1024" });
        using var client = service.CreateClient();
        using var tcp = await RawUploads.SendHeadersAsync(client, "q", 1_000_000,
            RawUploads.FilePartStart);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = RawUploads.ReadResponseAsync(tcp.GetStream(), timeout.Token);

        // 100 bytes every 200 ms: 500 bytes a second, above the web server's own minimum (240) but below the setting.
        var chunk = new byte[100];
        while (!answer.IsCompleted)
        {
            try
            {
                await tcp.GetStream().WriteAsync(chunk, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }

            await Task.Delay(200, timeout.Token);
        }

        var raw = await answer;
        Assert.StartsWith("HTTP/1.1 408", raw, StringComparison.Ordinal);
        Assert.Contains("The upload arrived slower than", raw, StringComparison.Ordinal);
        Assert.Contains("Connection: close", raw, StringComparison.OrdinalIgnoreCase);
        using var honest = await UploadUntilAsync(client, HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.Created, honest.StatusCode);
        Assert.Single(await client.ListIdsAsync("/images"));
        Assert.Empty(Staged(service));
        Assert.True(!service.LoggedErrors.Any(), string.Join("\n", service.LoggedErrors)); // a client's slowness is not the service's error
    }

    [Fact]
    public async Task A_body_that_goes_silent_after_a_burst_is_cut_off_at_the_idle_limit()
    {
        using var service = await StartOnKestrelAsync(new() { ["Uploads:MaxInFlight"] = "1", ["Uploads:BodyIdleSeconds"] = "2" });
        using var client = service.CreateClient();
        // 200 KB at once: far ahead of the rate floor, then nothing.
        var raw = await RawUploads.AnswerToHeadersAsync(client, 1_000_000, RawUploads.FilePartStart + new string('x', 200_000));

        Assert.True(raw.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), raw + string.Join("\n", service.LoggedErrors));
        Assert.Contains("sent nothing for 2 s", raw, StringComparison.Ordinal);
        Assert.Contains("Connection: close", raw, StringComparison.OrdinalIgnoreCase);
        using var honest = await UploadUntilAsync(client, HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.Created, honest.StatusCode);
        Assert.Empty(Staged(service));
        Assert.True(!service.LoggedErrors.Any(), string.Join("\n", service.LoggedErrors));
    }

    [Fact]
    public async Task An_upload_that_waits_too_long_for_a_processing_slot_is_503_and_leaves_nothing_behind()
    {
        var held = new HeldProcessor();
        using var service = await ServiceFactory.StartAsync(backend, new()
        {
            ["Processing:MaxConcurrentImages"] = "1",
            ["Uploads:QueueTimeoutSeconds"] = "1",
        }, held.Install);
        using var client = service.CreateClient();
        var first = client.UploadAsync(TestImages.Jpeg(64, 64));
        await held.Reached;

        using var waited = await client.UploadAsync(TestImages.Jpeg(48, 48), """{"user_id":"late"}""");
        await waited.AssertProblemAsync(503, "waited 1 s for a processing slot");
        Assert.NotNull(waited.Headers.RetryAfter);
        held.Release();
        var stored = await (await first).JsonAsync();

        // Only the first image exists: the refused one has no record, no blob and no staged file.
        var id = stored.Str("image_id");
        Assert.Equal([id], await client.ListIdsAsync("/images"));
        Assert.Empty(await client.ListIdsAsync("/images?user_id=late"));
        Assert.All(await service.LeftoversAsync(), key => Assert.Contains(id, key, StringComparison.Ordinal));
        Assert.Empty(Staged(service));
    }

    [Theory]
    [InlineData("Uploads:MaxInFlight", "0")]
    [InlineData("Uploads:MaxInFlightPerClient", "0")]
    [InlineData("Uploads:MinBodyBytesPerSecond", "-1")]
    [InlineData("Uploads:BodyIdleSeconds", "0")]
    [InlineData("Uploads:BodyTimeoutSeconds", "5")]
    [InlineData("Uploads:MaxStagedBytes", "1000")]
    [InlineData("Uploads:QueueTimeoutSeconds", "0")]
    [InlineData("Uploads:QueueTimeoutSeconds", "86400")]
    public async Task A_bad_queue_setting_stops_the_service_at_start_naming_the_key(string key, string value)
    {
        using var service = await ServiceFactory.StartAsync(Backend.Local, new() { [key] = value });

        var failure = service.StartFailure();

        Assert.Contains($"{key} must be between", failure, StringComparison.Ordinal);
    }

    private async Task<ServiceFactory> StartOnKestrelAsync(Dictionary<string, string?> settings, HeldProcessor? held = null)
    {
        // Over a real socket: the in-memory test server always pumps the whole request body.
        var service = await ServiceFactory.StartAsync(backend, settings, held is null ? null : held.Install);
        service.UseKestrel(0);
        service.StartServer();
        return service;
    }

    private static string[] Staged(ServiceFactory service) =>
        Directory.Exists(service.UploadTemp) ? Directory.GetFiles(service.UploadTemp) : [];

    /// <summary>Uploads small images until one gets <paramref name="status"/>: the server frees a slot when it notices a
    /// closed connection, which is soon but not at once.</summary>
    private static async Task<HttpResponseMessage> UploadUntilAsync(HttpClient client, HttpStatusCode status)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.UploadAsync(TestImages.Jpeg(40, 40));
            if (response.StatusCode == status || attempt == 100)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(100);
        }
    }

    /// <summary>Holds the first upload that reaches processing until the test releases it; later ones pass straight on.</summary>
    private sealed class HeldProcessor : IImageProcessor
    {
        private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IImageProcessor inner = null!;
        private int calls;

        public Task Reached => reached.Task;

        public IReadOnlyList<string> AcceptedContentTypes => inner.AcceptedContentTypes;

        public string? DetectContentType(string path) => inner.DetectContentType(path);

        public Task<ImagePlaceholder> PlaceholderFromThumbnailAsync(byte[] thumbnail, int width, int height, CancellationToken cancellationToken) =>
            inner.PlaceholderFromThumbnailAsync(thumbnail, width, height, cancellationToken);

        public void Release() => released.TrySetResult();

        public void Install(IServiceCollection services) => services.AddSingleton<IImageProcessor>(provider =>
        {
            inner = new VipsImageProcessor(provider.GetRequiredService<UploadLimits>(), provider.GetRequiredService<ProcessingOptions>());
            return this;
        });

        public async Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                reached.TrySetResult();
                await released.Task.WaitAsync(cancellationToken);
            }

            return await inner.ProcessAsync(sourcePath, outputFolder, cancellationToken);
        }
    }
}

public sealed class LocalUploadQueueTests() : UploadQueueTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsUploadQueueTests(ImageService.Testing.Aws.AwsEmulators emulators) : UploadQueueTests(new AwsBackend(emulators));
