using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ImageService.Bench;

/// <summary>
/// bench/peers/pillow_variants.py: the three renditions made by Python + Pillow, as a hand-written Python Lambda would,
/// run under Debian's /usr/bin/python3 with python3-pil (bench/run.sh installs it).
/// </summary>
public static class PillowPeer
{
    /// <summary>Debian's interpreter by its path: a pyenv python3 earlier on PATH has no PIL.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>One photo's medians over the timed runs, in milliseconds, and the bytes of its renditions.</summary>
    public sealed record Result(string File, double CpuMs, double WallMs, double CpuWithReadMs, double WallWithReadMs, long RenditionBytes);

    /// <summary>Runs the peer on <paramref name="photos"/> with one more run per photo than <paramref name="repeats"/>,
    /// leaving the first out (a fresh interpreter's first run loads the codecs); the Pillow version and the results.</summary>
    public static async Task<(string Version, Dictionary<string, Result> Results)> RunAsync(
        BenchOptions options, IReadOnlyList<string> photos, int repeats, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Python, [Path.Combine(options.Peers, "pillow_variants.py"), "--repeats", (repeats + 1).ToString(CultureInfo.InvariantCulture), .. photos])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Python} pillow_variants.py failed (is python3-pil installed?):\n{await errors}");
        }

        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var version = lines[0].GetProperty("pillow").GetString()!;
        var results = lines.Skip(1).Select(Parse).ToDictionary(r => r.File);
        return (version, results);
    }

    private static Result Parse(JsonElement line)
    {
        double Median(string name) => Stats.Median(line.GetProperty(name).EnumerateArray().Skip(1).Select(e => e.GetDouble() * 1000));
        var renditions = line.GetProperty("renditions");
        var bytes = renditions.GetProperty("original_bytes").GetInt64() + renditions.GetProperty("display_bytes").GetInt64() + renditions.GetProperty("thumbnail_bytes").GetInt64();
        return new Result(line.GetProperty("file").GetString()!, Median("cpu_seconds"), Median("wall_seconds"), Median("cpu_seconds_with_read"), Median("wall_seconds_with_read"), bytes);
    }
}
