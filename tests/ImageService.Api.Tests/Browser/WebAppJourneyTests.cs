using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageService.Api.Tests.Processes;
using ImageService.Testing;
using ImageService.Testing.Aws;
using ImageService.Testing.Browser;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// The web app at <c>/</c> used as a person uses it, in headless Chromium against the built service as a process, on
/// each engine: upload, browse, filter, view, edit, delete; a refused file; a 20 MB photo, which goes straight to
/// storage; the lightbox by keyboard alone; a caption that is HTML. Every journey also checks that the page asked no
/// other host for anything, broke no rule of its Content-Security-Policy and logged no error.
/// </summary>
public abstract class WebAppJourneyTests(Chromium chromium, ITestOutputHelper output) : IDisposable
{
    protected string Root { get; } = Directory.CreateTempSubdirectory("web-app-").FullName;

    protected ITestOutputHelper Output => output;

    protected IBrowser Browser => chromium.Browser;

    /// <summary>A short name for the engine, for screenshots' file names.</summary>
    protected abstract string Engine { get; }

    protected abstract Task<Dictionary<string, string?>> SettingsAsync();

    /// <summary>Hosts other than the service the page may reach: storage, on AWS.</summary>
    protected virtual IEnumerable<string> StorageOrigins => [];

    /// <summary>Lets the page's origin post forms to storage and read the answer (the bucket's CORS rule on AWS).</summary>
    protected virtual Task AllowPageOriginAsync(IReadOnlyDictionary<string, string?> settings, string origin) => Task.CompletedTask;

