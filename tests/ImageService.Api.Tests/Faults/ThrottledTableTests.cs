using Amazon.DynamoDBv2;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests.Faults;

/// <summary>A DynamoDB table that keeps every batch read unprocessed, as a throttled one does: the service answers
/// 503 with Retry-After once its retry budget is spent, instead of holding the request open.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class ThrottledTableTests(AwsEmulators emulators)
{
    [Fact]
    public async Task A_list_on_a_throttled_table_answers_503_with_retry_after()
    {
        var throttle = new DynamoDbBatchThrottle { Throttled = false };
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators), services: services =>
            services.AddSingleton<IAmazonDynamoDB>(_ => throttle.CreateClient(emulators.DynamoDbEndpoint)));
        using var client = service.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30); // a loop that never gives up fails here rather than hanging
        await client.UploadOkAsync(TestImages.Jpeg(64, 64));

        throttle.Throttled = true;
        var before = throttle.BatchRequests;
        using var list = await client.GetAsync("/images");

        await list.AssertProblemAsync(503, "try again");
        Assert.True(list.Headers.RetryAfter is not null, "a 503 says when to retry");
        Assert.Equal(new Storage.Aws.BatchRetryBudget().MaxAttempts, throttle.BatchRequests - before);
    }
}
