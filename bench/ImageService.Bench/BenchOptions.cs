namespace ImageService.Bench;

/// <summary>
/// Command line: --photos DIR --peers DIR --work DIR --report FILE --repo DIR [--quick | --smoke] [--only processing,ingest,listing,startup,sweep,storm,loadsim,listdesign,compute].
/// --quick: fewer images, repeats and sizes. --smoke: the least that exercises every step (generated images, tiny
/// indexes), so a test can keep the harness from rotting; its figures mean nothing.
/// </summary>
public sealed record BenchOptions(string Photos, string Peers, string Work, string Report, string Repository, bool Quick, bool Smoke, IReadOnlySet<string> Only)
{
    public int Repeats => Quick ? 1 : 3;

    /// <summary>Pairs of runs with and without placeholders per image: an even count, so each order comes up equally often.</summary>
    public int PairedRepeats => Smoke ? 2 : Quick ? 4 : 20;

    /// <summary>Whether to run a section: all of them unless --only names some.</summary>
    public bool Runs(string section) => Only.Count == 0 || Only.Contains(section);

    public static BenchOptions Parse(string[] args)
    {
        string? Optional(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        string Value(string name) => Optional(name) ?? throw new ArgumentException($"missing {name}");
        var only = (Optional("--only") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        return new BenchOptions(Value("--photos"), Value("--peers"), Value("--work"), Value("--report"), Value("--repo"), args.Contains("--quick") || args.Contains("--smoke"), args.Contains("--smoke"), only);
    }
}
