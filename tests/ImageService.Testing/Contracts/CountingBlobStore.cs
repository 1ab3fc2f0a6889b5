using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImageService.Core.Ports;

namespace ImageService.Testing.Contracts;

/// <summary>
/// The real blob store, noting each call and each key a listing yields in <paramref name="operations"/>, to
/// measure what a piece of work reads on a backend that has no requests to count (a folder on disk).
/// </summary>
public sealed class CountingBlobStore(IBlobStore inner, ConcurrentQueue<string> operations) : DelegatingBlobStore(inner)
{
    public override Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.Put");
        return Inner.PutAsync(key, content, contentType, cancellationToken);
    }

    public override Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.OpenRead");
        return Inner.OpenReadAsync(key, cancellationToken);
    }

    public override Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.Delete");
        return Inner.DeleteAsync(key, cancellationToken);
    }

    /// <summary>Counted as a delete: it is one, without asking first whether the blob was there.</summary>
    public override Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.Delete");
        return Inner.RemoveAsync(key, cancellationToken);
    }

    public override async IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        operations.Enqueue("blobs.ListKeys");
        await foreach (var key in Inner.ListKeysAsync(prefix, startAfter, cancellationToken))
        {
            operations.Enqueue("blobs.ListKeys.key");
            yield return key;
        }
    }
}
