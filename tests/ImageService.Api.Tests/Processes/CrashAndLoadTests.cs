using System.Net;
using System.Text.Json;
using ImageService.Core.Ports;
using ImageService.Testing;
using ImageService.Storage.Aws;
using ImageService.Storage.Local;
using ImageService.Testing.Aws;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ImageService.Api.Tests.Processes;

/// <summary>
/// The real service process under a random mix of uploads, lists, views and deletes: once killed with
/// SIGKILL in the middle and restarted, once under a bounded load. Either way the invariants hold.
/// </summary>
public abstract class CrashAndLoadTests(ITestOutputHelper output) : IDisposable
{
    protected abstract Task<Dictionary<string, string?>> SettingsAsync();

    protected abstract (IBlobStore Blobs, IImageIndex Index) Stores(IReadOnlyDictionary<string, string?> settings);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>What a killed process may leave staged: its private upload folder, and the blob store's part files.</summary>
    private static List<string> StagedFiles(IReadOnlyDictionary<string, string?> settings, int processId)
    {
        var left = Directory.EnumerateDirectories(Path.GetTempPath(), $"image-service-uploads-{processId}@*").ToList();
        if (settings.TryGetValue("Storage:Local:Root", out var root) && Directory.Exists(Path.Combine(root!, "staging")))
        {
            left.AddRange(Directory.EnumerateFiles(Path.Combine(root!, "staging")));
        }

        return left;
    }

    [Fact]
    public async Task After_a_kill_9_mid_traffic_a_restart_and_a_sweep_leave_nothing_lost_or_half_done()
    {
        var settings = await SettingsAsync();
        Workload workload;
        int firstId;
        using (var first = await ServiceProcess.StartAsync(settings))
        {
            firstId = first.Id;
            workload = new Workload(first.Address, seed: Environment.TickCount);
            using var stop = new CancellationTokenSource();
            var traffic = workload.RunAsync(clients: 6, crashExpected: true, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(4));
            first.Crash();
            await Task.Delay(500);
            stop.Cancel();
            await traffic;
        }

        var report = await ServiceProcess.SweepAsync(settings);
        using var second = await ServiceProcess.StartAsync(settings);
        var (blobs, index) = Stores(settings);
        var checks = await StoreInvariants.AssertAsync(second.Address, workload, blobs, index);
        var leftStaged = StagedFiles(settings, firstId);

        output.WriteLine($"{workload.Requests} requests before the kill; {workload.Uploaded.Count} uploads and {workload.Deleted.Count} deletes acknowledged; sweep: {report.Trim()}; {checks} invariant checks");
        Assert.True(workload.Uploaded.Count > 5, "the crash came before any traffic");
        Assert.Empty(workload.ServerErrors);
        Assert.Empty(leftStaged);
    }

    /// <summary>A direct upload's file is stored and its complete is under way when the process is killed: after the
    /// restart the upload still completes, into one image, and the sweep leaves nothing else behind.</summary>
    [Fact]
    public async Task A_kill_9_during_a_direct_uploads_complete_leaves_an_upload_that_completes_after_the_restart()
    {
        var settings = await SettingsAsync();
        var photo = TestImages.NoisyJpeg(6000, 4000);
        JsonElement started;
        int firstId;
        using (var first = await ServiceProcess.StartAsync(settings))
        {
            firstId = first.Id;
            using var client = new HttpClient { BaseAddress = first.Address };
            started = await client.StartOkAsync(photo);
            using (var posted = await client.PostFileAsync(started, photo))
            {
                Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
            }

            var completing = client.CompleteAsync(started);
            await Task.Delay(TimeSpan.FromMilliseconds(1500));
            first.Crash();
            try
            {
                (await completing).Dispose();
            }
            catch (HttpRequestException)
            {
                // The answer died with the process.
            }
        }

        string imageId;
        using (var second = await ServiceProcess.StartAsync(settings))
        {
            using var client = new HttpClient { BaseAddress = second.Address };
            // The restarted process listens elsewhere: the same upload, at its address.
            using var completed = await client.PostAsync($"/uploads/{started.Str("upload_id")}/complete", null);
            Assert.True(completed.StatusCode == HttpStatusCode.Created, await completed.Content.ReadAsStringAsync());
            imageId = (await completed.JsonAsync()).Str("image_id");
            Assert.Equal([imageId], await client.ListIdsAsync("/images"));
        }

        var report = await ServiceProcess.SweepAsync(settings);
        var (blobs, _) = Stores(settings);
        var keys = await blobs.AllKeysAsync();
        output.WriteLine($"sweep after the restart: {report.Trim()}");
        Assert.All(keys, key => Assert.StartsWith($"images/{imageId}/", key, StringComparison.Ordinal));
        Assert.Equal(3, keys.Count);
        Assert.Empty(StagedFiles(settings, firstId));
    }

    [Fact]
    public async Task Eight_clients_for_thirty_seconds_get_no_server_errors_and_the_invariants_hold()
    {
        var settings = await SettingsAsync();
        using var service = await ServiceProcess.StartAsync(settings);
        var workload = new Workload(service.Address, seed: Environment.TickCount);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await workload.RunAsync(clients: 8, crashExpected: false, stop.Token);

        var (blobs, index) = Stores(settings);
        await ServiceProcess.SweepAsync(settings);
        var checks = await StoreInvariants.AssertAsync(service.Address, workload, blobs, index);
        output.WriteLine($"{workload.Requests} requests in 30 s ({workload.Requests / 30.0:F0}/s); {workload.Uploaded.Count} uploads, {workload.Deleted.Count} deletes; {checks} invariant checks");
        Assert.True(workload.ServerErrors.IsEmpty, string.Join("\n", workload.ServerErrors.Take(10)));
        Assert.True(workload.Uploaded.Count > 20, $"only {workload.Uploaded.Count} uploads in 30 s");
    }
}

public sealed class LocalCrashAndLoadTests(ITestOutputHelper output) : CrashAndLoadTests(output)
{
    private readonly string root = Directory.CreateTempSubdirectory("crash-local-").FullName;

    protected override Task<Dictionary<string, string?>> SettingsAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["Storage:Local:Root"] = Path.Combine(root, "data"),
        ["RateLimits:UploadsPerMinutePerAddress"] = "100000",
        ["Uploads:MaxInFlightPerClient"] = "100",
    });

    protected override (IBlobStore Blobs, IImageIndex Index) Stores(IReadOnlyDictionary<string, string?> settings) =>
        (new FileSystemBlobStore(settings["Storage:Local:Root"]!), new SqliteImageIndex(Path.Combine(settings["Storage:Local:Root"]!, "index.db")));

    public override void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
        base.Dispose();
    }
}

[Collection(EmulatorGroup.Name)]
public sealed class AwsCrashAndLoadTests(AwsEmulators emulators, ITestOutputHelper output) : CrashAndLoadTests(output)
{
    protected override async Task<Dictionary<string, string?>> SettingsAsync()
    {
        var settings = emulators.ServiceSettings(await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());
        settings["RateLimits:UploadsPerMinutePerAddress"] = "100000";
        settings["Uploads:MaxInFlightPerClient"] = "100";
        return settings;
    }

    protected override (IBlobStore Blobs, IImageIndex Index) Stores(IReadOnlyDictionary<string, string?> settings)
    {
        var options = new AwsStorageOptions { Bucket = settings["Storage:Aws:Bucket"]!, Table = settings["Storage:Aws:Table"]! };
        return (new S3BlobStore(emulators.S3, options), new DynamoDbImageIndex(emulators.DynamoDb, options));
    }
}
