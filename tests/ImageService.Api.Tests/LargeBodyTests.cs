using System.Net.Sockets;
using System.Text;

namespace ImageService.Api.Tests;

/// <summary>An oversize upload is refused before its body is read, not after it has been buffered.</summary>
public sealed class LargeBodyTests
{
    [Fact]
    public async Task A_declared_length_over_the_limit_is_answered_413_before_any_of_the_body_is_sent()
    {
        // Over a real socket: the in-memory test server always pumps the whole request body.
        using var service = new ServiceFactory(new() { ["Limits:MaxUploadBytes"] = "100000" });
        using var tcp = await SendHeadersAsync(service, "big", 200L * 1024 * 1024, "");
        var stream = tcp.GetStream();

        // Only the headers went out; the answer must come anyway.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var response = await RawUploads.ReadResponseAsync(stream, timeout.Token);

        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
        Assert.Contains("larger than the 100,000 bytes", response, StringComparison.Ordinal);
        Assert.Empty(service.StoredFiles());
    }

    [Fact]
    public async Task A_slow_drip_body_is_cut_off_with_408_and_leaves_nothing_behind()
    {
        using var service = new ServiceFactory();
        using var tcp = await SendHeadersAsync(service, "drip", 100_000,
            "--drip\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n");
        var stream = tcp.GetStream();

        // One byte every 2 s: far below the server's minimum body rate, so it gives up after its grace period.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var reading = RawUploads.ReadResponseAsync(stream, timeout.Token);
        while (!reading.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            try
            {
                await stream.WriteAsync("x"u8.ToArray());
            }
            catch (IOException)
            {
                break; // the server closed the connection
            }

            await Task.WhenAny(reading, Task.Delay(2000));
        }

        var response = await reading;
        Assert.StartsWith("HTTP/1.1 408", response, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the drip was tolerated for {clock.Elapsed}");
        Assert.Empty(service.StoredFiles());
    }

    /// <summary>Starts the service on Kestrel and sends an upload's headers (and <paramref name="bodyStart"/>) over a raw
    /// socket, so the test decides how much of the body ever follows.</summary>
    private static async Task<TcpClient> SendHeadersAsync(ServiceFactory service, string boundary, long contentLength, string bodyStart)
    {
        service.UseKestrel(0);
        service.StartServer();
        using var client = service.CreateClient();
        return await RawUploads.SendHeadersAsync(client, boundary, contentLength, bodyStart);
    }
}
