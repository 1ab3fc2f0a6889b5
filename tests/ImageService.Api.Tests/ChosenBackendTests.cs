using Amazon.DynamoDBv2;
using Amazon.S3;
using ImageService.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>Only the backend named by Storage:Provider is registered: a local run has no AWS client to build.</summary>
public sealed class ChosenBackendTests
{
    [Fact]
    public async Task A_local_run_registers_no_AWS_client_and_ignores_AWS_settings()
    {
        using var service = new ServiceFactory(new() { ["Storage:Aws:Bucket"] = "" });
        using var client = service.CreateClient();
        await client.UploadOkAsync(Testing.TestImages.Jpeg(64, 64));

        Assert.Null(service.Services.GetService<IAmazonS3>());
        Assert.Null(service.Services.GetService<IAmazonDynamoDB>());
        Assert.Single(service.Services.GetServices<IBlobStore>());
        Assert.Single(service.Services.GetServices<IImageIndex>());
    }
}
