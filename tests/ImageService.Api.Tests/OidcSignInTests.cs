using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageService.Api.Tests.Processes;
using ImageService.Testing;
using ImageService.Testing.Oidc;
using Microsoft.IdentityModel.JsonWebTokens;

namespace ImageService.Api.Tests;

/// <summary>
/// Jwt mode against a real OpenID Connect server (oidc-provider, tests/oidc) and the service as a real process:
/// access tokens come from the Authorization Code flow with PKCE, driven through the provider's own login and consent
/// forms with an HttpClient as a browser would, and the service discovers the provider's keys itself.
/// </summary>
public sealed partial class OidcSignInTests(OidcSignInTests.Servers servers) : IClassFixture<OidcSignInTests.Servers>
{
    /// <summary>Registered without a port: the provider matches loopback redirect URIs on any port, so the service's
    /// own origin, known only once it runs, can receive the code.</summary>
    private static readonly Uri RegisteredRedirect = new("http://127.0.0.1/signed-in");

    [Fact]
    public async Task A_token_from_the_code_flow_with_pkce_uploads_as_the_signed_in_user()
    {
        var token = await servers.AccessTokenAsync("carol");

        using var client = Authorized(token);
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64), """{"user_id":"carol","caption":"signed in"}""");

        Assert.Equal("carol", uploaded.Str("user_id"));
        var jwt = new JsonWebToken(token);
        Assert.Equal("carol", jwt.Subject);
        Assert.Equal(servers.Provider.IssuerName, jwt.Issuer);
        Assert.Equal([servers.Provider.Audience], jwt.Audiences);
        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
    }

    [Fact]
    public async Task A_signed_in_user_cannot_delete_another_users_image()
    {
        using var bob = Authorized(await servers.AccessTokenAsync("bob"));
        using var alice = Authorized(await servers.AccessTokenAsync("alice"));
        var id = (await bob.UploadOkAsync(TestImages.Jpeg(48, 48), """{"user_id":"bob"}""")).Str("image_id");

        using var byAlice = await alice.DeleteAsync($"/images/{id}");
        using var afterwards = await bob.GetAsync($"/images/{id}");
        using var byBob = await bob.DeleteAsync($"/images/{id}");

        await byAlice.AssertProblemAsync(403, "belongs to another user");
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byBob.StatusCode);
    }

    [Fact]
    public async Task An_upload_without_a_token_is_401()
    {
        using var client = new HttpClient { BaseAddress = servers.Service.Address };

        using var upload = await client.UploadAsync(TestImages.Jpeg(64, 64), """{"user_id":"carol"}""");

        await upload.AssertProblemAsync(401, "Authorization: Bearer");
        Assert.Equal("Bearer", upload.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task The_provider_redeems_a_code_only_with_its_code_verifier()
    {
        using var flow = new CodeFlow(servers.Provider, servers.RedirectUri);
        var code = await flow.AuthorizeAsync("dave");

        using var wrong = await flow.ExchangeAsync(code, CodeFlow.NewVerifier());
        using var missing = await flow.ExchangeAsync(code, verifier: null);
        using var right = await flow.ExchangeAsync(code, flow.Verifier);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal("invalid_grant", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).Str("error"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("invalid_grant", (await missing.Content.ReadFromJsonAsync<JsonElement>()).Str("error"));
        // The same code still redeems with the right verifier: the refusals were the verifier's, nothing else.
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.False(string.IsNullOrEmpty((await right.Content.ReadFromJsonAsync<JsonElement>()).Str("access_token")));
    }

    [Fact]
    public async Task The_provider_refuses_an_authorization_request_without_a_code_challenge()
    {
        using var browser = CodeFlow.Browser();
        var query = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = servers.Provider.ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = servers.RedirectUri.AbsoluteUri,
            ["scope"] = "openid",
            ["state"] = "no-pkce",
        });

        using var response = await browser.GetAsync($"{servers.Provider.AuthorizationEndpoint}?{await query.ReadAsStringAsync()}");

        // An error the client may see comes back to its redirect URI.
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var back = response.Headers.Location!;
        Assert.StartsWith(servers.RedirectUri.AbsoluteUri, back.AbsoluteUri, StringComparison.Ordinal);
        var error = System.Web.HttpUtility.ParseQueryString(back.Query);
        Assert.Equal("invalid_request", error["error"]);
        Assert.Contains("requires PKCE", error["error_description"], StringComparison.Ordinal);
        Assert.Null(error["code"]);
    }

    [Fact]
    public async Task The_token_endpoint_answers_cors_for_a_web_app_on_another_loopback_port()
    {
        var origin = servers.Service.Address.GetLeftPart(UriPartial.Authority);
        using var http = new HttpClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, servers.Provider.TokenEndpoint);
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");

        using var answer = await http.SendAsync(preflight);
        using var flow = new CodeFlow(servers.Provider, servers.RedirectUri) { Origin = origin };
        using var exchange = await flow.ExchangeAsync(await flow.AuthorizeAsync("erin"), flow.Verifier);

        Assert.True(answer.IsSuccessStatusCode, $"preflight answered {(int)answer.StatusCode}");
        Assert.Equal(origin, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, exchange.StatusCode);
        Assert.Equal(origin, exchange.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Signing_out_at_the_end_session_endpoint_returns_to_the_post_logout_redirect_uri()
    {
        using var flow = new CodeFlow(servers.Provider, servers.RedirectUri);
        using var tokens = await flow.ExchangeAsync(await flow.AuthorizeAsync("frank"), flow.Verifier);
        var idToken = (await tokens.Content.ReadFromJsonAsync<JsonElement>()).Str("id_token");
        var back = new Uri(servers.Service.Address, "/signed-out");

        var signedOut = await flow.SignOutAsync(idToken, back);

        Assert.Equal(back.GetLeftPart(UriPartial.Path), signedOut.GetLeftPart(UriPartial.Path));
        Assert.Contains("state=bye", signedOut.Query, StringComparison.Ordinal);
    }

    [Fact]
    public void An_http_authority_stops_the_service_at_start_while_https_metadata_is_required()
    {
        using var service = new ServiceFactory(new()
        {
            ["Auth:Mode"] = "Jwt",
            ["Auth:Jwt:Authority"] = servers.Provider.IssuerName,
            ["Auth:Jwt:Audience"] = servers.Provider.Audience,
        });

        var failure = service.StartFailure();

        Assert.Contains("Auth:Jwt:RequireHttpsMetadata", failure, StringComparison.Ordinal);
    }

    private HttpClient Authorized(string token)
    {
        var client = new HttpClient { BaseAddress = servers.Service.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The provider, and the service as a process that trusts it, for the whole class.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        private string? root;

        public OidcProvider Provider { get; private set; } = null!;

        public ServiceProcess Service { get; private set; } = null!;

        /// <summary>The registered redirect URI on the service's own port.</summary>
        public Uri RedirectUri => new($"{Service.Address.GetLeftPart(UriPartial.Authority)}{RegisteredRedirect.AbsolutePath}");

        public async Task InitializeAsync()
        {
            Provider = await OidcProvider.StartAsync([RegisteredRedirect], [new Uri("http://127.0.0.1/signed-out")]);
            root = Directory.CreateTempSubdirectory("oidc-sign-in-").FullName;
            Service = await ServiceProcess.StartAsync(new Dictionary<string, string?>
            {
                ["Storage:Local:Root"] = Path.Combine(root, "data"),
                ["Auth:Mode"] = "Jwt",
                ["Auth:Jwt:Authority"] = Provider.Issuer.AbsoluteUri,
                ["Auth:Jwt:Audience"] = Provider.Audience,
                ["Auth:Jwt:RequireHttpsMetadata"] = "false",
            });
        }

        /// <summary>An access token for <paramref name="user"/>, through the whole code flow.</summary>
        public async Task<string> AccessTokenAsync(string user)
        {
            using var flow = new CodeFlow(Provider, RedirectUri);
            using var response = await flow.ExchangeAsync(await flow.AuthorizeAsync(user), flow.Verifier);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint answered {(int)response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.Str("access_token");
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
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>
    /// One sign-in as a browser makes it, with an HttpClient that keeps the provider's cookies and follows its
    /// redirects one by one: the authorization request with a fresh PKCE pair, the login form, the consent form, and
    /// the redirect back with a code, which is redeemed at the token endpoint as a public client (no secret).
    /// </summary>
    internal sealed partial class CodeFlow(OidcProvider provider, Uri redirectUri) : IDisposable
    {
        private readonly HttpClient browser = Browser();

        public string Verifier { get; } = NewVerifier();

        /// <summary>Sent with the token request, as a browser app on that origin would.</summary>
        public string? Origin { get; init; }

        /// <summary>An HttpClient that keeps cookies and leaves redirects to its caller.</summary>
        public static HttpClient Browser() =>
            new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true });

        /// <summary>A PKCE code verifier: 32 random bytes, base64url (43 characters).</summary>
        public static string NewVerifier() => Base64Url(RandomNumberGenerator.GetBytes(32));

        /// <summary>The <c>state</c> of this sign-in's authorization request.</summary>
        public string State { get; } = Base64Url(RandomNumberGenerator.GetBytes(16));

        /// <summary>The authorization request: this client, the redirect URI, <c>openid profile</c>, the state, and the
        /// S256 challenge of <see cref="Verifier"/>.</summary>
        public async Task<Uri> AuthorizationRequestAsync()
        {
            var query = await new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = provider.ClientId,
                ["response_type"] = "code",
                ["redirect_uri"] = redirectUri.AbsoluteUri,
                ["scope"] = "openid profile",
                ["state"] = State,
                ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier))),
                ["code_challenge_method"] = "S256",
            }).ReadAsStringAsync();
            return new Uri($"{provider.AuthorizationEndpoint}?{query}");
        }

        /// <summary>The code in the redirect back to the client, after checking it is for this request.</summary>
        public string CodeFrom(Uri back)
        {
            var parameters = System.Web.HttpUtility.ParseQueryString(back.Query);
            Assert.Equal(redirectUri.GetLeftPart(UriPartial.Path), back.GetLeftPart(UriPartial.Path));
            Assert.Equal(State, parameters["state"]);
            Assert.Equal(provider.IssuerName, parameters["iss"]);
            return parameters["code"] ?? throw new InvalidOperationException($"No code in {back}.");
        }

        /// <summary>Signs in as <paramref name="user"/> and answers the code the provider sends to the redirect URI.</summary>
        public async Task<string> AuthorizeAsync(string user)
        {
            var page = await FollowAsync(await AuthorizationRequestAsync());
            page = await SubmitAsync(page, "login", new() { ["login"] = user, ["password"] = OidcProvider.AnyPassword });
            page = await SubmitAsync(page, "consent", []);
            return CodeFrom(page.Redirect ?? throw new InvalidOperationException($"Consent led to a page, not back to the client:\n{page.Html}"));
        }

        /// <summary>The token request for <paramref name="code"/>, with this verifier or another, or none.</summary>
        public async Task<HttpResponseMessage> ExchangeAsync(string code, string? verifier)
        {
            var form = new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirectUri.AbsoluteUri,
                ["client_id"] = provider.ClientId,
            };
            if (verifier is not null)
            {
                form["code_verifier"] = verifier;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, provider.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
            if (Origin is not null)
            {
                request.Headers.Add("Origin", Origin);
            }

            return await browser.SendAsync(request);
        }

        /// <summary>RP-initiated logout: the end_session request, then "yes" on the provider's confirmation form;
        /// answers where the provider sends the browser afterwards.</summary>
        public async Task<Uri> SignOutAsync(string idToken, Uri postLogoutRedirectUri)
        {
            var query = await new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["id_token_hint"] = idToken,
                ["post_logout_redirect_uri"] = postLogoutRedirectUri.AbsoluteUri,
                ["state"] = "bye",
            }).ReadAsStringAsync();
            var page = await FollowAsync(new Uri($"{provider.EndSessionEndpoint}?{query}"));
            Assert.Contains("op.logoutForm", page.Html, StringComparison.Ordinal);
            page = await PostFormAsync(page, new() { ["logout"] = "yes" });
            return page.Redirect ?? throw new InvalidOperationException($"Signing out led to a page, not back to the client:\n{page.Html}");
        }

        public void Dispose() => browser.Dispose();

        private async Task<Page> SubmitAsync(Page page, string prompt, Dictionary<string, string> fields)
        {
            Assert.True(page.Html.Contains($"name=\"prompt\" value=\"{prompt}\"", StringComparison.Ordinal), $"expected the {prompt} form at {page.Address}:\n{page.Html}");
            return await PostFormAsync(page, fields);
        }

        /// <summary>Posts the page's form with its hidden fields and these, then follows the redirects.</summary>
        private async Task<Page> PostFormAsync(Page page, Dictionary<string, string> fields)
        {
            var action = FormAction().Match(page.Html);
            Assert.True(action.Success, $"no form at {page.Address}:\n{page.Html}");
            var values = HiddenField().Matches(page.Html)
                .ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
            foreach (var (name, value) in fields)
            {
                values[name] = value;
            }

            using var response = await browser.PostAsync(new Uri(page.Address, WebUtility.HtmlDecode(action.Groups["action"].Value)), new FormUrlEncodedContent(values));
            return await NextAsync(page.Address, response);
        }

        /// <summary>Follows the provider's redirects until a page of its own, or a redirect that leaves it.</summary>
        private async Task<Page> FollowAsync(Uri address)
        {
            using var response = await browser.GetAsync(address);
            return await NextAsync(address, response);
        }

        private async Task<Page> NextAsync(Uri address, HttpResponseMessage response)
        {
            if (response.Headers.Location is { } location)
            {
                var next = new Uri(address, location);
                return next.GetLeftPart(UriPartial.Authority) == provider.IssuerName
                    ? await FollowAsync(next)
                    : new Page(address, "", next);
            }

            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{address} answered {(int)response.StatusCode}:\n{html}");
            return new Page(address, html, null);
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        [GeneratedRegex("""<form[^>]*\baction="(?<action>[^"]+)""")]
        private static partial Regex FormAction();

        [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"\s*/?>""")]
        private static partial Regex HiddenField();

        /// <summary>Where the browser stands: a page of the provider's, or a redirect away from it.</summary>
        private sealed record Page(Uri Address, string Html, Uri? Redirect);
    }
}