    public virtual void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }

    private async Task<(ServiceProcess Service, string Origin)> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = await SettingsAsync();
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var service = await ServiceProcess.StartAsync(settings);
        var origin = service.Address.GetLeftPart(UriPartial.Authority);
        await AllowPageOriginAsync(settings, origin);
        return (service, origin);
    }

    private static async Task<JsonElement[]> ListAsync(ServiceProcess service, string query = "")
    {
        using var client = new HttpClient { BaseAddress = service.Address };
        return await client.GetFromJsonAsync<JsonElement[]>($"/images{query}") ?? [];
    }

    private static async Task<string> UploadThroughApiAsync(ServiceProcess service, byte[] bytes, object metadata)
    {
        using var client = new HttpClient { BaseAddress = service.Address };
        return (await client.UploadOkAsync(bytes, JsonSerializer.Serialize(metadata))).GetProperty("image_id").GetString()!;
    }

    [Fact]
    public async Task A_person_uploads_two_photos_filters_by_a_tag_goes_back_views_one_edits_it_and_deletes_it()
    {
        var (service, origin) = await StartAsync();
        using var _ = service;
        await using var tab = await WebAppSession.OpenAsync(Browser, origin, StorageOrigins);
        var page = tab.Page;
        await Expect(page.GetByText("No photos yet")).ToBeVisibleAsync();

        await tab.NameMyselfAsync("alice");
        await tab.PickPhotosAsync(
            new PhotoToUpload("beach.jpg", TestImages.Jpeg(1200, 800, [30, 120, 200]), "Morning at the beach #sunrise", "travel, beach",
                "Waves rolling onto an empty beach at dawn"),
            new PhotoToUpload("soup.jpg", TestImages.Jpeg(800, 1000, [200, 90, 30]), "Lunch", "food"));
        await Expect(page.Locator("#queue img.preview")).ToHaveCountAsync(2);
        await tab.UploadPickedAsync();

        // Each file's bar went to its end and says so; nothing failed.
        await Expect(page.Locator("#queue > li.done")).ToHaveCountAsync(2);
        var bars = await page.EvalOnSelectorAllAsync<double[][]>("#queue progress", "bars => bars.map(b => [b.value, b.max])");
        Assert.All(bars, bar => Assert.True(bar[0] == bar[1] && bar[1] > 1000, $"progress {bar[0]} of {bar[1]}"));
        await tab.ScreenshotAsync($"upload-dialog-{Engine}.png", "#upload-dialog");
        await tab.CloseDialogAsync();

        // Both are in the grid, as in the API, with their descriptions as alt text (the caption when there is none).
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(2);
        var stored = await ListAsync(service);
        Assert.Equal(2, stored.Length);
        Assert.All(stored, image => Assert.Equal("alice", image.GetProperty("user_id").GetString()));
        var beach = stored.Single(i => i.GetProperty("caption").GetString() == "Morning at the beach #sunrise");
        var soup = stored.Single(i => i.GetProperty("caption").GetString() == "Lunch");
        var beachId = beach.GetProperty("image_id").GetString()!;
        var soupId = soup.GetProperty("image_id").GetString()!;
        Assert.Equal(["travel", "beach", "sunrise"], beach.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("Waves rolling onto an empty beach at dawn", beach.GetProperty("alt_text").GetString());
        await Expect(page.Locator($"#grid li[data-id='{beachId}'] img")).ToHaveAttributeAsync("alt", "Waves rolling onto an empty beach at dawn");
        await Expect(page.Locator($"#grid li[data-id='{soupId}'] img")).ToHaveAttributeAsync("alt", "Lunch");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth === 320)");
        await tab.ScreenshotAsync($"grid-{Engine}.png");

        // A tag filters, in the address; back restores everything; a link straight to a filter works on its own.
        await page.Locator($"#grid li[data-id='{soupId}'] a.tag", new PageLocatorOptions { HasText = "#food" }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{origin}/?tag=food");
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
        await Expect(page.Locator($"#grid li[data-id='{soupId}']")).ToBeVisibleAsync();
        await Expect(page.Locator("#filter-text")).ToHaveTextAsync("Showing tagged #food.");
        await page.GoBackAsync();
        await Expect(page).ToHaveURLAsync($"{origin}/");
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#filters")).ToBeHiddenAsync();
        await tab.GoAsync("/?tag=beach&user_id=alice");
        Assert.Equal([beachId], await tab.TileIdsAsync());
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Show everything" }).ClickAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(2);

        // The lightbox: the display rendition, the caption with its hashtag as a link, tags, owner, description, size.
        await page.Locator($"#grid li[data-id='{beachId}'] .frame").ClickAsync();
        var lightbox = page.Locator("#lightbox");
        await Expect(lightbox).ToBeVisibleAsync();
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Morning at the beach #sunrise");
        await Expect(page.Locator("#lightbox-caption a.tag")).ToHaveAttributeAsync("href", "/?tag=sunrise");
        await Expect(page.Locator("#lightbox-tags li")).ToHaveTextAsync(["#travel", "#beach", "#sunrise"]);
        await Expect(page.Locator("#lightbox-owner")).ToHaveTextAsync("alice");
        await Expect(page.Locator("#lightbox-alt")).ToHaveTextAsync("Waves rolling onto an empty beach at dawn");
        await Expect(page.Locator("#lightbox-size")).ToHaveTextAsync("1200 × 800 pixels");
        await page.WaitForFunctionAsync("() => { const i = document.getElementById('lightbox-image'); return i.complete && i.naturalWidth === 1080; }");
        var original = await page.Locator("#lightbox-download").GetAttributeAsync("href");
        using (var client = new HttpClient())
        using (var download = await client.GetAsync(original))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
        }

        await tab.ScreenshotAsync($"lightbox-{Engine}.png");

        // Edit the caption: the lightbox, the grid and the API all show the new one.
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Edit", Exact = true }).ClickAsync();
        await page.Locator("#edit-caption").FillAsync("Morning at the beach, day two #sunrise");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Morning at the beach, day two #sunrise");
        await Expect(page.Locator("#edit-form")).ToBeHiddenAsync();
        using (var client = new HttpClient { BaseAddress = service.Address })
        {
            var edited = await client.GetFromJsonAsync<JsonElement>($"/images/{beachId}");
            Assert.Equal("Morning at the beach, day two #sunrise", edited.GetProperty("caption").GetString());
            Assert.Equal(2, edited.GetProperty("version").GetInt32());
        }

        // Delete, confirmed: gone from the grid at once, from the API, and after a reload.
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(page.Locator("#confirm-delete")).ToBeVisibleAsync();
        await page.Locator("#confirm-delete").GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(lightbox).ToBeHiddenAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#notice")).ToHaveTextAsync("Photo deleted.");
        using (var client = new HttpClient { BaseAddress = service.Address })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/images/{beachId}")).StatusCode);
        }

        await tab.ReloadAsync();
        Assert.Equal([soupId], await tab.TileIdsAsync());
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_shows_the_services_own_words_next_to_it_and_nothing_is_stored()
    {
        var (service, origin) = await StartAsync();
        using var _ = service;
        await using var tab = await WebAppSession.OpenAsync(Browser, origin, StorageOrigins);
        await tab.NameMyselfAsync("bob");

        // What the API itself says of these bytes.
        string expected;
        using (var client = new HttpClient { BaseAddress = service.Address })
        using (var response = await client.UploadAsync(TestImages.Text(), """{"user_id":"bob"}""", "notes.jpg"))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            expected = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        }

        await tab.PickPhotosAsync(
            new PhotoToUpload("notes.jpg", TestImages.Text(), "Not a photo"),
            new PhotoToUpload("fine.jpg", TestImages.Jpeg(), "A real one"));
        await tab.UploadPickedAsync();

        var refused = tab.Page.Locator("#queue > li.failed");
        await Expect(refused).ToHaveCountAsync(1);
        await Expect(refused.Locator(".file strong")).ToHaveTextAsync("notes.jpg");
        await Expect(refused.Locator(".message")).ToHaveTextAsync(expected);
        await Expect(refused.Locator(".message")).ToHaveAttributeAsync("role", "alert");
        await Expect(tab.Page.Locator("#queue > li.done")).ToHaveCountAsync(1);
        await tab.CloseDialogAsync();
        await Expect(tab.Page.Locator("#grid > li")).ToHaveCountAsync(1);
        var stored = await ListAsync(service);
        Assert.Equal("A real one", Assert.Single(stored).GetProperty("caption").GetString());
        // The refusal is the service's answer, not a fault of the page.
        Assert.Equal([$"HTTP 415 POST {origin}/images"], tab.Problems);
    }

    [Fact]
    public async Task A_20_MB_photo_goes_straight_to_storage_with_its_progress_shown_and_becomes_an_image()
    {
        // 4 MiB through POST /images, as on Lambda: anything larger must take the direct flow.
        var (service, origin) = await StartAsync(new() { ["Limits:MaxUploadBytes"] = "4194304" });
        using var _ = service;
        await using var tab = await WebAppSession.OpenAsync(Browser, origin, StorageOrigins);
        var page = tab.Page;
        var posts = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST")
            {
                lock (posts)
                {
                    posts.Add(request.Url);
                }
            }
        };
        await tab.NameMyselfAsync("carol");
        var photo = TestImages.NoisyJpeg(6000, 4000);
        Assert.InRange(photo.Length, 18_000_000, 30_000_000);
        await tab.PickPhotosAsync(new PhotoToUpload("harbour.jpg", photo, "The harbour at dusk #boats", "travel"));

        // Slow the line to 40 Mbit/s, so the bar has time to show bytes leaving.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = 5_000_000,
        });
        await page.Locator("#start-upload").ClickAsync();
        await page.WaitForFunctionAsync(
            "() => { const p = document.querySelector('#queue progress'); return p.value > 0 && p.value < p.max; }",
            null, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 20 });
        var midway = await page.EvalOnSelectorAsync<double[]>("#queue progress", "p => [p.value, p.max]");
        output.WriteLine($"progress seen midway: {midway[0]:N0} of {midway[1]:N0} bytes");
        await tab.ScreenshotAsync($"upload-progress-{Engine}.png", "#upload-dialog");
        await page.WaitForFunctionAsync("() => document.querySelector('#queue > li.done, #queue > li.failed')", null,
            new PageWaitForFunctionOptions { Timeout = 120_000 });
        await Expect(page.Locator("#queue > li.done")).ToHaveCountAsync(1);
        // The bar counts the whole form: the file and the few hundred bytes of fields before it.
        Assert.InRange(midway[1], photo.Length, photo.Length + 8192);

        // Three steps, none of them POST /images: start, the form to storage, complete.
        string[] seen;
        lock (posts)
        {
            seen = [.. posts];
        }

        Assert.DoesNotContain(seen, url => new Uri(url).AbsolutePath == "/images");
        var start = Assert.Single(seen, url => new Uri(url).AbsolutePath == "/uploads");
        Assert.StartsWith(origin, start, StringComparison.Ordinal);
        Assert.Single(seen, url => new Uri(url).AbsolutePath.EndsWith("/complete", StringComparison.Ordinal));
        var form = Assert.Single(seen, url => url != start && !url.EndsWith("/complete", StringComparison.Ordinal));
        output.WriteLine($"form posted to {form}");
        AssertFormWentToStorage(form, origin);

        await tab.CloseDialogAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
        var image = Assert.Single(await ListAsync(service));
        Assert.Equal((6000, 4000), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        Assert.Equal(["travel", "boats"], image.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    /// <summary>Checks that the direct-upload form went where this engine takes files.</summary>
    protected abstract void AssertFormWentToStorage(string url, string origin);

    [Fact]
    public async Task The_lightbox_works_with_the_keyboard_alone_and_gives_focus_back_to_the_photo()
    {
        var (service, origin) = await StartAsync();
        using var _ = service;
        foreach (var caption in new[] { "First", "Second", "Third" })
        {
            await UploadThroughApiAsync(service, TestImages.Jpeg(), new { user_id = "dan", caption });
        }

        await using var tab = await WebAppSession.OpenAsync(Browser, origin, StorageOrigins);
        var page = tab.Page;
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(3);

        // Tab until a photo has focus: the newest comes first.
        for (var presses = 0; presses < 30 && !await page.EvaluateAsync<bool>("() => document.activeElement?.classList.contains('frame')"); presses++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        var focused = await page.EvaluateAsync<string>("() => document.activeElement.closest('li')?.dataset.id");
        Assert.Equal((await tab.TileIdsAsync())[0], focused);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#lightbox")).ToBeVisibleAsync();
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Third");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Second");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("First");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("First");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Second");
        // The step buttons keep focus, so Enter steps again and again.
        await page.Locator("#previous").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Third");
        await page.Locator("#next").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Second");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("First");
        // Next has just turned off at the last photo: focus is not left on nothing, so the arrows still work.
        await page.WaitForFunctionAsync("() => document.activeElement?.id === 'lightbox-close'");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Second");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("First");
        await page.Locator("#previous").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Second");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#lightbox")).ToBeHiddenAsync();
        // Focus comes back to the photo last shown, not the one the lightbox was opened on.
        var second = (await tab.TileIdsAsync())[1];
        await page.WaitForFunctionAsync(
            "id => document.activeElement?.classList.contains('frame') && document.activeElement.closest('li').dataset.id === id", second);
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    [Fact]
    public async Task A_caption_written_as_HTML_is_shown_as_text_and_runs_nothing()
    {
        var (service, origin) = await StartAsync();
        using var _ = service;
        const string Caption = "<img src=x onerror=alert(1)> <script>alert(2)</script> #safe";
        const string Alt = "\"><svg onload=alert(3)>";
        var id = await UploadThroughApiAsync(service, TestImages.Jpeg(), new { user_id = "eve", caption = Caption, alt_text = Alt });

        await using var tab = await WebAppSession.OpenAsync(Browser, origin, StorageOrigins);
        var page = tab.Page;
        await Expect(page.Locator($"#grid li[data-id='{id}'] img")).ToHaveAttributeAsync("alt", Alt);
        await page.Locator($"#grid li[data-id='{id}'] .frame").ClickAsync();
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync(Caption);
        await Expect(page.Locator("#lightbox-alt")).ToHaveTextAsync(Alt);
        await page.WaitForTimeoutAsync(300);

        Assert.Equal(0, await page.Locator("img[src='x'], svg, script:not([src]):not([type=importmap])").CountAsync());
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }
}

