using System.Diagnostics;
using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
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

    [Theory]
    [InlineData("eu-west-1")]
    [InlineData("us-east-1")]
    [UnsupportedOSPlatform("windows")] // a bash script and its PATH, like the script under test
    public async Task The_bucket_is_created_with_the_location_constraint_its_region_needs(string region)
    {
        // s3rver ignores the constraint (and reports every bucket in us-east-1), so what can be checked here is that
        // the script asked for it: real S3 and LocalStack refuse a bucket outside us-east-1 without it, and refuse it
        // for us-east-1 itself. A stand-in `aws` on the PATH records the script's calls and runs the real CLI.
        using var bin = new TemporaryFolder();
        var calls = Path.Combine(bin.Path, "calls.log");
        var aws = Path.Combine(bin.Path, "aws");
        File.WriteAllText(aws, $"#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> '{calls}'\nexec '{Executable("aws")}' \"$@\"\n");
        File.SetUnixFileMode(aws, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var bucket = $"region-{Guid.NewGuid():N}";

        var run = await RunAsync(bucket, $"region_{Guid.NewGuid():N}", new()
        {
            ["AWS_REGION"] = region,
            ["PATH"] = $"{bin.Path}:{Environment.GetEnvironmentVariable("PATH")}",
        });

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"created bucket {bucket} in {region}", run.Output, StringComparison.Ordinal);
        Assert.True(await BucketExistsAsync(bucket));
        var create = Assert.Single(File.ReadAllLines(calls), c => c.Contains("s3api create-bucket", StringComparison.Ordinal));
        if (region == "us-east-1")
        {
            Assert.DoesNotContain("--create-bucket-configuration", create, StringComparison.Ordinal);
        }
        else
        {
            Assert.EndsWith($"--create-bucket-configuration LocationConstraint={region}", create, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_missing_python3_is_named_before_anything_is_created()
    {
        // The same PATH, minus python3: every other program is linked into a folder of its own.
        using var bin = new TemporaryFolder();
        foreach (var folder in Environment.GetEnvironmentVariable("PATH")!.Split(':').Where(Directory.Exists))
        {
            foreach (var program in Directory.EnumerateFiles(folder))
            {
                var link = Path.Combine(bin.Path, Path.GetFileName(program));
                if (!Path.GetFileName(program).StartsWith("python", StringComparison.Ordinal) && !Path.Exists(link))
                {
                    File.CreateSymbolicLink(link, program);
                }
            }
        }

        var bucket = $"nopython-{Guid.NewGuid():N}";
        var run = await RunAsync(bucket, $"nopython_{Guid.NewGuid():N}", new() { ["PATH"] = bin.Path });

        Assert.Equal(127, run.ExitCode);
        Assert.Contains("deploy-local.sh needs python3", run.Output, StringComparison.Ordinal);
        Assert.False(await BucketExistsAsync(bucket));
    }

    [Fact]
    public async Task An_endpoint_that_never_answers_is_reported_once_the_wait_is_over()
    {
        var silent = $"http://127.0.0.1:{Loopback.FreePort()}";
        var clock = Stopwatch.StartNew();

        var run = await RunAsync($"silent-{Guid.NewGuid():N}", $"silent_{Guid.NewGuid():N}", new()
        {
            ["AWS_ENDPOINT_URL_S3"] = silent,
            ["ENDPOINT_WAIT_SECONDS"] = "2",
        });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"{silent} did not get ready for s3 within 2 s", run.Output, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_localstack_still_starting_is_waited_for_and_one_without_a_service_says_so()
    {
        // A stand-in for LocalStack's health endpoint: S3 is starting for the first two looks, DynamoDB is not enabled.
        var port = Loopback.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var looks = 0;
        var serving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var context = await listener.GetContextAsync();
                    var s3 = Interlocked.Increment(ref looks) <= 2 ? "initializing" : "available";
                    var body = JsonSerializer.SerializeToUtf8Bytes(new { services = new { s3, dynamodb = "disabled" } });
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(body);
                    context.Response.Close();
                }
            }
            catch (Exception) when (!listener.IsListening)
            {
                // stopped once the script is done
            }
        });

        var run = await RunAsync($"starting-{Guid.NewGuid():N}", $"starting_{Guid.NewGuid():N}", new()
        {
            ["AWS_ENDPOINT_URL_S3"] = $"http://127.0.0.1:{port}",
            ["AWS_ENDPOINT_URL_DYNAMODB"] = $"http://127.0.0.1:{port}",
        });
        listener.Stop();
        await serving;

        Assert.NotEqual(0, run.ExitCode);
        Assert.True(looks >= 4, $"{looks} looks at the health endpoint: three for S3 (two while starting), one for DynamoDB");
        Assert.Contains($"LocalStack at http://127.0.0.1:{port} has dynamodb disabled", run.Output, StringComparison.Ordinal);
    }

    private async Task<bool> BucketExistsAsync(string bucket) =>
        (await emulators.S3.ListBucketsAsync()).Buckets?.Any(b => b.BucketName == bucket) == true;

    private static string Executable(string name) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not on the PATH.");

    private async Task<(int ExitCode, string Output)> RunAsync(string bucket, string table, Dictionary<string, string>? environment = null)
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
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("deploy-local-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
