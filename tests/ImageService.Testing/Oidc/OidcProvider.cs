using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace ImageService.Testing.Oidc;

/// <summary>
/// A real OpenID Connect server for one test: <c>oidc-provider</c>, pinned in tests/oidc and run by
/// tests/oidc/provider.mjs under Node on a free loopback port. It knows one public client (<see cref="ClientId"/>, no
/// secret) that signs in with the Authorization Code flow and PKCE (S256, required), and issues RS256-signed JWT
/// access tokens whose <c>aud</c> is <see cref="Audience"/> and whose <c>sub</c> is whatever login was typed at its
/// development login page (any password goes). Keys are generated at every start and published at its jwks_uri;
/// its token endpoint answers CORS for any http loopback origin, and it has an end_session endpoint.
/// Loopback redirect URIs match on any port (RFC 8252, section 7.3): register <c>http://127.0.0.1/callback</c>
/// before the web app that receives the code has a port.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string DefaultClientId = "image-service-web";

    /// <summary>Also the resource indicator the client's requests default to, so it is an absolute URI.</summary>
    public const string DefaultAudience = "urn:image-service";

    /// <summary>Any password signs in at the development login page; this is the one <see cref="SignInAsync"/> types.</summary>
    public const string AnyPassword = "any-password";

    /// <summary>The interaction pages import a web font from the internet, which may never load here: the document
    /// is enough.</summary>
    private static readonly PageWaitForURLOptions Moved = new() { WaitUntil = WaitUntilState.DOMContentLoaded };

    private readonly Process process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private OidcProvider(Process process, Uri issuer, string clientId, string audience, IReadOnlyList<Uri> redirectUris)
    {
        this.process = process;
        Issuer = issuer;
        ClientId = clientId;
        Audience = audience;
        RedirectUris = redirectUris;
    }

    /// <summary>The issuer, for <c>Auth:Jwt:Authority</c>; its discovery document is at
    /// <c>/.well-known/openid-configuration</c>. The tokens' <c>iss</c> is <c>http://127.0.0.1:{port}</c>, without the
    /// trailing slash that <see cref="Uri.ToString"/> adds: compare with <see cref="IssuerName"/>.</summary>
    public Uri Issuer { get; }

    /// <summary>The issuer exactly as the tokens' <c>iss</c> and the discovery document's <c>issuer</c> say it.</summary>
    public string IssuerName => Issuer.GetLeftPart(UriPartial.Authority);

    public string ClientId { get; }

    /// <summary>The <c>aud</c> of every access token it issues: the value for <c>Auth:Jwt:Audience</c>.</summary>
    public string Audience { get; }

    public IReadOnlyList<Uri> RedirectUris { get; }

    /// <summary>From the discovery document.</summary>
    public Uri AuthorizationEndpoint { get; private set; } = null!;

    /// <summary>From the discovery document.</summary>
    public Uri TokenEndpoint { get; private set; } = null!;

    /// <summary>From the discovery document: RP-initiated logout.</summary>
    public Uri EndSessionEndpoint { get; private set; } = null!;

    /// <summary>What the server has written to stdout and stderr.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>The folder of the npm package that holds provider.mjs.</summary>
    public static string Folder => Path.Combine(RepositoryPaths.Root, "tests", "oidc");

    /// <summary>Runs <c>npm ci</c> in tests/oidc when a fresh clone has no oidc-provider yet, as the emulators' fixture
    /// does in tests/emulators, one test process at a time.</summary>
    private static async Task EnsureInstalledAsync()
    {
        var module = Path.Combine(Folder, "node_modules", "oidc-provider", "package.json");
        await using var gate = await Aws.AwsEmulators.AcquireLockAsync(Path.Combine(Folder, ".install.lock"));
        if (File.Exists(module))
        {
            return;
        }

        using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = Folder, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("Could not start npm: Node.js and npm are needed for the sign-in tests.");
        await npm.StandardOutput.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0 || !File.Exists(module))
        {
            throw new InvalidOperationException($"`npm ci` in {Folder} failed (exit code {npm.ExitCode}): oidc-provider is not installed. Run npm ci --prefix tests/oidc (.ci/run does).");
        }
    }

    /// <summary>
    /// Starts the server with one client whose redirect URIs (and post-logout redirect URIs) are these, and waits
    /// until it listens and serves its discovery document. Throws, never skips, when Node.js or the npm package
    /// is missing.
    /// </summary>
    public static async Task<OidcProvider> StartAsync(
        IEnumerable<Uri> redirectUris,
        IEnumerable<Uri>? postLogoutRedirectUris = null,
        string clientId = DefaultClientId,
        string audience = DefaultAudience)
    {
        IReadOnlyList<Uri> redirects = [.. redirectUris];
        if (redirects.Count == 0)
        {
            throw new ArgumentException("The client needs at least one redirect URI.", nameof(redirectUris));
        }

        await EnsureInstalledAsync();
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["provider.mjs", "--port", $"{port}", "--client-id", clientId, "--audience", audience])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var uri in redirects)
        {
            start.ArgumentList.Add("--redirect-uri");
            start.ArgumentList.Add(uri.AbsoluteUri);
        }

        foreach (var uri in postLogoutRedirectUris ?? [])
        {
            start.ArgumentList.Add("--post-logout-redirect-uri");
            start.ArgumentList.Add(uri.AbsoluteUri);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        }
        catch (Win32Exception missing)
        {
            throw new InvalidOperationException(
                "Could not start node: the OpenID Connect tests need Node.js on the PATH, then npm ci --prefix tests/oidc (.ci/run does both).",
                missing);
        }

        var issuer = new Uri($"http://127.0.0.1:{port}");
        var provider = new OidcProvider(process, issuer, clientId, audience, redirects);
        try
        {
            await provider.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Signs in on a page that shows this server's login form (after the browser followed an authorization request
    /// here): types <paramref name="user"/> and <see cref="AnyPassword"/>, submits, and continues on the consent page
    /// when it is shown (for this native client it always is). Returns once the browser has left the interaction
    /// pages, normally at the redirect URI with <c>code</c> and <c>state</c> in its query.
    /// </summary>
    public async Task SignInAsync(IPage page, string user)
    {
        var login = page.Locator("form:has(input[name='prompt'][value='login'])");
        await login.WaitForAsync();
        await login.Locator("input[name='login']").FillAsync(user);
        await login.Locator("input[name='password']").FillAsync(AnyPassword);
        await SubmitAsync(page, login);

        var consent = page.Locator("form:has(input[name='prompt'][value='consent'])");
        if (IsInteraction(page.Url) && await consent.CountAsync() > 0)
        {
            await SubmitAsync(page, consent);
        }

        if (IsInteraction(page.Url))
        {
            throw new InvalidOperationException($"Signing in as {user} stopped on {page.Url}:\n{await page.ContentAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // provider.mjs exits when its standard input closes; kill it if it does not within a few seconds.
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // already gone
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }

    /// <summary>Every interaction has a page of its own (the consent page's id is not the login page's), so the
    /// browser has moved on once its address changes.</summary>
    private static async Task SubmitAsync(IPage page, ILocator form)
    {
        var before = page.Url;
        await form.Locator("button[type='submit']").ClickAsync();
        await page.WaitForURLAsync(url => url != before, Moved);
    }

    private bool IsInteraction(string url) =>
        url.StartsWith($"{IssuerName}/interaction/", StringComparison.Ordinal);

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }

            output.Enqueue(line.Data);
            if (line.Data == $"ready {IssuerName}")
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                output.Enqueue(line.Data);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            if (ready.Task.IsCompleted)
            {
                return;
            }

            _ = Task.Run(() =>
            {
                // The wait without a timeout returns once both output streams are read to their end.
                process.WaitForExit();
                ready.TrySetException(new InvalidOperationException($"provider.mjs exited with code {process.ExitCode} before it was ready:\n{Output}"));
            });
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"provider.mjs did not print ready within {timeout.TotalSeconds:F0} s:\n{Output}");
        }

        using var http = new HttpClient();
        var discovery = await http.GetFromJsonAsync<JsonElement>(new Uri(Issuer, "/.well-known/openid-configuration"));
        AuthorizationEndpoint = new Uri(discovery.GetProperty("authorization_endpoint").GetString()!);
        TokenEndpoint = new Uri(discovery.GetProperty("token_endpoint").GetString()!);
        EndSessionEndpoint = new Uri(discovery.GetProperty("end_session_endpoint").GetString()!);
    }
}
