using System.Net;
using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

public sealed class OperationsTests
{
    [Fact]
    public async Task Liveness_and_readiness_report_healthy_stores()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var ready = await client.GetAsync("/health/ready");
        var checks = (await ready.JsonAsync()).GetProperty("checks");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", checks.Str("blob_store"));
        Assert.Equal("Healthy", checks.Str("image_index"));
    }

    [Fact]
    public async Task Readiness_fails_when_the_index_cannot_answer()
    {
        using var service = new ServiceFactory(services: s => s.AddSingleton<IImageIndex, BrokenIndex>());
        using var client = service.CreateClient();

        using var ready = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", (await ready.JsonAsync()).GetProperty("checks").Str("image_index"));
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_problem_that_reveals_only_a_trace_id()
    {
        using var service = new ServiceFactory(services: s => s.AddSingleton<IImageIndex, BrokenIndex>());
        using var client = service.CreateClient();

        using var response = await client.UploadAsync(TestImages.Jpeg(64, 64));

        var detail = await response.AssertProblemAsync(500, "trace_id");
        Assert.DoesNotContain(BrokenIndex.Secret, detail, StringComparison.Ordinal);
        Assert.Empty(service.StoredFiles());
    }

    [Fact]
    public async Task Limits_publish_the_configured_values()
    {
        using var service = new ServiceFactory(new() { ["Limits:MaxUploadBytes"] = "123456", ["Limits:MaxPixels"] = "4000000" });
        using var client = service.CreateClient();

        var limits = JsonDocument.Parse(await client.GetStringAsync("/limits")).RootElement;

        Assert.Equal(123456, limits.GetProperty("max_upload_bytes").GetInt64());
        Assert.Equal(4000000, limits.GetProperty("max_pixels").GetInt64());
        Assert.Contains("image/avif", limits.GetProperty("accepted_content_types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["thumbnail", "display", "original"], limits.GetProperty("variants").EnumerateArray().Select(v => v.Str("name")));
    }

    [Fact]
    public async Task The_pixel_limit_from_configuration_is_enforced()
    {
        using var service = new ServiceFactory(new() { ["Limits:MaxPixels"] = "10000" });
        using var client = service.CreateClient();

        using var response = await client.UploadAsync(TestImages.Jpeg(200, 100));

        await response.AssertProblemAsync(422, "20,000 pixels; the limit is 10,000");
    }

    [Theory]
    [InlineData("Limits:MaxPixels", "0")]
    [InlineData("Limits:MaxUploadBytes", "12")]
    [InlineData("Storage:Provider", "Floppy")]
    [InlineData("Downloads:UrlExpirySeconds", "99999999")]
    [InlineData("Storage:Local:SigningKey", "c2hvcnQ=")]
    [InlineData("Sweeper:PendingAgeSeconds", "0")]
    [InlineData("Processing:InMemoryDecodeBytes", "-1")]
    [InlineData("Limits:MaxPixels", "lots")] // not a number: the binder refuses it, naming the key
    [InlineData("Auth:Mode", "Jwtt")] // not one of the modes
    public void A_bad_setting_stops_the_service_at_start_naming_the_key(string key, string value)
    {
        using var service = new ServiceFactory(new() { [key] = value });

        var failure = service.StartFailure();

        Assert.Contains(key, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_aws_setting_is_only_checked_when_the_aws_backend_is_chosen()
    {
        using var local = new ServiceFactory(new() { ["Storage:Aws:Bucket"] = "Not_A_Bucket" });
        using var aws = new ServiceFactory(new() { ["Storage:Provider"] = "Aws", ["Storage:Aws:Bucket"] = "Not_A_Bucket", ["AWS_REGION"] = "us-east-1" });

        using var ready = await local.CreateClient().GetAsync("/health/live");
        var failure = aws.StartFailure();

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("Storage:Aws:Bucket", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_describes_all_four_operations()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();

        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths");

        Assert.True(paths.GetProperty("/images").TryGetProperty("post", out var post));
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(paths.GetProperty("/images").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/images/{image_id}").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/images/{image_id}").TryGetProperty("delete", out _));
        using var reference = await client.GetAsync("/scalar/");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_edit_its_merge_patch_body_If_Match_ETag_and_412()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();

        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var image = document.GetProperty("paths").GetProperty("/images/{image_id}");
        var patch = image.GetProperty("patch");
        var body = patch.GetProperty("requestBody").GetProperty("content");
        var ifMatch = patch.GetProperty("parameters").EnumerateArray().Single(p => p.Str("name") == "If-Match");
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var editSchema = schemas.GetProperty("ImageEditDescription").GetProperty("properties");

        Assert.True(body.TryGetProperty("application/merge-patch+json", out _));
        Assert.True(body.TryGetProperty("application/json", out _));
        Assert.Equal("header", ifMatch.Str("in"));
        Assert.True(patch.GetProperty("responses").TryGetProperty("412", out _));
        Assert.True(patch.GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        Assert.True(image.GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        Assert.Equal(["alt_text", "caption", "tags"], editSchema.EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains("merge patch", patch.Str("description"));
    }

    [Fact]
    public async Task The_openapi_document_has_a_real_title_introduction_and_licence_and_in_Jwt_mode_declares_the_bearer_token_where_one_is_needed()
    {
        using var open = new ServiceFactory();
        using var signedIn = AuthTests.Start();

        var none = JsonDocument.Parse(await open.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        var jwt = JsonDocument.Parse(await signedIn.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        var info = none.GetProperty("info");
        var paths = jwt.GetProperty("paths");
        static bool Secured(JsonElement operation) =>
            operation.TryGetProperty("security", out var security) && security.EnumerateArray().Any(r => r.TryGetProperty("bearer", out _));

        Assert.Equal("Image service API", info.Str("title"));
        Assert.Contains("Two engines, one API", info.Str("description"));
        Assert.Equal("MIT", info.GetProperty("license").Str("identifier"));
        Assert.True(info.TryGetProperty("contact", out _));
        Assert.False(none.TryGetProperty("components", out var components) && components.TryGetProperty("securitySchemes", out _));
        Assert.Equal("bearer", jwt.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").Str("scheme"));
        Assert.True(Secured(paths.GetProperty("/images").GetProperty("post")));
        Assert.True(Secured(paths.GetProperty("/images/{image_id}").GetProperty("patch")));
        Assert.True(Secured(paths.GetProperty("/images/{image_id}").GetProperty("delete")));
        Assert.True(Secured(paths.GetProperty("/uploads").GetProperty("post")));
        Assert.False(Secured(paths.GetProperty("/images").GetProperty("get")));
        Assert.False(Secured(paths.GetProperty("/images/{image_id}").GetProperty("get")));
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();

        using var response = await client.GetAsync("/no/such/thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>An index whose storage has failed, to see how the service reports what is not the client's fault.</summary>
    private sealed class BrokenIndex : IImageIndex
    {
        public const string Secret = "disk controller on fire";

        public Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) =>
            throw new IOException(Secret);

        public Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task<int> SettleEditsAsync(DateTimeOffset before, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task SettleEditAsync(Guid imageId, CancellationToken cancellationToken) => throw new IOException(Secret);

        public IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken) => throw new IOException(Secret);

        public Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) =>
            throw new IOException(Secret);

        public Task ProbeAsync(CancellationToken cancellationToken) => throw new IOException(Secret);
    }
}
