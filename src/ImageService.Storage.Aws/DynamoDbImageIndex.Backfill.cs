using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Ports;

using static ImageService.Storage.Aws.DynamoDbValues;

namespace ImageService.Storage.Aws;

/// <summary>
/// The placeholder backfill on DynamoDB. No index can find a missing attribute, so a page is a bounded Scan of the
/// table, resumed from its <c>LastEvaluatedKey</c> (as text) and filtered to committed records without a placeholder:
/// the table's other items (tag edges, idempotency keys, direct uploads, the backfill's own position) are read and
/// dropped by the filter. The position is an item of its own, <c>backfill#placeholders</c>, so that once the scan has
/// gone through, a sweep costs one read of it per process and never scans again.
/// </summary>
public sealed partial class DynamoDbImageIndex : IPlaceholderBackfillStore
{
    /// <summary>The most Scan requests one page sends, each reading at most the page's limit of items.</summary>
    private const int BackfillScansPerPage = 10;

    private static readonly Dictionary<string, AttributeValue> BackfillStateKey = new()
    {
        ["pk"] = S("backfill#placeholders"),
        ["sk"] = S("state"),
    };

    public async Task<PlaceholderBackfillPage> ListWithoutPlaceholderAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        var request = new ScanRequest
        {
            TableName = options.Table,
            FilterExpression = "sk = :record AND begins_with(pk, :image) AND attribute_not_exists(placeholder) AND #state = :committed",
            // Only what the backfill reads: the id, the box, and the variants that name the thumbnail's key.
            ProjectionExpression = "pk, #width, #height, #variants",
            ExpressionAttributeNames = new() { ["#state"] = "state", ["#width"] = "width", ["#height"] = "height", ["#variants"] = "variants" },
            ExpressionAttributeValues = new()
            {
                [":record"] = S(DynamoDbKeys.RecordSortKey),
                [":image"] = S("image#"),
                [":committed"] = S(DynamoDbItems.StateName(ImageState.Committed)),
            },
            ExclusiveStartKey = after is null ? null : ScanPosition(after),
        };

        // Limit counts the items a Scan reads, before the filter: asking only for what is still missing keeps the page
        // within its limit of records, and the number of requests bounds what it reads.
        var records = new List<PlaceholderCandidate>(limit);
        var scans = 0;
        do
        {
            request.Limit = limit - records.Count;
            var page = await AwsFailures.Guard(Store, () => dynamo.ScanAsync(request, cancellationToken));
            records.AddRange((page.Items ?? []).Select(Candidate).OfType<PlaceholderCandidate>());
            request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null && records.Count < limit && ++scans < BackfillScansPerPage);

        return new PlaceholderBackfillPage(records, request.ExclusiveStartKey is { } next ? ScanPosition(next) : null);
    }

    public Task<bool> SetPlaceholderAsync(Guid imageId, string placeholder, string dominantColor, CancellationToken cancellationToken) =>
        // SET of the two attributes, never a put of the item: a caption or tag edit written meanwhile stays. The
        // condition on the state also fails on a record deleted meanwhile, so the write cannot create one. A retry of a
        // write whose answer was lost fails the condition and reads as false; the placeholder is stored all the same.
        ConditionalWriteAsync(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "SET placeholder = :placeholder, dominant_color = :color",
            ConditionExpression = "#state = :committed AND attribute_not_exists(placeholder)",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new()
            {
                [":placeholder"] = S(placeholder),
                [":color"] = S(dominantColor),
                [":committed"] = S(DynamoDbItems.StateName(ImageState.Committed)),
            },
        }, cancellationToken));

    public async Task<PlaceholderBackfillPosition> ReadPositionAsync(CancellationToken cancellationToken)
    {
        var response = await AwsFailures.Guard(Store, () => dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = options.Table,
            Key = BackfillStateKey,
            ConsistentRead = true,
        }, cancellationToken));
        return response.Item is { Count: > 0 } item
            ? new PlaceholderBackfillPosition(item.TryGetValue("after_position", out var after) ? after.S : null, item.TryGetValue("done", out var done) && done.BOOL == true)
            : PlaceholderBackfillPosition.Beginning;
    }

    public Task SavePositionAsync(PlaceholderBackfillPosition position, CancellationToken cancellationToken)
    {
        var item = new Dictionary<string, AttributeValue>(BackfillStateKey) { ["done"] = new AttributeValue { BOOL = position.Done } };
        if (position.After is not null)
        {
            item["after_position"] = S(position.After);
        }

        return AwsFailures.Guard(Store, () => dynamo.PutItemAsync(new PutItemRequest { TableName = options.Table, Item = item }, cancellationToken));
    }

    /// <summary>The record as the backfill reads it. A record the service did not write whole (no size, variants that
    /// do not parse) names no thumbnail, for the backfill to log and pass: it must never stop every page at this one.
    /// An item whose key names no image id is no record at all.</summary>
    private static PlaceholderCandidate? Candidate(Dictionary<string, AttributeValue> item)
    {
        if (!Guid.TryParseExact(item["pk"].S["image#".Length..], "D", out var imageId))
        {
            return null;
        }

        try
        {
            var variants = JsonSerializer.Deserialize(item["variants"].S, AwsJsonContext.Default.ListStoredVariant) ?? [];
            return new PlaceholderCandidate(
                imageId, checked((int)Long(item["width"])), checked((int)Long(item["height"])), variants.FirstOrDefault(v => v.Name == VariantNames.Thumbnail)?.Key);
        }
        catch (Exception e) when (e is KeyNotFoundException or JsonException or FormatException or OverflowException or ArgumentNullException)
        {
            return new PlaceholderCandidate(imageId, 0, 0, null);
        }
    }
}
