namespace ImageService.Storage;

/// <summary>Which backend stores images and metadata, bound from <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";
    public const string LocalProvider = "Local";
    public const string AwsProvider = "Aws";

    /// <summary><c>Local</c>: files on disk and a SQLite index (the embedded default). <c>Aws</c>: S3 and DynamoDB.</summary>
    public string Provider { get; set; } = LocalProvider;

    public bool IsAws => string.Equals(Provider, AwsProvider, StringComparison.OrdinalIgnoreCase);

    public IEnumerable<string> Validate()
    {
        if (!IsAws && !string.Equals(Provider, LocalProvider, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"Storage:Provider must be '{LocalProvider}' or '{AwsProvider}' (got '{Provider}').";
        }
    }
}
