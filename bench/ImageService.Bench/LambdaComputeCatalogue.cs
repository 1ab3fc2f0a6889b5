using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Storage.Aws;

namespace ImageService.Bench;

/// <summary>
/// A catalogue for the list pages to page through: <see cref="ListingWorkload"/>'s users, tags and dates, each record a
/// copy of one image the service really stored (its renditions, placeholder and sizes), written straight into the table
/// by BatchWriteItem in the service's own item format, so a page's records are as large as real ones.
/// </summary>
public sealed class LambdaComputeCatalogue(List<ImageRecord> records)
{
    /// <summary>The filters of the list pages measured: none, one user, one tag.</summary>
    public static readonly (string Name, string? User, string? Tag)[] Filters = [("no filter", null, null), ("by user", "u7", null), ("by tag", null, "tag3")];

    public int Count => records.Count;

    public static async Task<LambdaComputeCatalogue> SeedAsync(IAmazonDynamoDB dynamo, string table, ImageRecord model, int size, CancellationToken cancellationToken)
    {
        var records = ListingWorkload.Records(size).Select(r => model with
        {
            ImageId = r.ImageId,
            UserId = r.UserId,
            Tags = r.Tags,
            // The service keeps milliseconds, as its cursors do.
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt.ToUnixTimeMilliseconds()),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt.ToUnixTimeMilliseconds()),
            StateChangedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt.ToUnixTimeMilliseconds()),
        }).ToList();
        var items = records.SelectMany(record => record.Tags.Select(tag => DynamoDbItems.TagEdge(record, tag)).Prepend(DynamoDbItems.Record(record)));
        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (batch, cancellation) =>
        {
            var pending = new Dictionary<string, List<WriteRequest>>
            {
                [table] = [.. batch.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } })],
            };
            while (pending.Count > 0 && pending[table].Count > 0)
            {
                pending = (await dynamo.BatchWriteItemAsync(pending, cancellation)).UnprocessedItems ?? [];
            }
        });
        return new LambdaComputeCatalogue(records);
    }

    /// <summary>The query string of the first page by a filter.</summary>
    public static string FirstPage(string? user, string? tag) => Query(user, tag, null);

    /// <summary>The query string of the deepest full page of the seeded images that match a filter (page 1,000 where a
    /// filter reaches that far), with the cursor the service would have handed out for it.</summary>
    public string DeepPage(string? user, string? tag)
    {
        var matching = records.Where(r => (user is null || r.UserId == user) && (tag is null || r.Tags.Contains(tag)))
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.ImageId).ToList();
        var after = matching[ListingWorkload.DeepOffset(matching.Count)];
        return Query(user, tag, ListCursor.Encode(new ListPosition(after.CreatedAt, after.ImageId), user, tag));
    }

    /// <summary>Which page of its filter <see cref="DeepPage"/> is.</summary>
    public int DeepPageNumber(string? user, string? tag) =>
        (ListingWorkload.DeepOffset(records.Count(r => (user is null || r.UserId == user) && (tag is null || r.Tags.Contains(tag)))) / ListingWorkload.PageSize) + 2;

    private static string Query(string? user, string? tag, string? cursor)
    {
        var parts = new[] { ("user_id", user), ("tag", tag), ("cursor", cursor) }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
