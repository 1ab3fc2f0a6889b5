using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Core.Uploads;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageService.Limits;

internal static class LimitsApi
{
    public static IEndpointRouteBuilder MapLimitsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/limits", GetLimits)
            .WithTags("Limits")
            .WithSummary("What this deployment accepts: sizes, pixels, formats, metadata rules, page sizes and variants");
        return app;
    }

    private static Ok<LimitsResponse> GetLimits(UploadLimits limits, DownloadOptions downloads, DirectUploadOptions direct, IImageProcessor processor) =>
        TypedResults.Ok(new LimitsResponse(
            limits.MaxUploadBytes,
            direct.MaxBytes,
            direct.UrlExpirySeconds,
            limits.MaxPixels,
            limits.MaxMetadataBytes,
            processor.AcceptedContentTypes,
            UploadLimits.MaxUserIdLength,
            UploadLimits.MaxCaptionLength,
            UploadLimits.MaxTags,
            UploadLimits.MaxTagLength,
            UploadLimits.MaxAltTextLength,
            ImageListRequest.DefaultLimit,
            ImageListRequest.MaxLimit,
            downloads.UrlExpirySeconds,
            VariantSpecs.All));
}

/// <summary>The published limits of this deployment.</summary>
public sealed record LimitsResponse(
    long MaxUploadBytes,
    long MaxDirectUploadBytes,
    int DirectUploadUrlExpirySeconds,
    long MaxPixels,
    int MaxMetadataBytes,
    IReadOnlyList<string> AcceptedContentTypes,
    int MaxUserIdLength,
    int MaxCaptionLength,
    int MaxTags,
    int MaxTagLength,
    int MaxAltTextLength,
    int DefaultPageSize,
    int MaxPageSize,
    int DownloadUrlExpirySeconds,
    IReadOnlyList<VariantSpec> Variants);
