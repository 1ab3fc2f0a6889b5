using System.Text.RegularExpressions;

namespace ImageService.Storage.Aws;

/// <summary>The AWS backend's settings, bound from <c>Storage:Aws</c>. Region, credentials and endpoints come from
/// the standard AWS settings (AWS_REGION, AWS_PROFILE, roles, AWS_ENDPOINT_URL*), not from here.</summary>
public sealed partial class AwsStorageOptions
{
    public const string Section = "Storage:Aws";

    public string Bucket { get; set; } = "images-bucket";

    public string Table { get; set; } = "images_metadata";

    /// <summary>Path-style S3 addressing (http://host/bucket/key). Null means: on whenever an endpoint override is set,
    /// as emulators need it; off against real S3.</summary>
    public bool? ForcePathStyle { get; set; }

    public IEnumerable<string> Validate()
    {
        if (!BucketPattern().IsMatch(Bucket ?? ""))
        {
            yield return $"Storage:Aws:Bucket must be a valid S3 bucket name (3–63 lower-case letters, digits, '.' or '-'), got '{Bucket}'.";
        }

        if (!TablePattern().IsMatch(Table ?? ""))
        {
            yield return $"Storage:Aws:Table must be a valid DynamoDB table name (3–255 letters, digits, '_', '-' or '.'), got '{Table}'.";
        }
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\z")]
    private static partial Regex BucketPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{3,255}\z")]
    private static partial Regex TablePattern();
}
