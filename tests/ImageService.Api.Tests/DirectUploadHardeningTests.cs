using System.Net;
using ImageService.Core.Ports;
using ImageService.Core.Uploads;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>Direct uploads against what a hostile review found: browsers that post forms without a token, twins of a
/// large upload, a client squatting on the upload's idempotency key, a store blip after the commit, re-posted forms.</summary>
public sealed class DirectUploadHardeningTests
{
    /// <summary>In Jwt mode a browser posts the embedded form the way it posts an S3 form (Uppy, an HTML form): without the API's
    /// bearer token. The signed form is its authority; the queue counts it by address.</summary>
    [Fact]
    public async Task In_Jwt_mode_the_embedded_form_takes_a_file_posted_without_a_token()
    {
        using var service = AuthTests.Start();
        using var alice = AuthTests.Authorized(service, AuthTests.Token("alice"));
        using var browser = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await alice.StartOkAsync(photo, userId: "alice");

        using var posted = await browser.PostFileAsync(started, photo);

        Assert.True(posted.StatusCode == HttpStatusCode.NoContent,
            $"the form answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}\n{service.LoggedErrors.FirstOrDefault()?.Split('\n')[0]}");
    }

    /// <summary>A twin of a complete under way waits for it without taking a queue place and disk share: for an upload larger
    /// than a third of a client's share (about 32 MB by default) it would otherwise be refused 429.</summary>
    [Fact]
    public async Task Completing_a_40_MB_upload_twice_at_once_gives_the_image_to_both()
    {
        var gate = new SemaphoreSlim(0);
        using var service = new ServiceFactory(null, services => GatedProcessor.Register(services, gate));
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240).Concat(new byte[40_000_000]).ToArray();
        var started = await client.StartOkAsync(photo);
        using (var posted = await client.PostFileAsync(started, photo))
        {
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        }

        var first = client.CompleteAsync(started);
        await GatedProcessor.HeldAsync(gate);
        var second = client.CompleteAsync(started);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        gate.Release();
        using var firstResponse = await first;
        using var secondResponse = await second;

        Assert.True(secondResponse.StatusCode == HttpStatusCode.Created, $"second complete answered {(int)secondResponse.StatusCode}: {await secondResponse.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        Assert.Equal((await firstResponse.JsonAsync()).Str("image_id"), (await secondResponse.JsonAsync()).Str("image_id"));
        Assert.Equal(1, await client.CountAsync());
    }

