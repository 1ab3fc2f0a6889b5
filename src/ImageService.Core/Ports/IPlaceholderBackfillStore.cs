namespace ImageService.Core.Ports;

/// <summary>
/// What the placeholder backfill needs of the index: the committed records that have no placeholder yet (stored before
/// placeholders existed), a page at a time from a resumable position, a write of the two placeholder attributes alone,
/// and a place in the index itself to keep the backfill's position between runs. Implementations: SQLite, DynamoDB.
/// </summary>
public interface IPlaceholderBackfillStore
{
    /// <summary>At most <paramref name="limit"/> committed records without a placeholder, strictly after the position
    /// <paramref name="after"/> (the <see cref="PlaceholderBackfillPage.Next"/> of an earlier page; null to start). Each
    /// page reads a bounded part of the index, so a page may hold fewer records than <paramref name="limit"/>, even none,
    /// and still not be the last; <see cref="PlaceholderBackfillPage.Next"/> is null only once the whole index has been
    /// gone through. Throws <see cref="ArgumentException"/> when <paramref name="after"/> is not a position a page returned.</summary>
    Task<PlaceholderBackfillPage> ListWithoutPlaceholderAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>Sets the record's placeholder and dominant colour in one conditional write that changes no other
    /// attribute (a caption or tag edit made meanwhile stays), and only while the record is committed and still has no
    /// placeholder: false, changing nothing, when it is gone, no longer committed, or already has one.</summary>
    Task<bool> SetPlaceholderAsync(Guid imageId, string placeholder, string dominantColor, CancellationToken cancellationToken);

    /// <summary>Where the backfill stopped, as <see cref="SavePositionAsync"/> last wrote it; <see cref="PlaceholderBackfillPosition.Beginning"/>
    /// when it never ran.</summary>
    Task<PlaceholderBackfillPosition> ReadPositionAsync(CancellationToken cancellationToken);

    /// <summary>Keeps the position (a plain write: the last writer wins).</summary>
    Task SavePositionAsync(PlaceholderBackfillPosition position, CancellationToken cancellationToken);
}

/// <summary>One page of records without a placeholder and where the next page starts (null once the index has been
/// gone through).</summary>
public sealed record PlaceholderBackfillPage(IReadOnlyList<PlaceholderCandidate> Records, string? Next);

/// <summary>What the backfill reads of a record: its id, its size (the box the placeholder is painted in) and the key of
/// its thumbnail rendition, null when the record lists none.</summary>
public sealed record PlaceholderCandidate(Guid ImageId, int Width, int Height, string? ThumbnailKey);

/// <summary>How far the backfill got: the position to continue after (null: from the beginning), and whether it has
/// gone through the whole index.</summary>
public sealed record PlaceholderBackfillPosition(string? After, bool Done)
{
    public static readonly PlaceholderBackfillPosition Beginning = new(null, false);
}
