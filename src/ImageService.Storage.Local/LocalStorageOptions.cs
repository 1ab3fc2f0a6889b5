namespace ImageService.Storage.Local;

/// <summary>The embedded backend's settings, bound from <c>Storage:Local</c>.</summary>
public sealed class LocalStorageOptions
{
    public const string Section = "Storage:Local";

    /// <summary>Folder for blobs, the SQLite index and the URL signing key; relative paths start at the content root.</summary>
    public string Root { get; set; } = "./data";

    /// <summary>Base64 HMAC key for download links. When empty, a key is generated on first run and kept in the root.</summary>
    public string? SigningKey { get; set; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Root))
        {
            yield return "Storage:Local:Root must name a folder (default ./data).";
        }

        if (!string.IsNullOrEmpty(SigningKey)
            && (!Convert.TryFromBase64String(SigningKey, new byte[SigningKey.Length], out var length) || length < 32))
        {
            yield return "Storage:Local:SigningKey must be base64 of at least 32 bytes (e.g. the output of `openssl rand -base64 32`), or be left empty.";
        }
    }
}
