using System.Runtime.CompilerServices;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Api.Tests.Idempotency;

/// <summary>
/// The real index, except that the first pending → committed switch is sent twice and only the second answer is
/// returned: what an SDK does when the first answer is lost and it retries a write that had already landed.
/// </summary>
internal sealed class RetriedCommitIndex(IImageIndex inner) : IImageIndex
{
    private int commits;

    public async Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var result = await inner.TransitionAsync(imageId, from, to, at, cancellationToken);
        return from == ImageState.Pending && to == ImageState.Committed && Interlocked.Increment(ref commits) == 1
            ? await inner.TransitionAsync(imageId, from, to, at, cancellationToken)
            : result;
    }

    public Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) => inner.TryAddAsync(record, cancellationToken);

    public Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) => inner.GetAsync(imageId, cancellationToken);

    public Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

    public Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) => inner.RemoveAsync(imageId, expected, cancellationToken);

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
