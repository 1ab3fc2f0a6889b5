using System.Collections.Concurrent;
using Amazon.Runtime;

namespace ImageService.Testing.Aws;

/// <summary>
/// Counts the HTTP requests SDK clients really send to the emulators, by operation (<c>Query</c>, <c>Scan</c>,
/// <c>BatchGetItem</c> … for DynamoDB; <c>ListObjects</c>, <c>GET</c>, <c>DELETE</c> … for S3), so a test can
/// assert what a piece of work cost. Put it on a client's config as its <see cref="HttpClientFactory"/>
/// (see <see cref="AwsEmulators.CountedDynamoDb"/>); SDK retries count as the requests they are.
/// </summary>
public sealed class RequestCounter : HttpClientFactory
{
    private readonly ConcurrentQueue<string> operations = new();

    public int Count => operations.Count;

    /// <summary>Every request sent since the last <see cref="Reset"/>, in order.</summary>
    public IReadOnlyList<string> Operations => [.. operations];

    public int CountOf(string operation) => operations.Count(o => o == operation);

    /// <summary>The requests since the last <see cref="Reset"/>, counted by operation: the shape <see cref="RequestCostModel"/> counts in.</summary>
    public Dictionary<string, int> ByOperation() => operations.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>When set, also prices every DynamoDB request in capacity units (see <see cref="CapacityMeter"/>).</summary>
    public CapacityMeter? Capacity { get; init; }

    /// <summary>When set, told of every request as it is sent, in the sender's async flow (an <see cref="AsyncLocal{T}"/>
    /// the sender set is visible to it), so a caller can tell which piece of work sent which request: the load simulation
    /// in bench/ attributes each one to the user action being answered, and reads the SDK's attempt number from it.</summary>
    public Action<string, HttpRequestMessage>? Observer { get; init; }

    public void Reset()
    {
        operations.Clear();
        Capacity?.Reset();
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(new CountingHandler(this) { InnerHandler = new SocketsHttpHandler() });

    private static string OperationOf(HttpRequestMessage request)
    {
        if (request.Headers.TryGetValues("X-Amz-Target", out var targets))
        {
            var target = targets.First();
            return target[(target.IndexOf('.') + 1)..];
        }

        return request.Method == HttpMethod.Get && (request.RequestUri?.Query.Contains("list-type=2", StringComparison.Ordinal) ?? false)
            ? "ListObjects"
            : request.Method.Method;
    }

    private sealed class CountingHandler(RequestCounter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var operation = OperationOf(request);
            counter.operations.Enqueue(operation);
            counter.Observer?.Invoke(operation, request);
            return counter.Capacity is { } meter && request.Headers.TryGetValues("X-Amz-Target", out var targets) && CapacityMeter.Prices(targets.First())
                ? meter.SendAsync(request, operation, base.SendAsync, cancellationToken)
                : base.SendAsync(request, cancellationToken);
        }
    }
}
