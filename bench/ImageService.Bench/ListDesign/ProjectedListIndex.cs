using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Bench.ListDesign;

/// <summary>
/// Design B, a prototype for the benchmark only: the same table, keys and routes as <see cref="DynamoDbImageIndex"/>, but
/// the four list indexes project (INCLUDE) what a list item needs, and every tag edge carries a copy of those fields, so a
/// page is one eventually consistent Query per partition of its route and no BatchGetItem. The price is on the write side:
/// the commit, an edit (even of the caption alone) and the start of a delete must rewrite every edge, because an edge's
/// projected state is all a tag list can see. Failure handling (the sweeper settling an interrupted edge rewrite) is left
/// out: the writes are the ones the protocol would make when nothing fails, which is what the figures price.
/// </summary>
public sealed class ProjectedListIndex(IAmazonDynamoDB dynamo, string table)
{
    /// <summary>What <c>ImageSummaryResponse</c> shows (the id is the item's partition key) and what the stale-entry rule
    /// checks: state and version. The renditions' keys are in <c>variants</c>, stored as the record stores them.</summary>
    public static readonly string[] ListAttributes =
        ["user_id", "caption", "tags", "alt_text", "created_at", "width", "height", "content_type", "placeholder", "dominant_color", "variants", "state", "version"];

    private static readonly string[] ListIndexes = [DynamoDbKeys.ByUser, DynamoDbKeys.ByAll, DynamoDbKeys.ByTag, DynamoDbKeys.ByUserTag];

    /// <summary>The deployment template's table with the list indexes projecting <see cref="ListAttributes"/>.</summary>
    public static CreateTableRequest TableRequest(string name)
    {
        var request = DeploymentTemplate.TableRequest(name);
        foreach (var index in request.GlobalSecondaryIndexes.Where(i => ListIndexes.Contains(i.IndexName)))
        {
            index.Projection = new Projection { ProjectionType = ProjectionType.INCLUDE, NonKeyAttributes = [.. ListAttributes] };
        }

        return request;
    }

    /// <summary>The record as design A stores it, with its version always written (an edge needs it to order its writes),
    /// and in by_all from its first write, pending or not, as B's state check on the projection expects.</summary>
    public static Dictionary<string, AttributeValue> Record(ImageRecord record)
    {
        var item = DynamoDbItems.Record(record);
        item["version"] = DynamoDbValues.N(record.Version);
        item["all_pk"] = DynamoDbValues.S(DynamoDbKeys.All(DynamoDbKeys.ShardOf(record.ImageId, DynamoDbKeys.DefaultShards)));
        return item;
    }

    /// <summary>A tag edge: design A's keys plus a copy of every list attribute of the record.</summary>
    public static Dictionary<string, AttributeValue> Edge(ImageRecord record, string tag)
    {
        var edge = DynamoDbItems.TagEdge(record, tag);
        var full = Record(record);
        foreach (var name in ListAttributes.Where(full.ContainsKey))
        {
            edge[name] = full[name];
        }

        return edge;
    }

