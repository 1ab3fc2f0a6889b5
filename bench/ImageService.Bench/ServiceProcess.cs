using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace ImageService.Bench;

/// <summary>
/// The published service running as its own process, as it runs in production, so the benchmarks can read its
/// CPU time and memory from /proc without counting the load generator's.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly double TicksPerSecond = ClockTicks();
    private static readonly HashSet<(string Project, PublishKind Kind)> Published = [];
    private readonly Process process;

    private ServiceProcess(Process process, Uri address, TimeSpan startToReady)
    {
        this.process = process;
        Address = address;
        StartToReady = startToReady;
    }

    public Uri Address { get; }

    /// <summary>From process start to the first 200 of its readiness path (GET /health/ready unless told otherwise).</summary>
    public TimeSpan StartToReady { get; }

    /// <summary>The service's project, relative to the repository: what <see cref="PublishAsync"/> publishes unless told otherwise.</summary>
    public const string ServiceProject = "src/ImageService";

    /// <summary>
    /// Publishes a web app of this repository (by default the service) for linux-x64 from the current source, once per
    /// bench run, project and kind (a folder left by an earlier run is published over, never trusted), and returns the folder.
    /// </summary>
    public static async Task<string> PublishAsync(BenchOptions options, PublishKind kind = PublishKind.ReadyToRun, string project = ServiceProject)
    {
        var folder = Path.Combine(options.Work, $"publish-{Path.GetFileName(project)}-{kind.FolderSuffix()}");
        if (Published.Add((project, kind)))
        {
            Console.WriteLine($"publishing {project}: {kind.Describe()}");
            await RunAsync("dotnet", ["publish", Path.Combine(options.Repository, project), "-c", "Release", "-r", "linux-x64",
                .. kind.Arguments(), "-o", folder]);
        }

        return folder;
    }

    /// <summary>Starts <paramref name="executable"/> in <paramref name="folder"/> on a free port with a fresh data folder and waits until it is ready.</summary>
    public static Task<ServiceProcess> StartAsync(string folder, string data, string executable = "ImageService", params string[] settings)
    {
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        var port = ImageService.Testing.Loopback.FreePort();
        return LaunchAsync(new ProcessStartInfo(Path.Combine(folder, executable),
            [$"--urls=http://127.0.0.1:{port}", $"--Storage:Local:Root={data}", "--Logging:LogLevel:Default=Warning", .. settings])
        {
            WorkingDirectory = folder,
        }, port, "health/ready");
    }

    /// <summary>
    /// Starts <paramref name="executable"/> in <paramref name="folder"/> with only <paramref name="environment"/> as its
    /// configuration, as the Lambda Web Adapter does, and waits for the first 200 of <paramref name="readinessPath"/>; on
    /// a free port rather than the adapter's 8080, which another process on this machine may hold.
    /// </summary>
    public static Task<ServiceProcess> StartAsync(string folder, string executable, IReadOnlyDictionary<string, string> environment, string readinessPath)
    {
        var port = ImageService.Testing.Loopback.FreePort();
        var start = new ProcessStartInfo(Path.Combine(folder, executable)) { WorkingDirectory = folder };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["AWS_LWA_PORT"] = $"{port}";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        return LaunchAsync(start, port, readinessPath.TrimStart('/'));
    }

    private static async Task<ServiceProcess> LaunchAsync(ProcessStartInfo start, int port, string readinessPath)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var clock = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        // Drained so a chatty log cannot fill the pipe and stall the service; the errors kept for the message if it dies.
        _ = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var client = new HttpClient();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{start.FileName} exited with code {process.ExitCode} before it was ready:\n{await errors}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(address, readinessPath));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new ServiceProcess(process, address, clock.Elapsed);
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(5);
        }
    }

    /// <summary>User + system CPU seconds the service has used so far (all its threads).</summary>
    public double CpuSeconds()
    {
        // /proc/PID/stat: the command name is in parentheses and may hold spaces; utime and stime are fields 14 and 15.
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>Resident memory now (VmRSS) or at its highest so far (VmHWM), in MiB.</summary>
    public double MemoryMiB(string field = "VmRSS")
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public static async Task<string> RunAsync(string command, string[] arguments)
    {
        using var run = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed:\n{await output}\n{await errors}");
        }

        return await output;
    }

    private static double ClockTicks()
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", ["CLK_TCK"]) { RedirectStandardOutput = true })!;
        var value = getconf.StandardOutput.ReadToEnd().Trim();
        getconf.WaitForExit();
        return double.TryParse(value, CultureInfo.InvariantCulture, out var ticks) ? ticks : 100;
    }
}
