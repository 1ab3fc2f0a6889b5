using Amazon.DynamoDBv2;
using Amazon.S3;
using ImageService.Configuration;
using ImageService.Core.Ports;
using ImageService.Storage.Aws;

namespace ImageService.Storage;

/// <summary>
/// The distributed backend: S3 and DynamoDB clients built once from the standard AWS settings (credentials
/// from the SDK's default chain: environment, profile, container or instance role), the adapters on top.
/// </summary>
internal static class AwsStorageSetup
{
    public static void AddAwsStorage(this WebApplicationBuilder builder)
    {
        // Registered, and so validated, only when AWS is the chosen backend.
        builder.AddValidated(builder.Configuration.GetSection(AwsStorageOptions.Section).Get<AwsStorageOptions>(), o => o.Validate());
        builder.Services.AddSingleton<IAmazonS3>(services =>
            CreateS3(services.GetRequiredService<IConfiguration>(), services.GetRequiredService<AwsStorageOptions>()));
        builder.Services.AddSingleton<IAmazonDynamoDB>(services => CreateDynamoDb(services.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<IBlobStore, S3BlobStore>();
        builder.Services.AddSingleton<IBlobUrlSigner, S3UrlSigner>();
        // One index, seen as the port and as the placeholder backfill's store.
        builder.Services.AddSingleton<DynamoDbImageIndex>();
        builder.Services.AddSingleton<IImageIndex>(services => services.GetRequiredService<DynamoDbImageIndex>());
        builder.Services.AddSingleton<IPlaceholderBackfillStore>(services => services.GetRequiredService<DynamoDbImageIndex>());
        builder.Services.AddSingleton<IIdempotencyStore, DynamoDbIdempotencyStore>();
        builder.Services.AddSingleton<IDirectUploadStore, DynamoDbDirectUploadStore>();
    }

    private static AmazonS3Client CreateS3(IConfiguration configuration, AwsStorageOptions options) =>
        new(AwsClients.S3Config(configuration["AWS_ENDPOINT_URL_S3"] ?? configuration["AWS_ENDPOINT_URL"], Region(configuration), options.ForcePathStyle));

    private static AmazonDynamoDBClient CreateDynamoDb(IConfiguration configuration) =>
        new(AwsClients.DynamoDbConfig(configuration["AWS_ENDPOINT_URL_DYNAMODB"] ?? configuration["AWS_ENDPOINT_URL"], Region(configuration)));

    private static string? Region(IConfiguration configuration) => configuration["AWS_REGION"] ?? configuration["AWS_DEFAULT_REGION"];
}
