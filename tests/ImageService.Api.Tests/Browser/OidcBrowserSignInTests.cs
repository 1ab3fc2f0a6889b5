using System.Net.Http.Headers;
using System.Text.Json;
using ImageService.Testing;
using ImageService.Testing.Browser;
using Microsoft.Playwright;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// Signing in as a browser web app will: headless Chromium follows the authorization request to the real OpenID
/// Connect server (tests/oidc), <see cref="Testing.Oidc.OidcProvider.SignInAsync"/> types a name at its login page
/// and continues past consent, the provider sends the browser back to a page of the service's origin with a code, and
/// that page redeems it with <c>fetch</c> across origins (the provider's CORS answer) and uploads with the token.
/// </summary>
public sealed class OidcBrowserSignInTests(Chromium chromium, OidcSignInTests.Servers servers)
    : IClassFixture<Chromium>, IClassFixture<OidcSignInTests.Servers>
{
    [Fact]
    public async Task A_browser_signs_in_with_code_and_pkce_redeems_the_code_from_the_web_apps_origin_and_uploads()
    {
        using var flow = new OidcSignInTests.CodeFlow(servers.Provider, servers.RedirectUri);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync((await flow.AuthorizationRequestAsync()).AbsoluteUri, new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await servers.Provider.SignInAsync(page, "grace");
        var code = flow.CodeFrom(new Uri(page.Url));
        var answer = await page.EvaluateAsync<JsonElement>(
            """
            async ([endpoint, form]) => {
              const response = await fetch(endpoint, { method: 'POST', body: new URLSearchParams(form) });
              return { status: response.status, body: await response.json() };
            }
            """,
            new object[]
            {
                servers.Provider.TokenEndpoint.AbsoluteUri,
                new Dictionary<string, string>
                {
                    ["grant_type"] = "authorization_code",
                    ["code"] = code,
                    ["redirect_uri"] = servers.RedirectUri.AbsoluteUri,
                    ["client_id"] = servers.Provider.ClientId,
                    ["code_verifier"] = flow.Verifier,
                },
            });

        Assert.True(answer.GetProperty("status").GetInt32() == 200, $"the token endpoint answered the page: {answer}");
        using var client = new HttpClient { BaseAddress = servers.Service.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", answer.GetProperty("body").Str("access_token"));
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64), """{"caption":"from the browser"}""");
        Assert.Equal("grace", uploaded.Str("user_id"));
    }
}
