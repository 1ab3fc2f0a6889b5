using Amazon.DynamoDBv2.Model;
using ImageService.Core.Listing;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>The record item decides what exists: index entries without a record are never listed.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbConsistencyTests(AwsEmulators emulators)
{
    [Fact]
    public async Task A_pending_put_repeated_after_it_landed_succeeds_and_writes_the_tag_edges()
    {
        // As when the SDK retries a PutItem whose answer was lost: the retry fails its condition on our own record.
        var table = await emulators.CreateTableAsync();
        var index = new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = table });
        var record = ImageIndexContract.Record("alice", 1, "travel") with { State = Core.Images.ImageState.Pending };
        record = record with { StateChangedAt = record.CreatedAt };
        await emulators.DynamoDb.PutItemAsync(table, DynamoDbItems.Record(record));

        Assert.True(await index.TryAddAsync(record, default), "our own landed put is not 'already exists'");
        Assert.False(await index.TryAddAsync(record with { UserId = "mallory" }, default), "another record with the id is");
        Assert.True(await index.TransitionAsync(record.ImageId, Core.Images.ImageState.Pending, Core.Images.ImageState.Committed, record.StateChangedAt.AddSeconds(1), default));
        Assert.Equal([record.ImageId], (await index.ListAsync(new IndexQuery(null, "travel", 10), default)).Select(r => r.ImageId));
    }

    [Fact]
    public async Task Unsettled_records_spread_over_every_shard_and_the_sweeper_still_finds_those_written_unsharded()
    {
        // One by_unsettled partition took two writes of every upload (pending, then committed), a hot partition that
        // would throttle the table's writes at a few hundred uploads a second.
        var table = await emulators.CreateTableAsync();
        var index = new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = table });
        var pending = Enumerable.Range(0, 40)
            .Select(i => ImageIndexContract.Record("alice", i) with { State = Core.Images.ImageState.Pending })
            .Select(record => record with { StateChangedAt = record.CreatedAt })
            .ToList();
        foreach (var record in pending)
        {
            Assert.True(await index.TryAddAsync(record, default));
        }

        // A record written by a version that kept every unsettled record in one partition.
        var legacy = pending[0];
        await emulators.DynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = DynamoDbItems.Key(legacy.ImageId, DynamoDbKeys.RecordSortKey),
            UpdateExpression = "SET unsettled_pk = :legacy",
            ExpressionAttributeValues = new() { [":legacy"] = new AttributeValue { S = "unsettled" } },
        });

        var scan = await emulators.DynamoDb.ScanAsync(new ScanRequest { TableName = table, IndexName = DynamoDbKeys.ByUnsettled });
        var partitions = scan.Items.Select(item => item["unsettled_pk"].S).Distinct().ToList();
        var found = new List<Guid>();
        await foreach (var record in index.ListUnsettledAsync(DateTimeOffset.MaxValue, default))
        {
            found.Add(record.ImageId);
        }

        Assert.Equal(DynamoDbKeys.DefaultShards + 1, partitions.Count);
        Assert.Equal(pending.Select(r => r.ImageId).Order(), found.Order());
    }

    [Fact]
    public async Task Edges_left_without_a_record_are_skipped_and_pages_still_fill()
    {
        var table = await emulators.CreateTableAsync();
        var index = new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = table });
        var real = Enumerable.Range(0, 3).Select(i => ImageIndexContract.Record("alice", i, "travel")).ToList();
        foreach (var record in real)
        {
            await index.TryAddAsync(record, default);
        }

        // Newer edges whose records are gone, as an interrupted delete (or an index lagging one) leaves them.
        for (var i = 0; i < 5; i++)
        {
            var orphan = ImageIndexContract.Record("alice", 100 + i, "travel");
            await emulators.DynamoDb.PutItemAsync(table, DynamoDbItems.TagEdge(orphan, "travel"));
        }

        var first = await index.ListAsync(new IndexQuery(null, "travel", 2), default);
        var second = await index.ListAsync(new IndexQuery("alice", "travel", 2, new ListPosition(first[^1].CreatedAt, first[^1].ImageId)), default);

        Assert.Equal([real[2].ImageId, real[1].ImageId], first.Select(r => r.ImageId));
        Assert.Equal([real[0].ImageId], second.Select(r => r.ImageId));

        // The sweeper's clean-up finds exactly the orphans, and the real records keep their edges.
        Assert.Equal(5, (await index.RemoveOrphanEntriesAsync(null, 1_000, default)).Removed);
        Assert.Equal(0, (await index.RemoveOrphanEntriesAsync(null, 1_000, default)).Removed);
        Assert.Equal(3, (await index.ListAsync(new IndexQuery(null, "travel", 10), default)).Count);
    }

    [Fact]
    public async Task A_list_of_everything_never_meets_uploads_or_deletes_in_flight_so_it_asks_no_second_time()
    {
        // Every upload in flight is a pending record newer than anything committed, and every delete a deleting one: if
        // they were in by_all the feed's first page would read them, drop them and ask again, more as traffic grows.
        var table = await emulators.CreateTableAsync();
        var counter = new RequestCounter();
        using var dynamo = emulators.CountedDynamoDb(counter);
        var index = new DynamoDbImageIndex(dynamo, new AwsStorageOptions { Table = table });
        var committed = Enumerable.Range(0, 3).Select(i => ImageIndexContract.Record("alice", i)).ToList();
        var deleting = Enumerable.Range(3, 10).Select(i => ImageIndexContract.Record("alice", i)).ToList();
        foreach (var record in committed.Concat(deleting))
        {
            Assert.True(await index.TryAddAsync(record, default));
        }

        foreach (var record in deleting)
        {
            Assert.True(await index.TransitionAsync(record.ImageId, Core.Images.ImageState.Committed, Core.Images.ImageState.Deleting, DateTimeOffset.UtcNow, default));
        }

        foreach (var record in Enumerable.Range(13, 30).Select(i => ImageIndexContract.Record("alice", i)))
        {
            Assert.True(await index.TryAddAsync(record with { State = Core.Images.ImageState.Pending, StateChangedAt = record.CreatedAt }, default));
        }

        counter.Reset();
        var page = await index.ListAsync(new IndexQuery(null, null, 2), default);

        Assert.Equal([committed[2].ImageId, committed[1].ImageId], page.Select(r => r.ImageId));
        Assert.Equal(["BatchGetItem"], counter.Operations.Where(o => o != "Query"));
        Assert.Equal(DynamoDbKeys.DefaultShards, counter.CountOf("Query"));
        var entries = await emulators.DynamoDb.ScanAsync(new ScanRequest { TableName = table, IndexName = DynamoDbKeys.ByAll });
        Assert.Equal(committed.Select(r => r.ImageId.ToString("D")).Order(), entries.Items.Select(i => i["pk"].S["image#".Length..]).Order());
    }

    [Fact]
    public async Task No_list_query_scans_the_table()
    {
        var table = await emulators.CreateTableAsync();
        var counter = new RequestCounter();
        using var dynamo = emulators.CountedDynamoDb(counter);
        var index = new DynamoDbImageIndex(dynamo, new AwsStorageOptions { Table = table });
        await index.TryAddAsync(ImageIndexContract.Record("alice", 1, "travel"), default);
        var described = await emulators.DynamoDb.DescribeTableAsync(table);

        foreach (var query in new[] { new IndexQuery(null, null, 5), new IndexQuery("alice", null, 5), new IndexQuery(null, "travel", 5), new IndexQuery("alice", "travel", 5) })
        {
            var (indexName, _, partitions) = DynamoDbKeys.Route(query, DynamoDbKeys.DefaultShards);
            counter.Reset();

            Assert.Single(await index.ListAsync(query, default));

            // What was really sent: one query per partition of a keys-only index, then the records by key; no scan.
            Assert.Contains(described.Table.GlobalSecondaryIndexes, i => i.IndexName == indexName && i.Projection.ProjectionType == "KEYS_ONLY");
            Assert.Equal(0, counter.CountOf("Scan"));
            Assert.Equal(partitions.Length, counter.CountOf("Query"));
            Assert.All(counter.Operations, operation => Assert.Contains(operation, new[] { "Query", "BatchGetItem" }));
        }
    }
}
