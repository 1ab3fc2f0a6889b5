using System.Diagnostics;
using System.Net;

namespace ImageService.Bench;

/// <summary>Starting the published app the way a host that configures it through environment variables does (the
/// Lambda Web Adapter: no command line, the function's environment only).</summary>
public sealed partial class ServiceProcess
{
    /// <summary>Starts <paramref name="executable"/> in <paramref name="folder"/> with only <paramref name="environment"/>
    /// added to this process's, and waits until <paramref name="readinessPath"/> answers 200.</summary>
    public static async Task<ServiceProcess> StartWithEnvironmentAsync(
        string folder, string executable, IReadOnlyDictionary<string, string> environment, Uri address, string readinessPath, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Path.Combine(folder, executable))
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        // Drained so a chatty log cannot fill the pipe and stall the service; kept for the message if it dies.
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        using var client = new HttpClient();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the service exited with code {process.ExitCode} before it was ready:\n{await errors}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(address, readinessPath), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new ServiceProcess(process, address, clock.Elapsed);
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(5, cancellationToken);
        }
    }
}
