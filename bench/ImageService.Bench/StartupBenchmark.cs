using System.Globalization;
using System.Text;

namespace ImageService.Bench;

/// <summary>
/// Process start to the first successful GET /health/ready, and resident memory then: the service published each way
/// (<see cref="PublishKind"/>), and an empty ASP.NET Core app published the same ways (the framework's own floor on
/// this machine). Then the same in Lambda mode on the AWS engine (<see cref="LambdaStartup"/>), with the first upload
/// after start against warm ones.
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

        // Lambda mode: the default package and Native AOT (only the default under --quick and --smoke).
        var lambdaKinds = options.Quick || options.Smoke ? [PublishKind.ReadyToRun] : new[] { PublishKind.ReadyToRun, PublishKind.NativeAot };
        var lambda = new Dictionary<PublishKind, LambdaStartup.Result>();
        var photo = await File.ReadAllBytesAsync(BenchImages.Small(options));
        var emulators = new ImageService.Testing.Aws.AwsEmulators();
        await emulators.InitializeAsync();
        try
        {
            foreach (var kind in lambdaKinds)
            {
                lambda[kind] = await LambdaStartup.MeasureAsync(await ServiceProcess.PublishAsync(options, kind),
                    await ServiceProcess.PublishAsync(options, kind, FloorProject), kind, emulators, photo, starts);
            }
        }
        finally
        {
            await emulators.DisposeAsync();
        }

        var lambdaRows = new StringBuilder("| Package, Lambda mode | Start to ready (median) | Min | Max | RSS when ready (median) | First `POST /images` after start (median) | Warm `POST /images` (median) |\n|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (kind, result) in lambda)
        {
            lambdaRows.AppendLine(CultureInfo.InvariantCulture,
                $"| service, {kind.Describe()} | {result.Service.Median:F0} ms | {result.Service.Min:F0} ms | {result.Service.Max:F0} ms | {result.Service.Rss:F0} MiB | {result.FirstUploadMs:F0} ms | {result.WarmUploadMs:F0} ms |");
            lambdaRows.AppendLine(CultureInfo.InvariantCulture,
                $"| (peer) empty ASP.NET Core app, {kind.Describe()} | {result.Floor.Median:F0} ms | {result.Floor.Min:F0} ms | {result.Floor.Max:F0} ms | {result.Floor.Rss:F0} MiB | — | — |");
        }

        string LambdaTarget(PublishKind kind, Func<LambdaStartup.Result, double> ratio) => lambda.TryGetValue(kind, out var result)
            ? $"{ratio(result):F2} × | {(ratio(result) <= 1.5 ? "yes" : "**no**")}"
            : "not run (--quick) | —";
        static double StartRatio(LambdaStartup.Result r) => r.Service.Median / r.Floor.Median;
        static double UploadRatio(LambdaStartup.Result r) => r.FirstUploadMs / r.WarmUploadMs;

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
            its row before it has done anything of ours. What the service adds is its own start-up: fourteen settings
            classes bound and checked, authentication, rate limiting, OpenAPI, problem details, the web app's files,
            and the SQLite index and idempotency store opened and migrated. The default publish is self-contained and
            trimmed, and compiles the app and the framework into one composite ReadyToRun image, so calls and generic
            instantiations that cross assemblies are precompiled too; framework-dependent, each assembly is
            precompiled alone and the rest is JIT-compiled at start. Native AOT is the fastest start where cold starts
            matter most (Lambda: docs/deployment.md).

            **On Lambda (AWS engine).** The published app started as the Lambda Web Adapter starts it: the handler
            and function environment of `deploy/template.yaml` for the package's choice (`Package`; `AuthMode=None`),
            S3 and DynamoDB being s3rver and dynalite on this machine, credentials and region from environment
            variables as in Lambda, and timed to the first `200` of the template's readiness path (`/health/live`),
            which is what the adapter waits for before it passes on the first request. Each round starts the service,
            uploads, stops it, then starts the empty app with the same environment. The first `POST /images` comes
            right after ready; then {LambdaStartup.WarmUploads} more on the same process are the warm ones; the same
            {photo.Length / 1024:N0} KB photograph each time. Median of {starts} starts.

            {lambdaRows}
            | Target (AWS engine, Lambda mode) | Measured | Met |
            |---|---:|---|
            | default package vs the empty app published the same way, at most 1.5 × | {LambdaTarget(PublishKind.ReadyToRun, StartRatio)} |
            | Native AOT vs the empty app with Native AOT, at most 1.5 × | {LambdaTarget(PublishKind.NativeAot, StartRatio)} |
            | first `POST /images` after start vs a warm one, default package, at most 1.5 × | {LambdaTarget(PublishKind.ReadyToRun, UploadRatio)} |
            | first `POST /images` after start vs a warm one, Native AOT, at most 1.5 × | {LambdaTarget(PublishKind.NativeAot, UploadRatio)} |

            Where the time goes in Lambda mode (timestamps at each step of `Program.cs` and of the host's start, on a
            quiet machine, Native AOT, the service against the empty app): process start to `Main` 10.4 against
            4.4 ms (an image of 30 MB to map and rehydrate instead of 15 MB, and libvips loaded and initialised by
            NetVips' module initializer, which Native AOT runs before `Main`: about 2 ms); the builder and the
            container 8.7 against 7.5; the pipeline's `Use`/`Map` calls 4.0 against 0.5 (the static-asset manifest,
            the API reference, health checks); the host's start 11.8 against 4.9 (the middleware built by reflection,
            exception handler, authentication, authorization and rate limiter, each resolving options and logger
            types that the type loader builds at run time, and the hosted services); the first answer 3.8 against
            2.0 (a route table of about 100 endpoints, most of them the web app's files and their compressed
            variants). The default package adds the JIT: about 480 methods before the first answer despite the
            composite image, and in the first upload about 390 more, 233 of them the boxes of async methods
            suspending for the first time (`AsyncStateMachineBox<TResult, TStateMachine>` of about 50 methods of the
            AWS SDK, `HttpClient` and ours). The image's map (crossgen's `--mapcsv`) has such boxes when the result is
            `void` or a value type, not when it is a reference type (204 of the 233), which shared code reaches only
            through a run-time lookup. Crossgen compiles what a profile (`.mibc`) lists: one written by hand with
            `System.Reflection.Metadata` for the 47 box types of a start and an upload took the boxes compiled at run
            time from 285 to 1, and the first upload was no faster (224 against 222–241 ms, three alternating rounds),
            so it was not kept: timed with `System.Runtime.JitInfo` around each request, the first upload spends
            28–36 ms compiling about 390 methods of the roughly 95 ms it takes beyond a warm one; the rest is type
            loading and the first call of each precompiled method. Under Native AOT the first upload is within 10 % of a warm one, which places that
            penalty in the runtime's start-up work, not in the network.

            What was removed: the settings no longer go through `IOptions<T>` and `ValidateOnStart` (about eight
            generic types a settings class, built at run time: Native AOT from 50 to 40 ms, the default package
            about 5 ms), the sweeper's and the health-check publisher's hosted services are not registered where
            they do nothing, the storage clients are not built at start, and the profile-guided tier of the JIT is
            off (`TieredPGO` in `build/Publish.props`, for the empty app too). Tried and dropped: a background
            warm-up of the stores' first requests and libvips (begun with the server it delayed readiness; begun
            after the first answer of `/health/live` it ran beside the first upload and did not shorten it); the
            slim web host (`CreateSlimBuilder`, about 1 ms, but it ignores the console log format setting and drops
            HTTPS in Kestrel) and the web page rendered on its first request (no gain that could be measured, and a
            broken page would no longer stop the start); Native AOT without dehydrated data (`IlcDehydrate=false`:
            1.3 ms faster for 17 MB more); the JIT's tiering knobs (`TieredCompilation` off, a longer call-counting
            delay) and a non-concurrent GC, none of which moved the first upload or the start.
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

        return Run.Of(runs);
    }

    /// <summary>Start to ready over several starts, and resident memory when ready.</summary>
    internal sealed record Run(double Median, double Min, double Max, double Rss)
    {
        public static Run Of(IReadOnlyList<(double Milliseconds, double RssMiB)> runs) =>
            new(Stats.Median(runs.Select(r => r.Milliseconds)), runs.Min(r => r.Milliseconds), runs.Max(r => r.Milliseconds),
                Stats.Median(runs.Select(r => r.RssMiB)));
    }
}
