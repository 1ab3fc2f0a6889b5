using System.Diagnostics;
using System.Text.RegularExpressions;
using ImageService.Testing;
using Xunit.Abstractions;

namespace ImageService.Api.Tests;

/// <summary>
/// Keeps bench/ImageService.Bench from rotting: its smoke mode (generated images, tiny indexes) runs the processing,
/// ingest, memory, listing (SQLite and dynalite), start-up, load simulation, list design and Lambda compute sections end
/// to end, with every peer (sharp from bench/peers, Debian's vipsthumbnail and python3-pil, all installed by .ci/run
/// as by bench/run.sh), and must write a report with a figure in every table.
/// In the emulator collection so its Release build never overlaps the published-app test's.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed partial class BenchmarkHarnessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_benchmark_harness_writes_every_section_with_figures()
    {
        var work = Directory.CreateTempSubdirectory("bench-smoke-").FullName;
        try
        {
            var report = Path.Combine(work, "BENCHMARKS.md");
            var photos = Directory.CreateDirectory(Path.Combine(work, "photos")).FullName;
            var bench = Path.Combine(RepositoryPaths.Root, "bench");
            var start = new ProcessStartInfo("dotnet", ["run", "-c", "Release", "--project", Path.Combine(bench, "ImageService.Bench"), "--",
                "--smoke", "--only", "processing,ingest,listing,startup,loadsim,listdesign,compute", "--photos", photos, "--peers", Path.Combine(bench, "peers"),
                "--work", Path.Combine(work, "work"), "--report", report, "--repo", RepositoryPaths.Root])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            output.WriteLine(await stdout);
            Assert.True(process.ExitCode == 0, $"the harness failed:\n{await stdout}\n{await stderr}");

            var text = await File.ReadAllTextAsync(report);
            foreach (var heading in new[] { "## 1. Processing cost per image", "## 2. End-to-end ingest", "## 3. Memory under concurrent uploads", "## 4. Listing at scale (SQLite)", "### DynamoDB backend on dynalite", "## 5. Start-up", "## 8. Load simulation (AWS engine on the emulators)", "## 9. List designs side by side (DynamoDB)", "## 10. Lambda compute per action" })
            {
                Assert.Contains(heading, text, StringComparison.Ordinal);
            }

            // Every target row carries a measured ratio or time, never a placeholder.
            var targets = TargetRow().Matches(text);
            Assert.True(targets.Count >= 8, $"expected the target rows of every section, found {targets.Count}:\n{text}");
            Assert.All(targets, row => Assert.Matches(@"\d+(\.\d+)? (×|ms|MB)", row.Value));
            Assert.Matches(@"\| 2 \| \d+ \| \d+\.\d\d \| \d+ ms \| \d+ ms \| \d+\.\d{3} s \|", text);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [GeneratedRegex(@"^\| (ingest|peak|p99|normal publish|ours|whole upload|no image|placeholders add)[^\n]*$", RegexOptions.Multiline)]
    private static partial Regex TargetRow();
}