    /// <summary>A complete that waits longer than its mark (here for processing; a queue wait alone may take 20 s) keeps
    /// renewing it, so a twin that comes after the mark's first lapse still waits instead of fetching the file again.</summary>
    [Fact]
    public async Task A_complete_keeps_its_mark_while_it_runs_longer_than_the_mark_lasts()
    {
        var gate = new SemaphoreSlim(0);
        RawReadCountingBlobs? counting = null;
        using var service = new ServiceFactory(null, services =>
        {
            GatedProcessor.Register(services, gate);
            services.Decorate<IBlobStore>((inner, _) => counting = new RawReadCountingBlobs(inner));
        });
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo))
        {
        }

        var first = client.CompleteAsync(started);
        await GatedProcessor.HeldAsync(gate);
        service.Clock.Advance(TimeSpan.FromSeconds(16));
        // A renewal comes every five seconds of real time.
        await Task.Delay(TimeSpan.FromSeconds(6));
        var twin = client.CompleteAsync(started);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var readsBeforeRelease = counting!.RawReads;
        gate.Release();
        using var firstResponse = await first;
        using var twinResponse = await twin;

        Assert.Equal(1, readsBeforeRelease);
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Created, twinResponse.StatusCode);
        Assert.Equal(1, await client.CountAsync());
    }

    /// <summary>A complete's idempotency key is the service's own: a POST /images sending Idempotency-Key: direct-upload:{id}
    /// cannot take it, and so cannot make the real complete fail for good.</summary>
    [Fact]
    public async Task A_client_chosen_Idempotency_Key_cannot_destroy_a_direct_upload()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo))
        {
        }

        using (var squat = await client.UploadWithKeyAsync(TestImages.Jpeg(64, 64), $"direct-upload:{started.Str("upload_id")}"))
        {
            Assert.Equal(HttpStatusCode.Created, squat.StatusCode);
        }

        using var completed = await client.CompleteAsync(started);
        Assert.True(completed.StatusCode == HttpStatusCode.Created, $"{(int)completed.StatusCode}: {await completed.Content.ReadAsStringAsync()}");
    }

    private sealed class FlakyCompleteStore(IDirectUploadStore inner) : IDirectUploadStore
    {
        private int failures = 1;

        public Task<bool> TryAddAsync(DirectUpload upload, CancellationToken cancellationToken) => inner.TryAddAsync(upload, cancellationToken);

        public Task<DirectUpload?> GetAsync(Guid uploadId, CancellationToken cancellationToken) => inner.GetAsync(uploadId, cancellationToken);

        public Task<bool> TryMarkCompletingAsync(Guid uploadId, string owner, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.TryMarkCompletingAsync(uploadId, owner, until, now, cancellationToken);

        public Task ReleaseCompletingAsync(Guid uploadId, string owner, CancellationToken cancellationToken) =>
            inner.ReleaseCompletingAsync(uploadId, owner, cancellationToken);

        public Task<bool> CompleteAsync(Guid uploadId, Guid imageId, CancellationToken cancellationToken) =>
            Interlocked.Decrement(ref failures) >= 0
                ? throw ImageService.Core.ImageServiceException.Busy("The upload store (simulated blip)")
                : inner.CompleteAsync(uploadId, imageId, cancellationToken);

        public Task<bool> FailAsync(Guid uploadId, DirectUploadFailure failure, CancellationToken cancellationToken) =>
            inner.FailAsync(uploadId, failure, cancellationToken);
    }

    /// <summary>A store blip after the commit leaves the image committed and the upload open: a retry, even ten minutes
    /// later, replays the image through the upload's idempotency key, which outlives the upload's time to complete.</summary>
    [Fact]
    public async Task A_blip_after_the_commit_and_a_later_retry_make_one_image_not_two()
    {
        using var service = new ServiceFactory(null, services => services.Decorate<IDirectUploadStore>((inner, _) => new FlakyCompleteStore(inner)));
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo))
        {
        }

        using var blip = await client.CompleteAsync(started);
        service.Clock.Advance(TimeSpan.FromSeconds(600));
        using var retry = await client.CompleteAsync(started);

        await blip.AssertProblemAsync(503, "simulated blip");
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public void An_idempotency_key_lifetime_shorter_than_an_uploads_time_to_complete_stops_the_start()
    {
        using var service = new ServiceFactory(new() { ["Idempotency:KeyLifetimeSeconds"] = "300" });

        var failure = service.StartFailure();

        Assert.Contains("must not exceed Idempotency:KeyLifetimeSeconds", failure, StringComparison.Ordinal);
    }

    /// <summary>A form whose upload is over (an upload library's retry after complete) stores no file again.</summary>
    [Fact]
    public async Task The_form_of_a_completed_upload_takes_no_more_files()
    {
        using var service = new ServiceFactory(new() { ["Sweeper:Enabled"] = "false" });
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var image = await client.UploadDirectOkAsync(photo);
        Assert.NotNull(image.Str("image_id"));
        // The client (an upload library's retry, say) posts the same form again.
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo)) { }
        using (await client.CompleteAsync(started)) { }
        using var again = await client.PostFileAsync(started, photo);

        var raws = (await service.LeftoversAsync()).Where(k => k.StartsWith(DirectUpload.RawPrefix, StringComparison.Ordinal)).ToList();
        await again.AssertProblemAsync(409, "its form takes no more files");
        Assert.Empty(raws);
    }
}
