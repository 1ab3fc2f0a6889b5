using ImageService.Core.Images;
using ImageService.Core.Listing;

namespace ImageService.Core.Ports;

/// <summary>
/// The metadata index: image records, listable newest first by user, by tag, by both, or all.
/// Implementations: SQLite (embedded), DynamoDB.
/// </summary>
public interface IImageIndex
{
    /// <summary>Adds the record unless one with the same id exists; returns false in that case and changes nothing.</summary>
    Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken);

    /// <summary>Returns the record, or null when there is none.</summary>
    Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>Returns at most <see cref="IndexQuery.Limit"/> records matching the query, newest first
    /// (ties broken by descending id), strictly after <see cref="IndexQuery.After"/> when it is set.
    /// The cost must depend on the page size, not on how deep the page is.</summary>
    Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken);

    /// <summary>Removes the record; returns false when there was none.</summary>
    Task<bool> RemoveAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>Throws when the index cannot currently serve requests (used by the readiness check).</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
