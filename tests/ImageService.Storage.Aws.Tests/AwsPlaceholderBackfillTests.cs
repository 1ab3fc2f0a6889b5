using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Sweeping;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>The placeholder backfill on s3rver and dynalite, counting the DynamoDB requests it really sends.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class AwsPlaceholderBackfillTests(AwsEmulators emulators) : PlaceholderBackfillContract, IDisposable
{
    private readonly RequestCounter counter = new();
    private AmazonDynamoDBClient? dynamo;
    private string table = "";
    private string bucket = "";

    protected override async Task<Stores> CreateStoresAsync()
    {
        table = await emulators.CreateTableAsync();
        bucket = await emulators.CreateBucketAsync();
        dynamo = emulators.CountedDynamoDb(counter);
        return Reopen();
    }

    protected override Stores Reopen()
    {
        var index = new DynamoDbImageIndex(dynamo!, new AwsStorageOptions { Table = table });
        return new Stores(index, index, new S3BlobStore(emulators.S3, new AwsStorageOptions { Bucket = bucket }));
    }

    protected override Task ChangeCaptionDirectlyAsync(Guid imageId, string caption) => emulators.DynamoDb.UpdateItemAsync(new UpdateItemRequest
    {
        TableName = table,
        Key = RecordKey(imageId),
        UpdateExpression = "SET caption = :caption",
        ExpressionAttributeValues = new() { [":caption"] = new AttributeValue { S = caption } },
    });

    protected override async Task<Guid> AddBrokenRecordDirectlyAsync()
    {
        var imageId = Guid.NewGuid();
        var item = new Dictionary<string, AttributeValue>(RecordKey(imageId))
        {
            ["image_id"] = new() { S = imageId.ToString("D") },
            ["state"] = new() { S = "committed" },
        };
        await emulators.DynamoDb.PutItemAsync(new PutItemRequest { TableName = table, Item = item });
        // And an item in an image's key space whose key names no image: not a record at all, never listed.
        await emulators.DynamoDb.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new() { ["pk"] = new() { S = "image#not-an-id" }, ["sk"] = new() { S = "image" }, ["state"] = new() { S = "committed" } },
        });
        return imageId;
    }

    [Fact]
    public async Task The_tables_other_items_are_never_taken_for_images_and_each_batch_sends_a_bounded_number_of_scans()
    {
        // Items that lack a placeholder too, some even with an image's attributes: only a record (sk 'image') is one.
        var imageLike = new Dictionary<string, AttributeValue>
        {
            ["state"] = new() { S = "committed" },
            ["width"] = new() { N = "10" },
            ["height"] = new() { N = "10" },
            ["variants"] = new() { S = "[]" },
        };
        Dictionary<string, AttributeValue>[] others =
        [
            new(imageLike) { ["pk"] = new() { S = "idem#some-key" }, ["sk"] = new() { S = "idem" } },
            new(imageLike) { ["pk"] = new() { S = $"upload#{Guid.NewGuid():D}" }, ["sk"] = new() { S = "upload" } },
            new(imageLike) { ["pk"] = new() { S = $"image#{Guid.NewGuid():D}" }, ["sk"] = new() { S = "tag#orphan" } },
        ];
        foreach (var item in others)
        {
            await emulators.DynamoDb.PutItemAsync(new PutItemRequest { TableName = table, Item = item });
        }

        for (var i = 0; i < 3; i++)
        {
            await AddOldImageAsync([200, 30, 30], 1080, 720, $"tag{i}");
        }

        var backfill = Backfill(batchSize: 2);
        var reports = new List<PlaceholderBackfillReport>();
        var scansPerBatch = new List<int>();
        do
        {
            counter.Reset();
            reports.Add(await backfill.RunBatchAsync(default));
            scansPerBatch.Add(counter.CountOf("Scan"));
        }
        while (!reports[^1].Done && reports.Count < 20);

        Assert.True(reports[^1].Done, "the backfill never finished");
        Assert.Equal((3, 3, 0), (reports.Sum(r => r.Checked), reports.Sum(r => r.Filled), reports.Sum(r => r.Failed)));
        Assert.All(scansPerBatch, scans => Assert.InRange(scans, 1, 10));
        foreach (var item in others)
        {
            var stored = await emulators.DynamoDb.GetItemAsync(table, new() { ["pk"] = item["pk"], ["sk"] = item["sk"] });
            Assert.False(stored.Item.ContainsKey("placeholder"));
        }
    }

    [Fact]
    public async Task Once_done_a_process_reads_the_position_once_and_never_scans_again()
    {
        await AddOldImageAsync([30, 30, 200], 1080, 720);
        await Backfill().RunToEndAsync(default);
        counter.Reset();

        var backfill = Backfill(store: Reopen().Backfill);
        for (var sweep = 0; sweep < 3; sweep++)
        {
            Assert.Equal(new PlaceholderBackfillReport(0, 0, 0, 0, Done: true), await backfill.RunBatchAsync(default));
        }

        Assert.Equal(["GetItem"], counter.Operations);
    }

    public void Dispose() => dynamo?.Dispose();

    private static Dictionary<string, AttributeValue> RecordKey(Guid imageId) => new()
    {
        ["pk"] = new AttributeValue { S = $"image#{imageId:D}" },
        ["sk"] = new AttributeValue { S = "image" },
    };
}
