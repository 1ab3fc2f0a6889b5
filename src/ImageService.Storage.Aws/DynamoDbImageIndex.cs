using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Storage.Aws;

/// <summary>
/// The index in one DynamoDB table, without transactions (dynalite has none): the record item, written with
/// a single conditional put, decides whether an image exists. Tag edges and index entries are derived from
/// it; every list reads keys from an index and then the records themselves with a consistent read, so an
/// edge left behind by a failure, an index that lags a delete, or a record not yet committed never shows.
/// No request path scans; only the sweeper's orphan clean-up does.
/// </summary>
public sealed partial class DynamoDbImageIndex(IAmazonDynamoDB dynamo, AwsStorageOptions options, BatchRetryBudget? batchRetry = null) : IImageIndex
{
    /// <summary>The most keys one BatchGetItem may name.</summary>
    private const int BatchGetLimit = 100;

    private const string Store = "The DynamoDB index";
    private readonly BatchRetryBudget batchRetry = batchRetry ?? new();

    public async Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await AwsFailures.Guard(Store, () => dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = options.Table,
                Item = DynamoDbItems.Record(record),
                ConditionExpression = "attribute_not_exists(pk)",
            }, cancellationToken));
        }
        catch (ConditionalCheckFailedException)
        {
            // Ids are new, so a record already there is ours when the SDK retried a put that had landed: read it back.
            if (await GetAsync(record.ImageId, cancellationToken) is not { State: ImageState.Pending } stored
                || stored.StateChangedAt != record.StateChangedAt || stored.UserId != record.UserId)
            {
                return false;
            }
        }

        try
        {
            await WriteAsync(record.Tags.Select(tag => new WriteRequest(new PutRequest(DynamoDbItems.TagEdge(record, tag)))), cancellationToken);
        }
        catch
        {
            // Without its edges the record would be missing from tag lists: take it back whole, even when the
            // caller gave up. If that fails too, the record stays pending and the sweeper removes it; the caller
            // hears the first failure.
            try
            {
                await DeleteItemsAsync(record, CancellationToken.None);
            }
            catch (StoreUnavailableException)
            {
            }

            throw;
        }

        return true;
    }

    public async Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var response = await AwsFailures.Guard(Store, () => dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = options.Table,
            Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
            ConsistentRead = true,
        }, cancellationToken));
        return response.Item is { Count: > 0 } item ? DynamoDbItems.ToRecord(item) : null;
    }

    public async Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken)
    {
        var (index, attribute, partitions) = DynamoDbKeys.Route(query);
        var results = new List<ImageRecord>(query.Limit);
        var before = query.After is null ? null : DynamoDbKeys.Sort(query.After);
        while (results.Count < query.Limit)
        {
            var need = query.Limit - results.Count;
            var candidates = await NewestKeysAsync(index, attribute, partitions, before, need, cancellationToken);
            if (candidates.Count == 0)
            {
                break;
            }

            var records = await GetRecordsAsync(candidates.Select(c => c.ImageId), cancellationToken);
            results.AddRange(candidates
                .Where(c => records.TryGetValue(c.ImageId, out var record) && record.State == ImageState.Committed)
                .Select(c => records[c.ImageId]));
            if (candidates.Count < need)
            {
                break; // every partition is exhausted
            }

            before = candidates[^1].Sort;
        }

        return results;
    }

    public async Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var settled = to == ImageState.Committed;
        var values = new Dictionary<string, AttributeValue>
        {
            [":from"] = new() { S = DynamoDbItems.StateName(from) },
            [":to"] = new() { S = DynamoDbItems.StateName(to) },
            [":at"] = new() { N = at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        if (!settled)
        {
            values[":unsettled"] = new() { S = DynamoDbKeys.Unsettled(DynamoDbKeys.ShardOf(imageId)) };
        }

        try
        {
            await AwsFailures.Guard(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = options.Table,
                Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
                UpdateExpression = settled
                    ? "SET #state = :to, state_changed_at = :at REMOVE unsettled_pk"
                    : "SET #state = :to, state_changed_at = :at, unsettled_pk = :unsettled",
                ConditionExpression = "#state = :from",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = values,
            }, cancellationToken));
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken)
    {
        var record = await GetAsync(imageId, cancellationToken);
        if (record is null || record.State != expected)
        {
            return false;
        }

        try
        {
            await AwsFailures.Guard(Store, () => dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = options.Table,
                Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
                ConditionExpression = "#state = :expected",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new() { [":expected"] = new AttributeValue { S = DynamoDbItems.StateName(expected) } },
            }, cancellationToken));
        }
        catch (ConditionalCheckFailedException)
        {
            return false; // a concurrent writer moved it on
        }

        // The record decides; edges left by a failure or a cancellation here are skipped by every list and
        // removed by the sweeper, so the caller's token may stop the clean-up.
        await DeleteItemsAsync(record, cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Ids from every shard share the record reads, a BatchGetItem of 100 at a time: ten unsettled records cost one
        // read however the shards split them.
        var found = new List<Guid>();
        foreach (var partition in DynamoDbKeys.UnsettledPartitions)
        {
            var request = new QueryRequest
            {
                TableName = options.Table,
                IndexName = DynamoDbKeys.ByUnsettled,
                KeyConditionExpression = "unsettled_pk = :u",
                ExpressionAttributeValues = new() { [":u"] = new AttributeValue { S = partition } },
            };
            do
            {
                var page = await AwsFailures.Guard("DynamoDB", () => dynamo.QueryAsync(request, cancellationToken));
                found.AddRange((page.Items ?? []).Select(i => DynamoDbKeys.ImageIdFromPartition(i["pk"].S)));
                while (found.Count >= BatchGetLimit)
                {
                    await foreach (var record in StaleAsync(found[..BatchGetLimit], before, cancellationToken))
                    {
                        yield return record;
                    }

                    found.RemoveRange(0, BatchGetLimit);
                }

                request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
            }
            while (request.ExclusiveStartKey is not null);
        }

        await foreach (var record in StaleAsync(found, before, cancellationToken))
        {
            yield return record;
        }
    }

    private async IAsyncEnumerable<ImageRecord> StaleAsync(List<Guid> imageIds, DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Distinct: BatchGetItem refuses a batch that names a key twice, and a record moved from the unsharded partition
        // to a shard can, while the index catches up, be listed in both.
        var records = await GetRecordsAsync(imageIds.Distinct(), cancellationToken);
        foreach (var record in records.Values.Where(r => r.State != ImageState.Committed && r.StateChangedAt < before))
        {
            yield return record;
        }
    }

    /// <summary>Scans a page of the table's keys (the full reconciliation only: never a request, never the routine
    /// sweep) for tag edges whose record is gone.</summary>
    public async Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken)
    {
        var partitions = new Dictionary<string, (bool HasRecord, List<string> Edges)>();
        var request = new ScanRequest { TableName = options.Table, ProjectionExpression = "pk, sk", ExclusiveStartKey = from is null ? null : ScanPosition(from) };
        var read = 0;
        do
        {
            request.Limit = maxItems - read;
            var page = await AwsFailures.Guard("DynamoDB", () => dynamo.ScanAsync(request, cancellationToken));
            read += page.Items?.Count ?? 0;
            // Image partitions only: the table also holds other item kinds, such as idempotency keys.
            foreach (var item in (page.Items ?? []).Where(i => i["pk"].S.StartsWith("image#", StringComparison.Ordinal)))
            {
                var entry = partitions.GetValueOrDefault(item["pk"].S, (false, []));
                if (item["sk"].S == DynamoDbKeys.RecordSortKey)
                {
                    entry.HasRecord = true;
                }
                else
                {
                    entry.Edges.Add(item["sk"].S);
                }

                partitions[item["pk"].S] = entry;
            }

            request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null && read < maxItems);

        // A scan is no snapshot, and a page may end between an image's record and its edges: re-read first.
        var orphans = new List<(Guid Id, string Sort)>();
        foreach (var (partition, entry) in partitions.Where(p => !p.Value.HasRecord && p.Value.Edges.Count > 0))
        {
            var imageId = DynamoDbKeys.ImageIdFromPartition(partition);
            if (await GetAsync(imageId, cancellationToken) is null)
            {
                orphans.AddRange(entry.Edges.Select(sort => (imageId, sort)));
            }
        }

        await WriteAsync(orphans.Select(o => new WriteRequest(new DeleteRequest(DynamoDbItems.Key(o.Id, o.Sort)))), cancellationToken);
        return new OrphanEntriesPage(read, orphans.Count, request.ExclusiveStartKey is { } next ? ScanPosition(next) : null);
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var table = await AwsFailures.Guard(Store, () => dynamo.DescribeTableAsync(options.Table, cancellationToken));
        if (table.Table.TableStatus != TableStatus.ACTIVE)
        {
            throw new InvalidOperationException($"DynamoDB table {options.Table} is {table.Table.TableStatus}, not ACTIVE.");
        }
    }

    /// <summary>The newest <paramref name="limit"/> keys before <paramref name="before"/> across the partitions, merged.</summary>
    private async Task<List<(string Sort, Guid ImageId)>> NewestKeysAsync(
        string index, string attribute, string[] partitions, string? before, int limit, CancellationToken cancellationToken)
    {
        var pages = await Task.WhenAll(partitions.Select(partition => AwsFailures.Guard(Store, () => dynamo.QueryAsync(new QueryRequest
        {
            TableName = options.Table,
            IndexName = index,
            KeyConditionExpression = before is null ? "#p = :p" : "#p = :p AND #s < :before",
            ExpressionAttributeNames = before is null ? new() { ["#p"] = attribute } : new() { ["#p"] = attribute, ["#s"] = "sort" },
            ExpressionAttributeValues = before is null
                ? new() { [":p"] = new AttributeValue { S = partition } }
                : new() { [":p"] = new AttributeValue { S = partition }, [":before"] = new AttributeValue { S = before } },
            ScanIndexForward = false,
            Limit = limit,
        }, cancellationToken))));

        return [.. pages
            .SelectMany(page => page.Items ?? [])
            .Select(item => (Sort: item["sort"].S, ImageId: DynamoDbKeys.ImageIdFromPartition(item["pk"].S)))
            .OrderByDescending(key => key.Sort, StringComparer.Ordinal)
            .Take(limit)];
    }

    private async Task<Dictionary<Guid, ImageRecord>> GetRecordsAsync(IEnumerable<Guid> imageIds, CancellationToken cancellationToken)
    {
        var records = new Dictionary<Guid, ImageRecord>();
        foreach (var chunk in imageIds.Chunk(BatchGetLimit))
        {
            var pending = new Dictionary<string, KeysAndAttributes>
            {
                [options.Table] = new() { Keys = [.. chunk.Select(id => DynamoDbItems.Key(id, DynamoDbKeys.RecordSortKey))], ConsistentRead = true },
            };
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                await batchRetry.BeforeAttemptAsync(attempt, "keys of a batch read", cancellationToken);
                var request = new BatchGetItemRequest { RequestItems = pending };
                var response = await AwsFailures.Guard(Store, () => dynamo.BatchGetItemAsync(request, cancellationToken));
                foreach (var item in response.Responses?.GetValueOrDefault(options.Table) ?? [])
                {
                    var record = DynamoDbItems.ToRecord(item);
                    records[record.ImageId] = record;
                }

                pending = response.UnprocessedKeys ?? [];
            }
        }

        return records;
    }

    private Task DeleteItemsAsync(ImageRecord record, CancellationToken cancellationToken) =>
        WriteAsync(
            record.Tags.Select(tag => new WriteRequest(new DeleteRequest(DynamoDbItems.Key(record.ImageId, DynamoDbKeys.TagEdge(tag)))))
                .Append(new WriteRequest(new DeleteRequest(DynamoDbItems.Key(record.ImageId, DynamoDbKeys.RecordSortKey)))),
            cancellationToken);

    private async Task WriteAsync(IEnumerable<WriteRequest> writes, CancellationToken cancellationToken)
    {
        foreach (var chunk in writes.Chunk(25))
        {
            var pending = new Dictionary<string, List<WriteRequest>> { [options.Table] = [.. chunk] };
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                await batchRetry.BeforeAttemptAsync(attempt, "items of a batch write", cancellationToken);
                var request = new BatchWriteItemRequest { RequestItems = pending };
                var response = await AwsFailures.Guard(Store, () => dynamo.BatchWriteItemAsync(request, cancellationToken));
                pending = response.UnprocessedItems ?? [];
            }
        }
    }

    /// <summary>A scan position as text for the caller to hand back: the key's <c>pk</c>, prefixed by its length, then <c>sk</c>.</summary>
    private static string ScanPosition(Dictionary<string, AttributeValue> key) => $"{key["pk"].S.Length}:{key["pk"].S}{key["sk"].S}";

    private static Dictionary<string, AttributeValue> ScanPosition(string position)
    {
        var colon = position.IndexOf(':');
        if (colon < 1 || !int.TryParse(position.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            || length > position.Length - colon - 1)
        {
            throw new ArgumentException($"'{position}' is not a position in the index that a previous page returned.", nameof(position));
        }

        return new()
        {
            ["pk"] = new AttributeValue { S = position.Substring(colon + 1, length) },
            ["sk"] = new AttributeValue { S = position[(colon + 1 + length)..] },
        };
    }
}
