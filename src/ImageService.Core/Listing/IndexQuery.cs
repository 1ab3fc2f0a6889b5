namespace ImageService.Core.Listing;

/// <summary>A page request to the index: optional filters, a page size, and the position to continue after.</summary>
public sealed record IndexQuery(string? UserId, string? Tag, int Limit, ListPosition? After = null);

/// <summary>A place in the newest-first order: the sort key of the last item already seen.</summary>
public sealed record ListPosition(DateTimeOffset CreatedAt, Guid ImageId);
