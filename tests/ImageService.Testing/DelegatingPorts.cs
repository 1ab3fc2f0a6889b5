using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Testing;

/// <summary>An index that hands every call to <see cref="Inner"/>; a test's decorator overrides only the calls it changes.</summary>
public abstract class DelegatingImageIndex(IImageIndex inner) : IImageIndex
{
    protected IImageIndex Inner { get; } = inner;

    public virtual Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) => Inner.TryAddAsync(record, cancellationToken);

    public virtual Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) => Inner.GetAsync(imageId, cancellationToken);

    public virtual Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) =>
        Inner.TransitionAsync(imageId, from, to, at, cancellationToken);

    public virtual Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) => Inner.ListAsync(query, cancellationToken);

    public virtual Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) =>
        Inner.RemoveAsync(imageId, expected, cancellationToken);

    public virtual IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        Inner.ListUnsettledAsync(before, cancellationToken);

    public virtual Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) =>
        Inner.RemoveOrphanEntriesAsync(from, maxItems, cancellationToken);

    public virtual Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken) =>
        Inner.TryEditAsync(current, edited, cancellationToken);

    public virtual Task<int> SettleEditsAsync(DateTimeOffset before, CancellationToken cancellationToken) => Inner.SettleEditsAsync(before, cancellationToken);

    public virtual Task SettleEditAsync(Guid imageId, CancellationToken cancellationToken) => Inner.SettleEditAsync(imageId, cancellationToken);

    public virtual Task ProbeAsync(CancellationToken cancellationToken) => Inner.ProbeAsync(cancellationToken);
}

/// <summary>A blob store that hands every call to <see cref="Inner"/>; a test's decorator overrides only the calls it changes.</summary>
public abstract class DelegatingBlobStore(IBlobStore inner) : IBlobStore
{
    protected IBlobStore Inner { get; } = inner;

    public virtual Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken) =>
        Inner.PutAsync(key, content, contentType, cancellationToken);

    public virtual Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) => Inner.OpenReadAsync(key, cancellationToken);

    public virtual Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => Inner.DeleteAsync(key, cancellationToken);

    /// <summary>Passed on as a removal (on S3 a DELETE without the HEAD): a decorator that changes <see cref="DeleteAsync"/>
    /// must change this too, or the removals of an image's renditions pass it by.</summary>
    public virtual Task RemoveAsync(string key, CancellationToken cancellationToken) => Inner.RemoveAsync(key, cancellationToken);

    public virtual IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, CancellationToken cancellationToken) =>
        Inner.ListKeysAsync(prefix, startAfter, cancellationToken);

    public virtual Task ProbeAsync(CancellationToken cancellationToken) => Inner.ProbeAsync(cancellationToken);
}
