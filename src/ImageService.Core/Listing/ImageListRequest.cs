using ImageService.Core.Images;

namespace ImageService.Core.Listing;

/// <summary>A client's list request, as received: filters, page size and cursor, all optional.</summary>
public sealed record ImageListRequest(string? UserId, string? Tag, string? Limit, string? Cursor)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
}

/// <summary>One page of images, newest first, with the cursor of the next page when there is one.</summary>
public sealed record ImagePage(IReadOnlyList<ImageRecord> Items, string? NextCursor);
