using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.S3;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Bench.LoadSim;

/// <summary>
/// Section 8: the AWS engine under a realistic mix of users on s3rver and dynalite, at increasing concurrency, with
/// every request the service sends counted at the wire and held to <see cref="RequestCostModel"/>. Answers whether the
/// run's requests are what the model says, and false when they differ in a way the model does not explain.
/// </summary>
public static class LoadSimulation
{
    /// <summary>The bounds of a run: the steps' concurrency, each step's most actions and time, and the catalogue seeded.</summary>
    internal sealed record Plan(int[] Steps, int MaxActions, TimeSpan TimeLimit, int Seeded, int WithRenditions);

    internal static Plan PlanFor(BenchOptions options) =>
        options.Smoke ? new([1, 4], 30, TimeSpan.FromSeconds(15), 300, 60)
        : options.Quick ? new([1, 4, 16], 300, TimeSpan.FromSeconds(30), 2_000, 300)
        : new([1, 4, 16, 64], 4_000, TimeSpan.FromSeconds(60), 5_000, 800);

    /// <summary>The edge of the small photographs the users upload (a generated landscape, as a phone's "small" size).</summary>
    internal const int PhotoWidth = 640;

    internal const int PhotoHeight = 480;

    public static async Task<bool> RunAsync(BenchOptions options, Report report)
    {
        var plan = PlanFor(options);
        var tags = new ZipfTags();
        var emulators = new AwsEmulators();
        await emulators.InitializeAsync();
        try
        {
            var (bucket, table) = (await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());
            var seeding = Stopwatch.StartNew();
            var catalogue = await CatalogueSeed.SeedAsync(emulators, table, bucket, plan.Seeded, plan.WithRenditions, tags, default);
            Console.WriteLine($"loadsim: seeded {plan.Seeded:N0} images ({plan.WithRenditions} with renditions) in {seeding.Elapsed.TotalSeconds:F0} s");

            var log = new ActionLog();
            var counter = new RequestCounter { Observer = log.Observe };
            await using var service = new InProcessService(Path.GetFullPath(Path.Combine(options.Repository, ServiceProcess.ServiceProject)), Settings(emulators, bucket, table), log, services =>
            {
                services.AddSingleton<IAmazonS3>(emulators.CountedS3(counter));
                services.AddSingleton<IAmazonDynamoDB>(emulators.CountedDynamoDb(counter));
            });
            using var client = service.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(60);
            var photos = Enumerable.Range(0, 8).Select(i => TestImages.Landscape(i, PhotoWidth, PhotoHeight)).ToList();

            // Warm-up, not measured: the first upload, list and view of the process pay for JIT and connections.
            var warm = new SimulatedUser(999, 999, client, catalogue, tags, photos, log);
            for (var i = 0; i < 20; i++)
            {
                await warm.ActAsync(default);
            }

            log.Drain();
            counter.Reset();

            var steps = new List<StepResult>();
            foreach (var clients in plan.Steps)
            {
                steps.Add(await RunStepAsync(clients, plan, client, catalogue, tags, photos, log, counter));
            }

            report.Add(LoadReport.Section(plan, steps, tags, photos.Average(p => p.Length)));
            return steps.All(s => s.Holds);
        }
        finally
        {
            await emulators.DisposeAsync();
        }
    }

    /// <summary>
    /// The deployment template's settings where they matter here (AWS engine, no sweeper, 4 MiB uploads), except the
    /// ones that bound a whole process: one process stands for many Lambda instances, each taking one request at a time,
    /// so it processes two images at once (this machine's cores) where an instance processes one, and the per-address
    /// limits, which the simulated users would share at one address, are lifted.
    /// </summary>
    private static Dictionary<string, string?> Settings(AwsEmulators emulators, string bucket, string table)
    {
        var settings = emulators.ServiceSettings(bucket, table);
        settings["Sweeper:Enabled"] = "false";
        settings["Limits:MaxUploadBytes"] = "4194304";
        settings["Processing:MaxConcurrentImages"] = $"{Math.Min(2, Environment.ProcessorCount)}";
        settings["Uploads:MaxInFlight"] = "1000";
        settings["Uploads:MaxInFlightPerClient"] = "1000";
        settings["RateLimits:UploadsPerMinutePerAddress"] = "100000";
        settings["RateLimits:EditsPerMinutePerAddress"] = "100000";
        settings["Logging:LogLevel:Default"] = "Warning";
        return settings;
    }

    /// <summary>
    /// <paramref name="clients"/> users act one action after another until the step has started its most actions or its
    /// time is up; the actions in flight then finish (each bounded by the client's 60 s timeout), so every request the
    /// step sent belongs to an action it finished.
    /// </summary>
    private static async Task<StepResult> RunStepAsync(
        int clients, Plan plan, HttpClient client, Catalogue catalogue, ZipfTags tags, IReadOnlyList<byte[]> photos, ActionLog log, RequestCounter counter)
    {
        var started = 0;
        var clock = Stopwatch.StartNew();
        var users = Enumerable.Range(0, clients).Select(i => new SimulatedUser(i, (clients * 1_000) + i, client, catalogue, tags, photos, log)).ToList();
        await Task.WhenAll(users.Select(user => Task.Run(async () =>
        {
            while (clock.Elapsed < plan.TimeLimit && Interlocked.Increment(ref started) <= plan.MaxActions)
            {
                await user.ActAsync(default);
            }
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        var (actions, unattributed) = log.Drain();
        var sent = counter.Operations;
        counter.Reset();
        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        var result = new StepResult(clients, actions, sent, unattributed, seconds, load);
        Console.WriteLine($"loadsim: {clients} clients: {actions.Count} actions in {seconds:F1} s, {StepResult.Total(result.Sent)} requests, model {StepResult.Total(result.Model)}, explained {StepResult.Total(result.Explained)}, unexplained {RequestCostModel.Show(result.Unexplained)}");
        foreach (var (action, excess) in result.Excesses.Where(e => !e.Excess.Explained).Take(20))
        {
            Console.WriteLine($"loadsim:   unexplained: {excess.Cause}: {string.Join(" -> ", action.Sent.Select(s => s.Operation))}");
        }

        return result;
    }
}
