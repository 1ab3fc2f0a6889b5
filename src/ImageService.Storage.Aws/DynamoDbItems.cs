using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;

using static ImageService.Storage.Aws.DynamoDbValues;

namespace ImageService.Storage.Aws;

/// <summary>Converts image records to and from DynamoDB items.</summary>
internal static class DynamoDbItems
{
    /// <summary>The record's item, its index entries in the shard <paramref name="shards"/> gives it.</summary>
    public static Dictionary<string, AttributeValue> Record(ImageRecord record, int shards = DynamoDbKeys.DefaultShards)
    {
        var shard = DynamoDbKeys.ShardOf(record.ImageId, shards);
        var sort = DynamoDbKeys.Sort(record.CreatedAt, record.ImageId);
        var item = new Dictionary<string, AttributeValue>
        {
            ["pk"] = S(DynamoDbKeys.Partition(record.ImageId)),
            ["sk"] = S(DynamoDbKeys.RecordSortKey),
            ["user_pk"] = S(DynamoDbKeys.User(record.UserId)),
            ["sort"] = S(sort),
            ["image_id"] = S(record.ImageId.ToString("D")),
            ["user_id"] = S(record.UserId),
            ["caption"] = S(record.Caption),
            ["tags"] = new AttributeValue { L = [.. record.Tags.Select(S)] },
            ["created_at"] = N(record.CreatedAt.ToUnixTimeMilliseconds()),
            ["width"] = N(record.Width),
            ["height"] = N(record.Height),
            ["content_type"] = S(record.ContentType),
            ["size_bytes"] = N(record.SizeBytes),
            ["sha256"] = S(record.Sha256),
            ["variants"] = S(JsonSerializer.Serialize(record.Variants, AwsJsonContext.Default.IReadOnlyListStoredVariant)),
            ["state"] = S(StateName(record.State)),
            ["state_changed_at"] = N(record.StateChangedAt.ToUnixTimeMilliseconds()),
        };
        foreach (var (name, value) in new[] { ("alt_text", record.AltText), ("placeholder", record.Placeholder), ("dominant_color", record.DominantColor) })
        {
            if (value is not null)
            {
                item[name] = S(value);
            }
        }

        if (record.Version != 1)
        {
            item["version"] = N(record.Version);
            item["updated_at"] = N(record.UpdatedAt.ToUnixTimeMilliseconds());
        }

        // Only a committed record is in by_all: the feed's first page would otherwise meet every upload and delete in
        // flight at its head and ask again for each (docs/scaling.md, "The load simulation").
        if (record.State == ImageState.Committed)
        {
            item["all_pk"] = S(DynamoDbKeys.All(shard));
        }
        else
        {
            item["unsettled_pk"] = S(DynamoDbKeys.Unsettled(shard));
        }

        return item;
    }

    public static string StateName(ImageState state) => state.ToString().ToLowerInvariant();

    public static Dictionary<string, AttributeValue> TagEdge(ImageRecord record, string tag, int shards = DynamoDbKeys.DefaultShards) => new()
    {
        ["pk"] = S(DynamoDbKeys.Partition(record.ImageId)),
        ["sk"] = S(DynamoDbKeys.TagEdge(tag)),
        ["tag_pk"] = S(DynamoDbKeys.Tag(tag, DynamoDbKeys.ShardOf(record.ImageId, shards))),
        ["user_tag_pk"] = S(DynamoDbKeys.UserTag(record.UserId, tag)),
        ["sort"] = S(DynamoDbKeys.Sort(record.CreatedAt, record.ImageId)),
    };

    public static Dictionary<string, AttributeValue> Key(Guid imageId, string sortKey) => new()
    {
        ["pk"] = S(DynamoDbKeys.Partition(imageId)),
        ["sk"] = S(sortKey),
    };

    public static ImageRecord ToRecord(Dictionary<string, AttributeValue> item) => new(
        Guid.ParseExact(item["image_id"].S, "D"),
        item["user_id"].S,
        item["caption"].S,
        [.. (item["tags"].L ?? []).Select(t => t.S)],
        DateTimeOffset.FromUnixTimeMilliseconds(Long(item["created_at"])),
        (int)Long(item["width"]),
        (int)Long(item["height"]),
        item["content_type"].S,
        Long(item["size_bytes"]),
        item["sha256"].S,
        JsonSerializer.Deserialize(item["variants"].S, AwsJsonContext.Default.ListStoredVariant) ?? [])
    {
        State = item.TryGetValue("state", out var state) ? Enum.Parse<ImageState>(state.S, ignoreCase: true) : ImageState.Committed,
        StateChangedAt = item.TryGetValue("state_changed_at", out var changed)
            ? DateTimeOffset.FromUnixTimeMilliseconds(Long(changed))
            : DateTimeOffset.FromUnixTimeMilliseconds(Long(item["created_at"])),
        AltText = item.TryGetValue("alt_text", out var altText) ? altText.S : null,
        Placeholder = item.TryGetValue("placeholder", out var placeholder) ? placeholder.S : null,
        DominantColor = item.TryGetValue("dominant_color", out var color) ? color.S : null,
        Version = item.TryGetValue("version", out var version) ? Long(version) : 1,
        EditUnsettled = item.TryGetValue("edge_debt", out var debt) && debt.SS is { Count: > 0 },
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Long(item.TryGetValue("updated_at", out var updated) ? updated : item["created_at"])),
    };

    /// <summary>The tags whose edges an edit has still to move (see <see cref="DynamoDbImageIndex"/>); none when settled.</summary>
    public static IReadOnlyList<string> EdgeDebt(Dictionary<string, AttributeValue> item) =>
        item.TryGetValue("edge_debt", out var debt) ? debt.SS ?? [] : [];
}
