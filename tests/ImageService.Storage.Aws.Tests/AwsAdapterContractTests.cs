using ImageService.Core.Ports;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

[Collection(EmulatorGroup.Name)]
public sealed class S3BlobStoreContractTests(AwsEmulators emulators) : BlobStoreContract
{
    protected override async Task<IBlobStore> CreateStoreAsync() =>
        new S3BlobStore(emulators.S3, new AwsStorageOptions { Bucket = await emulators.CreateBucketAsync() });
}

[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbImageIndexContractTests(AwsEmulators emulators) : ImageIndexContract
{
    protected override async Task<IImageIndex> CreateIndexAsync() =>
        new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = await emulators.CreateTableAsync() });
}

[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbIdempotencyStoreContractTests(AwsEmulators emulators) : IdempotencyStoreContract
{
    protected override async Task<IIdempotencyStore> CreateStoreAsync() =>
        new DynamoDbIdempotencyStore(emulators.DynamoDb, new AwsStorageOptions { Table = await emulators.CreateTableAsync() });
}
