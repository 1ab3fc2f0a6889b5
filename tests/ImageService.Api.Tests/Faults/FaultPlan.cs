using System.Runtime.CompilerServices;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Api.Tests.Faults;

/// <summary>Which port call fails: the <see cref="Occurrence"/>-th call (counting from 1) of <see cref="Operation"/>,
/// failing with <see cref="Fault"/>. Armed only while <see cref="Armed"/> is set, so tests can prepare data first.</summary>
public sealed class FaultPlan
{
    public string? Operation { get; set; }

    public int Occurrence { get; set; } = 1;

    public Exception Fault { get; set; } = new IOException("injected fault");

    public bool Armed { get; set; }

    /// <summary>Fail after the real call succeeded, as when a store's answer is lost on the way back.</summary>
    public bool AfterCall { get; set; }

    /// <summary>When set, the chosen call is delayed this long instead of failing: a slow store.</summary>
    public TimeSpan? Slow { get; set; }

    public int Injected { get; private set; }

    private readonly Dictionary<string, int> calls = [];
    private readonly Lock gate = new();

    public void Step(string operation, bool after = false)
    {
        lock (gate)
        {
            if (!Armed || operation != Operation || after != AfterCall)
            {
                return;
            }

            calls[operation] = calls.GetValueOrDefault(operation) + 1;
            if (calls[operation] != Occurrence)
            {
                return;
            }

            Injected++;
            Armed = false;
            if (Slow is null)
            {
                throw Fault;
            }
        }

        // Outside the lock, so only the chosen call waits.
        Thread.Sleep(Slow.Value);
    }
}

/// <summary>The real blob store, with a fault where the plan says.</summary>
public sealed class FaultyBlobStore(IBlobStore inner, FaultPlan plan) : IBlobStore
{
    public Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        plan.Step("blobs.put");
        return inner.PutAsync(key, content, contentType, cancellationToken);
    }

    public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        plan.Step("blobs.delete");
        return inner.DeleteAsync(key, cancellationToken);
    }

    public IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, CancellationToken cancellationToken) =>
        inner.ListKeysAsync(prefix, startAfter, cancellationToken);

    public Task ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);
}

/// <summary>The real index, with a fault where the plan says.</summary>
public sealed class FaultyIndex(IImageIndex inner, FaultPlan plan) : IImageIndex
{
    public Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        plan.Step("index.add");
        return inner.TryAddAsync(record, cancellationToken);
    }

    public Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) => inner.GetAsync(imageId, cancellationToken);

    public async Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var operation = $"index.{from}->{to}".ToLowerInvariant();
        plan.Step(operation);
        var result = await inner.TransitionAsync(imageId, from, to, at, cancellationToken);
        plan.Step(operation, after: true);
        return result;
    }

    public Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

    public Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken)
    {
        plan.Step("index.remove");
        return inner.RemoveAsync(imageId, expected, cancellationToken);
    }

    public async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in inner.ListUnsettledAsync(before, cancellationToken))
        {
            yield return record;
        }
    }

    public Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) =>
        inner.RemoveOrphanEntriesAsync(from, maxItems, cancellationToken);

    public Task ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);
}
