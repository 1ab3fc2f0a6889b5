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
