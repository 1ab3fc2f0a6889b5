using System.Globalization;
using System.Text;

namespace ImageService.Bench;

/// <summary>
/// Process start to the first successful GET /health/ready, and resident memory then: the service published each way
/// (<see cref="PublishKind"/>), and an empty ASP.NET Core app published the same ways (the framework's own floor on
/// this machine).
/// </summary>
public static class StartupBenchmark
{
    private const string FloorProject = "bench/peers/minimal-api";

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var starts = options.Smoke ? 2 : options.Quick ? 3 : 9;
        var data = Path.Combine(options.Work, "startup-data");
        // --quick and --smoke measure the default publish and its floor; a full run adds the other two publishes.
        var kinds = options.Quick || options.Smoke ? [PublishKind.ReadyToRun] : Enum.GetValues<PublishKind>();
        var service = new Dictionary<PublishKind, Run>();
        var floor = new Dictionary<PublishKind, Run>();
        foreach (var kind in kinds)
        {
            service[kind] = await MeasureAsync(await ServiceProcess.PublishAsync(options, kind), "ImageService", data, starts);
            floor[kind] = await MeasureAsync(await ServiceProcess.PublishAsync(options, kind, FloorProject), "MinimalApi", data, starts);
        }

        var rows = new StringBuilder("| Publish | Start to ready (median) | Min | Max | RSS when ready (median) |\n|---|---:|---:|---:|---:|\n");
        foreach (var (prefix, runs) in (IEnumerable<(string, Dictionary<PublishKind, Run>)>)[("service", service), ("(peer) empty ASP.NET Core app, one endpoint", floor)])
        {
            foreach (var (kind, run) in runs)
            {
                rows.AppendLine(CultureInfo.InvariantCulture,
                    $"| {prefix}, {kind.Describe()}{(prefix == "service" && kind == PublishKind.ReadyToRun ? ": the Lambda package" : "")} | {run.Median:F0} ms | {run.Min:F0} ms | {run.Max:F0} ms | {run.Rss:F0} MiB |");
            }
        }

        var normal = service[PublishKind.ReadyToRun];
        string Figure(PublishKind kind, Func<Run, string> format) => service.TryGetValue(kind, out var run) ? format(run) : "not run (--quick)";
        string Ratio(PublishKind kind) => service.TryGetValue(kind, out var run) ? $"{run.Median / floor[kind].Median:F2} ×" : "not run (--quick)";
        report.Add(string.Create(CultureInfo.InvariantCulture, $"""
            ## 5. Start-up

            From process start to the first `200` of `GET /health/ready` (configuration validated, SQLite index and
            idempotency store opened and migrated, blob folder checked), embedded backend, a fresh data folder each
            time. Median of {starts} starts.

            {rows}
            | Target | Measured | Met |
            |---|---:|---|
            | normal publish (the default, composite ReadyToRun) under 500 ms | {normal.Median:F0} ms | {(normal.Median < 500 ? "yes" : "**no**")} |
            | Native AOT under 150 ms | {Figure(PublishKind.NativeAot, run => $"{run.Median:F0} ms")} | {Figure(PublishKind.NativeAot, run => run.Median < 150 ? "yes" : "**no**")} |
            | (context) framework-dependent publish | {Figure(PublishKind.FrameworkDependent, run => $"{run.Median:F0} ms")} | — |
            | (context) composite ReadyToRun vs the empty app published the same way | {Ratio(PublishKind.ReadyToRun)} | — |
            | (context) framework-dependent vs the empty app published the same way | {Ratio(PublishKind.FrameworkDependent)} | — |
            | (context) Native AOT vs the empty app with Native AOT | {Ratio(PublishKind.NativeAot)} | — |

            Every figure is bounded below by the framework: the empty app, published the same way, needs the time in
            its row before it has done anything of ours. What the service adds is its own start-up: about a dozen
            validated options types, authentication, rate limiting, OpenAPI, problem details, the sweeper, and the
            SQLite index and idempotency store opened and migrated. The default publish is self-contained and trimmed,
            and compiles the app and the framework into one composite ReadyToRun image, so calls and generic
            instantiations that cross assemblies are precompiled too; framework-dependent, each assembly is precompiled
            alone and the rest is JIT-compiled at start. Under Native AOT most of what remains is the
            dependency-injection container building generic types (options, loggers) at run time. Native AOT is the
            fastest start where cold starts matter most (Lambda: docs/deployment.md).
            """));
    }

    private static async Task<Run> MeasureAsync(string folder, string executable, string data, int starts)
    {
        var runs = new List<(double Milliseconds, double RssMiB)>();
        for (var i = 0; i < starts; i++)
        {
            await using var service = await ServiceProcess.StartAsync(folder, data, executable);
            runs.Add((service.StartToReady.TotalMilliseconds, service.MemoryMiB()));
        }

        return new Run(Stats.Median(runs.Select(r => r.Milliseconds)), runs.Min(r => r.Milliseconds), runs.Max(r => r.Milliseconds),
            Stats.Median(runs.Select(r => r.RssMiB)));
    }

    private sealed record Run(double Median, double Min, double Max, double Rss);
}
