using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Bench.ListDesign;

/// <summary>
/// Section 9: design A (today's keys-only indexes, then one consistent BatchGetItem of the page's records) against design
/// B (<see cref="ProjectedListIndex"/>: indexes that project a list item, one eventually consistent Query per partition)
/// on two dynalite tables seeded with the same images. Every request goes through a <see cref="RequestCounter"/> with a <see cref="CapacityMeter"/> that knows each table's indexes, so both
/// designs are priced by one set of DynamoDB rules; latency is timed on clients that are not priced, A and B in turn.
/// </summary>
public static class ListDesignBenchmark
{
    private const int PageSize = ListingWorkload.PageSize;

    /// <summary>On-demand prices in us-east-1 after the November 2024 cut, in dollars per million request units.</summary>
    private const double ReadPrice = 0.125;
    private const double WritePrice = 0.625;

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var size = options.Smoke ? 300 : options.Quick ? 2_000 : 10_000;
        var samples = options.Smoke ? 5 : options.Quick ? 30 : 100;
        var writeSamples = options.Smoke ? 3 : options.Quick ? 10 : 40;
        var emulators = new AwsEmulators();
        await emulators.InitializeAsync();
        try
        {
            var requestA = DeploymentTemplate.TableRequest($"design_a_{Guid.NewGuid():N}");
            var requestB = ProjectedListIndex.TableRequest($"design_b_{Guid.NewGuid():N}");
            await CreateAsync(emulators.DynamoDb, requestA);
            await CreateAsync(emulators.DynamoDb, requestB);
            var data = new ListDesignData(seed: 42);
            var records = Enumerable.Range(0, size).Select(_ => data.Next()).ToList();
            var clock = Stopwatch.StartNew();
            await SeedAsync(emulators.DynamoDb, requestA.TableName, records.SelectMany(r => r.Tags.Select(t => DynamoDbItems.TagEdge(r, t)).Prepend(DynamoDbItems.Record(r))));
            await SeedAsync(emulators.DynamoDb, requestB.TableName, records.SelectMany(r => r.Tags.Select(t => ProjectedListIndex.Edge(r, t)).Prepend(ProjectedListIndex.Record(r))));
            Console.WriteLine($"listdesign: seeded {size:N0} images into both tables in {clock.Elapsed.TotalSeconds:F0} s");

            // Every query charged its half unit at least, as DynamoDB does (dynalite charges an empty one nothing).
            var pricerA = new RequestCounter { Capacity = new CapacityMeter(emulators.DynamoDb, requestA.GlobalSecondaryIndexes) { MinimumQueryUnits = 0.5 } };
            var pricerB = new RequestCounter { Capacity = new CapacityMeter(emulators.DynamoDb, requestB.GlobalSecondaryIndexes) { MinimumQueryUnits = 0.5 } };
            var designs = new Designs(
                new DynamoDbImageIndex(emulators.CountedDynamoDb(pricerA), new AwsStorageOptions { Table = requestA.TableName }),
                new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = requestA.TableName }),
                new ProjectedListIndex(emulators.CountedDynamoDb(pricerB), requestB.TableName),
                new ProjectedListIndex(emulators.DynamoDb, requestB.TableName),
                pricerA,
                pricerB);

            var pages = await MeasurePagesAsync(designs, records, samples);
            var writes = await MeasureWritesAsync(designs, data, writeSamples);
            var sizes = EntrySizes(records, requestA, requestB);
            report.Add(ListDesignReport.Render(size, samples, writeSamples, records, pages, writes, sizes, ReadPrice, WritePrice));
        }
        finally
        {
            await emulators.DisposeAsync();
        }
    }

    public sealed record Designs(
        DynamoDbImageIndex PricedA, DynamoDbImageIndex PlainA, ProjectedListIndex PricedB, ProjectedListIndex PlainB, RequestCounter PricerA, RequestCounter PricerB);

    /// <summary>One page of one design: its requests and read units (deterministic) and its latency on dynalite.</summary>
    public sealed record PageCost(int Requests, string Operations, double ReadUnits, double P50, double P99);

    /// <summary>One write action of one design, averaged over the sampled images.</summary>
    public sealed record WriteCost(double Requests, string Operations, double ReadUnits, double TableWriteUnits, double IndexWriteUnits)
    {
        public double WriteUnits => TableWriteUnits + IndexWriteUnits;
    }

    /// <summary>Mean bytes of what each design keeps per image and per index entry (DynamoDB's item-size rules).</summary>
    public sealed record Sizes(double Record, double EdgeA, double EdgeB, double KeysOnlyEntry, double ProjectedRecordEntry, double ProjectedEdgeEntry, double Variants, double OverKilobyte, double Tags);

    /// <summary>The pages: no filter, by the most active user, by the most popular tag, by both; first and deep.</summary>
    private static async Task<List<(string Page, PageCost A, PageCost B)>> MeasurePagesAsync(Designs designs, List<ImageRecord> records, int samples)
    {
        var topUser = records.GroupBy(r => r.UserId).MaxBy(g => g.Count())!.Key;
        var topTag = records.SelectMany(r => r.Tags).GroupBy(t => t).MaxBy(g => g.Count())!.Key;
        (string Name, string? User, string? Tag)[] filters = [("all", null, null), ("by user", topUser, null), ("by tag", null, topTag), ("by user and tag", topUser, topTag)];
        var results = new List<(string, PageCost, PageCost)>();
        foreach (var (name, user, tag) in filters)
        {
            foreach (var deep in new[] { false, true })
            {
                var (position, depth) = deep ? DeepPosition(records, user, tag) : (null, 0);
                var query = new IndexQuery(user, tag, PageSize + 1, position);
                designs.PricerA.Reset();
                var pageA = await designs.PricedA.ListAsync(query, default);
                designs.PricerB.Reset();
                var pageB = await designs.PricedB.ListAsync(query, default);
                if (pageA.Count == 0 || !pageA.Select(r => r.ImageId).SequenceEqual(pageB.Select(r => r.ImageId))
                    || !pageA.Select(r => (r.Caption, r.AltText, r.Placeholder, r.Variants.Count)).SequenceEqual(pageB.Select(r => (r.Caption, r.AltText, r.Placeholder, r.Variants.Count))))
                {
                    throw new InvalidOperationException($"designs A and B disagree on the page {name} at {position}: {pageA.Count} and {pageB.Count} items");
                }

                var (a, b) = await TimeAsync(designs, query, samples);
                var page = !deep ? $"{name}, first" : depth > 0 ? $"{name}, deep (from item {depth:N0})" : $"{name}, deep (no second page: the first)";
                results.Add((page,
                    new PageCost(designs.PricerA.Count, RequestCostModel.Show(designs.PricerA.ByOperation()), designs.PricerA.Capacity!.ReadUnits, Stats.Percentile(a, 50), Stats.Percentile(a, 99)),
                    new PageCost(designs.PricerB.Count, RequestCostModel.Show(designs.PricerB.ByOperation()), designs.PricerB.Capacity!.ReadUnits, Stats.Percentile(b, 50), Stats.Percentile(b, 99))));
                Console.WriteLine($"listdesign: {page}: A {designs.PricerA.Capacity} {RequestCostModel.Show(designs.PricerA.ByOperation())}; B {designs.PricerB.Capacity} {RequestCostModel.Show(designs.PricerB.ByOperation())}");
            }
        }

        return results;
    }

    /// <summary>A and B in turn on the same page, so that the machine's load falls on both alike.</summary>
    private static async Task<(List<double> A, List<double> B)> TimeAsync(Designs designs, IndexQuery query, int samples)
    {
        var (a, b) = (new List<double>(), new List<double>());
        for (var i = 0; i < 20 + samples; i++)
        {
            var clock = Stopwatch.StartNew();
            await designs.PlainA.ListAsync(query, default);
            var elapsedA = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            await designs.PlainB.ListAsync(query, default);
            var elapsedB = clock.Elapsed.TotalMilliseconds;
            if (i >= 20)
            {
                a.Add(elapsedA);
                b.Add(elapsedB);
            }
        }

        return (a, b);
    }

    private static (ListPosition? Position, int Depth) DeepPosition(List<ImageRecord> records, string? user, string? tag)
    {
        var matching = records.Where(r => (user is null || r.UserId == user) && (tag is null || r.Tags.Contains(tag)))
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.ImageId).ToList();
        // Halfway down, not at the end: a page at the end of a sharded route finds its shards nearly exhausted and reads
        // less than a page anywhere else would.
        var offset = Math.Max(0, Math.Min(matching.Count / 2, matching.Count - (PageSize + 1)));
        return offset == 0 ? (null, 0) : (new ListPosition(matching[offset].CreatedAt, matching[offset].ImageId), offset + 1);
    }

    /// <summary>Upload, caption edit, one tag swapped, delete: each action as the service sends it (the catalog reads the
    /// record before an edit or a delete), on new images made like the seeded ones.</summary>
    private static async Task<List<(string Action, WriteCost A, WriteCost B)>> MeasureWritesAsync(Designs designs, ListDesignData data, int count)
    {
        var costs = new Dictionary<string, (List<WriteCost> A, List<WriteCost> B)>();
        void Note(string action, RequestCounter pricer, bool isA)
        {
            var meter = pricer.Capacity!;
            var cost = new WriteCost(pricer.Count, RequestCostModel.Show(pricer.ByOperation()), meter.ReadUnits, meter.TableWriteUnits, meter.IndexWriteUnits);
            var entry = costs.TryGetValue(action, out var found) ? found : costs[action] = ([], []);
            (isA ? entry.A : entry.B).Add(cost);
        }

        for (var i = 0; i < count; i++)
        {
            var image = data.Next();
            var pending = image with { State = ImageState.Pending };
            var caption = data.Caption();
            var swapped = image.Tags.Skip(1).Prepend(data.OtherTag(image.Tags)).ToList();

            designs.PricerA.Reset();
            await designs.PricedA.TryAddAsync(pending, default);
            await designs.PricedA.TransitionAsync(image.ImageId, ImageState.Pending, ImageState.Committed, DateTimeOffset.UtcNow, default);
            Note("upload", designs.PricerA, isA: true);
            designs.PricerB.Reset();
            await designs.PricedB.AddAsync(pending, default);
            await designs.PricedB.CommitAsync(image, default);
            Note("upload", designs.PricerB, isA: false);

            foreach (var (action, edit) in new (string, Func<ImageRecord, ImageRecord>)[]
            {
                ("edit: caption", r => r with { Caption = caption, Version = r.Version + 1, UpdatedAt = DateTimeOffset.UtcNow }),
                ("edit: one tag swapped", r => r with { Tags = swapped, Version = r.Version + 1, UpdatedAt = DateTimeOffset.UtcNow }),
            })
            {
                designs.PricerA.Reset();
                var currentA = (await designs.PricedA.GetAsync(image.ImageId, default))!;
                _ = await designs.PricedA.TryEditAsync(currentA, edit(currentA), default) ?? throw new InvalidOperationException($"design A refused {action}");
                Note(action, designs.PricerA, isA: true);
                designs.PricerB.Reset();
                var currentB = (await designs.PricedB.GetAsync(image.ImageId, default))!;
                await designs.PricedB.EditAsync(currentB, edit(currentB), default);
                Note(action, designs.PricerB, isA: false);
            }

            designs.PricerA.Reset();
            _ = await designs.PricedA.GetAsync(image.ImageId, default);
            await designs.PricedA.TransitionAsync(image.ImageId, ImageState.Committed, ImageState.Deleting, DateTimeOffset.UtcNow, default);
            await designs.PricedA.RemoveAsync(image.ImageId, ImageState.Deleting, default);
            Note("delete", designs.PricerA, isA: true);
            designs.PricerB.Reset();
            var toDelete = (await designs.PricedB.GetAsync(image.ImageId, default))!;
            await designs.PricedB.MarkDeletingAsync(toDelete, default);
            await designs.PricedB.RemoveAsync(image.ImageId, default);
            Note("delete", designs.PricerB, isA: false);
        }

        return [.. costs.Select(c => (c.Key, Mean(c.Value.A), Mean(c.Value.B)))];
    }

    private static WriteCost Mean(List<WriteCost> costs) => new(
        costs.Average(c => c.Requests), costs[0].Operations, costs.Average(c => c.ReadUnits), costs.Average(c => c.TableWriteUnits), costs.Average(c => c.IndexWriteUnits));

    private static Sizes EntrySizes(List<ImageRecord> records, CreateTableRequest a, CreateTableRequest b)
    {
        GlobalSecondaryIndex Index(CreateTableRequest table, string name) => table.GlobalSecondaryIndexes.Single(i => i.IndexName == name);
        var edges = records.SelectMany(r => r.Tags.Select(t => (Record: r, Tag: t))).ToList();
        return new Sizes(
            records.Average(r => CapacityMeter.ItemBytes(DynamoDbItems.Record(r))),
            edges.Average(e => CapacityMeter.ItemBytes(DynamoDbItems.TagEdge(e.Record, e.Tag))),
            edges.Average(e => CapacityMeter.ItemBytes(ProjectedListIndex.Edge(e.Record, e.Tag))),
            records.Average(r => CapacityMeter.ItemBytes(CapacityMeter.Entry(DynamoDbItems.Record(r), Index(a, DynamoDbKeys.ByUser)))),
            records.Average(r => CapacityMeter.ItemBytes(CapacityMeter.Entry(ProjectedListIndex.Record(r), Index(b, DynamoDbKeys.ByUser)))),
            edges.Average(e => CapacityMeter.ItemBytes(CapacityMeter.Entry(ProjectedListIndex.Edge(e.Record, e.Tag), Index(b, DynamoDbKeys.ByTag)))),
            records.Average(r => CapacityMeter.ItemBytes(new Dictionary<string, AttributeValue> { ["variants"] = DynamoDbItems.Record(r)["variants"] })),
            edges.Average(e => CapacityMeter.ItemBytes(CapacityMeter.Entry(ProjectedListIndex.Edge(e.Record, e.Tag), Index(b, DynamoDbKeys.ByTag))) > 1024 ? 1.0 : 0.0),
            records.Average(r => r.Tags.Count));
    }

    private static async Task CreateAsync(AmazonDynamoDBClient dynamo, CreateTableRequest request)
    {
        await dynamo.CreateTableAsync(request);
        while ((await dynamo.DescribeTableAsync(request.TableName)).Table.TableStatus != TableStatus.ACTIVE)
        {
            await Task.Delay(50);
        }
    }

    private static async Task SeedAsync(AmazonDynamoDBClient dynamo, string table, IEnumerable<Dictionary<string, AttributeValue>> items) =>
        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, cancellation) =>
        {
            var pending = new Dictionary<string, List<WriteRequest>> { [table] = [.. batch.Select(item => new WriteRequest(new PutRequest(item)))] };
            while (pending.Count > 0 && pending[table].Count > 0)
            {
                pending = (await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellation)).UnprocessedItems ?? [];
            }
        });
}
