using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;

namespace ImageService.Storage.Aws;

/// <summary>
/// Client settings for real AWS and for emulators, for the composition root (and tests) to build the clients
/// the adapters receive. Credentials always come from the SDK's default chain: environment, profile,
/// container or instance role.
/// </summary>
public static class AwsClients
{
    public static AmazonS3Config S3Config(string? endpoint, string? region, bool? forcePathStyle)
    {
        var config = new AmazonS3Config { ForcePathStyle = forcePathStyle ?? endpoint is not null };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region ?? "us-east-1";
            // Emulators such as s3rver mishandle the flexible checksums and aws-chunked bodies SDK v4 sends by default.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }

    public static AmazonDynamoDBConfig DynamoDbConfig(string? endpoint, string? region)
    {
        var config = new AmazonDynamoDBConfig();
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }
}
