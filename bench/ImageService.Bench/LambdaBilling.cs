using ImageService.Testing.Aws;

namespace ImageService.Bench;

/// <summary>
/// What Lambda bills for one request of the function, from a duration: GB-seconds at the template's memory size,
/// the duration rounded up to the millisecond. And the two ways this section gets a duration: the wall time measured
/// here, or the service's CPU time at the CPU share Lambda gives that memory size plus an allowance for the waits on
/// real S3 and DynamoDB.
/// </summary>
public sealed record LambdaBilling(int MemoryMb)
{
    /// <summary>"At 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of credits per second)":
    /// AWS Lambda Developer Guide, "Configuring Lambda function memory" (docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
    /// The share grows in proportion to the memory.</summary>
    public const double MbPerVcpu = 1769;

    /// <summary>x86, US East (N. Virginia), first tier: aws.amazon.com/lambda/pricing.</summary>
    public const double DollarsPerGbSecond = 0.0000166667;

    public const double DollarsPerMillionRequests = 0.20;

    /// <summary>The vCPUs' worth of CPU time the function gets per second of wall time (1.16 at 2,048 MB).</summary>
    public double VcpuShare => MemoryMb / MbPerVcpu;

    /// <summary>GB-seconds of one request that took <paramref name="milliseconds"/>: billed duration rounded up to 1 ms.</summary>
    public double GbSeconds(double milliseconds) => MemoryMb / 1024.0 * Math.Ceiling(milliseconds) / 1000;

    /// <summary>The duration a request would take on Lambda from its CPU time: the CPU at Lambda's share, for work that
    /// can use more than one core (<paramref name="threads"/> &gt; 1) or at most one vCPU for single-threaded work, plus
    /// the waits on storage.</summary>
    public double DurationFromCpu(double cpuMs, IoAllowance io, int threads = 2) =>
        cpuMs / Math.Min(VcpuShare, threads) + io.Milliseconds;

    /// <summary>Lambda's bill for a million requests each of <paramref name="gbSeconds"/>, with
    /// <paramref name="invocations"/> invocations per request (a direct upload is two).</summary>
    public static double DollarsPerMillion(double gbSeconds, int invocations = 1) =>
        (gbSeconds * 1e6 * DollarsPerGbSecond) + (invocations * DollarsPerMillionRequests);
}

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

    /// <summary>The shards of the "all" and tag indexes: the service's default, as RequestCostTests counts them.</summary>
    public const int Shards = 4;

    public double Milliseconds => (DynamoDbRoundTrips * DynamoDbMs) + (S3RoundTrips * S3Ms) + (Bytes / BytesPerMs);

    public override string ToString() => $"{DynamoDbRoundTrips} DynamoDB + {S3RoundTrips} S3 round trips{(Bytes > 0 ? $", {Bytes / 1e6:F1} MB" : "")}";

    /// <summary>The round trips of an action's requests by <see cref="RequestCostModel"/>, less those sent at the same
    /// time as another (<paramref name="concurrent"/>): a list's shard queries, an edit's edge writes.</summary>
    public static IoAllowance Of(Dictionary<string, int> requests, long bytes = 0, int concurrent = 0) => new(
        requests.Where(r => !RequestCostModel.IsS3(r.Key)).Sum(r => r.Value) - concurrent,
        requests.Where(r => RequestCostModel.IsS3(r.Key)).Sum(r => r.Value),
        bytes);

    public static IoAllowance Upload(long renditionBytes) => Of(RequestCostModel.Upload(), renditionBytes);

    public static IoAllowance DirectStart() => Of(RequestCostModel.DirectStart());

    /// <summary><paramref name="bytes"/>: the raw file read from S3 and the renditions written.</summary>
    public static IoAllowance DirectComplete(long bytes) => Of(RequestCostModel.DirectComplete(), bytes);

    public static IoAllowance View() => Of(RequestCostModel.View());

    public static IoAllowance ListPage() => Of(RequestCostModel.ListPage(Shards), concurrent: Shards - 1);

    public static IoAllowance ListPageByUser() => Of(RequestCostModel.ListPageOfOnePartition());

    public static IoAllowance Edit(int movedEdges) => Of(RequestCostModel.Edit(movedEdges), concurrent: Math.Max(0, movedEdges - 1));

    public static IoAllowance Delete() => Of(RequestCostModel.Delete());
}
