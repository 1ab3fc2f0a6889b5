namespace ImageService.Bench;

/// <summary>
/// One action's measurements: the wall time of every request at the client, and the service's CPU time per request.
/// /proc counts CPU in clock ticks (10 ms here), so a request of a few milliseconds is measured in groups: each group's
/// CPU divided by its requests is one sample. The mean is over all requests, and includes whatever the service did
/// between them (timers, work left after an answer).
/// </summary>
public sealed class LambdaComputeSamples
{
    private readonly List<double> wallMs = [];
    private readonly List<double> cpuMsSamples = [];
    private double cpuMsTotal;

    public int Requests => wallMs.Count;

    public IReadOnlyList<double> WallMs => wallMs;

    public double WallP50 => Stats.Median(wallMs);

    public double WallP99 => Stats.Percentile(wallMs, 99);

    public double CpuP50 => Stats.Median(cpuMsSamples);

    /// <summary>Whether the p50 says anything: not when each sample was one request of a few ticks at most.</summary>
    public bool CpuP50Resolved => cpuMsSamples.Count < wallMs.Count || CpuMean >= 50;

    public double CpuMean => cpuMsTotal / wallMs.Count;

    /// <summary>Bytes the requests moved to and from storage, on average (the renditions; a direct upload's raw file too).</summary>
    public double MeanStorageBytes { get; private set; }

    /// <summary>A group of requests, their wall times and the service's CPU seconds over all of them.</summary>
    public void Add(IReadOnlyCollection<double> groupWallMs, double cpuSeconds, long storageBytes = 0)
    {
        MeanStorageBytes = ((MeanStorageBytes * wallMs.Count) + storageBytes) / (wallMs.Count + groupWallMs.Count);
        wallMs.AddRange(groupWallMs);
        cpuMsSamples.Add(cpuSeconds * 1000 / groupWallMs.Count);
        cpuMsTotal += cpuSeconds * 1000;
    }

    /// <summary>GB-seconds per request as billed for the wall times measured here, each rounded up to the millisecond.</summary>
    public double GbSecondsFromWall(LambdaBilling billing) => wallMs.Average(billing.GbSeconds);

    /// <summary>GB-seconds per request from the mean CPU at Lambda's share plus <paramref name="io"/>.</summary>
    public double GbSecondsFromCpu(LambdaBilling billing, IoAllowance io) => billing.GbSeconds(billing.DurationFromCpu(CpuMean, io));

    /// <summary>The service's CPU time over its wall time here: how much of more than one core the action kept busy.</summary>
    public double Parallelism => cpuMsTotal / wallMs.Sum();
}
