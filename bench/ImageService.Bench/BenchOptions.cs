namespace ImageService.Bench;

/// <summary>Command line: --photos DIR --peers DIR --work DIR --report FILE --repo DIR [--quick].</summary>
public sealed record BenchOptions(string Photos, string Peers, string Work, string Report, string Repository, bool Quick)
{
    public int Repeats => Quick ? 1 : 3;

    public static BenchOptions Parse(string[] args)
    {
        string Value(string name) =>
            args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"missing {name}");
        return new BenchOptions(Value("--photos"), Value("--peers"), Value("--work"), Value("--report"), Value("--repo"), args.Contains("--quick"));
    }
}
