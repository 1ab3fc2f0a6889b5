using Microsoft.Playwright;
using Xunit;

namespace ImageService.Testing.Browser;

/// <summary>
/// One headless Chromium for a test class, driven by Playwright. The browser is Debian's (/usr/bin/chromium, which
/// .ci/run installs) or the one CHROMIUM_PATH names, never Playwright's own download, which this machine cannot
/// fetch. No browser is a failure, not a skip: under CI every test must run.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        var executable = ExecutablePath;
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException(
                $"No Chromium at {executable}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH.", executable);
        }

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Root cannot use Chromium's sandbox; containers often have a /dev/shm too small for a 20 MB upload's buffers.
            ChromiumSandbox = false,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
    }
}
