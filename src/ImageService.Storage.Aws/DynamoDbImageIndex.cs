using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

using static ImageService.Storage.Aws.DynamoDbValues;

namespace ImageService.Storage.Aws;

/// <summary>
/// The index in one DynamoDB table, without transactions (dynalite has none): the record item, written with
/// a single conditional put, decides whether an image exists. Tag edges and index entries are derived from
/// it; every list reads keys from an index and then the records themselves with a consistent read, so an
/// edge left behind by a failure, an index that lags a delete, or a record not yet committed never shows.
/// No request path scans; only the sweeper's orphan clean-up and, until its one pass is done, the placeholder
/// backfill (<c>DynamoDbImageIndex.Backfill.cs</c>) do.
/// <para>An edit is one conditional update of the record (on its version), which also notes in <c>edge_debt</c> the
/// tags whose edges must move and puts the record in <c>by_unsettled</c>; then the edges move, and the debt is cleared.
/// Each edge carries the record version that last wrote it, and a write only lands on an edge of a lower version, so
/// edits that settle out of order leave every edge as the newest one says. A removed tag's edge becomes a tombstone that
/// no index holds and that expires by TTL, so a late write of an older edit cannot bring it back. Lists check each
/// record's tags, so an edge not yet moved never shows an image under a tag it no longer has; the sweeper settles an
/// edit that a failure interrupted.</para>
/// </summary>
public sealed partial class DynamoDbImageIndex(IAmazonDynamoDB dynamo, AwsStorageOptions options, BatchRetryBudget? batchRetry = null) : IImageIndex
{
    /// <summary>The most keys one BatchGetItem may name.</summary>
    private const int BatchGetLimit = 100;

    private const string Store = "The DynamoDB index";

    /// <summary>The most tags a record may owe edges for before an edit settles them first. Edits that overlap add up
    /// their moved tags until one of them clears the note, so without this bound one edit could be left to move an
    /// unbounded number of edges; with it, an edit moves at most this many plus its own (2 × 30).</summary>
    private const int MostEdgeDebt = 4 * Core.Processing.UploadLimits.MaxTags;

