using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Core.Tests.Fakes;
using ImageService.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageService.Core.Tests.Uploads;

/// <summary>The upload workflow and its idempotency wrapper over in-memory fakes, in a folder of the test's own.</summary>
public sealed class UploadHarness : IDisposable
{
    public const string Metadata = """{"user_id":"alice","tags":["beach"]}""";

    private readonly string folder = Directory.CreateTempSubdirectory("core-upload-").FullName;
    private int staged;

    public UploadHarness()
    {
        Index = new InMemoryImageIndex(Faults);
        Blobs = new InMemoryBlobStore(Faults);
        Claims = new InMemoryIdempotencyStore(Faults);
        Workflow = new UploadWorkflow(Index, Blobs, new FakeProcessor(Faults), Clock, NullLogger<UploadWorkflow>.Instance);
        Uploads = new IdempotentUploads(Workflow, Claims, Options, Clock, NullLogger<IdempotentUploads>.Instance);
    }

    public Faults Faults { get; } = new();

    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero), manualTimers: true);

    public IdempotencyOptions Options { get; } = new();

    public InMemoryImageIndex Index { get; }

    public InMemoryBlobStore Blobs { get; }

    public IIdempotencyStore Claims { get; }

    public UploadWorkflow Workflow { get; }

    public IdempotentUploads Uploads { get; }

    /// <summary>Uploads the same body under <paramref name="key"/>, staged afresh each time as the host does.</summary>
    public Task<UploadOutcome> UploadAsync(string key = "key-1")
    {
        var work = Directory.CreateDirectory(Path.Combine(folder, $"request-{Interlocked.Increment(ref staged)}")).FullName;
        var path = Path.Combine(work, "upload");
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        return Uploads.UploadAsync(new UploadRequest(Metadata, path, work, Caller.Anonymous, key), default);
    }

    public void PassTheLease() => Clock.Advance(Options.Lease + TimeSpan.FromSeconds(1));

    public IReadOnlyList<ImageRecord> Visible => [.. Index.All.Where(r => r.State == ImageState.Committed)];

    /// <summary>
    /// Invariant 4 and "nothing half-written is visible": at most one image is visible, it has every blob, and no blob
    /// lacks a record that names it (anything not committed is left, named, for the sweeper).
    /// </summary>
    public void AssertAtMostOneWholeImage()
    {
        var visible = Visible;
        Assert.True(visible.Count <= 1, $"{visible.Count} images are visible for one Idempotency-Key");
        Assert.All(visible, r => Assert.All(r.Variants, v => Assert.Contains(v.Key, Blobs.Keys)));
        var named = Index.All.SelectMany(r => r.Variants).Select(v => v.Key).ToHashSet();
        Assert.All(Blobs.Keys, key => Assert.Contains(key, named));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
