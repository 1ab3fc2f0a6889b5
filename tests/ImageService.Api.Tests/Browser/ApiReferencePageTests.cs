using ImageService.Api.Tests.Processes;
using ImageService.Testing.Browser;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ImageService.Api.Tests.Browser;

/// <summary>The API reference at /scalar, opened in headless Chromium as a person would: it fetches nothing from
/// another host, carries the service's own title and introduction, and shows none of the reference tool's promotions.</summary>
public sealed class ApiReferencePageTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>, IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("api-reference-").FullName;

    [Fact]
    public async Task The_reference_page_loads_everything_from_the_service_itself_and_is_the_services_own()
    {
        using var service = await ServiceProcess.StartAsync(new Dictionary<string, string?> { ["Storage:Local:Root"] = Path.Combine(root, "data") });
        var origin = service.Address.GetLeftPart(UriPartial.Authority);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var elsewhere = new List<string>();
        var failed = new List<string>();
        // No network but the service: anything else is noted and refused, as on a machine without internet.
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(origin, StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                lock (elsewhere)
                {
                    elsewhere.Add(route.Request.Url);
                }

                await route.AbortAsync();
            }
        });
        page.RequestFailed += (_, request) => failed.Add(request.Url);

        // Its script is large; on a busy machine the page may take a while to settle.
        await page.GotoAsync($"{origin}/scalar", new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 60_000 });
        await page.GetByText("Two engines, one API").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new PageWaitForLoadStateOptions { Timeout = 60_000 });
        var text = await page.InnerTextAsync("body");
        output.WriteLine($"title: {await page.TitleAsync()}; requests elsewhere: {string.Join(", ", elsewhere)}");

        Assert.Empty(elsewhere);
        Assert.Empty(failed);
        Assert.Equal("Image service API", await page.TitleAsync());
        Assert.Contains("decoded and re-encoded into three renditions", text, StringComparison.Ordinal);
        // The tool's credit ("Powered by Scalar") stays; its offers do not.
        foreach (var promotion in new[] { "Deploy .NET", "Ask AI", "Developer Tools", "MCP" })
        {
            Assert.DoesNotContain(promotion, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
