using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImageService.Core.Ports;

namespace ImageService.Testing.Contracts;

/// <summary>
/// The real blob store, noting each call and each key a listing yields in <paramref name="operations"/>, to
/// measure what a piece of work reads on a backend that has no requests to count (a folder on disk).
/// </summary>
public sealed class CountingBlobStore(IBlobStore inner, ConcurrentQueue<string> operations) : IBlobStore
{
    public Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.Put");
        return inner.PutAsync(key, content, contentType, cancellationToken);
    }

    public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.OpenRead");
        return inner.OpenReadAsync(key, cancellationToken);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.Delete");
        return inner.DeleteAsync(key, cancellationToken);
    }

    public async IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.ListKeys");
        await foreach (var key in inner.ListKeysAsync(prefix, startAfter, cancellationToken))
        {
            operations.Enqueue("blobs.ListKeys.key");
            yield return key;
        }
    }

    public Task ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);
}
