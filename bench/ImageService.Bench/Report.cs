using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageService.Bench;

/// <summary>Collects sections and writes BENCHMARKS.md, with the machine and versions it ran on.</summary>
public sealed class Report(BenchOptions options)
{
    private readonly List<string> sections = [];

    public void Add(string markdown) => sections.Add(markdown.TrimEnd());

    public async Task WriteAsync()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : RuntimeInformation.ProcessArchitecture.ToString();
        var text = new StringBuilder();
        text.AppendLine("# Benchmarks");
        text.AppendLine();
        text.AppendLine("Written by `bench/run.sh` — do not edit by hand; run it again.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(options.Smoke ? " (smoke run: generated images, tiny indexes; the figures mean nothing)" : options.Quick ? " (quick run: fewer images and repeats)" : "")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- .NET {Environment.Version}, libvips {NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)} (NetVips.Native)");
        text.AppendLine("- Command: `bash bench/run.sh`");
        foreach (var section in sections)
        {
            text.AppendLine();
            text.AppendLine(section);
        }

        await File.WriteAllTextAsync(options.Report, text.ToString());
        Console.WriteLine($"wrote {options.Report}");
    }
}
