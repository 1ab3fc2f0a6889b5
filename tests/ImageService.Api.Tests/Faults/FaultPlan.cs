using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Testing;

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
public sealed class FaultyBlobStore(IBlobStore inner, FaultPlan plan) : DelegatingBlobStore(inner)
{
    public override Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        plan.Step("blobs.put");
        return Inner.PutAsync(key, content, contentType, cancellationToken);
    }

    public override Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        plan.Step("blobs.delete");
        return Inner.DeleteAsync(key, cancellationToken);
    }

    public override Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        plan.Step("blobs.delete");
        return Inner.RemoveAsync(key, cancellationToken);
    }
}

/// <summary>The real index, with a fault where the plan says.</summary>
public sealed class FaultyIndex(IImageIndex inner, FaultPlan plan) : DelegatingImageIndex(inner)
{
    public override Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        plan.Step("index.add");
        return Inner.TryAddAsync(record, cancellationToken);
    }

    public override async Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var operation = $"index.{from}->{to}".ToLowerInvariant();
        plan.Step(operation);
        var result = await Inner.TransitionAsync(imageId, from, to, at, cancellationToken);
        plan.Step(operation, after: true);
        return result;
    }

    public override async Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken)
    {
        plan.Step("index.edit");
        var result = await Inner.TryEditAsync(current, edited, cancellationToken);
        plan.Step("index.edit", after: true);
        return result;
    }

    public override Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken)
    {
        plan.Step("index.remove");
        return Inner.RemoveAsync(imageId, expected, cancellationToken);
    }
}
