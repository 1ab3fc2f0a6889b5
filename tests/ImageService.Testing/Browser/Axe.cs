using System.Text.Json;
using Microsoft.Playwright;

namespace ImageService.Testing.Browser;

/// <summary>
/// axe-core (pinned in tests/browser) run inside a page: the accessibility rules of WCAG 2.x A and AA. It is
/// evaluated through the debugging protocol, which the page's Content-Security-Policy does not govern, so the page is
/// checked under the policy it really has.
/// </summary>
public static class Axe
{
    private static readonly Lazy<string> Source = new(() =>
    {
        var path = Path.Combine(RepositoryPaths.BrowserClient, "node_modules", "axe-core", "axe.min.js");
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new FileNotFoundException("axe-core is not installed: run `npm ci --prefix tests/browser` (.ci/run does).", path);
    });

    /// <summary>The violations of impact serious or critical in the part of the page <paramref name="selector"/> names.</summary>
    public static async Task<IReadOnlyList<AxeViolation>> SeriousViolationsAsync(IPage page, string selector = "body")
    {
        await page.EvaluateAsync(Source.Value);
        var json = await page.EvaluateAsync<string>(
            """
            async (selector) => {
              const result = await axe.run(selector, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
              return JSON.stringify(result.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })));
            }
            """, selector);
        return JsonSerializer.Deserialize<List<AxeViolation>>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }
}

/// <summary>One rule axe found broken, and where.</summary>
public sealed record AxeViolation(string Id, string Impact, string Help, IReadOnlyList<string> Targets)
{
    public override string ToString() => $"{Impact} {Id}: {Help} at {string.Join(", ", Targets)}";
}
