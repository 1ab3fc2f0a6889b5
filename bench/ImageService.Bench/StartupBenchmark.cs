using System.Globalization;
using System.Text;

namespace ImageService.Bench;

/// <summary>
/// Process start to the first successful GET /health/ready, and resident memory then: the service as the Lambda
/// package ships it, the service compiled with Native AOT, and an empty ASP.NET Core app published the same way
/// (the framework's own floor on this machine).
/// </summary>
public static class StartupBenchmark
{
    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var starts = options.Smoke ? 2 : options.Quick ? 3 : 9;
        var data = Path.Combine(options.Work, "startup-data");
        var normal = await MeasureAsync(await ServiceProcess.PublishAsync(options), "ImageService", data, starts);
        var floor = await MeasureAsync(await PublishFloorAsync(options, nativeAot: false), "MinimalApi", data, starts);
        (double Median, double Min, double Max, double Rss)? aot = null, aotFloor = null;
        if (!options.Quick)
        {
            aot = await MeasureAsync(await ServiceProcess.PublishAsync(options, nativeAot: true), "ImageService", data, starts);
            aotFloor = await MeasureAsync(await PublishFloorAsync(options, nativeAot: true), "MinimalApi", data, starts);
        }

        var rows = new StringBuilder("| Publish | Start to ready (median) | Min | Max | RSS when ready (median) |\n|---|---:|---:|---:|---:|\n");
        void Row(string name, (double Median, double Min, double Max, double Rss) run) =>
            rows.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {run.Median:F0} ms | {run.Min:F0} ms | {run.Max:F0} ms | {run.Rss:F0} MiB |");
        Row("service, framework-dependent + ReadyToRun (`-r linux-x64 --self-contained false`, the Lambda package)", normal);
        if (aot is { } native)
        {
            Row("service, Native AOT (`-r linux-x64 -p:PublishAot=true`)", native);
        }

        Row("(peer) empty ASP.NET Core app, one endpoint, framework-dependent + ReadyToRun", floor);
        if (aotFloor is { } nativeFloor)
        {
            Row("(peer) empty ASP.NET Core app, one endpoint, Native AOT", nativeFloor);
        }
        var aotFigure = aot is { } a ? $"{a.Median:F0} ms" : "not run (--quick)";
        var aotMet = aot is { } b ? (b.Median < 150 ? "yes" : "**no**") : "—";
        report.Add(string.Create(CultureInfo.InvariantCulture, $"""
            ## 5. Start-up

            From process start to the first `200` of `GET /health/ready` (configuration validated, SQLite index and
            idempotency store opened and migrated, blob folder checked), embedded backend, a fresh data folder each
            time. Median of {starts} starts.

            {rows}
            | Target | Measured | Met |
            |---|---:|---|
            | normal publish under 500 ms | {normal.Median:F0} ms | {(normal.Median < 500 ? "yes" : "**no**")} |
            | Native AOT under 150 ms | {aotFigure} | {aotMet} |
            | (context) normal publish vs the empty app | {normal.Median / floor.Median:F2} × | — |
            | (context) Native AOT vs the empty app with Native AOT | {(aot is { } c && aotFloor is { } f ? $"{c.Median / f.Median:F2} ×" : "not run (--quick)")} | — |

            Both figures are bounded below by the framework: the empty app, published the same way, needs
            {floor.Median:F0} ms framework-dependent{(aotFloor is { } g ? $" and {g.Median:F0} ms with Native AOT" : "")} on this machine
            before it has done anything of ours. What the service adds is its own start-up: about a dozen validated
            options types, authentication, rate limiting, OpenAPI, problem details, the sweeper, and the SQLite index
            and idempotency store opened and migrated. Framework-dependent, that code is also loaded and partly
            JIT-compiled; under Native AOT most of what remains is the dependency-injection container building generic
            types (options, loggers) at run time. Native AOT is the publish to use where cold starts matter (Lambda:
            docs/deployment.md).
            """));
    }

    private static async Task<(double Median, double Min, double Max, double Rss)> MeasureAsync(string folder, string executable, string data, int starts)
    {
        var runs = new List<(double Milliseconds, double RssMiB)>();
        for (var i = 0; i < starts; i++)
        {
            await using var service = await ServiceProcess.StartAsync(folder, data, executable);
            runs.Add((service.StartToReady.TotalMilliseconds, service.MemoryMiB()));
        }

        return (Stats.Median(runs.Select(r => r.Milliseconds)), runs.Min(r => r.Milliseconds), runs.Max(r => r.Milliseconds), Stats.Median(runs.Select(r => r.RssMiB)));
    }

    private static async Task<string> PublishFloorAsync(BenchOptions options, bool nativeAot)
    {
        var folder = Path.Combine(options.Work, nativeAot ? "publish-minimal-api-aot" : "publish-minimal-api");
        await ServiceProcess.RunAsync("dotnet", ["publish", Path.Combine(options.Repository, "bench", "peers", "minimal-api"), "-c", "Release",
            "-r", "linux-x64", "--self-contained", nativeAot ? "true" : "false", $"-p:PublishAot={nativeAot}", "-o", folder]);
        return folder;
    }
}
