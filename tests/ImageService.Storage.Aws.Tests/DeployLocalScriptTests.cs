using System.Diagnostics;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Listing;
using ImageService.Testing;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>scripts/deploy-local.sh, run for real with the AWS CLI against the emulators.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class DeployLocalScriptTests(AwsEmulators emulators)
{
    [Fact]
    public async Task The_script_creates_a_working_bucket_and_table_and_a_second_run_changes_nothing()
    {
        var bucket = $"deploy-{Guid.NewGuid():N}";
        var table = $"deploy_{Guid.NewGuid():N}";

        var first = await RunAsync(bucket, table);
        var second = await RunAsync(bucket, table);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains($"created bucket {bucket}", first.Output, StringComparison.Ordinal);
        Assert.Contains($"created table {table}", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains($"bucket {bucket} already exists", second.Output, StringComparison.Ordinal);
        Assert.Contains($"table {table} already exists", second.Output, StringComparison.Ordinal);

        // The table has the deployed indexes, and the adapters work on what the script made.
        var described = await emulators.DynamoDb.DescribeTableAsync(table);
        var expected = DeploymentTemplate.TableRequest(table).GlobalSecondaryIndexes.Select(i => i.IndexName).Order();
        Assert.Equal(expected, described.Table.GlobalSecondaryIndexes.Select(i => i.IndexName).Order());
        var options = new AwsStorageOptions { Bucket = bucket, Table = table };
        var index = new DynamoDbImageIndex(emulators.DynamoDb, options);
        var record = ImageIndexContract.Record("deployer", 1, "ready");
        Assert.True(await index.TryAddAsync(record, default));
        Assert.Equal(record.ImageId, (await index.ListAsync(new IndexQuery("deployer", "ready", 5), default)).Single().ImageId);
        var blobs = new S3BlobStore(emulators.S3, options);
        await blobs.PutAsync("images/x/original.jpg", new MemoryStream([1, 2, 3]), "image/jpeg", default);
        Assert.NotNull(await blobs.OpenReadAsync("images/x/original.jpg", default));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string bucket, string table)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root, "scripts", "deploy-local.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Storage__Aws__Bucket"] = bucket;
        start.Environment["Storage__Aws__Table"] = table;
        start.Environment["AWS_ENDPOINT_URL_S3"] = emulators.S3Endpoint;
        start.Environment["AWS_ENDPOINT_URL_DYNAMODB"] = emulators.DynamoDbEndpoint;
        start.Environment["AWS_ACCESS_KEY_ID"] = AwsEmulators.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = AwsEmulators.AccessKey;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }
}
