using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace ImageService.Testing;

/// <summary>Servers the tests start on this machine's loopback interface.</summary>
public static class Loopback
{
    /// <summary>A port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200, failing at once if <paramref name="process"/> exits.</summary>
    public static async Task WaitUntilReadyAsync(HttpClient client, string path, Process process, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            Assert.False(process.HasExited, $"the service exited with code {(process.HasExited ? process.ExitCode : 0)} before it was ready");
            try
            {
                using var response = await client.GetAsync(path);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{path} did not answer 200 within {timeout.TotalSeconds:F0} s.");
    }
}
