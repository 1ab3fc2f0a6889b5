namespace ImageService.Core.Processing;

/// <summary>What a client paints before an image's pixels arrive: a ThumbHash (base64) and the dominant colour (<c>#rrggbb</c>).</summary>
public sealed record ImagePlaceholder(string ThumbHash, string DominantColor);
