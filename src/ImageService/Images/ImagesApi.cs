using ImageService.Auth;
using ImageService.Core;
using ImageService.RateLimits;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Metadata;
using ImageService.Core.Processing;
using ImageService.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageService.Images;

internal static class ImagesApi
{
    private const string Uploaded = "Image uploaded successfully";
    private const string Deleted = "Image deleted successfully";
    private const string MergePatch = "application/merge-patch+json";

    /// <summary>What an edit's body must be, for every answer that refuses one for its type.</summary>
    internal const string EditBodyHint =
        "PATCH /images/{image_id} takes " + MergePatch + " (or application/json): the fields to change, e.g. {\"caption\":\"Sunset #beach\",\"alt_text\":\"The sun setting over a calm sea\"}.";

    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        var images = app.MapGroup("/images").WithTags("Images");

        images.MapPost("/", UploadImage)
            .WithSummary("Upload an image with its metadata")
            .RequireAuthorization(AuthSetup.WritePolicy)
            .RequireRateLimiting(UploadRateLimits.Policy)
            .Accepts<UploadFormDescription>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status408RequestTimeout)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        images.MapGet("/", ListImages)
            .WithSummary("List images, newest first, optionally by user and/or tag")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        images.MapGet("/{image_id}", GetImage)
            .WithSummary("Get an image's record and signed download links (or a redirect to the image)")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AddOpenApiOperationTransformer(ImageETagsDocs.DescribeView);
        images.MapPatch("/{image_id}", EditImage)
            .WithSummary("Change an image's caption, tags or alt text (a JSON merge patch; If-Match with the ETag to edit only the version you read)")
            .RequireAuthorization(AuthSetup.WritePolicy)
            .RequireRateLimiting(UploadRateLimits.EditPolicy)
            .Accepts<ImageEditDescription>(MergePatch, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer(ImageETagsDocs.DescribeEdit);
        images.MapDelete("/{image_id}", DeleteImage)
            .WithSummary("Delete an image, its variants and its metadata")
            .RequireAuthorization(AuthSetup.WritePolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Created<ImageResponse>> UploadImage(
        HttpRequest request, UploadFormReader forms, IdempotentUploads uploads, ImageCatalog catalog, CancellationToken cancellationToken)
    {
        using var form = await forms.ReadAsync(request, cancellationToken);
        var key = request.Headers.TryGetValue("Idempotency-Key", out var values) ? values.ToString() : null;
        UploadOutcome outcome;
        using (await form.Ticket.WaitForProcessingAsync(cancellationToken))
        {
            outcome = await uploads.UploadAsync(key, form.Metadata, form.FilePath, Callers.From(request.HttpContext), cancellationToken);
        }

        return await UploadedAsync(request, outcome, catalog, cancellationToken);
    }

    /// <summary>The answer to an upload, by either path: 201, the image with its links, and whether it was replayed.</summary>
    internal static async Task<Created<ImageResponse>> UploadedAsync(
        HttpRequest request, UploadOutcome outcome, ImageCatalog catalog, CancellationToken cancellationToken)
    {
        if (outcome.Replayed)
        {
            request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
        }

        var record = outcome.Record;
        var signed = await catalog.SignAsync(record, cancellationToken);
        var body = ImageResponse.From(signed, BaseUri(request)) with { Message = Uploaded };
        return TypedResults.Created($"{request.PathBase}/images/{record.ImageId:D}", body);
    }

    private static async Task<Ok<List<ImageSummaryResponse>>> ListImages(
        HttpContext context,
        ImageCatalog catalog,
        [FromQuery(Name = "user_id")] string? userId,
        [FromQuery] string? tag,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        CancellationToken cancellationToken)
    {
        var page = await catalog.ListAsync(new ImageListRequest(userId, tag, limit, cursor), cancellationToken);
        var baseUri = BaseUri(context.Request);
        var items = new List<ImageSummaryResponse>(page.Items.Count);
        foreach (var record in page.Items)
        {
            var signed = await catalog.SignAsync(record, cancellationToken, VariantNames.Original, VariantNames.Thumbnail);
            items.Add(ImageSummaryResponse.From(signed, baseUri));
        }

        if (page.NextCursor is not null)
        {
            // The body stays the bare array of the original specification; the next page travels in a Link header.
            var next = QueryString.Create(new Dictionary<string, string?>
            {
                ["user_id"] = userId, ["tag"] = tag, ["limit"] = limit, ["cursor"] = page.NextCursor,
            }.Where(pair => !string.IsNullOrEmpty(pair.Value)));
            context.Response.Headers.Link = $"<{new Uri(baseUri, "images" + next)}>; rel=\"next\"";
        }

        return TypedResults.Ok(items);
    }

    private static async Task<Results<Ok<ImageResponse>, RedirectHttpResult>> GetImage(
        HttpRequest request,
        ImageCatalog catalog,
        [FromRoute(Name = "image_id")] string imageId,
        [FromQuery] string? redirect,
        CancellationToken cancellationToken)
    {
        var id = ImageCatalog.ParseImageId(imageId);
        var record = await catalog.GetAsync(id, cancellationToken) ?? throw ImageCatalog.NoSuchImage(id);
        var response = ImageResponse.From(await catalog.SignAsync(record, cancellationToken), BaseUri(request));
        request.HttpContext.Response.Headers.ETag = ImageETags.Of(record);
        return IsTrue(redirect)
            ? TypedResults.Redirect(response.Url.AbsoluteUri)
            : TypedResults.Ok(response);
    }

    private static async Task<Ok<ImageResponse>> EditImage(
        HttpRequest request, ImageCatalog catalog, UploadLimits limits, [FromRoute(Name = "image_id")] string imageId, CancellationToken cancellationToken)
    {
        var id = ImageCatalog.ParseImageId(imageId);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !(string.Equals(mediaType.MediaType.Value, MergePatch, StringComparison.OrdinalIgnoreCase)
                 || string.Equals(mediaType.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase)))
        {
            throw ImageServiceException.Unsupported(EditBodyHint);
        }

        var precondition = ImageETags.Precondition(request);
        var json = await BoundedBody.ReadTextAsync(request.Body, limits.MaxMetadataBytes, () => ImageServiceException.TooLarge(
            $"The body is larger than the {limits.MaxMetadataBytes:N0} bytes an edit may take."), cancellationToken);
        var edit = ImageEdit.Parse(json);
        var record = await catalog.EditAsync(id, edit, precondition, Callers.From(request.HttpContext), cancellationToken);
        request.HttpContext.Response.Headers.ETag = ImageETags.Of(record);
        return TypedResults.Ok(ImageResponse.From(await catalog.SignAsync(record, cancellationToken), BaseUri(request)));
    }

    private static async Task<Ok<MessageResponse>> DeleteImage(
        HttpContext context, ImageCatalog catalog, [FromRoute(Name = "image_id")] string imageId, CancellationToken cancellationToken)
    {
        var id = ImageCatalog.ParseImageId(imageId);
        return await catalog.DeleteAsync(id, Callers.From(context), cancellationToken)
            ? TypedResults.Ok(new MessageResponse(Deleted))
            : throw ImageCatalog.NoSuchImage(id);
    }

    private static bool IsTrue(string? value) => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    internal static Uri BaseUri(HttpRequest request) => new($"{request.Scheme}://{request.Host}{request.PathBase}/");
}
