namespace ImageService.Storage;

/// <summary>Which backend stores images and metadata, bound from <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";
    public const string LocalProvider = "Local";

    /// <summary><c>Local</c>: files on disk and a SQLite index (the embedded default).</summary>
    public string Provider { get; set; } = LocalProvider;

    public IEnumerable<string> Validate()
    {
        if (!string.Equals(Provider, LocalProvider, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"Storage:Provider must be '{LocalProvider}' (got '{Provider}').";
        }
    }
}
