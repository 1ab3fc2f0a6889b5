using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ImageService.Images;

/// <summary>Writes the ETag and If-Match of the image endpoints into the OpenAPI document, which cannot infer headers.</summary>
internal static class ImageETagsDocs
{
    private const string ETagDescription =
        "The version of the image's caption, tags and alt text, e.g. \"v3\". Send it back in If-Match to edit only that version.";

    public static Task DescribeView(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        AddETag(operation, "200");
        return Task.CompletedTask;
    }

    public static Task DescribeEdit(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Description =
            "A JSON merge patch (RFC 7396): a field left out stays as it is, null removes it (no caption, no tags, no alt text), "
            + "and only caption, tags and alt_text may be sent. The rules of an upload apply: lengths, tag normalisation, and the "
            + "caption's hashtags are always among the tags. With If-Match, the edit is made only if the image is still at that "
            + "version (412 otherwise, changing nothing); of two edits sent with the same If-Match, exactly one succeeds. "
            + "The answer is the image as GET /images/{image_id} gives it, with its new ETag.";
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "If-Match",
            In = ParameterLocation.Header,
            Required = false,
            Description = "The ETag of the version this edit applies to (from GET /images/{image_id} or an earlier PATCH), or * for any version.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        AddETag(operation, "200");
        return Task.CompletedTask;
    }

    private static void AddETag(OpenApiOperation operation, string status)
    {
        if (operation.Responses?.TryGetValue(status, out var response) == true && response is OpenApiResponse ok)
        {
            ok.Headers ??= new Dictionary<string, IOpenApiHeader>();
            ok.Headers["ETag"] = new OpenApiHeader { Description = ETagDescription, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
        }
    }
}
