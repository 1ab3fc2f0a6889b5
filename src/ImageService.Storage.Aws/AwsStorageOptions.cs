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

    /// <summary>How many partitions the "all" index, each tag's partition and <c>by_unsettled</c> spread new entries over.
    /// Each takes about 1,000 index writes a second, and every list of everything or of a tag queries each one (see
    /// docs/scaling.md).</summary>
    public int IndexShards { get; set; } = DynamoDbKeys.DefaultShards;

    /// <summary>How many shards lists and the sweeper read; null means <see cref="IndexShards"/>. It must be at least the
    /// largest count any writer has used on the table, which the service cannot check (it keeps no record of it): set it
    /// higher than <see cref="IndexShards"/> while a deployment grows the count, and for good after lowering it, or lists
    /// and the sweeper miss the entries in the shards no longer read.</summary>
    public int? ReadIndexShards { get; set; }

    /// <summary>The shards every reader queries: entries written under any count up to this one are found.</summary>
    public int ShardsToRead => ReadIndexShards ?? IndexShards;

    public IEnumerable<string> Validate()
    {
        if (IndexShards is < 1 or > DynamoDbKeys.MostShards)
        {
            yield return $"Storage:Aws:IndexShards must be between 1 and {DynamoDbKeys.MostShards}, got {IndexShards}.";
        }

        if (ReadIndexShards is { } read && (read < IndexShards || read > DynamoDbKeys.MostShards))
        {
            yield return $"Storage:Aws:ReadIndexShards must be at least Storage:Aws:IndexShards ({IndexShards}) and at most {DynamoDbKeys.MostShards}, got {read}: readers must read at least as many shards as writers use.";
        }

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
