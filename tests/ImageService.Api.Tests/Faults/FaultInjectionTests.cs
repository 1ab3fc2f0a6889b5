using System.Net;
using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Core.Sweeping;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests.Faults;

/// <summary>
/// A failure injected at every step of upload and delete, as an exception or a timeout. Each time: the
/// client gets a 5xx problem, nothing half-done is ever visible, and after one sweep every blob has a
/// committed record, every record has its blobs, and a deleted image stays deleted.
/// </summary>
public abstract class FaultInjectionTests(Backend backend)
{
    public static TheoryData<string, int, string> UploadSteps => new()
    {
        { "index.add", 1, "io" }, { "blobs.put", 1, "io" }, { "blobs.put", 3, "timeout" }, { "index.pending->committed", 1, "io" },
        { "index.pending->committed", 1, "timeout" }, { "index.pending->committed", 1, "lost-answer" },
    };

    public static TheoryData<string, int, string> DeleteSteps => new()
    {
        { "index.committed->deleting", 1, "io" }, { "index.committed->deleting", 1, "lost-answer" }, { "blobs.delete", 1, "io" }, { "blobs.delete", 3, "timeout" }, { "index.remove", 1, "io" },
    };

    [Theory]
    [MemberData(nameof(UploadSteps))]
    public async Task A_failed_upload_step_is_a_5xx_and_never_leaves_a_visible_or_orphaned_image(string step, int occurrence, string fault)
    {
        var plan = new FaultPlan();
        using var service = await StartAsync(plan);
        using var client = service.CreateClient();
        var kept = await client.UploadOkAsync(TestImages.Jpeg(64, 64));

        Arm(plan, step, occurrence, fault);
        using var failed = await client.UploadAsync(TestImages.Jpeg(80, 60), """{"user_id":"victim","tags":["faulty"]}""");

        Assert.Equal(1, plan.Injected);
        await AssertServerErrorAsync(failed, fault);
        // When only the commit's answer was lost, the image did commit: it may be listed, but then it must be whole.
        var committedAnyway = fault == "lost-answer";
        Assert.Equal(committedAnyway ? 1 : 0, (await client.ListIdsAsync("/images?tag=faulty")).Count);
        await AssertEveryListedImageDownloadsAsync(service, client);

        await SweepAsync(service);
        await AssertStoresAgreeAsync(service);
        Assert.Equal(committedAnyway ? 2 : 1, (await client.ListIdsAsync("/images")).Count);
        Assert.Contains(kept.Str("image_id"), await client.ListIdsAsync("/images"));
    }

    [Theory]
    [MemberData(nameof(DeleteSteps))]
    public async Task A_failed_delete_step_is_a_5xx_and_the_image_is_gone_for_good_after_a_retry_or_a_sweep(string step, int occurrence, string fault)
    {
        var plan = new FaultPlan();
        using var service = await StartAsync(plan);
        using var client = service.CreateClient();
        var kept = await client.UploadOkAsync(TestImages.Jpeg(64, 64));
        var doomed = (await client.UploadOkAsync(TestImages.Jpeg(80, 60))).Str("image_id");

        Arm(plan, step, occurrence, fault);
        using var failed = await client.DeleteAsync($"/images/{doomed}");

        await AssertServerErrorAsync(failed, fault);
        await AssertEveryListedImageDownloadsAsync(service, client);
        var visibleAfterFailure = (await client.ListIdsAsync("/images")).Contains(doomed);
        // Before the record turned "deleting" the image is intact; from then on it is invisible.
        Assert.Equal(step == "index.committed->deleting" && fault != "lost-answer", visibleAfterFailure);

        await SweepAsync(service);
        await AssertStoresAgreeAsync(service);

        using var retry = await client.DeleteAsync($"/images/{doomed}");
        Assert.Equal(visibleAfterFailure ? HttpStatusCode.OK : HttpStatusCode.NotFound, retry.StatusCode);
        Assert.DoesNotContain(doomed, await client.ListIdsAsync("/images"));
        await SweepAsync(service);
        await AssertStoresAgreeAsync(service);
        Assert.Equal([kept.Str("image_id")], await client.ListIdsAsync("/images"));
        using var view = await client.GetAsync($"/images/{doomed}");
        Assert.Equal(HttpStatusCode.NotFound, view.StatusCode);
    }

    public static TheoryData<string> EditFaults => new() { "io", "timeout", "lost-answer" };

