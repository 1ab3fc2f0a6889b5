namespace ImageService.Processing;

/// <summary>
/// How many uploads one process takes on at once, bound from <c>Uploads</c>. Beyond these bounds a new upload is
/// answered 503 before its body is read, so a flood costs neither disk nor the CPU that lists and views need.
/// </summary>
public sealed class UploadQueueOptions
{
    public const string Section = "Uploads";

    /// <summary>Uploads being received, waiting for a processing slot or being processed, at once (default 16:
    /// eight per processing slot on two cores; Lambda sends an environment one request at a time anyway).</summary>
    public int MaxInFlight { get; set; } = 16;

    /// <summary>Of those, how many one client may have at once (default 4, a quarter of the places), so that one client
    /// cannot hold them all: a signed-in user is one client, anyone else is their address. The same fraction of
    /// <see cref="MaxStagedBytes"/> is the client's share of the staging disk, beyond its first upload. One more is
    /// answered 429 with Retry-After before its body is read.</summary>
    public int MaxInFlightPerClient { get; set; } = 4;

    /// <summary>The slowest a body may arrive while it holds a place (default 4096 bytes a second; 0: no floor): the
    /// time spent waiting for the client's bytes, less a grace of <see cref="BodyGrace"/>, must not outrun what they
    /// sent at this rate. A slower body is cut off with 408 and leaves nothing behind.</summary>
    public int MinBodyBytesPerSecond { get; set; } = 4096;

    /// <summary>How long the whole body may take from the moment it is admitted (default 600 s: 50 MiB needs 0.7
    /// Mbit/s), whatever its pace; beyond it the upload is cut off with 408, so no connection keeps a place longer.</summary>
    public int BodyTimeoutSeconds { get; set; } = 600;

    /// <summary>How long a body may take to get going before <see cref="MinBodyBytesPerSecond"/> counts.</summary>
    public static readonly TimeSpan BodyGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long a body may send nothing at all, however far ahead of the floor it is (default 30 s): a burst
    /// followed by silence is cut off with 408, too.</summary>
    public int BodyIdleSeconds { get; set; } = 30;

    public TimeSpan BodyIdleLimit => TimeSpan.FromSeconds(BodyIdleSeconds);

    public TimeSpan BodyTimeout => TimeSpan.FromSeconds(BodyTimeoutSeconds);

    /// <summary>The staging disk one client's uploads may reserve together, its first upload aside.</summary>
    public long StagedBytesPerClient => (long)(MaxStagedBytes * Math.Min(1.0, (double)MaxInFlightPerClient / MaxInFlight));

    /// <summary>Disk the upload bodies of the uploads in flight may hold together (default 256 MiB, half of Lambda's
    /// 512 MB <c>/tmp</c>, leaving room for the variants). Each upload reserves its Content-Length, or the largest body
    /// the limits allow when it sends none, before a byte is read.</summary>
    public long MaxStagedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long a received upload may wait for a processing slot before it is answered 503 (default 20 s,
    /// below API Gateway's 29 s, so a client behind it gets our answer rather than a gateway timeout).</summary>
    public int QueueTimeoutSeconds { get; set; } = 20;

    public TimeSpan QueueTimeout => TimeSpan.FromSeconds(QueueTimeoutSeconds);

    public IEnumerable<string> Validate()
    {
        if (MaxInFlight is < 1 or > 10_000)
        {
            yield return "Uploads:MaxInFlight must be between 1 and 10000 uploads.";
        }

        if (MaxInFlightPerClient is < 1 or > 10_000)
        {
            yield return "Uploads:MaxInFlightPerClient must be between 1 and 10000 uploads.";
        }

        if (MinBodyBytesPerSecond is < 0 or > 1024 * 1024 * 1024)
        {
            yield return "Uploads:MinBodyBytesPerSecond must be between 0 (off) and 1073741824 bytes a second.";
        }

        if (BodyIdleSeconds is < 1 or > 3600)
        {
            yield return "Uploads:BodyIdleSeconds must be between 1 and 3600 seconds.";
        }

        if (BodyTimeoutSeconds is < 10 or > 86_400)
        {
            yield return "Uploads:BodyTimeoutSeconds must be between 10 and 86400 seconds.";
        }

        if (MaxStagedBytes is < 1024 * 1024 or > 1024L * 1024 * 1024 * 1024)
        {
            yield return "Uploads:MaxStagedBytes must be between 1048576 (1 MiB) and 1099511627776 (1 TiB) bytes.";
        }

        if (QueueTimeoutSeconds is < 1 or > 3600)
        {
            yield return "Uploads:QueueTimeoutSeconds must be between 1 and 3600 seconds.";
        }
    }
}
