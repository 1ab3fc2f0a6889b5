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
public sealed class CountingImageIndex(IImageIndex inner, ConcurrentQueue<string> operations) : DelegatingImageIndex(inner)
{
    public override Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) =>
        Note("index.TryAdd", Inner.TryAddAsync(record, cancellationToken));

    public override Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) =>
        Note("index.Get", Inner.GetAsync(imageId, cancellationToken));

    public override Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) =>
        Note("index.Transition", Inner.TransitionAsync(imageId, from, to, at, cancellationToken));

    public override Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) =>
        Note("index.List", Inner.ListAsync(query, cancellationToken));

    public override Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) =>
        Note("index.Remove", Inner.RemoveAsync(imageId, expected, cancellationToken));

    public override async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        operations.Enqueue("index.ListUnsettled");
        await foreach (var record in Inner.ListUnsettledAsync(before, cancellationToken))
        {
            operations.Enqueue("index.ListUnsettled.record");
            yield return record;
        }
    }

    public override Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) =>
        Note("index.RemoveOrphanEntries", Inner.RemoveOrphanEntriesAsync(from, maxItems, cancellationToken));

    private T Note<T>(string operation, T result)
    {
        operations.Enqueue(operation);
        return result;
    }
}
