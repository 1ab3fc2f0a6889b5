using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace ImageService.Bench;

/// <summary>Collects sections and writes BENCHMARKS.md, with the machine and versions it ran on.</summary>
public sealed partial class Report(BenchOptions options)
{
    private readonly List<string> sections = [];

    /// <summary>Adds a benchmark's markdown; each numbered section in it (ingest writes 2 and 3) is a section of its own, so
    /// that an --only run rewrites each in place.</summary>
    public void Add(string markdown) =>
        sections.AddRange(SectionStart().Split(markdown.ReplaceLineEndings("\n").Trim()).Select(p => p.TrimEnd()).Where(p => p.Length > 0));

    public async Task WriteAsync()
    {
        // --only into an existing report rewrites the sections it ran and keeps the rest as they were.
        var text = options.Only.Count > 0 && File.Exists(options.Report)
            ? Merge(await File.ReadAllTextAsync(options.Report))
            : Whole();
        await File.WriteAllTextAsync(options.Report, text);
        Console.WriteLine($"wrote {options.Report}");
    }

    private string Whole()
    {
        var text = new StringBuilder();
        text.AppendLine("# Benchmarks");
        text.AppendLine();
        text.AppendLine("Written by `bench/run.sh` — do not edit by hand; run it again.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{Kind()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {Machine()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- .NET {Environment.Version}, libvips {Libvips()} (NetVips.Native)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{Command()}`");
        foreach (var section in sections)
        {
            text.AppendLine();
            text.AppendLine(section);
        }

        return text.ToString();
    }

    /// <summary>The existing report with each section this run measured ("## N. …") in place of the old one, and a line in
    /// the header and under the section's heading saying when and how it was measured.</summary>
    private string Merge(string existing)
    {
        var parts = SectionStart().Split(existing.ReplaceLineEndings("\n")).Select(p => p.TrimEnd()).ToList();
        var note = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{Kind()} by `{Command()}` on {Machine()}, .NET {Environment.Version}, libvips {Libvips()}");
        foreach (var section in sections)
        {
            var number = Number(section);
            var heading = section[..section.IndexOf('\n', StringComparison.Ordinal)];
            var stamped = $"{heading}\n\n_Measured {note}; the other sections are from the runs the header names._{section[heading.Length..]}";
            var at = parts.FindIndex(p => number is not null && Number(p) == number);
            if (at < 0)
            {
                parts.Add(stamped);
            }
            else
            {
                parts[at] = stamped;
            }

            // One line per section in the header, replacing the line of an earlier rewrite of the same section.
            var line = $"- Section {number ?? heading} rewritten in place: {note}";
            var header = parts[0].Split('\n').Where(l => !l.StartsWith($"- Section {number ?? heading} rewritten in place:", StringComparison.Ordinal));
            parts[0] = string.Join('\n', header.Append(line));
        }

        return string.Join("\n\n", parts) + "\n";
    }

    private static string? Number(string section)
    {
        var match = SectionNumber().Match(section);
        return match.Success ? match.Groups[1].Value : null;
    }

    private string Kind() => options.Smoke ? " (smoke run: generated images, tiny indexes; the figures mean nothing)" : options.Quick ? " (quick run: fewer images and repeats)" : "";

    private string Command() =>
        "bash bench/run.sh" + (options.Smoke ? " --smoke" : options.Quick ? " --quick" : "") + (options.Only.Count > 0 ? $" --only {string.Join(',', options.Only)}" : "");

    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : RuntimeInformation.ProcessArchitecture.ToString();
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}";
    }

    private static string Libvips() => $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}";

    [GeneratedRegex(@"\n+(?=## )")]
    private static partial Regex SectionStart();

    [GeneratedRegex(@"\A## (\d+)\.")]
    private static partial Regex SectionNumber();
}
