using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using ImageService.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImageService.Api.Tests;

/// <summary>Jwt mode: writes need a valid token, the owner is its subject, reads stay public.</summary>
public sealed class AuthTests
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "image-service-tests";
    private const string Key = "a-development-signing-key-of-at-least-32-bytes";

    internal static ServiceFactory Start(Dictionary<string, string?>? extra = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "Jwt",
            ["Auth:Jwt:Issuer"] = Issuer,
            ["Auth:Jwt:Audience"] = Audience,
            ["Auth:Jwt:SigningKey"] = Key,
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new ServiceFactory(settings, services);
    }

    [Fact]
    public async Task A_user_with_their_share_of_uploads_in_progress_gets_429_while_another_user_at_the_same_address_uploads()
    {
        var gate = new SemaphoreSlim(0);
        using var service = Start(new() { ["Uploads:MaxInFlightPerClient"] = "1" }, services => GatedProcessor.Register(services, gate));
        using var alice = Authorized(service, Token("alice"));
        using var bob = Authorized(service, Token("bob"));

        var first = alice.UploadAsync(TestImages.Jpeg(64, 64), """{"user_id":"alice"}""");
        await GatedProcessor.HeldAsync(gate);
        using var second = await alice.UploadAsync(TestImages.Jpeg(48, 48), """{"user_id":"alice"}""");
        using var other = await bob.UploadAsync(TestImages.Jpeg(40, 40), """{"user_id":"bob"}""");
        gate.Release();
        using var firstResponse = await first;

        await second.AssertProblemAsync(429, "uploads in progress as one client may (1)");
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        Assert.Equal(2, await service.CreateClient().CountAsync());
    }

    [Fact]
    public async Task A_signed_in_user_uploads_as_themselves_even_without_naming_a_user_id()
    {
        using var service = Start();
        using var client = Authorized(service, Token("alice"));

        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 64), """{"caption":"mine #own"}""");

        Assert.Equal("alice", uploaded.Str("user_id"));
        // Reads need no token.
        using var anonymous = service.CreateClient();
        var listed = JsonDocument.Parse(await anonymous.GetStringAsync("/images?user_id=alice")).RootElement;
        Assert.Equal(uploaded.Str("image_id"), listed[0].Str("image_id"));
        using var view = await anonymous.GetAsync($"/images/{uploaded.Str("image_id")}");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
    }

    [Fact]
    public async Task Posting_as_someone_else_is_403_and_stores_nothing()
    {
        using var service = Start();
        using var client = Authorized(service, Token("alice"));

        using var response = await client.UploadAsync(TestImages.Jpeg(64, 64), """{"user_id":"bob"}""");

        await response.AssertProblemAsync(403, "signed in as 'alice'");
        Assert.Empty(await service.LeftoversAsync());
    }

    [Fact]
    public async Task Deleting_someone_elses_image_is_403_and_changes_nothing()
    {
        using var service = Start();
        var uploaded = await Authorized(service, Token("alice")).UploadOkAsync(TestImages.Jpeg(64, 64), """{"user_id":"alice"}""");
        var id = uploaded.Str("image_id");

        using var byBob = await Authorized(service, Token("bob")).DeleteAsync($"/images/{id}");
        await byBob.AssertProblemAsync(403, "belongs to another user");
        using var stillThere = await service.CreateClient().GetAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        Assert.Equal(3, (await service.LeftoversAsync()).Count);

        using var byAlice = await Authorized(service, Token("alice")).DeleteAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.OK, byAlice.StatusCode);
    }

    public static TheoryData<string> BadTokens => new() { "missing", "expired", "forged", "wrong-audience", "wrong-issuer", "garbage" };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Writes_without_a_valid_token_are_401_with_a_bearer_challenge(string kind)
    {
        using var service = Start();
        var token = kind switch
        {
            "missing" => null,
            "expired" => Token("alice", expires: DateTime.UtcNow.AddMinutes(-5)),
            "forged" => Token("alice", key: "another-key-that-is-also-32-bytes-or-longer"),
            "wrong-audience" => Token("alice", audience: "someone-else"),
            "wrong-issuer" => Token("alice", issuer: "https://evil.test"),
            _ => "not.a.jwt",
        };
        using var client = token is null ? service.CreateClient() : Authorized(service, token);

        using var upload = await client.UploadAsync(TestImages.Jpeg(64, 64), """{"user_id":"alice"}""");
        using var delete = await client.DeleteAsync($"/images/{Guid.NewGuid()}");

        await upload.AssertProblemAsync(401, "Authorization: Bearer");
        Assert.Equal("Bearer", upload.Headers.WwwAuthenticate.Single().Scheme);
        await delete.AssertProblemAsync(401, "Authorization: Bearer");
        Assert.Empty(await service.LeftoversAsync());
    }

    public static TheoryData<string> UnusableTokens => new()
    {
        "no-sub", "empty-sub", "sub-not-a-user-id", "sub-with-trailing-newline", "client-id-beside-another-audience", "cognito-id-token",
    };

    /// <summary>A token the signature check accepts can still be unusable: without an owner every owner check would be
    /// skipped, and an audience or token type meant for something else must not be taken for ours.</summary>
    [Theory]
    [MemberData(nameof(UnusableTokens))]
    public async Task A_valid_token_that_names_no_usable_owner_or_is_meant_for_something_else_is_401(string kind)
    {
        using var service = Start();
        var victims = await Authorized(service, Token("alice")).UploadOkAsync(TestImages.Jpeg(64, 64), "{}");
        var token = kind switch
        {
            "no-sub" => Token(null),
            "empty-sub" => Token(""),
            "sub-not-a-user-id" => Token("auth0|12345"),
            "sub-with-trailing-newline" => Token("alice\n"),
            "client-id-beside-another-audience" => Token("alice", audience: "another-api", extraClaims: [new Claim("client_id", Audience)]),
            _ => Token("alice", extraClaims: [new Claim("token_use", "id")]),
        };
        using var client = Authorized(service, token);

        using var upload = await client.UploadAsync(TestImages.Jpeg(64, 64), """{"user_id":"alice"}""");
        using var delete = await client.DeleteAsync($"/images/{victims.Str("image_id")}");

        foreach (var response in new[] { upload, delete })
        {
            await response.AssertProblemAsync(401, "Your token was refused");
            var challenge = response.Headers.WwwAuthenticate.Single();
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        }

        // Alice's image is untouched and nothing new was stored.
        Assert.Equal(3, (await service.LeftoversAsync()).Count);
        using var view = await service.CreateClient().GetAsync($"/images/{victims.Str("image_id")}");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
    }

    [Fact]
    public async Task A_cognito_style_access_token_naming_the_client_in_client_id_is_accepted()
    {
        using var service = Start();
        var token = Token("carol", audience: null, extraClaims: [new Claim("client_id", Audience), new Claim("token_use", "access")]);

        var uploaded = await Authorized(service, token).UploadOkAsync(TestImages.Jpeg(64, 64), """{"user_id":"carol"}""");

        Assert.Equal("carol", uploaded.Str("user_id"));
    }

    [Fact]
    public async Task Uploads_past_the_per_user_limit_are_429_with_retry_after()
    {
        using var service = Start(new() { ["RateLimits:UploadsPerMinutePerUser"] = "2" });
        using var alice = Authorized(service, Token("alice"));
        using var bob = Authorized(service, Token("bob"));

        await alice.UploadOkAsync(TestImages.Jpeg(64, 64), "{}");
        await alice.UploadOkAsync(TestImages.Jpeg(64, 64), "{}");
        using var third = await alice.UploadAsync(TestImages.Jpeg(64, 64), "{}");
        var bobs = await bob.UploadOkAsync(TestImages.Jpeg(64, 64), "{}");

        await third.AssertProblemAsync(429, "Try again in");
        Assert.InRange(int.Parse(third.Headers.GetValues("Retry-After").Single()), 1, 60);
        Assert.Equal("bob", bobs.Str("user_id"));
    }

    [Theory]
    [InlineData("Auth:Jwt:Audience", "")]
    [InlineData("Auth:Jwt:SigningKey", "short")]
    [InlineData("Auth:Jwt:Authority", "https://both.test")]
    public void An_incomplete_jwt_configuration_stops_the_service_at_start(string key, string value)
    {
        using var service = Start(new() { [key] = value });

        var failure = service.StartFailure();

        Assert.Contains("Auth:Jwt", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_user_who_started_a_direct_upload_may_complete_it()
    {
        using var service = Start();
        using var alice = Authorized(service, Token("alice"));
        using var mallory = Authorized(service, Token("mallory"));
        using var anonymous = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        using var asMallory = await alice.StartAsync(photo, userId: "mallory");
        var started = await alice.StartOkAsync(photo, userId: "alice");
        using (await alice.PostFileAsync(started, photo))
        {
        }

        using var stolen = await mallory.CompleteAsync(started);
        using var unsigned = await anonymous.CompleteAsync(started);
        using var own = await alice.CompleteAsync(started);

        await asMallory.AssertProblemAsync(403, "signed in as 'alice'");
        await stolen.AssertProblemAsync(403, "started by another user");
        await unsigned.AssertProblemAsync(401, "Authorization: Bearer");
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal("alice", (await own.JsonAsync()).Str("user_id"));
    }

    internal static HttpClient Authorized(ServiceFactory service, string token)
    {
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    internal static string Token(
        string? subject, DateTime? expires = null, string key = Key, string? audience = Audience, string issuer = Issuer, Claim[]? extraClaims = null)
    {
        var claims = subject is null ? new List<Claim>() : [new("sub", subject)];
        claims.AddRange(extraClaims ?? []);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = (expires ?? DateTime.UtcNow.AddHours(1)).AddHours(-2),
            Expires = expires ?? DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }
}
