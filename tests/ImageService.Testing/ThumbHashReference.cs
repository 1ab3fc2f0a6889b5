using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace ImageService.Testing;

/// <summary>The ThumbHash format's reference decoder, the <c>thumbhash</c> npm package pinned in tests/emulators, run
/// under Node: an independent check of the placeholders the service encodes.</summary>
public static class ThumbHashReference
{
    /// <summary>Runs the reference decoder: the average colour, the aspect ratio, and the decoded picture.</summary>
    public static async Task<JsonElement> DecodeAsync(byte[] hash)
    {
        var module = Path.Combine(RepositoryPaths.Emulators, "node_modules", "thumbhash", "thumbhash.js");
        Assert.True(File.Exists(module), $"The reference decoder is missing at {module}: run npm ci --prefix tests/emulators (.ci/run does).");
        var script = $$"""
            import { thumbHashToAverageRGBA, thumbHashToApproximateAspectRatio, thumbHashToRGBA } from {{JsonSerializer.Serialize(new Uri(module).AbsoluteUri)}};
            const hash = Uint8Array.from(Buffer.from(process.argv[1], 'base64'));
            const average = thumbHashToAverageRGBA(hash);
            const image = thumbHashToRGBA(hash);
            console.log(JSON.stringify({
              average: [average.r, average.g, average.b, average.a],
              hasAlpha: average.a < 1,
              aspect: thumbHashToApproximateAspectRatio(hash),
              w: image.w, h: image.h, rgba: Array.from(image.rgba),
            }));
            """;
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e", script, Convert.ToBase64String(hash)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, await errors);
        return JsonDocument.Parse(await output).RootElement.Clone();
    }
}
