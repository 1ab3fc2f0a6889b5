using ImageService.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ImageService.ApiDocs;

internal static class ApiDocsSetup
{
    private const string Title = "Image service API";
    private const string BearerScheme = "bearer";

    private const string Description = """
        Upload photos with a caption and tags, list them newest first by user and tag, view one through signed,
        expiring download links, edit its caption, tags and alt text, and delete it. Every stored image is decoded
        and re-encoded into three renditions (a 320 × 320 thumbnail, a display size within 1080 × 1350, and the
        full-size original), upright and stripped of metadata, with a ThumbHash placeholder and a dominant colour
        to paint before the pixels arrive.

        **Two engines, one API.** The embedded engine (the default) keeps images on local disk and the index in
        SQLite, and serves its own signed download links. The AWS engine keeps images in S3 and the index in
        DynamoDB, runs on Lambda behind API Gateway, and hands out S3 presigned URLs. Large files go straight to
        storage with a direct upload (`POST /uploads`), the only way past API Gateway's 6 MB request limit.

        **Sign-in.** With `Auth:Mode=None` (the default) anyone may upload, edit and delete, naming a `user_id`.
        With `Auth:Mode=Jwt`, uploads, edits and deletes need `Authorization: Bearer <access token>` from the
        configured OpenID Connect authority (Cognito in the AWS template); the owner is the token's subject and
        only the owner may edit or delete an image. Reads are public either way.

        Errors are `application/problem+json` with a `detail` that says what to fix. The service's web app is at
        [/](/); the API documentation, architecture and deployment guides are in the repository's `docs` folder.
        """;

    public static WebApplicationBuilder AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, context, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = Title,
                    Version = "1",
                    Description = Description,

                    Contact = new OpenApiContact { Name = "The image service's maintainers: issues and changes go through its repository" },
                    License = new OpenApiLicense { Name = "MIT (the LICENSE file at the repository's root)", Identifier = "MIT" },
                };
                if (context.ApplicationServices.GetRequiredService<AuthOptions>().Mode == AuthMode.Jwt)
                {
                    document.Components ??= new OpenApiComponents();
                    document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                    document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        BearerFormat = "JWT",
                        Description = "An access token from the configured OpenID Connect authority; its subject is the owner.",
                    };
                }

                return Task.CompletedTask;
            });

            // In Jwt mode every endpoint that needs a token says so, so the reference page can send one and generated
            // clients know about it.
            options.AddOperationTransformer((operation, context, _) =>
            {
                var needsToken = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any();
                if (needsToken && context.ApplicationServices.GetRequiredService<AuthOptions>().Mode == AuthMode.Jwt)
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [],
                    });
                }

                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>The OpenAPI document at /openapi/v1.json and its interactive reference at /scalar, which fetches nothing
    /// from another host (system fonts, no telemetry) and shows none of the reference tool's own promotions.</summary>
    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(options => options
            .WithTitle(Title)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools()
            .HideClientButton()
            .WithDotNetFlag(false));
        return app;
    }
}
