using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ImageService.Testing;

namespace ImageService.Api.Tests.Processes;

/// <summary>The built service as a real operating-system process on a loopback port, which a test can kill -9.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process process;

    private ServiceProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

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

    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, params string[] command)
    {
        var port = Loopback.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var process = Process.Start(Start(settings, [.. command, $"--urls={address}"]))!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, address);
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
