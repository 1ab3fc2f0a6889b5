using ImageService.Core.Images;
using ImageService.Core.Listing;

namespace ImageService.Core.Ports;

/// <summary>
/// The metadata index: image records, listable newest first by user, by tag, by both, or all.
/// Implementations: SQLite (embedded), DynamoDB. Every state change is a single conditional write, so the
/// protocol needs no transactions across items.
/// </summary>
public interface IImageIndex
{
    /// <summary>Adds the record unless one with the same id exists; returns false in that case and changes nothing.</summary>
    Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken);

    /// <summary>Returns the record in whatever state it is, or null when there is none.</summary>
    Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>Moves the record from <paramref name="from"/> to <paramref name="to"/>; returns false, changing nothing,
    /// when the record is missing or not in <paramref name="from"/>.</summary>
    Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Returns at most <see cref="IndexQuery.Limit"/> committed records matching the query, newest first
    /// (ties broken by descending id), strictly after <see cref="IndexQuery.After"/> when it is set.
    /// The cost must depend on the page size, not on how deep the page is.</summary>
    Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken);

    /// <summary>Replaces <paramref name="current"/>, a committed record as read, by <paramref name="edited"/>: the same
    /// image with another caption, tags and alt text, its <see cref="ImageRecord.UpdatedAt"/>, and the version after
    /// <paramref name="current"/>'s. Moves the tag entries, so that once this returns a list by a removed tag no longer finds
    /// the image and a list by an added tag does. Returns the record as stored, or null, changing nothing, when it is
    /// missing, not committed or no longer at <paramref name="current"/>'s version: of concurrent edits from one version,
    /// exactly one succeeds. A failure part-way leaves the record edited or not, never between, and lists that never show
    /// it under a tag it does not have; <see cref="SettleEditsAsync"/> finishes its tag entries.</summary>
    Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken);

    /// <summary>Finishes at once the tag entries of the record's last edit when a failure interrupted them
    /// (<see cref="ImageRecord.EditUnsettled"/>); does nothing otherwise.</summary>
    Task SettleEditAsync(Guid imageId, CancellationToken cancellationToken);

    /// <summary>Finishes the tag entries of edits that a failure interrupted and that were made before <paramref name="before"/>;
    /// returns how many records it settled. Like <see cref="ListUnsettledAsync"/>, its cost is what there is to repair.</summary>
    Task<int> SettleEditsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Removes the record if it is in <paramref name="expected"/>; returns false when there was none in that state.</summary>
    Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken);

    /// <summary>Records not committed (pending or deleting) whose state last changed before <paramref name="before"/>.
    /// The routine sweep's only read: its cost must depend on how many records are unsettled, not on how many exist.</summary>
    IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Removes index entries that belong to no record (left by a crash between writes), reading at most
    /// <paramref name="maxItems"/> items of the index from <paramref name="from"/> (the <see cref="OrphanEntriesPage.Next"/>
    /// of the previous page; null to start). Page after page, this reads the whole index: it is for the rare full
    /// reconciliation, never for the routine sweep.</summary>
    Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken);

    /// <summary>Throws when the index cannot currently serve requests (used by the readiness check).</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>One page of the orphan clean-up: how many items it read and removed, and where the next page starts
/// (null once the whole index has been read).</summary>
public sealed record OrphanEntriesPage(int Read, int Removed, string? Next);
