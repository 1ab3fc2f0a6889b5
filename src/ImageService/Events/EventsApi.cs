using System.Net;
using System.Text.Json;
using ImageService.Core;
using ImageService.Http;
using ImageService.Core.Sweeping;
using ImageService.Core.Uploads;
using ImageService.Sweeping;
using ImageService.Storage.Aws;
using ImageService.Uploads;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageService.Events;

/// <summary>
/// AWS events that are not HTTP requests, as the Lambda Web Adapter delivers them: the raw event JSON posted to its
/// pass-through path (<c>AWS_LWA_PASS_THROUGH_PATH</c>, by default <c>/events</c>). S3 notifications of arrived direct
/// uploads complete them; the EventBridge schedule runs the routine sweep.
/// </summary>
internal static class EventsApi
{
    /// <summary>The adapter sets this header on every request it forwards, replacing whatever a client sent: the
    /// gateway's request context for HTTP events, the JSON <c>null</c> for a pass-through event.</summary>
    public const string RequestContextHeader = "x-amzn-request-context";

    public static WebApplication MapEventsApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<Storage.StorageOptions>().IsAws)
        {
            return app;
        }

        var path = "/" + (app.Configuration["AWS_LWA_PASS_THROUGH_PATH"] is { Length: > 0 } configured ? configured : "events").TrimStart('/');
        // Routing ignores case; the gateway does not, so '/EVENTS' would pass a route table that blocks '/events'.
        app.MapPost(path, HandleEvent).ExcludeFromDescription()
            .AddEndpointFilter(async (context, next) => context.HttpContext.Request.Path.Value == path
                ? await next(context)
                : throw ImageServiceException.NotFound("There is nothing at this path."));
        return app;
    }

    private static async Task<Ok<EventResponse>> HandleEvent(
        HttpRequest request,
        DirectUploadService uploads,
        RoutineSweep sweep,
        AwsStorageOptions storage,
        CancellationToken cancellationToken)
    {
        // Only the adapter's pass-through carries a null request context; a request through the HTTP API always
        // carries the gateway's, whatever the client sent. Anything else does not learn that this path exists.
        if (request.Headers[RequestContextHeader] is not [var context] || context?.Trim() != "null")
        {
            throw ImageServiceException.NotFound("There is nothing at this path.");
        }

        using var document = await ReadJsonAsync(request, cancellationToken);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
        {
            var arrived = 0;
            foreach (var uploadId in ArrivedUploads(records, storage.Bucket))
            {
                arrived++;
                await uploads.CompleteArrivedAsync(uploadId, cancellationToken);
            }

            return TypedResults.Ok(new EventResponse("s3", arrived, null));
        }

        if (root.ValueKind == JsonValueKind.Object
            && root.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.String && source.GetString() == "aws.events"
            && root.TryGetProperty("detail-type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Scheduled Event")
        {
            var report = await sweep.RunAsync(cancellationToken);
            return TypedResults.Ok(new EventResponse("schedule", 0, report));
        }

        throw ImageServiceException.Invalid("This is not an event this service handles: an S3 notification of its bucket, or the scheduled sweep.");
    }

    /// <summary>The direct uploads that S3 says were created in this service's bucket. Keys arrive URL-encoded, form style.</summary>
    private static IEnumerable<Guid> ArrivedUploads(JsonElement records, string bucket)
    {
        foreach (var record in records.EnumerateArray())
        {
            if (record.ValueKind == JsonValueKind.Object
                && Text(record, "eventSource") == "aws:s3"
                && Text(record, "eventName") is { } name && name.StartsWith("ObjectCreated:", StringComparison.Ordinal)
                && record.TryGetProperty("s3", out var s3) && s3.ValueKind == JsonValueKind.Object
                && s3.TryGetProperty("bucket", out var bucketElement) && bucketElement.ValueKind == JsonValueKind.Object && Text(bucketElement, "name") == bucket
                && s3.TryGetProperty("object", out var objectElement) && objectElement.ValueKind == JsonValueKind.Object
                && Text(objectElement, "key") is { } key
                && DirectUpload.UploadIdOf(WebUtility.UrlDecode(key)) is { } uploadId)
            {
                yield return uploadId;
            }
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            // An S3 notification holds at most a few records; a megabyte is far more than any event the service handles.
            using var bounded = await BoundedBody.ReadAsync(request.Body, 1024 * 1024, () => ImageServiceException.TooLarge(
                "The event is larger than the 1 MiB any event this service handles can be."), cancellationToken);
            return JsonDocument.Parse(bounded.GetBuffer().AsMemory(0, (int)bounded.Length), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException)
        {
            throw ImageServiceException.Invalid("The event is not valid JSON.");
        }
    }
}

/// <summary>What an event did: the kind, how many direct uploads it reported, and the sweep's report for the schedule.</summary>
public sealed record EventResponse(string Kind, int Uploads, SweepReport? Sweep);
