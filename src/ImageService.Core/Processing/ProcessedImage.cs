namespace ImageService.Core.Processing;

/// <summary>
/// The outcome of processing one upload: the oriented size of the image and its encoded variants, each in its own
/// file. Disposing deletes those files.
/// </summary>
public sealed record ProcessedImage(string SourceFormat, int Width, int Height, IReadOnlyList<EncodedVariant> Variants) : IDisposable
{
    /// <summary>A ThumbHash of the image, base64: a blurred picture a client can paint before the pixels arrive; null when
    /// the processor computes no placeholders.</summary>
    public string? Placeholder { get; init; }

    /// <summary>The image's dominant colour, <c>#rrggbb</c>; null like <see cref="Placeholder"/>.</summary>
    public string? DominantColor { get; init; }

    public void Dispose()
    {
        foreach (var variant in Variants)
        {
            File.Delete(variant.FilePath);
        }
    }
}

/// <summary>
/// One encoded rendition, ready to store, in the file at <see cref="FilePath"/> (<see cref="Length"/> bytes). It holds no
/// metadata beyond what display needs. Encoders write straight to the file: a full-size original never passes
/// through managed memory.
/// </summary>
public sealed record EncodedVariant(string Name, string ContentType, string Extension, int Width, int Height, string FilePath, long Length);
