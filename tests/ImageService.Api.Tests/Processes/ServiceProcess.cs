using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ImageService.Testing;

namespace ImageService.Api.Tests.Processes;

/// <summary>The built service as a real operating-system process on a loopback port, which a test can kill -9.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private ServiceProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
    }

    /// <summary>What the service has written to stdout and stderr (warnings and errors: it logs at Warning).</summary>
    public string Output => string.Join('\n', output);

    public Uri Address { get; }

    /// <summary>The operating-system process id, which names its private staging folder.</summary>
    public int Id => process.Id;

    /// <summary>The app as the solution built it, next to this test assembly's configuration (Debug or Release).</summary>
    public static string AppPath
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                ? "Release" : "Debug";
            return Path.Combine(RepositoryPaths.Root, "src", "ImageService", "bin", configuration, "net10.0", "ImageService.dll");
        }
    }

    public static Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, params string[] command) =>
        StartAsync(settings, command, smallDisk: null);

    /// <summary>
    /// Starts the service with a small disk of its own mounted at <paramref name="mountPoint"/> (an existing empty
    /// folder): a tmpfs of <paramref name="bytes"/> in a private mount namespace (<c>unshare</c>, which needs no root),
    /// so a test can fill it. Only the service sees the mount; <see cref="OnItsDisk"/> reaches it from outside.
    /// </summary>
    public static Task<ServiceProcess> StartOnSmallDiskAsync(IReadOnlyDictionary<string, string?> settings, string mountPoint, long bytes) =>
        StartAsync(settings, [], (mountPoint, bytes));

    /// <summary>The path as this process sees it, through its mount namespace (<c>/proc/{pid}/root</c>).</summary>
    public string OnItsDisk(string path) => $"/proc/{Id}/root{Path.GetFullPath(path)}";

    private static async Task<ServiceProcess> StartAsync(
        IReadOnlyDictionary<string, string?> settings, string[] command, (string MountPoint, long Bytes)? smallDisk)
    {
        var port = Loopback.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = Start(settings, [.. command, $"--urls={address}"]);
        if (smallDisk is var (mountPoint, bytes))
        {
            // unshare execs sh, which mounts and execs dotnet: one process, whose id is the service's.
            string[] inner = [start.FileName, .. start.ArgumentList];
            start.FileName = "unshare";
            start.ArgumentList.Clear();
            foreach (var argument in (string[])["--user", "--map-root-user", "--mount", "sh", "-c",
                "mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" && shift 2 && exec \"$@\"", "sh", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), mountPoint, .. inner])
            {
                start.ArgumentList.Add(argument);
            }
        }

        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, address);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = address };
        try
        {
            await Loopback.WaitUntilReadyAsync(client, "/health/ready", process, TimeSpan.FromSeconds(30));
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>ImageService sweep</c> against the same stores and returns what it printed.</summary>
    public static async Task<string> SweepAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var start = Start(settings, ["sweep", "--Sweeper:PendingAgeSeconds=0", "--Sweeper:DeletingAgeSeconds=0"]);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"sweep failed: {output}\n{errors}");
        return output;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, as a crash or an out-of-memory kill would do it.</summary>
    public void Crash()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    private static ProcessStartInfo Start(IReadOnlyDictionary<string, string?> settings, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(AppPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(AppPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return start;
    }

}
