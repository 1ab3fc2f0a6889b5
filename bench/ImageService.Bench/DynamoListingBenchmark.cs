using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Bench;

/// <summary>
/// The same list queries as the SQLite section on the DynamoDB backend, against dynalite (the npm emulator the
/// tests use), with the table the deployment template defines, seeded directly with BatchWriteItem.
/// Emulator latencies are not AWS latencies; the figures show how a query's cost moves with the table's size.
/// </summary>
public static class DynamoListingBenchmark
{
    private const int PageSize = ListingWorkload.PageSize;
    private const int Samples = 100;

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        int[] sizes = options.Smoke ? [500, 1_000] : options.Quick ? [2_000, 10_000] : [10_000, 100_000];
        var emulators = new AwsEmulators();
        await emulators.InitializeAsync();
        var results = new Dictionary<(int Size, string Query), (double P50, double P99)>();
        var seeding = new Dictionary<int, double>();
        try
        {
            foreach (var size in sizes)
            {
                var table = await emulators.CreateTableAsync();
                var clock = Stopwatch.StartNew();
                var records = await SeedAsync(emulators, table, size);
                seeding[size] = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"dynalite: seeded {size:N0} images in {seeding[size]:F0} s");
                var index = new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = table });
                foreach (var (name, user, tag) in ListingWorkload.Queries)
                {
                    results[(size, $"{name}, first page")] = await MeasureAsync(index, new IndexQuery(user, tag, PageSize + 1));
                    var deep = DeepPosition(records, user, tag);
                    results[(size, $"{name}, deep page")] = await MeasureAsync(index, new IndexQuery(user, tag, PageSize + 1, deep));
                }
            }
        }
        finally
        {
            await emulators.DisposeAsync();
        }

        var rows = new StringBuilder("| Images | Query | p50 ms | p99 ms |\n|---:|---|---:|---:|\n");
        foreach (var ((size, query), (p50, p99)) in results)
        {
            rows.AppendLine(CultureInfo.InvariantCulture, $"| {size:N0} | {query} | {p50:F2} | {p99:F2} |");
        }

        var ratios = new StringBuilder("| Query | p99 at " + sizes[^1].ToString("N0", CultureInfo.InvariantCulture) + " / p99 at " + sizes[0].ToString("N0", CultureInfo.InvariantCulture) + " |\n|---|---:|\n");
        foreach (var query in results.Keys.Where(k => k.Size == sizes[^1]).Select(k => k.Query))
        {
            ratios.AppendLine(CultureInfo.InvariantCulture, $"| {query} | {results[(sizes[^1], query)].P99 / results[(sizes[0], query)].P99:F2} × |");
        }

        report.Add(string.Create(CultureInfo.InvariantCulture, $"""
            ### DynamoDB backend on dynalite

            `DynamoDbImageIndex.ListAsync` (a Query on a sparse index, then one consistent BatchGetItem for the page) against
            dynalite 4 on loopback, table from `deploy/template.yaml`; same users, tags and page positions as above, {Samples}
            samples per query. Seeding by BatchWriteItem took {string.Join(", ", seeding.Select(s => $"{s.Value:F0} s for {s.Key:N0}"))}.
            dynalite is a Node.js emulator over LevelDB, so its milliseconds say nothing about AWS's; what carries over is
            that the cost of a page does not grow with the table, because every list is a key-range read of one partition.

            {rows}
            {ratios}
            """));
    }

    private static async Task<List<ImageRecord>> SeedAsync(AwsEmulators emulators, string table, int size)
    {
        var records = ListingWorkload.Records(size).ToList();
        var items = records.SelectMany(record => record.Tags.Select(tag => DynamoDbItems.TagEdge(record, tag)).Prepend(DynamoDbItems.Record(record))).ToList();
        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, cancellation) =>
        {
            var pending = new Dictionary<string, List<WriteRequest>>
            {
                [table] = [.. batch.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } })],
            };
            while (pending.Count > 0 && pending[table].Count > 0)
            {
                var response = await emulators.DynamoDb.BatchWriteItemAsync(pending, cancellation);
                pending = response.UnprocessedItems ?? [];
            }
        });
        return records;
    }

    private static ListPosition? DeepPosition(List<ImageRecord> records, string? user, string? tag)
    {
        var matching = records.Where(r => (user is null || r.UserId == user) && (tag is null || r.Tags.Contains(tag)))
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.ImageId).ToList();
        var offset = ListingWorkload.DeepOffset(matching.Count);
        // A filter with no second page (tiny smoke indexes) is measured on its first page.
        return offset == 0 ? null : new ListPosition(matching[offset].CreatedAt, matching[offset].ImageId);
    }

    private static async Task<(double P50, double P99)> MeasureAsync(DynamoDbImageIndex index, IndexQuery query)
    {
        for (var i = 0; i < 30; i++)
        {
            await index.ListAsync(query, default);
        }

        var samples = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            var clock = Stopwatch.StartNew();
            var page = await index.ListAsync(query, default);
            samples.Add(clock.Elapsed.TotalMilliseconds);
            if (page.Count == 0)
            {
                throw new InvalidOperationException($"dynalite returned an empty page for {query}");
            }
        }

        return (Stats.Percentile(samples, 50), Stats.Percentile(samples, 99));
    }
}
