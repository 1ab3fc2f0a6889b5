namespace ImageService.Core.Ports;

/// <summary>
/// A flat store of immutable byte blobs addressed by key (see <see cref="Images.BlobKeys"/>).
/// Implementations: a folder on disk, an S3 bucket.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>, replacing any blob there. The blob
    /// becomes visible whole or not at all.</summary>
    Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken);

    /// <summary>Opens the blob for reading, or returns null when there is none. The caller disposes the stream.</summary>
    Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the blob; returns false when there was none. Deleting twice is not an error.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the blob if there is one, without finding out whether there was: for callers that do not need to
    /// know, a store that must ask first (S3 deletes silently either way) saves that request.</summary>
    Task RemoveAsync(string key, CancellationToken cancellationToken) => DeleteAsync(key, cancellationToken);

    /// <summary>Lists the keys that start with <paramref name="prefix"/> (an empty prefix lists all) in ordinal order,
    /// only those after <paramref name="startAfter"/> when it is set, so a long listing can stop and resume. The
    /// cost of reaching <paramref name="startAfter"/> must not be a read of every key before it.</summary>
    IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, CancellationToken cancellationToken);

    /// <summary>Lists every key that starts with <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListKeysAsync(string prefix, CancellationToken cancellationToken) => ListKeysAsync(prefix, null, cancellationToken);

    /// <summary>Throws when the store cannot currently serve requests (used by the readiness check).</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>An open blob: its bytes and what a download response needs to describe them.</summary>
public sealed record BlobContent(Stream Stream, long Length, DateTimeOffset LastModified, string ETag) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
