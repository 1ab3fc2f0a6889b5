using ImageService.Core;

namespace ImageService.Http;

/// <summary>Reads a small body or form part whole, refusing it as soon as it passes its limit: never more than the
/// limit is held in memory, whatever the client sends.</summary>
internal static class BoundedBody
{
    public static async Task<MemoryStream> ReadAsync(Stream body, int maxBytes, Func<ImageServiceException> tooLarge, CancellationToken cancellationToken)
    {
        var read = new MemoryStream();
        var buffer = new byte[8192];
        int count;
        while ((count = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (read.Length + count > maxBytes)
            {
                throw tooLarge();
            }

            read.Write(buffer, 0, count);
        }

        return read;
    }

    public static async Task<string> ReadTextAsync(Stream body, int maxBytes, Func<ImageServiceException> tooLarge, CancellationToken cancellationToken)
    {
        using var read = await ReadAsync(body, maxBytes, tooLarge, cancellationToken);
        return System.Text.Encoding.UTF8.GetString(read.GetBuffer(), 0, (int)read.Length);
    }
}
