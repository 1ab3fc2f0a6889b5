using System.Buffers;

namespace ImageService.Core.Images;

/// <summary>Blob keys: where each variant of an image is stored, and which keys are safe to use at all.</summary>
public static class BlobKeys
{
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./");

    public static string ImagePrefix(Guid imageId) => $"images/{imageId:D}/";

    public static string ForVariant(Guid imageId, string variant, string extension) =>
        $"{ImagePrefix(imageId)}{variant}.{extension}";

    /// <summary>
    /// A key is safe when it is relative, uses only plain characters and never climbs out of its folder;
    /// every adapter checks this so a key can never address a file or object outside the store.
    /// </summary>
    public static bool IsValid(string? key) =>
        !string.IsNullOrEmpty(key)
        && key.Length <= 512
        && !key.AsSpan().ContainsAnyExcept(Allowed)
        && key[0] != '/'
        && key[^1] != '/'
        && key.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");

    public static void EnsureValid(string key)
    {
        if (!IsValid(key))
        {
            throw new ArgumentException($"'{key}' is not a valid blob key.", nameof(key));
        }
    }
}
