using System.Text.Json.Nodes;
using ImageService.Auth;
using ImageService.Http;
using ImageService.Core;
using ImageService.Core.Images;
using ImageService.Core.Processing;
using ImageService.Core.Uploads;
using ImageService.Images;
using ImageService.RateLimits;
using ImageService.Storage.Local;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace ImageService.Uploads;

internal static class UploadsApi
{
    private static readonly HashSet<string> FormFields = new(StringComparer.OrdinalIgnoreCase) { "key", "Content-Type", "policy", "signature" };

    public static WebApplication MapUploadsApi(this WebApplication app)
    {
        var uploads = app.MapGroup("/uploads").WithTags("Direct uploads");
        uploads.MapPost("/", CreateUpload)
            .WithSummary("Start a direct upload: the metadata and the file's size and type in, a signed form to post the file to storage out")
            .RequireAuthorization(AuthSetup.WritePolicy)
            .RequireRateLimiting(UploadRateLimits.Policy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        uploads.MapPost("/{upload_id}/complete", CompleteUpload)
            .WithSummary("Turn a direct upload's stored file into an image; answers what POST /images answers")
            .RequireAuthorization(AuthSetup.WritePolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        // S3 takes the file itself; the embedded backend takes it here, with the same rules.
        if (!app.Services.GetRequiredService<Storage.StorageOptions>().IsAws)
        {
            uploads.MapPost("/{upload_id}/file", ReceiveFile)
                .RequireRateLimiting(UploadRateLimits.Policy)
                .WithSummary("Take a direct upload's file, posted with the signed fields of its form (embedded backend; on AWS the form posts to S3)")
                .ProducesProblem(StatusCodes.Status400BadRequest)
                .ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesProblem(StatusCodes.Status408RequestTimeout)
                .ProducesProblem(StatusCodes.Status409Conflict)
                .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
                .ProducesProblem(StatusCodes.Status429TooManyRequests)
                .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        }

        return app;
    }

    private static async Task<Created<CreatedUploadResponse>> CreateUpload(
        HttpRequest request, DirectUploadService service, UploadLimits limits, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw ImageServiceException.Unsupported(
                "POST /uploads takes application/json: the metadata with 'size_bytes' and 'content_type', e.g. {\"user_id\":\"123\",\"caption\":\"Beach\",\"size_bytes\":2048000,\"content_type\":\"image/jpeg\"}.");
        }

        var json = await BoundedBody.ReadTextAsync(request.Body, limits.MaxMetadataBytes, () => ImageServiceException.TooLarge(
            $"The body is larger than the {limits.MaxMetadataBytes:N0} bytes the metadata of an upload may take."), cancellationToken);
        var (upload, form) = await service.CreateAsync(json, Callers.From(request.HttpContext), cancellationToken);
        var baseUri = ImagesApi.BaseUri(request);
        var fields = new JsonObject();
        foreach (var (name, value) in form.Fields)
        {
            fields[name] = value;
        }

        var location = $"{request.PathBase}/uploads/{upload.UploadId:D}";
        return TypedResults.Created(location, new CreatedUploadResponse(
            upload.UploadId, "POST", new Uri(baseUri, form.Url), fields, upload.ExpiresAt, upload.CompleteBy,
            new Uri(baseUri, $"uploads/{upload.UploadId:D}/complete"), upload.SizeBytes, upload.ContentType));
    }

    private static async Task<Created<ImageResponse>> CompleteUpload(
        HttpRequest request,
        DirectUploadService service,
        ImageCatalog catalog,
        [FromRoute(Name = "upload_id")] string uploadId,
        CancellationToken cancellationToken)
    {
        var outcome = await service.CompleteAsync(ParseUploadId(uploadId), Callers.From(request.HttpContext),
            UploadFormReader.ClientOf(request.HttpContext), cancellationToken);
        return await ImagesApi.UploadedAsync(request, outcome, catalog, cancellationToken);
    }

    /// <summary>Takes the file the way S3 takes a POST form: the signed policy decides, before a byte of the file is
    /// kept; the file must be exactly the declared size (and SHA-256); the answer is S3's, 204.</summary>
    private static async Task<NoContent> ReceiveFile(
        HttpRequest request,
        [FromRoute(Name = "upload_id")] string uploadId,
        UploadFormReader forms,
        LocalUrlSigner signer,
        Core.Ports.IBlobStore blobs,
        Core.Ports.IDirectUploadStore store,
        DirectUploadOptions options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var id = ParseUploadId(uploadId);
        LocalUploadPolicy? policy = null;
        using var form = await forms.ReadPostFormAsync(request, options.MaxBytes, FormFields, async fields =>
        {
            policy = Authorize(signer, id, fields, time.GetUtcNow());
            // A form outlives nothing: once its upload is over, a re-post (a client's retry) must not store a file again.
            if (await store.GetAsync(policy.UploadId, cancellationToken) is not { IsOpen: true })
            {
                throw new ImageServiceException(ImageErrorKind.Conflict,
                    $"Upload {policy.UploadId:D} is over (completed, refused or gone); its form takes no more files. GET its image, or start a new upload.");
            }

            return new FileRules(policy.SizeBytes, max => ImageServiceException.TooLarge(
                $"The file is larger than the {max:N0} bytes this upload declared. Start a new upload declaring the file's real size."), HashFile: true);
        }, cancellationToken);

        if (form.FileLength != policy!.SizeBytes)
        {
            throw ImageServiceException.Invalid(
                $"The file is {form.FileLength:N0} bytes, fewer than the {policy.SizeBytes:N0} bytes this upload declared. Send the whole file.");
        }

        if (policy.Sha256 is { } declared && declared != form.Sha256)
        {
            throw ImageServiceException.Invalid(
                $"The file's SHA-256 is {form.Sha256}, not the {declared} this upload declared: it was corrupted on the way. Send it again.");
        }

        await using (var file = new FileStream(form.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            await blobs.PutAsync(policy.Key, file, policy.ContentType, cancellationToken);
        }

        return TypedResults.NoContent();
    }

    private static LocalUploadPolicy Authorize(LocalUrlSigner signer, Guid uploadId, IReadOnlyDictionary<string, string> fields, DateTimeOffset now)
    {
        var policy = signer.VerifyUpload(fields.GetValueOrDefault("policy"), fields.GetValueOrDefault("signature"));
        if (policy is null || policy.UploadId != uploadId)
        {
            throw ImageServiceException.Forbidden(
                "This upload form is not valid: its policy or signature is missing or altered, or it belongs to another upload. Send the fields POST /uploads gave, unchanged, before the file.");
        }

        if (now >= policy.ExpiresAt)
        {
            throw ImageServiceException.Forbidden($"This upload form expired at {policy.ExpiresAt:u}. Start again with POST /uploads.");
        }

        if (fields.GetValueOrDefault("key") != policy.Key || fields.GetValueOrDefault("Content-Type") != policy.ContentType)
        {
            throw ImageServiceException.Forbidden(
                $"The form's 'key' and 'Content-Type' must be the ones it was signed for ('{policy.Key}', '{policy.ContentType}'). Send the fields POST /uploads gave, unchanged.");
        }

        return policy;
    }

    private static Guid ParseUploadId(string uploadId) => Guid.TryParseExact(uploadId, "D", out var id)
        ? id
        : throw ImageServiceException.Invalid($"'{uploadId}' is not an upload id; use the upload_id POST /uploads answered (a UUID).");
}

/// <summary>A started direct upload: post <see cref="Fields"/> and then the file (as <c>file</c>) to <see cref="Url"/>
/// with <see cref="Method"/> before <see cref="ExpiresAt"/>, then <c>POST</c> <see cref="CompleteUrl"/> before
/// <see cref="CompleteBy"/>.</summary>
public sealed record CreatedUploadResponse(
    Guid UploadId,
    string Method,
    Uri Url,
    JsonObject Fields,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CompleteBy,
    Uri CompleteUrl,
    long SizeBytes,
    string ContentType);