    /// <summary>How long the tombstone of a removed tag's edge is kept: far longer than any request lives (the table's
    /// TTL may take longer still to delete it).</summary>
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);

    /// <summary>How long one caller may settle a record's owed edges before another may take over.</summary>
    private static readonly TimeSpan SettlingLease = TimeSpan.FromSeconds(10);
    private readonly BatchRetryBudget batchRetry = batchRetry ?? new();

    public async Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await AwsFailures.Guard(Store, () => dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = options.Table,
                Item = DynamoDbItems.Record(record, options.IndexShards),
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
            await WriteAsync(record.Tags.Select(tag => new WriteRequest(new PutRequest(DynamoDbItems.TagEdge(record, tag, options.IndexShards)))), cancellationToken);
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

    public async Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) =>
        await GetItemAsync(imageId, cancellationToken) is { } item ? DynamoDbItems.ToRecord(item) : null;

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var response = await AwsFailures.Guard(Store, () => dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = options.Table,
            Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
            ConsistentRead = true,
        }, cancellationToken));
        return response.Item is { Count: > 0 } item ? item : null;
    }

    public Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken) =>
        TryEditAsync(current, edited, settleFirst: true, cancellationToken);

    private async Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, bool settleFirst, CancellationToken cancellationToken)
    {
        // The tags whose edges move: the condition on the version makes current.Tags exactly what is stored.
        var moved = current.Tags.Except(edited.Tags, StringComparer.Ordinal).Union(edited.Tags.Except(current.Tags, StringComparer.Ordinal), StringComparer.Ordinal).ToList();
        var values = new Dictionary<string, AttributeValue>
        {
            [":committed"] = S(DynamoDbItems.StateName(ImageState.Committed)),
            [":expected"] = N(current.Version),
            [":version"] = N(edited.Version),
            [":caption"] = S(edited.Caption),
            [":tags"] = new() { L = [.. edited.Tags.Select(S)] },
            [":updated"] = N(edited.UpdatedAt.ToUnixTimeMilliseconds()),
            [":most_debt"] = N(MostEdgeDebt),
        };
        var set = "SET caption = :caption, tags = :tags, updated_at = :updated, version = :version";
        if (edited.AltText is not null)
        {
            set += ", alt_text = :alt";
            values[":alt"] = S(edited.AltText);
        }

        if (moved.Count > 0)
        {
            set += ", unsettled_pk = :unsettled";
            values[":unsettled"] = S(DynamoDbKeys.Unsettled(DynamoDbKeys.ShardOf(edited.ImageId, options.IndexShards)));
            values[":moved"] = new() { SS = moved };
        }

        var expression = set + (edited.AltText is null ? " REMOVE alt_text" : "") + (moved.Count > 0 ? " ADD edge_debt :moved" : "");
        UpdateItemResponse response;
        try
        {
            response = await AwsFailures.Guard(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = options.Table,
                Key = DynamoDbItems.Key(edited.ImageId, DynamoDbKeys.RecordSortKey),
                UpdateExpression = expression,
                // Records from before versions have none: they are at version 1.
                ConditionExpression = (current.Version == 1
                    ? "#state = :committed AND (attribute_not_exists(version) OR version = :expected)"
                    : "#state = :committed AND version = :expected")
                    + " AND (attribute_not_exists(edge_debt) OR size(edge_debt) < :most_debt)",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = values,
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken));
        }
        catch (ConditionalCheckFailedException)
        {
            // From here on the write may have landed (an SDK retry of it fails its own condition), so nothing is cancelled.
            if (await GetItemAsync(current.ImageId, CancellationToken.None) is not { } item)
            {
                return null;
            }

            var stored = DynamoDbItems.ToRecord(item);
            if (IsThis(stored, edited))
            {
                await SettleEdgesAsync(item, CancellationToken.None);
                return stored;
            }

            // The record still owes the edges of edits that overlapped or crashed: one contender takes a short lease and
            // settles them, which bounds what any edit moves, and tries once more; the others lose this round.
            if (settleFirst && stored is { State: ImageState.Committed } && stored.Version == current.Version
                && DynamoDbItems.EdgeDebt(item).Count >= MostEdgeDebt && await TryLeaseSettlingAsync(stored, CancellationToken.None))
            {
                await SettleEdgesAsync(item, CancellationToken.None);
                return await TryEditAsync(current, edited, settleFirst: false, cancellationToken);
            }

            return null;
        }

        // The edit has landed: its edges move even if the caller has gone.
        await SettleEdgesAsync(response.Attributes, CancellationToken.None);
        return DynamoDbItems.ToRecord(response.Attributes);
    }

    /// <summary>Whether the stored record is the edit itself, landed by an earlier attempt of the same request.</summary>
    private static bool IsThis(ImageRecord stored, ImageRecord edited) =>
        stored.Version == edited.Version && stored.UpdatedAt == edited.UpdatedAt && stored.Caption == edited.Caption
        && stored.AltText == edited.AltText && stored.Tags.SequenceEqual(edited.Tags, StringComparer.Ordinal);

    /// <summary>Takes the record's settling lease (<see cref="SettlingLease"/>) unless another caller holds it.</summary>
    private Task<bool> TryLeaseSettlingAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        return DynamoDbValues.ConditionalWriteAsync(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = DynamoDbItems.Key(record.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "SET settling_until = :until",
            // Still owed: a caller that read the debt before another settled it has nothing left to do.
            ConditionExpression = "version = :version AND size(edge_debt) >= :most_debt AND (attribute_not_exists(settling_until) OR settling_until < :now)",
            ExpressionAttributeValues = new()
            {
                [":version"] = N(record.Version),
                [":most_debt"] = N(MostEdgeDebt),
                [":until"] = N((now + SettlingLease).ToUnixTimeMilliseconds()),
                [":now"] = N(now.ToUnixTimeMilliseconds()),
            },
        }, cancellationToken));
    }

    public async Task SettleEditAsync(Guid imageId, CancellationToken cancellationToken)
    {
        if (await GetItemAsync(imageId, cancellationToken) is { } item && DynamoDbItems.EdgeDebt(item).Count > 0
            && DynamoDbItems.ToRecord(item).State == ImageState.Committed)
        {
            await SettleEdgesAsync(item, CancellationToken.None);
        }
    }

    public async Task<int> SettleEditsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var settled = 0;
        foreach (var partition in DynamoDbKeys.UnsettledPartitions(options.ShardsToRead))
        {
            var request = new QueryRequest
            {
                TableName = options.Table,
                IndexName = DynamoDbKeys.ByUnsettled,
                KeyConditionExpression = "unsettled_pk = :u",
                ExpressionAttributeValues = new() { [":u"] = S(partition) },
            };
            do
            {
                var page = await AwsFailures.Guard(Store, () => dynamo.QueryAsync(request, cancellationToken));
                var ids = (page.Items ?? []).Select(i => DynamoDbKeys.ImageIdFromPartition(i["pk"].S)).Distinct().ToList();
                foreach (var chunk in ids.Chunk(BatchGetLimit))
                {
                    foreach (var item in await GetItemsAsync(chunk, cancellationToken))
                    {
                        var record = DynamoDbItems.ToRecord(item);
                        if (record.State == ImageState.Committed && DynamoDbItems.EdgeDebt(item).Count > 0 && record.UpdatedAt < before)
                        {
                            await SettleEdgesAsync(item, cancellationToken);
                            settled++;
                        }
                    }
                }

                request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
            }
            while (request.ExclusiveStartKey is not null);
        }

        return settled;
    }

    /// <summary>Moves the edges an edit noted in the record <paramref name="item"/>, then clears the note if no newer edit
    /// came since. Every step may run twice, or after a newer edit's: an edge write lands only on a lower version.</summary>
    private async Task SettleEdgesAsync(Dictionary<string, AttributeValue> item, CancellationToken cancellationToken)
    {
        var debt = DynamoDbItems.EdgeDebt(item);
        if (debt.Count == 0)
        {
            return;
        }

        var record = DynamoDbItems.ToRecord(item);
        var expires = (DateTimeOffset.UtcNow + TombstoneLifetime).ToUnixTimeSeconds();
        await Task.WhenAll(debt.Select(tag =>
        {
            var live = record.Tags.Contains(tag, StringComparer.Ordinal);
            var values = new Dictionary<string, AttributeValue> { [":version"] = N(record.Version) };
            string expression;
            if (live)
            {
                var edge = DynamoDbItems.TagEdge(record, tag, options.IndexShards);
                (values[":tag"], values[":user_tag"], values[":sort"]) = (edge["tag_pk"], edge["user_tag_pk"], edge["sort"]);
                expression = "SET tag_pk = :tag, user_tag_pk = :user_tag, sort = :sort, edge_version = :version REMOVE expires_at_epoch";
            }
            else
            {
                values[":expires"] = N(expires);
                expression = "SET edge_version = :version, expires_at_epoch = :expires REMOVE tag_pk, user_tag_pk, sort";
            }

            return DynamoDbValues.ConditionalWriteAsync(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = options.Table,
                Key = DynamoDbItems.Key(record.ImageId, DynamoDbKeys.TagEdge(tag)),
                UpdateExpression = expression,
                ConditionExpression = "attribute_not_exists(edge_version) OR edge_version < :version",
                ExpressionAttributeValues = values,
            }, cancellationToken));
        }));

        // Cleared only while the record is still at this version and committed: a newer edit clears its own (a superset),
        // and a delete that started meanwhile needs its place in by_unsettled.
        var cleared = await DynamoDbValues.ConditionalWriteAsync(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = DynamoDbItems.Key(record.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "REMOVE edge_debt, unsettled_pk, settling_until",
            ConditionExpression = "#state = :committed AND version = :version",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new()
            {
                [":committed"] = S(DynamoDbItems.StateName(ImageState.Committed)),
                [":version"] = N(record.Version),
            },
        }, cancellationToken));

        // A delete that began while these edges were written may already have removed the image's edges, and these would
        // outlive it: when the record is no longer committed, take them away again (the delete's own removal may race
        // this one; deleting twice is harmless).
        if (!cleared && await GetItemAsync(record.ImageId, cancellationToken) is var now
            && (now is null || DynamoDbItems.ToRecord(now).State != ImageState.Committed))
        {
            await WriteAsync(debt.Select(tag => new WriteRequest(new DeleteRequest(DynamoDbItems.Key(record.ImageId, DynamoDbKeys.TagEdge(tag))))), cancellationToken);
        }
    }

    public async Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken)
    {
        var (index, attribute, partitions) = DynamoDbKeys.Route(query, options.ShardsToRead);
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
            // An edge an edit has not yet moved (or a failure left) names a tag the record no longer has: skip it.
            results.AddRange(candidates
                .Where(c => records.TryGetValue(c.ImageId, out var record) && record.State == ImageState.Committed
                    && (query.Tag is null || record.Tags.Contains(query.Tag, StringComparer.Ordinal)))
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
        // A record enters by_all as it is committed and leaves it as it stops being committed, in the same write that
        // takes it out of by_unsettled or puts it there: no more index writes than before, and no list of everything
        // meets an upload or a delete half done.
        var settled = to == ImageState.Committed;
        var shard = DynamoDbKeys.ShardOf(imageId, options.IndexShards);
        var values = new Dictionary<string, AttributeValue>
        {
            [":from"] = new() { S = DynamoDbItems.StateName(from) },
            [":to"] = new() { S = DynamoDbItems.StateName(to) },
            [":at"] = new() { N = at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            [settled ? ":all" : ":unsettled"] = new() { S = settled ? DynamoDbKeys.All(shard) : DynamoDbKeys.Unsettled(shard) },
        };

        try
        {
            await AwsFailures.Guard(Store, () => dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = options.Table,
                Key = DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey),
                UpdateExpression = settled
                    ? "SET #state = :to, state_changed_at = :at, all_pk = :all REMOVE unsettled_pk"
                    : "SET #state = :to, state_changed_at = :at, unsettled_pk = :unsettled REMOVE all_pk",
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
        var item = await GetItemAsync(imageId, cancellationToken);
        var record = item is null ? null : DynamoDbItems.ToRecord(item);
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
        // removed by the sweeper, so the caller's token may stop the clean-up. The edges an unsettled edit owes go too;
        // tombstones, which no index holds, are left to expire (a delete's cost must not grow with past edits).
        await WriteAsync(
            record.Tags.Union(DynamoDbItems.EdgeDebt(item!), StringComparer.Ordinal)
                .Select(tag => new WriteRequest(new DeleteRequest(DynamoDbItems.Key(imageId, DynamoDbKeys.TagEdge(tag)))))
                .Append(new WriteRequest(new DeleteRequest(DynamoDbItems.Key(imageId, DynamoDbKeys.RecordSortKey)))),
            cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Ids from every shard share the record reads, a BatchGetItem of 100 at a time: ten unsettled records cost one
        // read however the shards split them.
        var found = new List<Guid>();
        foreach (var partition in DynamoDbKeys.UnsettledPartitions(options.ShardsToRead))
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

    private async Task<Dictionary<Guid, ImageRecord>> GetRecordsAsync(IEnumerable<Guid> imageIds, CancellationToken cancellationToken) =>
        (await GetItemsAsync(imageIds, cancellationToken)).Select(DynamoDbItems.ToRecord).DistinctBy(record => record.ImageId).ToDictionary(record => record.ImageId);

    private async Task<List<Dictionary<string, AttributeValue>>> GetItemsAsync(IEnumerable<Guid> imageIds, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
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
                items.AddRange(response.Responses?.GetValueOrDefault(options.Table) ?? []);
                pending = response.UnprocessedKeys ?? [];
            }
        }

        return items;
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
        // Both parts of a key are non-empty (DynamoDB refuses an empty key attribute, and would answer a 400 for every
        // page from such a position), and every partition of the table has a '#' in it.
        var colon = position.IndexOf(':');
        if (colon < 1 || !int.TryParse(position.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            || length < 1 || length >= position.Length - colon - 1 || !position.AsSpan(colon + 1, length).Contains('#'))
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
