using System.Diagnostics;
using ImageService.Auth;

namespace ImageService.Errors;

internal static class ApiErrors
{
    /// <summary>Every error, ours or the framework's, answers RFC 9457 problem+json with a trace id to quote.</summary>
    public static WebApplicationBuilder AddApiErrors(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("traceId");
            context.ProblemDetails.Extensions["trace_id"] = TraceId(context.HttpContext);
            context.ProblemDetails.Detail ??= RoutingDetail(context.HttpContext, context.ProblemDetails.Status);
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        return builder;
    }

    /// <summary>The id a client quotes from a problem, and the one the error log carries.</summary>
    public static string TraceId(HttpContext context) => Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;

    // Statuses the router answers by itself (no handler ran) still get a detail that says what to do.
    private static string? RoutingDetail(HttpContext context, int? status)
    {
        var request = context.Request;
        return status switch
        {
            StatusCodes.Status401Unauthorized when BearerTokenRules.RefusalOf(context) is { } refusal =>
                $"Your token was refused: {refusal} Send 'Authorization: Bearer <token>' with a valid access token for this API.",
            StatusCodes.Status401Unauthorized =>
                "Sign in first: send 'Authorization: Bearer <token>' with a valid, unexpired token. Reading images needs no token; uploading and deleting do.",
            StatusCodes.Status404NotFound => $"Nothing is served at {request.Method} {request.Path}. The API reference is at /scalar.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}. The API reference is at /scalar.",
            StatusCodes.Status415UnsupportedMediaType when HttpMethods.IsPatch(request.Method) =>
                $"{request.Method} {request.Path} does not accept Content-Type '{request.ContentType}'. {Images.ImagesApi.EditBodyHint}",
            StatusCodes.Status415UnsupportedMediaType =>
                $"{request.Method} {request.Path} does not accept Content-Type '{request.ContentType}'. POST /images takes multipart/form-data with a 'file' part and a 'metadata' part.",
            _ => null,
        };
    }

    public static WebApplication UseApiErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
