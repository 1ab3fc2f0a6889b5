using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Bench;

/// <summary>
/// The time a request spends waiting on S3 and DynamoDB on AWS, which the emulators here do not stand for: each
/// request the action makes one after another, at a stated latency, plus the bytes it moves at a stated throughput.
/// </summary>
public sealed record IoAllowance(int DynamoDbRoundTrips, int S3RoundTrips, long Bytes)
{
    /// <summary>DynamoDB promises single-digit milliseconds; 10 ms leaves room for the SDK's signing and a new connection now and then.</summary>
    public const double DynamoDbMs = 10;

    /// <summary>The S3 performance guidelines (whitepaper "Best Practices Design Patterns: Optimizing Amazon S3 Performance",
    /// timeouts and retries) put the median latency of small requests "in the tens of milliseconds"; 30 ms is taken.</summary>
    public const double S3Ms = 30;

    /// <summary>Bytes to or from S3 within the region, per stream: an assumption (about 100 MB/s), not an AWS figure.</summary>
    public const double BytesPerMs = 100_000;

    public double Milliseconds => (DynamoDbRoundTrips * DynamoDbMs) + (S3RoundTrips * S3Ms) + (Bytes / BytesPerMs);

    public override string ToString() => $"{DynamoDbRoundTrips} DynamoDB + {S3RoundTrips} S3 round trips{(Bytes > 0 ? $", {Bytes / 1e6:F1} MB" : "")}";

    /// <summary>The round trips of an action's requests by <see cref="RequestCostModel"/>, less those sent at the same
    /// time as another (<paramref name="concurrent"/>): a list's shard queries, an edit's edge writes; and of S3
    /// (<paramref name="s3Concurrent"/>): an upload's three rendition puts.</summary>
    public static IoAllowance Of(Dictionary<string, int> requests, long bytes = 0, int concurrent = 0, int s3Concurrent = 0) => new(
        requests.Where(r => !RequestCostModel.IsS3(r.Key)).Sum(r => r.Value) - concurrent,
        requests.Where(r => RequestCostModel.IsS3(r.Key)).Sum(r => r.Value) - s3Concurrent,
        bytes);

    /// <summary>The renditions go to S3 at once (RenditionBlobs.PutAllAsync): one round trip for the three.</summary>
    private const int ConcurrentPuts = 2;

    public static IoAllowance Upload(long renditionBytes) => Of(RequestCostModel.Upload(), renditionBytes, s3Concurrent: ConcurrentPuts);

    public static IoAllowance DirectStart() => Of(RequestCostModel.DirectStart());

    /// <summary><paramref name="bytes"/>: the raw file read from S3 and the renditions written.</summary>
    public static IoAllowance DirectComplete(long bytes) => Of(RequestCostModel.DirectComplete(), bytes, s3Concurrent: ConcurrentPuts);

    public static IoAllowance View() => Of(RequestCostModel.View());

    public static IoAllowance ListPage() => Of(RequestCostModel.ListPage(DynamoDbKeys.DefaultShards), concurrent: DynamoDbKeys.DefaultShards - 1);

    public static IoAllowance ListPageByUser() => Of(RequestCostModel.ListPageOfOnePartition());

    public static IoAllowance Edit(int movedEdges) => Of(RequestCostModel.Edit(movedEdges), concurrent: Math.Max(0, movedEdges - 1));

    public static IoAllowance Delete() => Of(RequestCostModel.Delete());
}
