using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Testing;

/// <summary>The one way tests read a whole store back, to compare it with what the traffic should have left.</summary>
public static class StoreListing
{
    /// <summary>Every blob key (under <paramref name="prefix"/>), in key order.</summary>
    public static async Task<List<string>> AllKeysAsync(this IBlobStore blobs, string prefix = "") =>
        await blobs.ListKeysAsync(prefix, default).ToListAsync();

    /// <summary>Every committed record, newest first, read page by page as a client would.</summary>
    public static async Task<List<ImageRecord>> AllCommittedAsync(this IImageIndex index)
    {
        const int pageSize = 100;
        var all = new List<ImageRecord>();
        ListPosition? after = null;
        while (true)
        {
            var page = await index.ListAsync(new IndexQuery(null, null, pageSize, after), default);
            all.AddRange(page);
            if (page.Count < pageSize)
            {
                return all;
            }

            after = new ListPosition(page[^1].CreatedAt, page[^1].ImageId);
        }
    }

    /// <summary>Every record still pending or deleting, whatever its age.</summary>
    public static async Task<List<ImageRecord>> AllUnsettledAsync(this IImageIndex index) =>
        await index.ListUnsettledAsync(DateTimeOffset.MaxValue, default).ToListAsync();
}
