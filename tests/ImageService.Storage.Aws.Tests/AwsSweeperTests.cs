using ImageService.Core.Ports;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>The sweeper on s3rver and dynalite, counting the HTTP requests it really sends.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class AwsSweeperTests(AwsEmulators emulators) : SweeperContract, IDisposable
{
    private readonly RequestCounter counter = new();
    private Amazon.S3.AmazonS3Client? s3;
    private Amazon.DynamoDBv2.AmazonDynamoDBClient? dynamo;

    protected override IReadOnlyList<string> Requests => counter.Operations;

    protected override IReadOnlySet<string> WholeStoreReads { get; } = new HashSet<string> { "Scan", "ListObjects" };

    protected override void ResetRequests() => counter.Reset();

    protected override async Task<(IImageIndex Index, IBlobStore Blobs)> CreateStoresAsync()
    {
        s3 = emulators.CountedS3(counter);
        dynamo = emulators.CountedDynamoDb(counter);
        return (new DynamoDbImageIndex(dynamo, new AwsStorageOptions { Table = await emulators.CreateTableAsync() }),
            new S3BlobStore(s3, new AwsStorageOptions { Bucket = await emulators.CreateBucketAsync() }));
    }

    public void Dispose()
    {
        s3?.Dispose();
        dynamo?.Dispose();
    }
}