    /// <summary>Upload, first step: the record (pending) and its edges (pending, so no list shows them), as design A.</summary>
    public async Task AddAsync(ImageRecord pending, CancellationToken cancellationToken)
    {
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = Record(pending), ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken);
        await WriteAsync(pending.Tags.Select(tag => new WriteRequest(new PutRequest(Edge(pending, tag)))), cancellationToken);
    }

    /// <summary>Upload, last step: the record committed, and then every edge, each only while still pending (an edit that
    /// came between has already rewritten it).</summary>
    public async Task CommitAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(record.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "SET #state = :to REMOVE unsettled_pk",
            ConditionExpression = "#state = :from",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new() { [":to"] = State(ImageState.Committed), [":from"] = State(ImageState.Pending) },
        }, cancellationToken);
        await SetEdgeStatesAsync(record, ImageState.Pending, ImageState.Committed, cancellationToken);
    }

    /// <summary>An edit: the record (noting that every edge is owed, so a sweeper could finish an interrupted rewrite),
    /// every live edge rewritten with the new fields, each removed tag's edge made a tombstone, the note cleared. Every edge
    /// write lands only on an older version, so edits that settle out of order leave the newest on each edge.</summary>
    public async Task EditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken)
    {
        var owed = current.Tags.Union(edited.Tags, StringComparer.Ordinal).ToList();
        var values = new Dictionary<string, AttributeValue>
        {
            [":committed"] = State(ImageState.Committed),
            [":expected"] = DynamoDbValues.N(current.Version),
            [":version"] = DynamoDbValues.N(edited.Version),
            [":caption"] = DynamoDbValues.S(edited.Caption),
            [":tags"] = new() { L = [.. edited.Tags.Select(DynamoDbValues.S)] },
            [":updated"] = DynamoDbValues.N(edited.UpdatedAt.ToUnixTimeMilliseconds()),
            [":unsettled"] = DynamoDbValues.S(DynamoDbKeys.Unsettled(DynamoDbKeys.ShardOf(edited.ImageId, DynamoDbKeys.DefaultShards))),
            [":owed"] = new() { SS = owed },
        };
        if (edited.AltText is not null)
        {
            values[":alt"] = DynamoDbValues.S(edited.AltText);
        }

        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(edited.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "SET caption = :caption, tags = :tags, updated_at = :updated, version = :version, unsettled_pk = :unsettled"
                + (edited.AltText is null ? " REMOVE alt_text" : ", alt_text = :alt") + " ADD edge_debt :owed",
            ConditionExpression = "#state = :committed AND version = :expected",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = values,
        }, cancellationToken);

        var expires = (DateTimeOffset.UtcNow + TimeSpan.FromHours(1)).ToUnixTimeSeconds();
        await Task.WhenAll(owed.Select(tag => edited.Tags.Contains(tag, StringComparer.Ordinal)
            ? RewriteEdgeAsync(Edge(edited, tag), cancellationToken)
            : TombstoneAsync(edited, tag, expires, cancellationToken)));

        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(edited.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "REMOVE edge_debt, unsettled_pk",
            ConditionExpression = "version = :version",
            ExpressionAttributeValues = new() { [":version"] = DynamoDbValues.N(edited.Version) },
        }, cancellationToken);
    }

    /// <summary>A delete, first step: the record marked deleting and, because a tag list sees only the edge, every edge too;
    /// otherwise tag lists would show the image while its renditions are being deleted.</summary>
    public async Task MarkDeletingAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(record.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "SET #state = :to, unsettled_pk = :unsettled",
            ConditionExpression = "#state = :from",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new()
            {
                [":to"] = State(ImageState.Deleting),
                [":from"] = State(ImageState.Committed),
                [":unsettled"] = DynamoDbValues.S(DynamoDbKeys.Unsettled(DynamoDbKeys.ShardOf(record.ImageId, DynamoDbKeys.DefaultShards))),
            },
        }, cancellationToken);
        await SetEdgeStatesAsync(record, ImageState.Committed, ImageState.Deleting, cancellationToken);
    }

    /// <summary>A delete, last step, as design A: the record read again, deleted on its state, then it and its edges.</summary>
    public async Task RemoveAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey), ConsistentRead = true }, cancellationToken)).Item;
        var tags = item["tags"].L.Select(t => t.S).ToList();
        await dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
            ConditionExpression = "#state = :expected",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new() { [":expected"] = State(ImageState.Deleting) },
        }, cancellationToken);
        await WriteAsync(
            tags.Select(tag => new WriteRequest(new DeleteRequest(DynamoDbItems.Key(imageId, DynamoDbKeys.TagEdge(tag)))))
                .Append(new WriteRequest(new DeleteRequest(DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey)))),
            cancellationToken);
    }

    public async Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? DynamoDbItems.ToRecord(item) : null;
    }

    /// <summary>
    /// A page: one eventually consistent Query per partition of the route, merged newest first, each entry judged on its
    /// projected state alone: listed when it says committed and, on a tag edge, when its own copy of the tags still holds
    /// the tag. Within one route an image has one entry, so there is no other version to compare it with; whether the
    /// entry is the record's current state is what this design cannot know. A short page asks again after its last key.
    /// </summary>
    public async Task<List<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken)
    {
        var (index, attribute, partitions) = DynamoDbKeys.Route(query, DynamoDbKeys.DefaultShards);
        var results = new List<ImageRecord>(query.Limit);
        var before = query.After is null ? null : DynamoDbKeys.Sort(query.After);
        while (results.Count < query.Limit)
        {
            var need = query.Limit - results.Count;
            var entries = await NewestEntriesAsync(index, attribute, partitions, before, need, cancellationToken);
            results.AddRange(entries
                .Where(e => e["state"].S == DynamoDbItems.StateName(ImageState.Committed)
                    && (query.Tag is null || e["tags"].L.Any(t => t.S == query.Tag)))
                .Select(ListItem));
            if (entries.Count < need)
            {
                break;
            }

            before = entries[^1]["sort"].S;
        }

        return results;
    }

    private async Task<List<Dictionary<string, AttributeValue>>> NewestEntriesAsync(
        string index, string attribute, string[] partitions, string? before, int limit, CancellationToken cancellationToken)
    {
        var pages = await Task.WhenAll(partitions.Select(partition => dynamo.QueryAsync(new QueryRequest
        {
            TableName = table,
            IndexName = index,
            KeyConditionExpression = before is null ? "#p = :p" : "#p = :p AND #s < :before",
            ExpressionAttributeNames = before is null ? new() { ["#p"] = attribute } : new() { ["#p"] = attribute, ["#s"] = "sort" },
            ExpressionAttributeValues = before is null
                ? new() { [":p"] = DynamoDbValues.S(partition) }
                : new() { [":p"] = DynamoDbValues.S(partition), [":before"] = DynamoDbValues.S(before) },
            ScanIndexForward = false,
            Limit = limit,
        }, cancellationToken)));
        return [.. pages.SelectMany(page => page.Items ?? []).OrderByDescending(e => e["sort"].S, StringComparer.Ordinal).Take(limit)];
    }

    /// <summary>A list item from a projected entry: everything the list shows; size and hash are not projected (a list
    /// does not show them), so they are left empty.</summary>
    private static ImageRecord ListItem(Dictionary<string, AttributeValue> entry) => new(
        DynamoDbKeys.ImageIdFromPartition(entry["pk"].S),
        entry["user_id"].S,
        entry["caption"].S,
        [.. entry["tags"].L.Select(t => t.S)],
        DateTimeOffset.FromUnixTimeMilliseconds(DynamoDbValues.Long(entry["created_at"])),
        (int)DynamoDbValues.Long(entry["width"]),
        (int)DynamoDbValues.Long(entry["height"]),
        entry["content_type"].S,
        0,
        "",
        JsonSerializer.Deserialize(entry["variants"].S, AwsJsonContext.Default.ListStoredVariant) ?? [])
    {
        AltText = entry.TryGetValue("alt_text", out var alt) ? alt.S : null,
        Placeholder = entry.TryGetValue("placeholder", out var placeholder) ? placeholder.S : null,
        DominantColor = entry.TryGetValue("dominant_color", out var color) ? color.S : null,
        Version = entry.TryGetValue("version", out var version) ? DynamoDbValues.Long(version) : 1,
    };

    private Task RewriteEdgeAsync(Dictionary<string, AttributeValue> edge, CancellationToken cancellationToken)
    {
        var names = edge.Keys.Where(k => k is not "pk" and not "sk").ToList();
        var removed = edge.ContainsKey("alt_text") ? new[] { "expires_at_epoch" } : ["expires_at_epoch", "alt_text"];
        return ConditionalAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = new() { ["pk"] = edge["pk"], ["sk"] = edge["sk"] },
            UpdateExpression = "SET " + string.Join(", ", names.Select(n => $"#{n} = :{n}")) + " REMOVE " + string.Join(", ", removed.Select(n => "#" + n)),
            ConditionExpression = "attribute_not_exists(#version) OR #version < :version",
            ExpressionAttributeNames = names.Concat(removed).ToDictionary(n => "#" + n, n => n),
            ExpressionAttributeValues = names.ToDictionary(n => ":" + n, n => edge[n]),
        }, cancellationToken);
    }

    /// <summary>A removed tag's edge: no index keys (so no index holds it) and no copied fields, only the version that
    /// keeps a late write of an older edit from bringing it back, until its TTL.</summary>
    private Task TombstoneAsync(ImageRecord edited, string tag, long expires, CancellationToken cancellationToken)
    {
        var removed = new[] { "tag_pk", "user_tag_pk", "sort" }.Concat(ListAttributes.Where(a => a != "version")).ToList();
        return ConditionalAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(edited.ImageId, DynamoDbKeys.TagEdge(tag)),
            UpdateExpression = "SET #version = :version, #expires_at_epoch = :expires REMOVE " + string.Join(", ", removed.Select(n => "#" + n)),
            ConditionExpression = "attribute_not_exists(#version) OR #version < :version",
            ExpressionAttributeNames = removed.Append("version").Append("expires_at_epoch").ToDictionary(n => "#" + n, n => n),
            ExpressionAttributeValues = new() { [":version"] = DynamoDbValues.N(edited.Version), [":expires"] = DynamoDbValues.N(expires) },
        }, cancellationToken);
    }

    private Task SetEdgeStatesAsync(ImageRecord record, ImageState from, ImageState to, CancellationToken cancellationToken) =>
        Task.WhenAll(record.Tags.Select(tag => ConditionalAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(record.ImageId, DynamoDbKeys.TagEdge(tag)),
            UpdateExpression = "SET #state = :to",
            ConditionExpression = "#state = :from",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new() { [":to"] = State(to), [":from"] = State(from) },
        }, cancellationToken)));

    private async Task ConditionalAsync(UpdateItemRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.UpdateItemAsync(request, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // A newer write got there first: the edge already says what it should.
        }
    }

    private async Task WriteAsync(IEnumerable<WriteRequest> writes, CancellationToken cancellationToken)
    {
        foreach (var chunk in writes.Chunk(25))
        {
            var pending = new Dictionary<string, List<WriteRequest>> { [table] = [.. chunk] };
            while (pending.Count > 0 && pending[table].Count > 0)
            {
                pending = (await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken)).UnprocessedItems ?? [];
            }
        }
    }

    private static AttributeValue State(ImageState state) => DynamoDbValues.S(DynamoDbItems.StateName(state));

    public static string Describe() => string.Join(", ", ListAttributes.Select(a => string.Create(CultureInfo.InvariantCulture, $"`{a}`")));
}
