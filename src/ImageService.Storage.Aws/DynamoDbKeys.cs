using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageService.Core.Listing;

namespace ImageService.Storage.Aws;

/// <summary>
/// The single-table key design (see docs/architecture.md). Every item of an image shares the partition
/// <c>image#{id}</c>: the record itself (sort key <c>image</c>) and one edge per tag (<c>tag#{tag}</c>).
/// Four sparse, keys-only global indexes serve the four list queries, all ordered by <c>sort</c> =
/// <c>{created_at ms, 13 digits}#{image_id}</c>. The "all" and per-tag partitions are split into shards
/// (<see cref="AwsStorageOptions.IndexShards"/>, <see cref="DefaultShards"/> unless set) so that no single index partition
/// takes every upload, and so are the unsettled records of <c>by_unsettled</c>, which every upload enters (pending) and
/// leaves (committed). Readers query every shard up to <see cref="AwsStorageOptions.ShardsToRead"/>, so the count can
/// grow without moving an entry (docs/scaling.md, "Changing the shard count").
/// </summary>
internal static class DynamoDbKeys
{
    public const int DefaultShards = 4;

    /// <summary>The most shards a setting may ask for: every list of the "all" or a tag index queries each one.</summary>
    public const int MostShards = 64;

    public const string ByUser = "by_user";
    public const string ByAll = "by_all";
    public const string ByTag = "by_tag";
    public const string ByUserTag = "by_user_tag";
    public const string ByUnsettled = "by_unsettled";

    /// <summary>The one <see cref="ByUnsettled"/> partition of versions before it was sharded, still read by the
    /// sweeper so that what they left unsettled is found.</summary>
    public const string UnshardedUnsettled = "unsettled";

    /// <summary>Every <see cref="ByUnsettled"/> partition the sweeper reads.</summary>
    public static string[] UnsettledPartitions(int shards) => [.. Enumerable.Range(0, shards).Select(Unsettled), UnshardedUnsettled];

    public const string RecordSortKey = "image";

    public static string Partition(Guid imageId) => $"image#{imageId:D}";

    public static string TagEdge(string tag) => $"tag#{tag}";

    public static string User(string userId) => $"user#{userId}";

    public static string All(int shard) => $"all#{shard}";

    public static string Tag(string tag, int shard) => $"tag#{tag}#{shard}";

    /// <summary>The <see cref="ByUnsettled"/> partition of a pending or deleting record.</summary>
    public static string Unsettled(int shard) => $"unsettled#{shard}";

    public static string UserTag(string userId, string tag) => $"usertag#{userId}#{tag}";

    public static string Sort(DateTimeOffset createdAt, Guid imageId) =>
        string.Create(CultureInfo.InvariantCulture, $"{createdAt.ToUnixTimeMilliseconds():D13}#{imageId:D}");

    public static string Sort(ListPosition position) => Sort(position.CreatedAt, position.ImageId);

    public static Guid ImageIdFromPartition(string partition) => Guid.ParseExact(partition["image#".Length..], "D");

    /// <summary>A stable shard per image for a given count, so its record and its tag edges land in the same shard. The
    /// hash's first four bytes, little-endian: for a count that divides 256 (4, the default, among them) the shard is the one
    /// the first byte alone gave before the count became a setting.</summary>
    public static int ShardOf(Guid imageId, int shards) =>
        (int)(BinaryPrimitives.ReadUInt32LittleEndian(SHA256.HashData(Encoding.ASCII.GetBytes(imageId.ToString("D")))) % (uint)shards);

    /// <summary>The index and partitions that answer one list query, reading <paramref name="shards"/> shards of a sharded index.</summary>
    public static (string Index, string Attribute, string[] Partitions) Route(IndexQuery query, int shards) => (query.UserId, query.Tag) switch
    {
        ({ } user, { } tag) => (ByUserTag, "user_tag_pk", [UserTag(user, tag)]),
        (null, { } tag) => (ByTag, "tag_pk", [.. Enumerable.Range(0, shards).Select(shard => Tag(tag, shard))]),
        ({ } user, null) => (ByUser, "user_pk", [User(user)]),
        _ => (ByAll, "all_pk", [.. Enumerable.Range(0, shards).Select(All)]),
    };
}
