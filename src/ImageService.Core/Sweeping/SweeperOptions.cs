namespace ImageService.Core.Sweeping;

/// <summary>The sweeper's schedule and patience, bound from <c>Sweeper</c>.</summary>
public sealed class SweeperOptions
{
    public const string Section = "Sweeper";

    /// <summary>Run in the background of the web process.</summary>
    public bool Enabled { get; set; } = true;

    public int IntervalSeconds { get; set; } = 300;

    /// <summary>How long an upload may stay pending before it counts as abandoned (uploads take seconds).</summary>
    public int PendingAgeSeconds { get; set; } = 900;

    /// <summary>How long a delete may stay unfinished before the sweeper finishes it.</summary>
    public int DeletingAgeSeconds { get; set; } = 60;

    /// <summary>How many blob keys and index items one full reconciliation run (<c>sweep --full</c>) reads at most.</summary>
    public int FullPageSize { get; set; } = 10_000;

    /// <summary>How many images without a placeholder each routine sweep backfills at most (0: none; the
    /// <c>sweep --backfill</c> command then uses batches of <see cref="DefaultBackfillBatchSize"/>).</summary>
    public int BackfillBatchSize { get; set; } = DefaultBackfillBatchSize;

    public const int DefaultBackfillBatchSize = 100;

    /// <summary>The least <see cref="PendingAgeSeconds"/> a background sweeper may use: younger pending records may
    /// belong to uploads still in progress, which a sweep would take over (their commit then fails).</summary>
    public const int LeastBackgroundPendingAgeSeconds = 60;

    /// <param name="background">Whether these settings drive the web process's background sweeps; the one-off
    /// <c>sweep</c> command, run by an operator who knows what is running, may clear pending records of any age.</param>
    public IEnumerable<string> Validate(bool background)
    {
        if (IntervalSeconds is < 1 or > 86_400)
        {
            yield return "Sweeper:IntervalSeconds must be between 1 and 86400.";
        }

        if (PendingAgeSeconds is < 0 or > 604_800)
        {
            yield return "Sweeper:PendingAgeSeconds must be between 0 and 604800.";
        }
        else if (background && Enabled && PendingAgeSeconds < LeastBackgroundPendingAgeSeconds)
        {
            yield return $"Sweeper:PendingAgeSeconds must be at least {LeastBackgroundPendingAgeSeconds} while Sweeper:Enabled is true: "
                + "a background sweep would take over uploads still in progress. Lower values are for the one-off 'sweep' command.";
        }

        if (DeletingAgeSeconds is < 0 or > 604_800)
        {
            yield return "Sweeper:DeletingAgeSeconds must be between 0 and 604800.";
        }

        if (FullPageSize is < 1 or > 1_000_000)
        {
            yield return "Sweeper:FullPageSize must be between 1 and 1000000.";
        }

        if (BackfillBatchSize is < 0 or > 10_000)
        {
            yield return "Sweeper:BackfillBatchSize must be between 0 (no backfill in the routine sweep) and 10000.";
        }
    }
}
