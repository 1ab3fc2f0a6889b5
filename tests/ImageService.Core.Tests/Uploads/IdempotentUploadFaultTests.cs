using ImageService.Core;
using ImageService.Core.Images;
using ImageService.Core.Tests.Fakes;

namespace ImageService.Core.Tests.Uploads;

/// <summary>
/// Invariant 4 of docs/security.md under a fault at each step of an upload made with an Idempotency-Key: the key
/// leads to at most one visible image, nothing half-written is visible, and a retry after the failure gets the
/// image or creates exactly one.
/// </summary>
public sealed class IdempotentUploadFaultTests
{
    public static TheoryData<string, int> StepsBeforeTheCommit => new()
    {
        { "processor", 1 }, { "index.add", 1 }, { "blobs.put", 1 }, { "blobs.put", 3 }, { "index.pending->committed", 1 },
    };

    [Theory]
    [MemberData(nameof(StepsBeforeTheCommit))]
    public async Task A_failure_before_the_commit_shows_nothing_and_frees_the_key_for_a_retry(string step, int occurrence)
    {
        using var harness = new UploadHarness();
        harness.Faults.Arm(step, occurrence: occurrence);

        await Assert.ThrowsAnyAsync<Exception>(() => harness.UploadAsync());
        Assert.Empty(harness.Visible);
        Assert.Empty(harness.Blobs.Keys);
        harness.AssertAtMostOneWholeImage();

        var retry = await harness.UploadAsync();
        Assert.False(retry.Replayed);
        Assert.Equal([retry.Record.ImageId], harness.Visible.Select(r => r.ImageId));
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_failed_upload_whose_blob_clean_up_fails_keeps_a_record_naming_its_blobs()
    {
        using var harness = new UploadHarness();
        harness.Faults.Arm("blobs.put", occurrence: 2);
        harness.Faults.Arm("blobs.delete");

        await Assert.ThrowsAnyAsync<Exception>(() => harness.UploadAsync());

        Assert.Empty(harness.Visible);
        Assert.NotEmpty(harness.Blobs.Keys);
        Assert.Equal(ImageState.Deleting, Assert.Single(harness.Index.All).State);
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_commit_whose_answer_was_lost_keeps_its_image_and_the_retry_replays_it()
    {
        using var harness = new UploadHarness();
        harness.Faults.Arm("index.pending->committed", Fault.AnswerLost);

        await Assert.ThrowsAsync<TimeoutException>(() => harness.UploadAsync());
        var committed = Assert.Single(harness.Visible);
        harness.AssertAtMostOneWholeImage();

        var retry = await harness.UploadAsync();
        Assert.True(retry.Replayed);
        Assert.Equal(committed.ImageId, retry.Record.ImageId);
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_commit_retried_after_it_landed_is_a_success()
    {
        using var harness = new UploadHarness();
        harness.Faults.Arm("index.pending->committed", Fault.RetriedAfterLanding);

        var first = await harness.UploadAsync();
        var retry = await harness.UploadAsync();

        Assert.Equal(first.Record.ImageId, retry.Record.ImageId);
        Assert.True(retry.Replayed);
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_key_that_could_not_be_completed_after_the_commit_still_leads_to_the_image()
    {
        using var harness = new UploadHarness();
        harness.Faults.Arm("idem.complete");

        var first = await harness.UploadAsync();
        var early = await Assert.ThrowsAsync<ImageServiceException>(() => harness.UploadAsync());
        harness.PassTheLease();
        var retry = await harness.UploadAsync();

        Assert.Equal(ImageErrorKind.Conflict, early.Kind);
        Assert.True(retry.Replayed);
        Assert.Equal(first.Record.ImageId, retry.Record.ImageId);
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task When_the_release_fails_too_a_retry_after_the_lease_creates_exactly_one_image()
    {
        using var harness = new UploadHarness();
        harness.Faults.Arm("blobs.put");
        harness.Faults.Arm("idem.release");

        await Assert.ThrowsAnyAsync<Exception>(() => harness.UploadAsync());
        await Assert.ThrowsAsync<ImageServiceException>(() => harness.UploadAsync());
        harness.PassTheLease();
        var retry = await harness.UploadAsync();

        Assert.False(retry.Replayed);
        Assert.Equal([retry.Record.ImageId], harness.Visible.Select(r => r.ImageId));
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_release_racing_a_retry_s_claim_lets_the_retry_run()
    {
        using var harness = new UploadHarness();
        var releasing = new TaskCompletionSource();
        var released = new TaskCompletionSource();
        harness.Faults.Arm("blobs.put");
        harness.Faults.Before("idem.release", async () =>
        {
            releasing.SetResult();
            await released.Task;
        });
        // The retry finds the key taken; the first request's release lands before the retry reads the claim back.
        harness.Faults.Before("idem.claim.read-back", () =>
        {
            released.SetResult();
            return Task.Delay(50);
        });

        var first = harness.UploadAsync();
        await releasing.Task;
        var retry = await harness.UploadAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => first);
        Assert.False(retry.Replayed);
        Assert.Equal([retry.Record.ImageId], harness.Visible.Select(r => r.ImageId));
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_request_that_stalls_past_its_lease_in_processing_cannot_commit_after_a_takeover()
    {
        using var harness = new UploadHarness();
        var stalled = new TaskCompletionSource();
        var resume = new TaskCompletionSource();
        harness.Faults.FailAlways("idem.renew"); // the stalled request cannot reach the store
        harness.Faults.Before("processor", async () =>
        {
            stalled.SetResult();
            await resume.Task;
        });

        var first = harness.UploadAsync();
        await stalled.Task;
        harness.PassTheLease();
        var takeover = await harness.UploadAsync();
        resume.SetResult();

        var fenced = await Assert.ThrowsAsync<ImageServiceException>(() => first);
        Assert.Equal(ImageErrorKind.Conflict, fenced.Kind);
        Assert.Equal([takeover.Record.ImageId], harness.Visible.Select(r => r.ImageId));
        Assert.Single(harness.Index.All);
        harness.AssertAtMostOneWholeImage();
        harness.PassTheLease();
        Assert.Equal(takeover.Record.ImageId, (await harness.UploadAsync()).Record.ImageId);
    }

    [Fact]
    public async Task A_request_that_stalls_just_before_its_commit_is_fenced_off_by_the_takeover()
    {
        using var harness = new UploadHarness();
        var stalled = new TaskCompletionSource();
        var resume = new TaskCompletionSource();
        harness.Faults.FailAlways("idem.renew");
        harness.Faults.Before("index.pending->committed", async () =>
        {
            stalled.SetResult();
            await resume.Task;
        });

        var first = harness.UploadAsync();
        await stalled.Task;
        var abandoned = Assert.Single(harness.Index.All).ImageId;
        harness.PassTheLease();
        var takeover = await harness.UploadAsync();
        resume.SetResult();

        var fenced = await Assert.ThrowsAsync<ImageServiceException>(() => first);
        Assert.Equal(ImageErrorKind.Conflict, fenced.Kind); // a 409 that tells the client to retry, not a 500
        Assert.NotEqual(abandoned, takeover.Record.ImageId);
        Assert.Equal([takeover.Record.ImageId], harness.Visible.Select(r => r.ImageId));
        Assert.DoesNotContain(harness.Index.All, r => r.ImageId == abandoned);
        harness.AssertAtMostOneWholeImage();
    }

    [Fact]
    public async Task A_live_request_renews_its_lease_so_a_duplicate_is_still_in_progress()
    {
        using var harness = new UploadHarness();
        var stalled = new TaskCompletionSource();
        var resume = new TaskCompletionSource();
        harness.Faults.Before("processor", async () =>
        {
            stalled.SetResult();
            await resume.Task;
        });

        var first = harness.UploadAsync();
        await stalled.Task;
        for (var step = 1; step <= 6; step++)
        {
            harness.Clock.Advance(harness.Options.Lease / 3);
            await WaitForAsync(() => harness.Faults.Calls("idem.renew") >= step);
        }

        var duplicate = await Assert.ThrowsAsync<ImageServiceException>(() => harness.UploadAsync());
        resume.SetResult();
        var result = await first;

        Assert.Equal(ImageErrorKind.Conflict, duplicate.Kind);
        Assert.Equal([result.Record.ImageId], harness.Visible.Select(r => r.ImageId));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        Assert.True(condition(), "the lease was never renewed");
    }
}
