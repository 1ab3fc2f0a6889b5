using System.Diagnostics;
using ImageService.Testing.Aws;

namespace ImageService.Testing.Browser;

/// <summary>
/// tests/browser/dist/uppy-client.js: Uppy and its S3 plugin bundled by the pinned esbuild into one script. Built once
/// per test process (a quarter of a second), after `npm ci` if a fresh clone has no node_modules yet, so a page never
/// loads a bundle older than its source.
/// </summary>
public static class UppyBundle
{
    private static readonly Lazy<Task<byte[]>> Script = new(BuildAsync);

    public static Task<byte[]> ScriptAsync() => Script.Value;

    private static async Task<byte[]> BuildAsync()
    {
        var folder = RepositoryPaths.BrowserClient;
        // Test processes may build at once; one at a time, each reading what it built before letting the next in.
        await using var gate = await AwsEmulators.AcquireLockAsync(Path.Combine(folder, ".build.lock"));
        if (!File.Exists(Path.Combine(folder, "node_modules", "@uppy", "aws-s3", "package.json")))
        {
            await RunAsync(folder, "npm", "ci", "--no-audit", "--no-fund");
        }

        await RunAsync(folder, "node", "build.mjs");
        return await File.ReadAllBytesAsync(Path.Combine(folder, "dist", "uppy-client.js"));
    }

    private static async Task RunAsync(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{program} {string.Join(' ', arguments)}` in {folder} failed with exit code {process.ExitCode}:\n{await output}{await errors}");
        }
    }
}
