using ImageService.Testing;
using Microsoft.Playwright;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// One person's browser tab on the web app, in headless Chromium: every request that leaves for a host other than
/// those allowed is noted, and so are script errors, console errors, alerts
/// and Content-Security-Policy violations, so a test can assert that none happened.
/// </summary>
public sealed class WebAppSession : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly List<string> problems = [];

    private WebAppSession(IBrowserContext context, IPage page, string origin)
    {
        this.context = context;
        Page = page;
        Origin = origin;
    }

    public IPage Page { get; }

    public string Origin { get; }

    /// <summary>Requests to hosts not allowed, failed responses, script errors, console errors, alerts and policy violations.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (problems)
            {
                return [.. problems];
            }
        }
    }

    /// <summary>The folder the browser tests save their screenshots in: <c>artifacts/screenshots</c> at the repository's root.</summary>
    public static string ScreenshotFolder => Path.Combine(RepositoryPaths.Root, "artifacts", "screenshots");

    public static async Task<WebAppSession> OpenAsync(IBrowser browser, string origin, IEnumerable<string>? otherOrigins = null, string path = "/")
    {
        var allowed = new List<string> { origin };
        allowed.AddRange(otherOrigins ?? []);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var session = new WebAppSession(context, page, origin);
        // Watched, not intercepted: interception would add a round trip through the driver to every request and
        // distort the timings the tests print. This machine has no internet, so a request elsewhere fails anyway.
        context.Request += (_, request) =>
        {
            var url = request.Url;
            if (url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("blob:", StringComparison.Ordinal)
                || allowed.Any(o => url.StartsWith(o + "/", StringComparison.Ordinal)))
            {
                return;
            }

            // Only the app's own pages are held to this; a sign-in page of the authority is not ours.
            if (request.Frame.Url.StartsWith(origin + "/", StringComparison.Ordinal) || request.Frame.Url == "about:blank")
            {
                session.Note($"request elsewhere: {url}");
            }
        };
        // Run before the page's own scripts, outside its policy: policy violations become console errors we read.
        await context.AddInitScriptAsync(
            """
            document.addEventListener('securitypolicyviolation', (e) =>
              console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
            """);
        page.PageError += (_, error) =>
        {
            if (session.OnApp)
            {
                session.Note($"script error: {error}");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && session.OnApp)
            {
                session.Note($"HTTP {response.Status} {response.Request.Method} {response.Url}");
            }
        };
        page.Console += (_, message) =>
        {
            // A failed load is noted with its address by the handler above.
            if (message.Type == "error" && session.OnApp && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                session.Note($"console: {message.Text}");
            }
        };
        page.Dialog += async (_, dialog) =>
        {
            session.Note($"{dialog.Type}: {dialog.Message}");
            await dialog.DismissAsync();
        };
        await session.GoAsync(path);
        return session;
    }

    /// <summary>Loads <paramref name="path"/> and waits until the app has shown its first page of photos.</summary>
    public async Task GoAsync(string path)
    {
        await Page.GotoAsync(Origin + path);
        await Page.WaitForSelectorAsync("body[data-ready=true]", new PageWaitForSelectorOptions { Timeout = 15_000 });
    }

    public async Task ReloadAsync()
    {
        await Page.ReloadAsync();
        await Page.WaitForSelectorAsync("body[data-ready=true]", new PageWaitForSelectorOptions { Timeout = 15_000 });
    }

    /// <summary>In <c>Auth:Mode=None</c>: types a name into "Your name" and saves it.</summary>
    public async Task NameMyselfAsync(string name)
    {
        await Page.GetByLabel("Your name").FillAsync(name);
        await Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save", Exact = true }).ClickAsync();
        await Page.GetByText("You are").WaitForAsync();
    }

    /// <summary>Opens the upload dialog, picks <paramref name="photos"/> and fills each one's caption, tags and description.</summary>
    public async Task PickPhotosAsync(params PhotoToUpload[] photos)
    {
        await Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Upload", Exact = true }).First.ClickAsync();
        await Page.Locator("#upload-dialog[open]").WaitForAsync();
        await Page.SetInputFilesAsync("#file-input", photos.Select(p => new FilePayload { Name = p.Name, MimeType = p.ContentType, Buffer = p.Bytes }));
        var entries = Page.Locator("#queue > li");
        await Assertions(entries.Nth(photos.Length - 1)).ToBeVisibleAsync();
        var count = await entries.CountAsync();
        for (var i = 0; i < photos.Length; i++)
        {
            var entry = entries.Nth(count - photos.Length + i);
            await entry.GetByLabel("Caption").FillAsync(photos[i].Caption);
            await entry.GetByLabel("Tags").FillAsync(photos[i].Tags);
            await entry.GetByLabel("Description for people who cannot see it").FillAsync(photos[i].AltText);
        }
    }

    /// <summary>Presses the dialog's upload button and waits until every picked photo is uploaded or refused.</summary>
    public async Task UploadPickedAsync()
    {
        await Page.Locator("#start-upload").ClickAsync();
        await Page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('#queue > li')].every((li) => li.classList.contains('done') || li.classList.contains('failed'))",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });
    }

    public async Task CloseDialogAsync()
    {
        await Page.Keyboard.PressAsync("Escape");
        await Assertions(Page.Locator("dialog[open]")).ToHaveCountAsync(0);
    }

    /// <summary>The image ids of the tiles in the grid, in order.</summary>
    public async Task<IReadOnlyList<string>> TileIdsAsync() =>
        await Page.EvalOnSelectorAllAsync<string[]>("#grid > li", "tiles => tiles.map(t => t.dataset.id)");

    public async Task ScreenshotAsync(string name, string? selector = null)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name);
        if (selector is null)
        {
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        }
        else
        {
            await Page.Locator(selector).ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
        }
    }

    /// <summary>Whether the tab shows the app (and not, say, the authority's sign-in page).</summary>
    private bool OnApp => Page.Url.StartsWith(Origin + "/", StringComparison.Ordinal) || Page.Url == "about:blank";

    private static ILocatorAssertions Assertions(ILocator locator) => Microsoft.Playwright.Assertions.Expect(locator);

    private void Note(string problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }
    }

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}

/// <summary>A photo as a person picks it, with what they write for it.</summary>
public sealed record PhotoToUpload(string Name, byte[] Bytes, string Caption = "", string Tags = "", string AltText = "", string ContentType = "image/jpeg");
