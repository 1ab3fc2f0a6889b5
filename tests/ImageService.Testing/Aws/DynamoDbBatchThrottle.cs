using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using ImageService.Storage.Aws;

namespace ImageService.Testing.Aws;

/// <summary>
/// DynamoDB clients that talk to dynalite through a handler which, while <see cref="Throttled"/> is set, rewrites
/// every BatchGetItem and BatchWriteItem answer the way a throttled table answers: nothing returned, every key
/// or item handed back as unprocessed. Dynalite still receives (and validates) each request. Counts the batch
/// requests it sees, so a test can tell whether a retry loop stops.
/// </summary>
public sealed class DynamoDbBatchThrottle : HttpClientFactory
{
    private readonly string id = Guid.NewGuid().ToString("N");
    private int batchRequests;

    public bool Throttled { get; set; } = true;

    public int BatchRequests => Volatile.Read(ref batchRequests);

    public AmazonDynamoDBClient CreateClient(string endpoint)
    {
        var config = AwsClients.DynamoDbConfig(endpoint, "us-east-1");
        config.HttpClientFactory = this;
        return new AmazonDynamoDBClient(config);
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Rewriter(this) { InnerHandler = new SocketsHttpHandler() });

    // The SDK caches HTTP clients by this string; one per instance keeps two tests' throttles apart.
    public override string GetConfigUniqueString(IClientConfig clientConfig) => $"batch-throttle-{id}";

    private sealed class Rewriter(DynamoDbBatchThrottle owner) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
            var unprocessedName = target.EndsWith(".BatchGetItem", StringComparison.Ordinal) ? "UnprocessedKeys"
                : target.EndsWith(".BatchWriteItem", StringComparison.Ordinal) ? "UnprocessedItems"
                : null;
            if (unprocessedName is null)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            Interlocked.Increment(ref owner.batchRequests);
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var forwarded = new ByteArrayContent(body);
            foreach (var header in request.Content.Headers)
            {
                forwarded.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            request.Content = forwarded;
            var response = await base.SendAsync(request, cancellationToken);
            if (!owner.Throttled || !response.IsSuccessStatusCode)
            {
                return response;
            }

            var requestItems = JsonNode.Parse(body)!["RequestItems"]!;
            var answer = new JsonObject { [unprocessedName] = requestItems.DeepClone() };
            if (unprocessedName == "UnprocessedKeys")
            {
                answer["Responses"] = new JsonObject(requestItems.AsObject().Select(table => KeyValuePair.Create(table.Key, (JsonNode?)new JsonArray())));
            }

            // A new body without dynalite's x-amz-crc32, which would no longer match it.
            var rewritten = new HttpResponseMessage(response.StatusCode) { RequestMessage = request, Content = new StringContent(answer.ToJsonString()) };
            rewritten.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
            if (response.Headers.TryGetValues("x-amzn-RequestId", out var requestId))
            {
                rewritten.Headers.TryAddWithoutValidation("x-amzn-RequestId", requestId);
            }

            response.Dispose();
            return rewritten;
        }
    }
}
