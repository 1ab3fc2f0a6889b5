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
    private string table = "";

    protected override async Task<IIdempotencyStore> CreateStoreAsync() =>
        new DynamoDbIdempotencyStore(emulators.DynamoDb, new AwsStorageOptions { Table = table = await emulators.CreateTableAsync() });

    [Fact]
    public async Task A_claim_renewed_past_its_key_lifetime_is_not_left_to_the_tables_ttl()
    {
        // DynamoDB's TTL deletes an item once expires_at_epoch has passed, whatever it holds: a request still
        // renewing its claim past the key's lifetime would lose it, and a retry could then make a second image.
        var now = DateTimeOffset.UtcNow;
        var key = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        Assert.Equal(IdempotencyOutcome.Claimed,
            (await Store.TryClaimAsync(key, "body", "a", now, now.AddSeconds(10), now.AddSeconds(60), default)).Outcome);

        Assert.True(await Store.RenewAsync(key, "a", now.AddSeconds(70), default));
        var renewed = await ExpiresAtAsync(key);
        Assert.True(await Store.RecordImageAsync(key, "a", Guid.NewGuid(), now.AddSeconds(90), default));
        var recorded = await ExpiresAtAsync(key);
        Assert.True(await Store.RenewAsync(key, "a", now.AddSeconds(20), default));

        Assert.True(renewed >= now.AddSeconds(70).ToUnixTimeSeconds(), $"expires_at_epoch {renewed} is before the lease");
        Assert.True(recorded >= now.AddSeconds(90).ToUnixTimeSeconds(), $"expires_at_epoch {recorded} is before the lease");
        Assert.Equal(recorded, await ExpiresAtAsync(key)); // never moved back
    }

    private async Task<long> ExpiresAtAsync(string key)
    {
        var item = await emulators.DynamoDb.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = table,
            Key = new() { ["pk"] = new() { S = $"idem#{key}" }, ["sk"] = new() { S = "idem" } },
            ConsistentRead = true,
        });
        return long.Parse(item.Item["expires_at_epoch"].N, System.Globalization.CultureInfo.InvariantCulture);
    }
}

[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbDirectUploadStoreContractTests(AwsEmulators emulators) : DirectUploadStoreContract
{
    protected override async Task<IDirectUploadStore> CreateStoreAsync() =>
        new DynamoDbDirectUploadStore(emulators.DynamoDb, new AwsStorageOptions { Table = await emulators.CreateTableAsync() });
}