public sealed class LocalWebAppJourneyTests(Chromium chromium, ITestOutputHelper output)
    : WebAppJourneyTests(chromium, output), IClassFixture<Chromium>
{
    protected override string Engine => "embedded";

    protected override Task<Dictionary<string, string?>> SettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Storage:Local:Root"] = Path.Combine(Root, "data", Guid.NewGuid().ToString("N")) });

    protected override void AssertFormWentToStorage(string url, string origin)
    {
        // The embedded engine takes the form itself.
        Assert.StartsWith($"{origin}/uploads/", url, StringComparison.Ordinal);
        Assert.EndsWith("/file", url, StringComparison.Ordinal);
    }

    public override void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        base.Dispose();
    }
}

[Collection(EmulatorGroup.Name)]
public sealed class AwsWebAppJourneyTests(AwsEmulators emulators, Chromium chromium, ITestOutputHelper output)
    : WebAppJourneyTests(chromium, output), IClassFixture<Chromium>
{
    protected override string Engine => "aws";

    protected override IEnumerable<string> StorageOrigins => [new Uri(emulators.S3Endpoint).GetLeftPart(UriPartial.Authority)];

    protected override async Task<Dictionary<string, string?>> SettingsAsync() =>
        emulators.ServiceSettings(await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());

    protected override Task AllowPageOriginAsync(IReadOnlyDictionary<string, string?> settings, string origin) =>
        emulators.AllowPageOriginAsync(settings["Storage:Aws:Bucket"]!, origin);

    protected override void AssertFormWentToStorage(string url, string origin)
    {
        // Straight to the bucket on s3rver, not through the service.
        Assert.StartsWith(emulators.S3Endpoint, url, StringComparison.Ordinal);
        Assert.False(url.StartsWith(origin, StringComparison.Ordinal));
    }
}
