using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Sweeping;
using ImageService.Storage.Aws;
using ImageService.Testing.Aws;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageService.Bench;

/// <summary>
/// What a sweep costs on the AWS backend with a large catalogue: committed records seeded straight into dynalite
/// (BatchWriteItem), a few thousand of their blobs in s3rver, and ten stale unsettled images. Counts the HTTP
/// requests the routine sweep and one page of the full reconciliation really send (<see cref="RequestCounter"/>).
/// </summary>
public static class SweepCostBenchmark
{
    private const int Unsettled = 10;
    private const int FullPageSize = 1_000;

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var committed = options.Smoke ? 1_000 : options.Quick ? 10_000 : 100_000;
        var withBlobs = Math.Min(committed, 2 * FullPageSize);
        var emulators = new AwsEmulators();
        await emulators.InitializeAsync();
        try
        {
            var table = await emulators.CreateTableAsync();
            var bucket = await emulators.CreateBucketAsync();
            var seeding = Stopwatch.StartNew();
            var records = Enumerable.Range(0, committed).Select(i => Record(i, ImageState.Committed)).ToList();
            await SeedAsync(emulators, table, records);
            var seedIndex = new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = table });
            var seedBlobs = new S3BlobStore(emulators.S3, new AwsStorageOptions { Bucket = bucket });
            await Parallel.ForEachAsync(records.Take(withBlobs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (record, cancellation) =>
                await seedBlobs.PutAsync(record.Variants[0].Key, new MemoryStream([1]), "image/jpeg", cancellation));
            for (var i = 0; i < Unsettled; i++)
            {
                var record = Record(committed + i, i % 2 == 0 ? ImageState.Pending : ImageState.Deleting);
                await seedIndex.TryAddAsync(record, default);
                await seedBlobs.PutAsync(record.Variants[0].Key, new MemoryStream([1]), "image/jpeg", default);
            }

            Console.WriteLine($"sweep cost: seeded {committed:N0} committed and {Unsettled} unsettled images in {seeding.Elapsed.TotalSeconds:F0} s");

            var counter = new RequestCounter();
            using var s3 = emulators.CountedS3(counter);
            using var dynamo = emulators.CountedDynamoDb(counter);
            var sweeper = new ImageSweeper(
                new DynamoDbImageIndex(dynamo, new AwsStorageOptions { Table = table }),
                new S3BlobStore(s3, new AwsStorageOptions { Bucket = bucket }),
                new SweeperOptions { PendingAgeSeconds = 0, DeletingAgeSeconds = 0, FullPageSize = FullPageSize },
                TimeProvider.System, NullLogger<ImageSweeper>.Instance);

            var clock = Stopwatch.StartNew();
            var routine = await sweeper.SweepAsync(default);
            var (routineMs, routineRequests, routineScans) = (clock.Elapsed.TotalMilliseconds, counter.Count, counter.CountOf("Scan") + counter.CountOf("ListObjects"));
            counter.Reset();
            clock.Restart();
            var full = await sweeper.ReconcileAsync(null, default);
            var (fullMs, fullRequests) = (clock.Elapsed.TotalMilliseconds, counter.Count);

            report.Add(string.Create(CultureInfo.InvariantCulture, $"""
                ## 6. Sweep cost

                The AWS backend on s3rver and dynalite with {committed:N0} committed images (records seeded by BatchWriteItem;
                the first {withBlobs:N0} also have a blob in the bucket) and {Unsettled} stale unsettled ones (half pending,
                half deleting, one blob each). Requests are the HTTP requests the SDK clients really sent, counted by
                `RequestCounter`; emulator milliseconds are not AWS milliseconds, the request counts carry over.

                | Operation | Requests | Of them scans or listings | Time ms | Result |
                |---|---:|---:|---:|---|
                | Routine sweep (every {new SweeperOptions().IntervalSeconds} s in each process) | {routineRequests} | {routineScans} | {routineMs:F0} | {routine.AbandonedUploads} abandoned uploads, {routine.FinishedDeletes} deletes finished |
                | One `sweep --full` run, `Sweeper:FullPageSize` = {FullPageSize:N0} | {fullRequests} | – | {fullMs:F0} | {full.BlobsChecked:N0} blobs checked, {full.OrphanBlobs} orphan blobs, next marker {(full.Next is null ? "none (complete)" : "printed")} |

                The routine sweep queries each of the five `by_unsettled` partitions (four shards and the unsharded one of earlier versions) and reads the ten records in one BatchGetItem, then deletes their blobs by the keys the
                records list and removes the records: its requests depend on the ten, not on the {committed:N0}
                (the sweeper tests assert the same count at 1,000 and 2,000 images on both backends). Before this change a
                routine sweep listed the whole bucket, read every record it found a blob for and scanned the table.
                """));
        }
        finally
        {
            await emulators.DisposeAsync();
        }
    }

    private static ImageRecord Record(int i, ImageState state)
    {
        var id = Guid.NewGuid();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000 + i * 1_000L);
        return new ImageRecord(id, $"user{i % 100}", "", [], at, 100, 100, "image/jpeg", 1, new string('a', 64),
            [new StoredVariant(VariantNames.Original, BlobKeys.ForVariant(id, VariantNames.Original, "jpg"), "image/jpeg", 100, 100, 1)])
        {
            State = state,
            StateChangedAt = at,
        };
    }

    private static async Task SeedAsync(AwsEmulators emulators, string table, List<ImageRecord> records) =>
        await Parallel.ForEachAsync(records.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, cancellation) =>
        {
            var pending = new Dictionary<string, List<WriteRequest>>
            {
                [table] = [.. batch.Select(record => new WriteRequest { PutRequest = new PutRequest { Item = DynamoDbItems.Record(record) } })],
            };
            while (pending.Count > 0 && pending[table].Count > 0)
            {
                var response = await emulators.DynamoDb.BatchWriteItemAsync(pending, cancellation);
                pending = response.UnprocessedItems ?? [];
            }
        });
}
