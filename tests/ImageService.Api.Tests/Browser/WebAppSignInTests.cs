using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImageService.Api.Tests.Processes;
using ImageService.Testing;
using ImageService.Testing.Browser;
using ImageService.Testing.Oidc;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// The web app in <c>Jwt</c> mode against a real OpenID Connect server (oidc-provider, tests/oidc): "Sign in" runs the
/// authorization code flow with PKCE from the page, the person uploads, edits and deletes as the token's subject, the app never
/// offers to edit or delete another person's photo (and the API refuses it all the same), and "Sign out" ends the
/// session at the provider too.
/// </summary>
public sealed class WebAppSignInTests(Chromium chromium, WebAppSignInTests.Servers servers)
    : IClassFixture<Chromium>, IClassFixture<WebAppSignInTests.Servers>
{
    [Fact]
    public async Task A_person_signs_in_uploads_edits_and_deletes_their_own_photo_cannot_touch_anothers_and_signs_out()
    {
        var origin = servers.Origin;
        // Someone else's photo, uploaded with their own token.
        var theirs = await servers.UploadAsync(await servers.AccessTokenAsync("mallory"), "Mallory's lunch");

        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, origin, [servers.Provider.IssuerName]);
        var page = tab.Page;
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
        var signIn = page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true });
        await Expect(signIn).ToBeVisibleAsync();

        // Off to the provider, which sees a PKCE challenge, and back with a code the page redeems.
        var authorization = page.WaitForRequestAsync(r => r.Url.StartsWith(servers.Provider.AuthorizationEndpoint.AbsoluteUri, StringComparison.Ordinal));
        await signIn.ClickAsync();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri((await authorization).Url).Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"]?.Length);
        Assert.Equal($"{origin}/", query["redirect_uri"]);
        Assert.Equal(servers.Provider.ClientId, query["client_id"]);
        await servers.Provider.SignInAsync(page, "grace");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await Expect(page.Locator("#identity")).ToContainTextAsync("Signed in as grace");
        // The code and state are gone from the address; the token is in this tab's session storage only.
        Assert.Equal($"{origin}/", page.Url);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
        var token = await page.EvaluateAsync<string>("() => JSON.parse(sessionStorage.getItem('image-service.session')).access_token");

        await tab.PickPhotosAsync(new PhotoToUpload("garden.jpg", TestImages.Jpeg(900, 600, [60, 160, 70]), "The garden #spring", "home"));
        await Expect(page.Locator("#upload-who")).ToHaveTextAsync("Posting as grace.");
        await tab.UploadPickedAsync();
        await Expect(page.Locator("#queue > li.done")).ToHaveCountAsync(1);
        await tab.CloseDialogAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(2);
        var mine = (await servers.ListAsync()).Single(i => i.GetProperty("caption").GetString() == "The garden #spring");
        Assert.Equal("grace", mine.GetProperty("user_id").GetString());
        var mineId = mine.GetProperty("image_id").GetString()!;

        // Another's photo: no edit, no delete.
        await page.Locator($"#grid li[data-id='{theirs}'] .frame").ClickAsync();
        await Expect(page.Locator("#lightbox-caption")).ToHaveTextAsync("Mallory's lunch");
        await page.WaitForFunctionAsync("() => document.getElementById('lightbox-owner').textContent === 'mallory'");
        await page.WaitForTimeoutAsync(300);
        await Expect(page.Locator("#owner-actions")).ToBeHiddenAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Delete" }).CountAsync());
        await page.Keyboard.PressAsync("Escape");

        // And the API refuses grace's token on it whatever the page shows.
        using (var client = new HttpClient { BaseAddress = servers.Service.Address })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync($"/images/{theirs}")).StatusCode);
        }

        // Her own: edit works with her token.
        await page.Locator($"#grid li[data-id='{mineId}'] .frame").ClickAsync();
        await Expect(page.Locator("#owner-actions")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Edit", Exact = true }).ClickAsync();
        await page.Locator("#edit-alt").FillAsync("Tulips along a gravel path");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.Locator("#lightbox-alt")).ToHaveTextAsync("Tulips along a gravel path");

        // And delete it, with her token: gone from the grid and from the API; mallory's stays.
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Delete", Exact = true }).ClickAsync();
        await page.Locator("#confirm-delete").GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(page.Locator("#lightbox")).ToBeHiddenAsync();
        await Expect(page.Locator("#grid > li")).ToHaveCountAsync(1);
        Assert.Equal([theirs], (await servers.ListAsync()).Select(i => i.GetProperty("image_id").GetString()));

        // Signing out ends the session at the provider and comes back signed out.
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Yes, sign me out" }).ClickAsync();
        // Only the app has to have loaded: the provider's pages ask for web fonts from the internet, which this machine
        // may take a while to give up on.
        await page.WaitForURLAsync($"{origin}/", new PageWaitForURLOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await Expect(signIn).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('image-service.session')"));

        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    [Fact]
    public async Task A_sign_in_answer_the_page_did_not_ask_for_is_refused_and_signs_nobody_in()
    {
        await using var tab = await WebAppSession.OpenAsync(chromium.Browser, servers.Origin, [servers.Provider.IssuerName], "/?code=stolen&state=forged");
        await Expect(tab.Page.Locator("#notice")).ToContainTextAsync("did not belong to a sign-in started here");
        await Expect(tab.Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        Assert.Equal($"{servers.Origin}/", tab.Page.Url);
        // Nothing was sent to the token endpoint.
        Assert.True(tab.Problems.Count == 0, string.Join('\n', tab.Problems));
    }

    /// <summary>The provider (any loopback port may be redirected to) and the service in Jwt mode with the app's client.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        private string? root;

        public OidcProvider Provider { get; private set; } = null!;

        public ServiceProcess Service { get; private set; } = null!;

        public string Origin => Service.Address.GetLeftPart(UriPartial.Authority);

        public async Task InitializeAsync()
        {
            Provider = await OidcProvider.StartAsync([new Uri("http://127.0.0.1/")], [new Uri("http://127.0.0.1/")]);
            root = Directory.CreateTempSubdirectory("web-app-sign-in-").FullName;
            Service = await ServiceProcess.StartAsync(new Dictionary<string, string?>
            {
                ["Storage:Local:Root"] = Path.Combine(root, "data"),
                ["Auth:Mode"] = "Jwt",
                ["Auth:Jwt:Authority"] = Provider.IssuerName,
                ["Auth:Jwt:Audience"] = Provider.Audience,
                ["Auth:Jwt:RequireHttpsMetadata"] = "false",
                ["WebApp:OidcClientId"] = Provider.ClientId,
            });
        }

        public async Task<string> AccessTokenAsync(string user)
        {
            using var flow = new OidcSignInTests.CodeFlow(Provider, new Uri($"{Origin}/"));
            using var response = await flow.ExchangeAsync(await flow.AuthorizeAsync(user), flow.Verifier);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
        }

        public async Task<string> UploadAsync(string token, string caption)
        {
            using var client = new HttpClient { BaseAddress = Service.Address };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var uploaded = await client.UploadOkAsync(TestImages.Jpeg(640, 480, [180, 60, 60]), JsonSerializer.Serialize(new { caption }));
            return uploaded.GetProperty("image_id").GetString()!;
        }

        public async Task<JsonElement[]> ListAsync()
        {
            using var client = new HttpClient { BaseAddress = Service.Address };
            return await client.GetFromJsonAsync<JsonElement[]>("/images") ?? [];
        }

        public async Task DisposeAsync()
        {
            Service?.Dispose();
            if (Provider is not null)
            {
                await Provider.DisposeAsync();
            }

            if (root is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
