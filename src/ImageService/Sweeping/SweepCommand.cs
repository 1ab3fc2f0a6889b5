namespace ImageService.Sweeping;

/// <summary>
/// The <c>sweep</c> command line: <c>sweep</c> runs the routine sweep; <c>sweep --full [--from MARKER]</c> first runs
/// one page of the full reconciliation, from the <c>next</c> marker an earlier run printed; <c>sweep --backfill</c>
/// first runs the placeholder backfill to the end of its pass. The rest of the line
/// is settings (<c>--Sweeper:FullPageSize=500</c>), handed to configuration without the command's own words, which
/// the configuration parser would otherwise read as a key swallowing the next argument.
/// </summary>
internal sealed record SweepCommand(bool Full, string? From, bool Backfill, string[] SettingArgs, string? Error)
{
    /// <summary>The command, or null when the line is not a <c>sweep</c>.</summary>
    public static SweepCommand? Parse(string[] args)
    {
        if (args is not ["sweep", .. var rest])
        {
            return null;
        }

        var (full, backfill, from, settings) = (false, false, (string?)null, new List<string>());
        for (var i = 0; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case "--full":
                    full = true;
                    break;
                case "--backfill":
                    backfill = true;
                    break;
                case "--from" when i + 1 < rest.Length:
                    from = rest[++i];
                    break;
                case "--from":
                    return new(full, from, backfill, [.. settings], "'--from' needs the 'next' marker of an earlier 'sweep --full' run.");
                default:
                    settings.Add(rest[i]);
                    break;
            }
        }

        return from is not null && !full
            ? new(full, from, backfill, [.. settings], "'--from' resumes a full reconciliation: use it with '--full'.")
            : new(full, from, backfill, [.. settings], null);
    }
}
