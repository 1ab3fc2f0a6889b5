using ImageService.Core;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ImageService.Errors;

/// <summary>The one place where failures become HTTP statuses. Client mistakes keep their message; anything
/// else is logged with its trace id and answered with a 500 that reveals nothing but that id.</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            ImageServiceException e => (StatusOf(e.Kind), TitleOf(e.Kind), e.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (413, "Upload too large", "The request body is larger than this service accepts; see GET /limits for max_upload_bytes."),
            BadHttpRequestException e => (e.StatusCode, "Bad request", $"The request could not be read: {e.Message}"),
            StoreUnavailableException =>
                (503, "Storage unavailable", "The image store is unavailable or busy right now. Nothing half-done is visible; try again in a few seconds."),
            _ => (500, "Internal server error", "Something went wrong on our side. Quote the trace_id when you report it."),
        };

        // A busy refusal is load, not a failure: logging each one would make a flood costlier still.
        if (status >= 500 && exception is not ImageServiceException { Kind: ImageErrorKind.Busy })
        {
            logger.LogError(exception, "Unhandled failure on {Method} {Path} (trace_id {TraceId})",
                context.Request.Method, context.Request.Path, ApiErrors.TraceId(context));
        }

        if (context.Response.HasStarted)
        {
            return false;
        }

        context.Response.StatusCode = status;
        if (exception is ImageServiceException { Kind: ImageErrorKind.TooSlow })
        {
            // The rest of a body that came too slowly is not worth reading: the connection ends with this answer.
            context.Response.Headers.Connection = "close";
        }

        if (status is StatusCodes.Status503ServiceUnavailable || exception is ImageServiceException { Kind: ImageErrorKind.TooManyAtOnce })
        {
            context.Response.Headers.RetryAfter = "5";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private static int StatusOf(ImageErrorKind kind) => kind switch
    {
        ImageErrorKind.InvalidRequest => StatusCodes.Status400BadRequest,
        ImageErrorKind.Forbidden or ImageErrorKind.NotOwner => StatusCodes.Status403Forbidden,
        ImageErrorKind.NotFound => StatusCodes.Status404NotFound,
        ImageErrorKind.Conflict => StatusCodes.Status409Conflict,
        ImageErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ImageErrorKind.UnsupportedFormat => StatusCodes.Status415UnsupportedMediaType,
        ImageErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        ImageErrorKind.Busy => StatusCodes.Status503ServiceUnavailable,
        ImageErrorKind.TooManyAtOnce => StatusCodes.Status429TooManyRequests,
        ImageErrorKind.TooSlow => StatusCodes.Status408RequestTimeout,
        ImageErrorKind.PreconditionFailed => StatusCodes.Status412PreconditionFailed,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string TitleOf(ImageErrorKind kind) => kind switch
    {
        ImageErrorKind.InvalidRequest => "Invalid request",
        ImageErrorKind.Forbidden => "Link not valid",
        ImageErrorKind.NotOwner => "Not your image",
        ImageErrorKind.NotFound => "Not found",
        ImageErrorKind.Conflict => "Conflict",
        ImageErrorKind.TooLarge => "Upload too large",
        ImageErrorKind.UnsupportedFormat => "Unsupported media type",
        ImageErrorKind.Unprocessable => "Image cannot be processed",
        ImageErrorKind.Busy => "Too busy for this upload",
        ImageErrorKind.TooManyAtOnce => "Too many uploads at once",
        ImageErrorKind.TooSlow => "Upload too slow",
        ImageErrorKind.PreconditionFailed => "Changed since you read it",
        _ => "Invalid request",
    };
}
