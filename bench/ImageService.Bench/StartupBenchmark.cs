using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImageService.Bench;

/// <summary>Process start to the first successful GET /health/ready, and resident memory then, for the normal publish.</summary>
public static class StartupBenchmark
{
    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var publish = Path.Combine(options.Work, "publish");
        var build = Process.Start(new ProcessStartInfo("dotnet", ["publish", Path.Combine(options.Repository, "src", "ImageService"), "-c", "Release", "-o", publish])
        {
            RedirectStandardOutput = true,
        })!;
        await build.StandardOutput.ReadToEndAsync();
        await build.WaitForExitAsync();

        var runs = new List<(double Milliseconds, double RssMiB)>();
        for (var i = 0; i < (options.Quick ? 3 : 7); i++)
        {
            runs.Add(await StartOnceAsync(publish, Path.Combine(options.Work, "startup-data")));
        }

        var median = Stats.Median(runs.Select(r => r.Milliseconds));
        report.Add(string.Create(CultureInfo.InvariantCulture, $"""
            ## 5. Start-up

            From process start to the first `200` of `GET /health/ready` (stores opened, libvips loaded), embedded
            backend, `dotnet publish -c Release` (framework-dependent, ReadyToRun off). Median of {runs.Count} starts.

            | Publish | Start to ready (median) | Min | Max | RSS when ready (median) |
            |---|---:|---:|---:|---:|
            | normal | {median:F0} ms | {runs.Min(r => r.Milliseconds):F0} ms | {runs.Max(r => r.Milliseconds):F0} ms | {Stats.Median(runs.Select(r => r.RssMiB)):F0} MiB |

            | Target | Measured | Met |
            |---|---:|---|
            | normal publish under 500 ms | {median:F0} ms | {(median < 500 ? "yes" : "**no**")} |
            | Native AOT under 150 ms | not measured yet | — |
            """));
    }

    private static async Task<(double, double)> StartOnceAsync(string publish, string data)
    {
        var port = FreePort();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(publish, "ImageService"),
            [$"--urls=http://127.0.0.1:{port}", $"--Storage:Local:Root={data}", "--Logging:LogLevel:Default=Warning"])
        {
            WorkingDirectory = publish,
            RedirectStandardOutput = true,
        })!;
        using var client = new HttpClient();
        try
        {
            while (true)
            {
                try
                {
                    using var response = await client.GetAsync($"http://127.0.0.1:{port}/health/ready");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(5);
                }
            }

            var elapsed = clock.Elapsed.TotalMilliseconds;
            var rss = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kib = double.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return (elapsed, kib / 1024);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
