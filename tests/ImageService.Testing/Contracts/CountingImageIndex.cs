using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Testing.Contracts;

/// <summary>
/// The real index, noting each call and each record a listing yields in <paramref name="operations"/>, to
/// measure what a piece of work reads on a backend that has no requests to count (SQLite).
/// </summary>
public sealed class CountingImageIndex(IImageIndex inner, ConcurrentQueue<string> operations) : IImageIndex
{
    public Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) =>
        Note("index.TryAdd", inner.TryAddAsync(record, cancellationToken));

    public Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) =>
        Note("index.Get", inner.GetAsync(imageId, cancellationToken));

    public Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) =>
        Note("index.Transition", inner.TransitionAsync(imageId, from, to, at, cancellationToken));

    public Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) =>
        Note("index.List", inner.ListAsync(query, cancellationToken));

    public Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) =>
        Note("index.Remove", inner.RemoveAsync(imageId, expected, cancellationToken));

    public async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        operations.Enqueue("index.ListUnsettled");
        await foreach (var record in inner.ListUnsettledAsync(before, cancellationToken))
        {
            operations.Enqueue("index.ListUnsettled.record");
            yield return record;
        }
    }

    public Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) =>
        Note("index.RemoveOrphanEntries", inner.RemoveOrphanEntriesAsync(from, maxItems, cancellationToken));

    public Task ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    private T Note<T>(string operation, T result)
    {
        operations.Enqueue(operation);
        return result;
    }
}
