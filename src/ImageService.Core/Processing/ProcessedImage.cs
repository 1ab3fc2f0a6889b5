namespace ImageService.Core.Processing;

/// <summary>The outcome of processing one upload: the oriented size of the image and its encoded variants.</summary>
public sealed record ProcessedImage(string SourceFormat, int Width, int Height, IReadOnlyList<EncodedVariant> Variants);

/// <summary>One encoded rendition, ready to store. <see cref="Bytes"/> holds no metadata beyond what display needs.</summary>
public sealed record EncodedVariant(string Name, string ContentType, string Extension, int Width, int Height, ReadOnlyMemory<byte> Bytes);
