using ImageService.Core.Processing;

namespace ImageService.Imaging.Tests;

internal static class EncodedVariantFiles
{
    /// <summary>The bytes the service would store for this variant.</summary>
    public static byte[] ReadBytes(this EncodedVariant variant) => File.ReadAllBytes(variant.FilePath);
}
