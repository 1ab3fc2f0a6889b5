using System.Globalization;
using ImageService.Core;
using ImageService.Core.Ports;
using ImageService.Storage.Local;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace ImageService.Files;

internal static class FilesApi
{
    /// <summary>Serves the embedded backend's signed download links (S3 serves its own).</summary>
    public static WebApplication MapFilesApi(this WebApplication app)
    {
        if (app.Services.GetRequiredService<Storage.StorageOptions>().IsAws)
        {
            return app;
        }

        app.MapGet($"/{LocalUrlSigner.RoutePrefix}{{**key}}", Download)
            .WithTags("Downloads")
            .WithSummary("Download a stored image through a signed, expiring link issued by GET /images/{image_id}")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> Download(
        HttpContext context,
        string key,
        [FromQuery] string? exp,
        [FromQuery] string? ct,
        [FromQuery] string? fn,
        [FromQuery] string? sig,
        LocalUrlSigner signer,
        IBlobStore blobs,
        TimeProvider time)
    {
        var now = time.GetUtcNow();
        switch (signer.Verify(key, exp, ct, fn, sig, now))
        {
            case SignedLinkStatus.Invalid:
                throw ImageServiceException.Forbidden(
                    "This download link is not valid: it was altered or cut short. Ask GET /images/{image_id} for a fresh link.");
            case SignedLinkStatus.Expired:
                var expiredAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(exp!, CultureInfo.InvariantCulture));
                throw ImageServiceException.Forbidden(
                    $"This download link expired at {expiredAt:u}. Ask GET /images/{{image_id}} for a fresh link.");
        }

        var blob = await blobs.OpenReadAsync(key, context.RequestAborted)
                   ?? throw ImageServiceException.NotFound("The image behind this link no longer exists; it may have been deleted.");
        context.Response.RegisterForDisposeAsync(blob);

        var headers = context.Response.Headers;
        var remaining = Math.Max(0, long.Parse(exp!, CultureInfo.InvariantCulture) - now.ToUnixTimeSeconds());
        headers.CacheControl = $"private, max-age={remaining}, immutable";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.ContentDisposition = new ContentDispositionHeaderValue("inline") { FileNameStar = fn, FileName = fn }.ToString();
        return TypedResults.Stream(blob.Stream, ct, lastModified: blob.LastModified,
            entityTag: EntityTagHeaderValue.Parse(blob.ETag), enableRangeProcessing: true);
    }
}
