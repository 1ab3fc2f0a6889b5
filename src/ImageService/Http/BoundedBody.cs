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

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The body as UTF-8 text (JSON is UTF-8 whatever a charset says); bytes that are not UTF-8 are a 400, never
    /// silently replaced.</summary>
    public static async Task<string> ReadTextAsync(Stream body, int maxBytes, Func<ImageServiceException> tooLarge, CancellationToken cancellationToken)
    {
        using var read = await ReadAsync(body, maxBytes, tooLarge, cancellationToken);
        try
        {
            return StrictUtf8.GetString(read.GetBuffer(), 0, (int)read.Length);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw ImageServiceException.Invalid("The body is not valid UTF-8 text. Send JSON encoded as UTF-8.");
        }
    }
}
