using System.Net;
using ImageService.Core;
using ImageService.Api.Tests.Faults;
using ImageService.Core.Ports;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests.Idempotency;

/// <summary>
/// Invariant 4 under faults, through HTTP: whatever fails around an upload made with an Idempotency-Key, the key
/// leads to at most one visible image, and a retry after the failure gets that image or creates exactly one.
/// </summary>
public abstract class IdempotencyFaultTests(Backend backend)
{
    /// <summary>The default <c>Idempotency:LeaseSeconds</c>: these tests run with the settings a deployment gets.</summary>
    private const int LeaseSeconds = 10;

    [Fact]
    public async Task A_key_whose_completion_failed_after_the_commit_leads_a_retry_to_the_same_image()
    {
        var faults = new IdempotencyFaults { FailComplete = 1 };
        using var service = await StartAsync(faults);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        using var first = await client.UploadWithKeyAsync(image, "after-commit");
        service.Clock.Advance(TimeSpan.FromSeconds(LeaseSeconds + 1));
        using var retry = await client.UploadWithKeyAsync(image, "after-commit");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((await first.JsonAsync()).Str("image_id"), (await retry.JsonAsync()).Str("image_id"));
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task A_lost_answer_to_the_commit_is_a_success_and_a_retry_replays_the_same_image()
    {
        // As on DynamoDB: the switch to committed landed, its answer was lost, and the SDK's retry failed its condition.
        using var service = await StartAsync(new IdempotencyFaults(), retriedCommit: true);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        using var first = await client.UploadWithKeyAsync(image, "lost-commit");
        using var retry = await client.UploadWithKeyAsync(image, "lost-commit");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((await first.JsonAsync()).Str("image_id"), (await retry.JsonAsync()).Str("image_id"));
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task After_a_failed_upload_whose_release_failed_too_a_retry_succeeds_within_seconds()
    {
        var faults = new IdempotencyFaults { FailRelease = 1 };
        var plan = new FaultPlan { Operation = "blobs.put", Occurrence = 1, Fault = new StoreUnavailableException("injected outage: the blob store timed out"), Armed = true };
        using var service = await StartAsync(faults, plan: plan);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        using var failed = await client.UploadWithKeyAsync(image, "outage");
        service.Clock.Advance(TimeSpan.FromSeconds(LeaseSeconds + 1));
        using var retry = await client.UploadWithKeyAsync(image, "outage");

        await failed.AssertProblemAsync(503, "try again");
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(1, await client.CountAsync());
    }

    [Fact]
    public async Task A_request_that_stalled_past_its_lease_cannot_finish_once_a_retry_took_over()
    {
        var gate = new SemaphoreSlim(0);
        var faults = new IdempotencyFaults { FailRenew = int.MaxValue };
        using var service = await StartAsync(faults, gate: gate);
        using var client = service.CreateClient();
        var image = TestImages.Jpeg(64, 64);

        var stalled = client.UploadWithKeyAsync(image, "stalled");
        await GatedProcessor.HeldAsync(gate);
        service.Clock.Advance(TimeSpan.FromSeconds(LeaseSeconds + 1));
        using var takeoverResponse = await client.UploadWithKeyAsync(image, "stalled");
        gate.Release();
        using var stalledResponse = await stalled;
        using var later = await client.UploadWithKeyAsync(image, "stalled");

        Assert.Equal(HttpStatusCode.Created, takeoverResponse.StatusCode);
        await stalledResponse.AssertProblemAsync(409, "took over");
        Assert.Equal((await takeoverResponse.JsonAsync()).Str("image_id"), (await later.JsonAsync()).Str("image_id"));
        Assert.Equal(1, await client.CountAsync());
    }

    private async Task<ServiceFactory> StartAsync(IdempotencyFaults faults, bool retriedCommit = false, FaultPlan? plan = null, SemaphoreSlim? gate = null) =>
        await ServiceFactory.StartAsync(backend, services: services =>
            {
                services.Decorate<IIdempotencyStore>((inner, _) => new FaultyIdempotencyStore(inner, faults));
                if (retriedCommit)
                {
                    services.Decorate<IImageIndex>((inner, _) => new RetriedCommitIndex(inner));
                }

                if (plan is not null)
                {
                    services.Decorate<IBlobStore>((inner, _) => new FaultyBlobStore(inner, plan));
                }

                if (gate is not null)
                {
                    GatedProcessor.Register(services, gate);
                }
            });
}

public sealed class LocalIdempotencyFaultTests() : IdempotencyFaultTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsIdempotencyFaultTests(ImageService.Testing.Aws.AwsEmulators emulators) : IdempotencyFaultTests(new AwsBackend(emulators));
