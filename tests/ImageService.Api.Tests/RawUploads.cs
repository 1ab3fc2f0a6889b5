using System.Net.Sockets;
using System.Text;

namespace ImageService.Api.Tests;

/// <summary>An upload over a raw socket, so a test decides how much of the body ever follows its headers.</summary>
public static class RawUploads
{
    /// <summary>The start of a <c>file</c> part of a body with boundary <c>q</c>.</summary>
    public const string FilePartStart = "--q\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n";

    /// <summary>Sends the headers of an upload (boundary <c>q</c>) and <paramref name="bodyStart"/>, nothing more, and
    /// answers what the server says within 20 s.</summary>
    public static async Task<string> AnswerToHeadersAsync(HttpClient client, long contentLength, string bodyStart = "")
    {
        using var tcp = await SendHeadersAsync(client, "q", contentLength, bodyStart);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await ReadResponseAsync(tcp.GetStream(), timeout.Token);
    }

    /// <summary>Sends the headers of <c>POST /images</c> (and <paramref name="bodyStart"/>) to the server behind <paramref name="client"/>.</summary>
    public static async Task<TcpClient> SendHeadersAsync(HttpClient client, string boundary, long contentLength, string bodyStart)
    {
        var address = client.BaseAddress!;
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var headers = $"POST /images HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                      + $"Content-Length: {contentLength}\r\n\r\n{bodyStart}";
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(headers));
        return tcp;
    }

    /// <summary>Reads the answer up to the end of its JSON body, or until the server closes the connection.</summary>
    public static async Task<string> ReadResponseAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains('}', StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return received.ToString();
    }
}
