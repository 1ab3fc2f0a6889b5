using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ImageService.Api.Tests.Processes;
using ImageService.Testing;
using ImageService.Testing.Browser;
using ImageService.WebApp;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// What a review of the web app found, each proved and then fixed: the page is only ever served with its policy; an
/// authority that never answers neither stalls the page nor is asked on every load; a retried upload whose answer was
/// lost is one image; closing the dialog loses no queued photo; labels never point at another photo's field; a lost
/// edit keeps what the person typed; Back closes the lightbox.
/// </summary>
public sealed class WebAppHardeningTests(Chromium chromium) : IClassFixture<Chromium>, IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("web-app-hardening-").FullName;

    private Task<ServiceProcess> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Storage:Local:Root"] = Path.Combine(root, Guid.NewGuid().ToString("N")) };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return ServiceProcess.StartAsync(settings);
    }

    private static string OriginOf(ServiceProcess service) => service.Address.GetLeftPart(UriPartial.Authority);

    private static async Task<JsonElement[]> ListAsync(ServiceProcess service)
    {
        using var client = new HttpClient { BaseAddress = service.Address };
        return await client.GetFromJsonAsync<JsonElement[]>("/images") ?? [];
    }

    [Fact]
    public async Task The_page_is_served_only_with_its_policy_and_nothing_the_service_sends_may_be_sniffed()
    {
        using var service = await StartAsync();
        using var client = new HttpClient { BaseAddress = service.Address };

        using var page = await client.GetAsync("/");
        Assert.Contains("script-src 'self' 'sha256-", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        // The page's source is not a static file: it cannot be fetched without its policy.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/index.html")).StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/js/app\\.[a-z0-9]+\\.js)\"").Groups[1].Value;
        foreach (var path in new[] { script, "/js/app.js", "/app.css", "/images", "/limits", "/app/config", "/scalar" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }

        using var reference = await client.GetAsync("/scalar");
        Assert.Equal("frame-ancestors 'none'", reference.Headers.GetValues("Content-Security-Policy").Single());

        // The rate limiter's answer too, which is written before any endpoint runs.
        using var limited = await StartAsync(new() { ["RateLimits:UploadsPerMinutePerAddress"] = "1" });
        using var limitedClient = new HttpClient { BaseAddress = limited.Address };
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 3 && refused is null; i++)
        {
            var response = await limitedClient.UploadAsync(TestImages.Jpeg(64, 64), """{"user_id":"nora"}""");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        Assert.Equal("nosniff", refused.Headers.GetValues("X-Content-Type-Options").Single());
        refused.Dispose();
    }

    [Fact]
    public async Task An_authority_that_never_answers_is_asked_once_per_half_minute_and_the_app_still_answers_saying_why()
    {
        // A port that takes connections and never says a word.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = 0;
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var connection = await silent.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                held.Add(connection);
            }
        });
        var authority = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        using var service = await StartAsync(new()
        {
            ["Auth:Mode"] = "Jwt",
            ["Auth:Jwt:Authority"] = authority,
            ["Auth:Jwt:Audience"] = "urn:image-service",
            ["Auth:Jwt:RequireHttpsMetadata"] = "false",
            ["WebApp:OidcClientId"] = "web",
        });
        using var client = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(20) };

        var config = await client.GetFromJsonAsync<JsonElement>("/app/config");
        Assert.Equal(JsonValueKind.Null, config.GetProperty("sign_in").ValueKind);
        Assert.Contains("cannot be reached", config.GetProperty("sign_in_unavailable").GetString(), StringComparison.Ordinal);
        var afterFirst = Volatile.Read(ref accepted);
        Assert.True(afterFirst >= 1, "the authority was never asked");
        for (var i = 0; i < 3; i++)
        {
            using var page = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.DoesNotContain(authority, page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            var again = await client.GetFromJsonAsync<JsonElement>("/app/config");
            Assert.Equal(JsonValueKind.Null, again.GetProperty("sign_in").ValueKind);
        }

        // One lookup still hangs; nobody started another.
        Assert.Equal(afterFirst, Volatile.Read(ref accepted));

        // Once it has given up (the bearer handler's 10 s backchannel timeout, at most 15 s), the failure is kept: the
        // next page loads within half a minute ask nobody.
        await Task.Delay(WebAppSignIn.LookupGivesUp + TimeSpan.FromSeconds(1));
        var afterGivingUp = Volatile.Read(ref accepted);
        for (var i = 0; i < 3; i++)
        {
            var again = await client.GetFromJsonAsync<JsonElement>("/app/config");
            Assert.Contains("cannot be reached", again.GetProperty("sign_in_unavailable").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(afterGivingUp, Volatile.Read(ref accepted));
        Assert.Empty(await ListAsync(service));

        await stop.CancelAsync();
        silent.Stop();
        await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        held.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task An_upload_whose_answer_was_lost_and_is_sent_again_is_one_image()
    {
        using var service = await StartAsync();
        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, OriginOf(service));
        var page = tab.Page;
        var posts = 0;
        // The first POST /images reaches the service, and its answer is lost on the way back.
        await page.RouteAsync("**/images", async route =>
        {
            if (route.Request.Method == "POST" && Interlocked.Increment(ref posts) == 1)
            {
                await route.FetchAsync();
                await route.AbortAsync();
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await tab.NameMyselfAsync("ivy");
        await tab.PickPhotosAsync(new PhotoToUpload("pier.jpg", TestImages.Landscape(5, 800, 600), "The pier"));
        await tab.UploadPickedAsync();
        await Expect(page.Locator("#queue > li.failed .message")).ToHaveTextAsync("The upload was cut off. Check your connection and try again.");
        Assert.Single(await ListAsync(service));

        await page.Locator("#start-upload").ClickAsync();
        await Expect(page.Locator("#queue > li.done")).ToHaveCountAsync(1);
        Assert.Equal(2, posts);
        Assert.Single(await ListAsync(service));
        await tab.CloseDialogAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_direct_upload_whose_complete_answer_was_lost_is_finished_by_the_retry_as_one_image_with_the_caption_it_was_sent_with()
    {
        using var service = await StartAsync(new() { ["Limits:MaxUploadBytes"] = "100000" });
        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, OriginOf(service));
        var page = tab.Page;
        var completes = 0;
        await page.RouteAsync("**/complete", async route =>
        {
            if (Interlocked.Increment(ref completes) == 1)
            {
                await route.FetchAsync();
                await route.AbortAsync();
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await tab.NameMyselfAsync("olga");
        var photo = TestImages.NoisyJpeg(800, 600);
        Assert.True(photo.Length > 100_000);
        await tab.PickPhotosAsync(new PhotoToUpload("market.jpg", photo, "The market"));
        await tab.UploadPickedAsync();
        var entry = page.Locator("#queue > li");
        await Expect(entry.Locator(".message")).ToContainTextAsync("The file is already stored");
        // The caption cannot be changed any more: it was sent with the upload, and the retry finishes that upload.
        await Expect(entry.GetByLabel("Caption")).ToHaveJSPropertyAsync("readOnly", true);

        await page.Locator("#start-upload").ClickAsync();
        await Expect(page.Locator("#queue > li.done")).ToHaveCountAsync(1);
        var stored = Assert.Single(await ListAsync(service));
        Assert.Equal("The market", stored.GetProperty("caption").GetString());
        Assert.Equal(2, completes);
    }

    [Fact]
    public async Task Closing_the_dialog_while_photos_wait_their_turn_keeps_them_in_view_and_uploads_each_once()
    {
        using var service = await StartAsync();
        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, OriginOf(service));
        var page = tab.Page;
        await tab.NameMyselfAsync("jo");
        await tab.PickPhotosAsync([.. Enumerable.Range(0, 5).Select(i => new PhotoToUpload($"p{i}.jpg", TestImages.Landscape(i, 1600, 1200), $"Photo {i}"))]);
        await page.Locator("#start-upload").ClickAsync();
        await tab.CloseDialogAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Upload", Exact = true }).First.ClickAsync();
        await Expect(page.Locator("#queue > li")).ToHaveCountAsync(5);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#queue > li.done').length === 5", null, new PageWaitForFunctionOptions { Timeout = 60_000 });

        var stored = await ListAsync(service);
        Assert.Equal(5, stored.Length);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"Photo {i}").Order(), stored.Select(i => i.GetProperty("caption").GetString()!).Order());
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    [Fact]
    public async Task After_a_photo_is_removed_from_the_dialog_each_label_still_names_its_own_photos_field()
    {
        using var service = await StartAsync();
        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, OriginOf(service));
        var page = tab.Page;
        await tab.NameMyselfAsync("kim");
        await tab.PickPhotosAsync(new PhotoToUpload("a.jpg", TestImages.Landscape(1, 300, 200)), new PhotoToUpload("b.jpg", TestImages.Landscape(2, 300, 200)));
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Remove a.jpg" }).ClickAsync();
        await page.SetInputFilesAsync("#file-input", new FilePayload { Name = "c.jpg", MimeType = "image/jpeg", Buffer = TestImages.Landscape(3, 300, 200) });
        var c = page.Locator("#queue > li", new PageLocatorOptions { HasText = "c.jpg" });
        // As a person does it: click the label, then type.
        await c.Locator("label", new LocatorLocatorOptions { HasText = "Caption" }).ClickAsync();
        await page.Keyboard.TypeAsync("for c");
        await tab.UploadPickedAsync();

        var stored = await ListAsync(service);
        Assert.Equal(["", "for c"], stored.Select(i => i.GetProperty("caption").GetString()!).Order());
    }

    [Fact]
    public async Task An_edit_that_lost_to_someone_elses_keeps_what_the_person_changed_and_takes_the_rest_from_theirs()
    {
        using var service = await StartAsync();
        using var client = new HttpClient { BaseAddress = service.Address };
        var id = (await client.UploadOkAsync(TestImages.Landscape(4, 640, 480), """{"user_id":"lee","caption":"Old caption","tags":["first"]}"""))
            .GetProperty("image_id").GetString()!;

        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, OriginOf(service));
        var page = tab.Page;
        await tab.NameMyselfAsync("lee");
        await page.Locator($"#grid li[data-id='{id}'] .frame").ClickAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Edit", Exact = true }).ClickAsync();
        await page.Locator("#edit-caption").FillAsync("New caption");

        // Meanwhile someone else changes the tags.
        using (var patch = new HttpRequestMessage(HttpMethod.Patch, $"/images/{id}") { Content = new StringContent("""{"tags":["second"]}""", System.Text.Encoding.UTF8, "application/merge-patch+json") })
        using (var other = await client.SendAsync(patch))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.Locator("#edit-error")).ToContainTextAsync("Someone else changed this photo");
        await Expect(page.Locator("#edit-caption")).ToHaveValueAsync("New caption");
        await Expect(page.Locator("#edit-tags")).ToHaveValueAsync("second");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("New caption");

        var saved = await client.GetFromJsonAsync<JsonElement>($"/images/{id}");
        Assert.Equal("New caption", saved.GetProperty("caption").GetString());
        Assert.Equal(["second"], saved.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(3, saved.GetProperty("version").GetInt32());
        // The 412 is the service's answer to the first save, not a fault of the page.
        Assert.Equal([$"HTTP 412 PATCH {OriginOf(service)}/images/{id}"], tab.Problems);
    }

    [Fact]
    public async Task Back_while_the_lightbox_is_open_closes_it_and_shows_the_previous_view()
    {
        using var service = await StartAsync();
        using (var client = new HttpClient { BaseAddress = service.Address })
        {
            foreach (var (caption, tag) in new[] { ("One", "red"), ("Two", "blue") })
            {
                await client.UploadOkAsync(TestImages.Jpeg(), JsonSerializer.Serialize(new { user_id = "max", caption, tags = new[] { tag } }));
            }
        }

        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, OriginOf(service));
        var page = tab.Page;
        await page.Locator("#grid a.tag", new PageLocatorOptions { HasText = "#red" }).ClickAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
        await page.Locator("#grid .frame").First.ClickAsync();
        await Expect(page.Locator("#lightbox")).ToBeVisibleAsync();
        await page.GoBackAsync();
        await Expect(page.Locator("#lightbox")).ToBeHiddenAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(2);
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }
}