    [Theory]
    [MemberData(nameof(EditFaults))]
    public async Task A_failed_edit_is_a_5xx_the_image_is_edited_or_not_never_between_and_lists_agree_with_it(string fault)
    {
        var plan = new FaultPlan();
        using var service = await StartAsync(plan);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(64, 64), """{"user_id":"123","caption":"before","tags":["before"]}""")).Str("image_id");

        Arm(plan, "index.edit", 1, fault);
        using var failed = await client.PatchAsync(id, """{"caption":"after","tags":["after"]}""");
        var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();
        var edited = view.Str("caption") == "after";

        await AssertServerErrorAsync(failed, fault);
        Assert.Equal(fault == "lost-answer", edited);
        Assert.Equal(edited ? "after" : "before", view.GetProperty("tags")[0].GetString());
        Assert.Equal(edited ? [] : [id], await client.ListIdsAsync("/images?tag=before"));
        Assert.Equal(edited ? [id] : [], await client.ListIdsAsync("/images?tag=after"));

        using var retry = await client.PatchAsync(id, """{"caption":"after","tags":["after"]}""");
        await SweepAsync(service);
        await AssertStoresAgreeAsync(service);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Empty(await client.ListIdsAsync("/images?tag=before"));
        Assert.Equal([id], await client.ListIdsAsync("/images?tag=after&user_id=123"));
    }

    [Fact]
    public async Task A_slow_store_delays_an_upload_but_never_shows_it_half_written()
    {
        var plan = new FaultPlan();
        using var service = await StartAsync(plan);
        using var client = service.CreateClient();
        plan.Operation = "blobs.put";
        plan.Occurrence = 2;
        plan.Slow = TimeSpan.FromSeconds(2);
        plan.Armed = true;

        var upload = client.UploadOkAsync(TestImages.Jpeg(80, 60), """{"user_id":"slow","tags":["slow"]}""");
        await Task.Delay(500);
        var duringUpload = await client.ListIdsAsync("/images?tag=slow");
        var uploaded = await upload;

        Assert.Empty(duringUpload);
        Assert.Equal([uploaded.Str("image_id")], await client.ListIdsAsync("/images?tag=slow"));
        await AssertEveryListedImageDownloadsAsync(service, client);
        await SweepAsync(service);
        await AssertStoresAgreeAsync(service);
    }

    [Fact]
    public async Task A_retried_delete_finishes_what_a_failed_one_started()
    {
        var plan = new FaultPlan();
        using var service = await StartAsync(plan);
        using var client = service.CreateClient();
        var doomed = (await client.UploadOkAsync(TestImages.Jpeg(80, 60))).Str("image_id");

        Arm(plan, "blobs.delete", 2, "io");
        using var failed = await client.DeleteAsync($"/images/{doomed}");
        using var retry = await client.DeleteAsync($"/images/{doomed}");

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Empty(await service.LeftoversAsync());
    }

    private async Task<ServiceFactory> StartAsync(FaultPlan plan) =>
        await ServiceFactory.StartAsync(backend, new() { ["Sweeper:Enabled"] = "false", ["Sweeper:PendingAgeSeconds"] = "0", ["Sweeper:DeletingAgeSeconds"] = "0" },
            services =>
            {
                services.Decorate<IBlobStore>((inner, _) => new FaultyBlobStore(inner, plan));
                services.Decorate<IImageIndex>((inner, _) => new FaultyIndex(inner, plan));
            });

    private static void Arm(FaultPlan plan, string step, int occurrence, string fault)
    {
        plan.Operation = step;
        plan.Occurrence = occurrence;
        // A timeout is what adapters report as StoreUnavailableException; anything else is a bug (500).
        plan.Fault = fault is "timeout" or "lost-answer"
            ? new Core.StoreUnavailableException("injected timeout", new TimeoutException("injected timeout"))
            : new IOException("injected fault");
        plan.AfterCall = fault == "lost-answer";
        plan.Armed = true;
    }

    private static async Task AssertServerErrorAsync(HttpResponseMessage response, string fault)
    {
        var expected = fault is "timeout" or "lost-answer" ? 503 : 500;
        await response.AssertProblemAsync(expected, expected == 503 ? "try again" : "trace_id");
        if (expected == 503)
        {
            Assert.True(response.Headers.RetryAfter is not null, "a 503 says when to retry");
        }
    }

    private static async Task SweepAsync(ServiceFactory service)
    {
        service.Clock.Advance(TimeSpan.FromSeconds(1));
        await service.Services.GetRequiredService<ImageSweeper>().SweepAsync(default);
    }

    /// <summary>Invariant 1: whatever is listed can be viewed and downloaded.</summary>
    private static async Task AssertEveryListedImageDownloadsAsync(ServiceFactory service, HttpClient client)
    {
        foreach (var id in await client.ListIdsAsync("/images"))
        {
            using var view = await client.GetAsync($"/images/{id}");
            Assert.Equal(HttpStatusCode.OK, view.StatusCode);
            var body = await view.JsonAsync();
            foreach (var variant in body.GetProperty("variants").EnumerateArray())
            {
                await service.DownloadBytesAsync(client, variant.Str("url"));
            }
        }
    }

    /// <summary>Invariant 3: after a sweep, no blob lacks a committed record and no record lacks its blobs.</summary>
    private static async Task AssertStoresAgreeAsync(ServiceFactory service)
    {
        var index = service.Services.GetRequiredService<IImageIndex>();
        var blobs = service.Services.GetRequiredService<IBlobStore>();
        var keys = new HashSet<string>();
        await foreach (var key in blobs.ListKeysAsync("", default))
        {
            keys.Add(key);
        }

        foreach (var key in keys)
        {
            var record = await index.GetAsync(Guid.Parse(key.Split('/')[1]), default);
            Assert.True(record is { State: ImageState.Committed }, $"blob {key} has no committed record");
        }

        await foreach (var unsettled in index.ListUnsettledAsync(DateTimeOffset.MaxValue, default))
        {
            Assert.Fail($"record {unsettled.ImageId} is still {unsettled.State} after a sweep");
        }

        var listed = await index.ListAsync(new Core.Listing.IndexQuery(null, null, 100), default);
        Assert.All(listed, record => Assert.All(record.Variants, variant => Assert.Contains(variant.Key, keys)));
        Assert.DoesNotContain(service.StoredFiles(), file => !file.Contains("/blobs/", StringComparison.Ordinal));
    }
}

public sealed class LocalFaultInjectionTests() : FaultInjectionTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsFaultInjectionTests(ImageService.Testing.Aws.AwsEmulators emulators) : FaultInjectionTests(new AwsBackend(emulators));
