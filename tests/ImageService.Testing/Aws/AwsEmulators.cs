using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using ImageService.Storage.Aws;
using Xunit;

namespace ImageService.Testing.Aws;

/// <summary>
/// s3rver and dynalite, the npm emulators pinned in tests/emulators, started on free loopback ports for one
/// test assembly and stopped after it. Installs them with `npm ci` first if a fresh clone has not yet.
/// </summary>
public sealed class AwsEmulators : IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("s3rver-").FullName;
    private readonly List<Process> processes = [];

    public const string AccessKey = "S3RVER";

    public string S3Endpoint { get; private set; } = "";

    public string DynamoDbEndpoint { get; private set; } = "";

    public AmazonS3Client S3 { get; private set; } = null!;

    public AmazonDynamoDBClient DynamoDb { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // s3rver knows one key pair, S3RVER/S3RVER; dynalite accepts any.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", AccessKey);
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        await EnsureInstalledAsync();

        // A free port may be taken by another test process before the emulator binds it; an emulator that then fails to
        // bind would leave its requests to whatever holds the port. So each must say it listens on its own port (the line
        // it prints once bound), or both start again on other ports.
        for (var attempt = 1; ; attempt++)
        {
            var s3Port = Loopback.FreePort();
            var dynamoPort = Loopback.FreePort();
            var s3 = Start("node_modules/s3rver/bin/s3rver.js", "--directory", dataFolder, "--address", "127.0.0.1", "--port", $"{s3Port}", "--silent");
            var dynamo = Start("node_modules/dynalite/cli.js", "--host", "127.0.0.1", "--port", $"{dynamoPort}",
                "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0");
            if (s3Port != dynamoPort && await ListeningAsync(s3, s3Port) && await ListeningAsync(dynamo, dynamoPort))
            {
                S3Endpoint = $"http://127.0.0.1:{s3Port}";
                DynamoDbEndpoint = $"http://127.0.0.1:{dynamoPort}";
                break;
            }

            foreach (var process in (Process[])[s3, dynamo])
            {
                Stop(process);
                processes.Remove(process);
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException("The emulators could not bind a port of their own in 5 attempts.");
            }
        }

        S3 = new AmazonS3Client(AwsClients.S3Config(S3Endpoint, "us-east-1", forcePathStyle: null));
        DynamoDb = new AmazonDynamoDBClient(AwsClients.DynamoDbConfig(DynamoDbEndpoint, "us-east-1"));
    }

    /// <summary>A DynamoDB client on these emulators whose every HTTP request <paramref name="counter"/> counts.</summary>
    public AmazonDynamoDBClient CountedDynamoDb(RequestCounter counter)
    {
        var config = AwsClients.DynamoDbConfig(DynamoDbEndpoint, "us-east-1");
        config.HttpClientFactory = counter;
        return new AmazonDynamoDBClient(config);
    }

    /// <summary>An S3 client on these emulators whose every HTTP request <paramref name="counter"/> counts.</summary>
    public AmazonS3Client CountedS3(RequestCounter counter)
    {
        var config = AwsClients.S3Config(S3Endpoint, "us-east-1", forcePathStyle: null);
        config.HttpClientFactory = counter;
        return new AmazonS3Client(config);
    }

    /// <summary>The settings that point the service at these emulators.</summary>
    public Dictionary<string, string?> ServiceSettings(string bucket, string table) => new()
    {
        ["Storage:Provider"] = "Aws",
        ["Storage:Aws:Bucket"] = bucket,
        ["Storage:Aws:Table"] = table,
        ["AWS_ENDPOINT_URL_S3"] = S3Endpoint,
        ["AWS_ENDPOINT_URL_DYNAMODB"] = DynamoDbEndpoint,
    };

    /// <summary>Lets a page of <paramref name="origin"/> post forms to the bucket and read the answers, as the
    /// deployment's bucket CORS rule does for the web app's origins.</summary>
    public Task AllowPageOriginAsync(string bucket, string origin) =>
        S3.PutCORSConfigurationAsync(new Amazon.S3.Model.PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new Amazon.S3.Model.CORSConfiguration
            {
                Rules = [new Amazon.S3.Model.CORSRule { AllowedOrigins = [origin], AllowedMethods = ["POST"], AllowedHeaders = ["*"], ExposeHeaders = ["ETag"] }],
            },
        });

    public async Task<string> CreateBucketAsync()
    {
        var name = $"test-{Guid.NewGuid():N}";
        await S3.PutBucketAsync(name);
        return name;
    }

    /// <summary>Creates a table from the deployment template and waits until it is ACTIVE.</summary>
    public async Task<string> CreateTableAsync()
    {
        var name = $"test_{Guid.NewGuid():N}";
        await DynamoDb.CreateTableAsync(DeploymentTemplate.TableRequest(name));
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var table = await DynamoDb.DescribeTableAsync(name);
            if (table.Table.TableStatus == TableStatus.ACTIVE)
            {
                return name;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Table {name} did not become ACTIVE.");
    }

    public Task DisposeAsync()
    {
        S3?.Dispose();
        DynamoDb?.Dispose();
        foreach (var process in processes)
        {
            Stop(process);
        }

        Directory.Delete(dataFolder, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task EnsureInstalledAsync()
    {
        var folder = RepositoryPaths.Emulators;
        // Test assemblies run in parallel; one installs, the others wait on the lock and find it done.
        await using var gate = await AcquireLockAsync(Path.Combine(folder, ".install.lock"));
        if (File.Exists(Path.Combine(folder, "node_modules", "s3rver", "package.json"))
            && File.Exists(Path.Combine(folder, "node_modules", "dynalite", "package.json")))
        {
            return;
        }

        using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = folder, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("Could not start npm: Node.js and npm are needed for the AWS backend tests.");
        await npm.StandardOutput.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"`npm ci` in {folder} failed with exit code {npm.ExitCode}.");
        }
    }

    internal static async Task<FileStream> AcquireLockAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(200);
            }
        }
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
    }

    /// <summary>Whether <paramref name="process"/> printed that it listens on <paramref name="port"/>; false if it
    /// exited first (a port someone else took) or said nothing for 60 seconds. Its output is drained from then on.</summary>
    private static async Task<bool> ListeningAsync(Process process, int port)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(patience.Token) is { } line)
            {
                if (line.Contains("listening", StringComparison.OrdinalIgnoreCase) && line.TrimEnd().EndsWith($":{port}", StringComparison.Ordinal))
                {
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }

    private Process Start(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = RepositoryPaths.Emulators, RedirectStandardOutput = true };
        // s3rver encrypts list continuation tokens with DES, which Node 17+ only offers through the legacy
        // provider; without it, listing more than 1,000 objects fails with an internal error.
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start node {script}.");
        processes.Add(process);
        return process;
    }
}
