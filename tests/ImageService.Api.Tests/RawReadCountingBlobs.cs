using ImageService.Core.Ports;

namespace ImageService.Api.Tests;

/// <summary>Counts the reads of direct uploads' raw files: each one is a full download of up to 50 MB.</summary>
internal sealed class RawReadCountingBlobs(IBlobStore inner) : IBlobStore
{
    public int RawReads;

    public Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken) => inner.PutAsync(key, content, contentType, cancellationToken);

    public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        if (key.StartsWith("uploads/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref RawReads);
        }

        return inner.OpenReadAsync(key, cancellationToken);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => inner.RemoveAsync(key, cancellationToken);

    public IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => inner.ListKeysAsync(prefix, startAfter, cancellationToken);

    public IAsyncEnumerable<string> ListKeysAsync(string prefix, CancellationToken cancellationToken) => inner.ListKeysAsync(prefix, cancellationToken);

    public Task ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);
}
