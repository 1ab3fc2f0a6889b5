using Amazon.DynamoDBv2;
using Amazon.Runtime;
using ImageService.Storage.Aws;

namespace ImageService.Testing.Aws;

/// <summary>
/// DynamoDB clients to dynalite through a handler that stands for a process dying mid-way: once armed, the
/// <see cref="At"/>-th request (counting from 1) and every one after it fail without reaching the store, or, with
/// <see cref="AnswerLost"/>, the <see cref="At"/>-th reaches it and only its answer is lost. Or the <see cref="At"/>-th
/// is held until <see cref="Release"/> (a slow request that lands late), or, with <see cref="Once"/>, only the
/// <see cref="At"/>-th fails and later ones go through (a blip the SDK retries, when the client allows retries).
/// By default clients make no retries, so each request of the code under test is one request here.
/// </summary>
public sealed class DynamoDbCrash : HttpClientFactory
{
    private readonly string id = Guid.NewGuid().ToString("N");
    private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource reachedHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int sent;

    public int At { get; set; } = int.MaxValue;

    public bool AnswerLost { get; set; }

    public bool Hold { get; set; }

    public bool Once { get; set; }

    /// <summary>The operations sent since the client was made (X-Amz-Target without its prefix), in order.</summary>
    public List<string> Operations { get; } = [];

    /// <summary>Completes when the held request has arrived here (and waits).</summary>
    public Task Reached => reachedHeld.Task;

    public void Release() => held.TrySetResult();

    /// <summary>Counts from here: the next request is number 1.</summary>
    public void Arm(int at, bool answerLost = false, bool hold = false, bool once = false)
    {
        (sent, At, AnswerLost, Hold, Once) = (0, at, answerLost, hold, once);
        lock (Operations)
        {
            Operations.Clear();
        }
    }

    public AmazonDynamoDBClient CreateClient(string endpoint, int retries = 0)
    {
        var config = AwsClients.DynamoDbConfig(endpoint, "us-east-1");
        config.HttpClientFactory = this;
        config.MaxErrorRetry = retries;
        return new AmazonDynamoDBClient(config);
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Failing(this) { InnerHandler = new SocketsHttpHandler() });

    public override string GetConfigUniqueString(IClientConfig clientConfig) => $"crash-{id}";

    private sealed class Failing(DynamoDbCrash owner) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var number = Interlocked.Increment(ref owner.sent);
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
            lock (owner.Operations)
            {
                owner.Operations.Add(target[(target.IndexOf('.') + 1)..]);
            }

            if (number == owner.At && owner.Hold)
            {
                owner.reachedHeld.TrySetResult();
                await owner.held.Task.WaitAsync(cancellationToken);
                return await base.SendAsync(request, cancellationToken);
            }

            if (number < owner.At || owner.Hold || (owner.Once && number > owner.At))
            {
                return await base.SendAsync(request, cancellationToken);
            }

            if (number == owner.At && owner.AnswerLost)
            {
                (await base.SendAsync(request, cancellationToken)).Dispose();
            }

            if (owner.Once)
            {
                // What DynamoDB answers when it fails inside: a 500 the SDK retries.
                var failed = new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError)
                {
                    RequestMessage = request,
                    Content = new StringContent("""{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}"""),
                };
                failed.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.0");
                return failed;
            }

            throw new HttpRequestException($"crashed before request {number} ({target}) was answered");
        }
    }
}
