using System.Net;
using System.Text;
using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Storage.Aws;
using ImageService.Testing;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>AWS events as the Lambda Web Adapter passes them through: the raw event JSON posted to /events with the
/// adapter's null request context. S3 notifications complete direct uploads; the schedule sweeps.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class AwsEventTests(AwsEmulators emulators)
{
    [Fact]
    public async Task An_S3_notification_completes_an_upload_whose_client_never_did_and_a_replay_changes_nothing()
    {
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators));
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(800, 600);
        var started = await client.StartOkAsync(photo);
        using (var posted = await client.PostFileAsync(started, photo))
        {
            Assert.True(posted.IsSuccessStatusCode);
        }

        var notification = S3Notification(service, $"uploads/{started.Str("upload_id")}");
        using var delivered = await PassThroughAsync(client, notification);
        var ids = await client.ListIdsAsync("/images");
        using var replayed = await PassThroughAsync(client, notification);
        using var completedLater = await client.CompleteAsync(started);

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        Assert.Equal(1, (await delivered.JsonAsync()).GetProperty("uploads").GetInt32());
        var image = Assert.Single(ids);
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal(ids, await client.ListIdsAsync("/images"));
        // The phone wakes up and completes: it gets the image the notification made.
        Assert.Equal(HttpStatusCode.Created, completedLater.StatusCode);
        Assert.Equal(image, (await completedLater.JsonAsync()).Str("image_id"));
        Assert.DoesNotContain(await service.LeftoversAsync(), key => key.StartsWith("uploads/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notifications_of_other_buckets_keys_or_kinds_complete_nothing()
    {
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators));
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo))
        {
        }

        var key = $"uploads/{started.Str("upload_id")}";
        using var otherBucket = await PassThroughAsync(client, S3Notification(service, key, bucket: "someone-elses-bucket"));
        using var removed = await PassThroughAsync(client, S3Notification(service, key, eventName: "ObjectRemoved:Delete"));
        using var imageKey = await PassThroughAsync(client, S3Notification(service, $"images/{started.Str("upload_id")}/original.jpg"));

        foreach (var response in new[] { otherBucket, removed, imageKey })
        {
            Assert.Equal(0, (await response.JsonAsync()).GetProperty("uploads").GetInt32());
        }

        Assert.Equal(0, await client.CountAsync());
    }

    [Fact]
    public async Task The_scheduled_event_runs_the_routine_sweep()
    {
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators));
        using var client = service.CreateClient();
        var index = service.Services.GetRequiredService<IImageIndex>();
        var abandoned = ImageIndexContract.Record("123", 0) with { State = ImageState.Pending, StateChangedAt = service.Clock.GetUtcNow() };
        Assert.True(await index.TryAddAsync(abandoned, CancellationToken.None));
        service.Clock.Advance(TimeSpan.FromSeconds(901));

        using var swept = await PassThroughAsync(client, """
            {"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",
             "account":"123456789012","time":"2026-12-03T16:53:06Z","region":"us-east-1",
             "resources":["arn:aws:events:us-east-1:123456789012:rule/sweep"],"detail":{}}
            """);

        Assert.Equal(HttpStatusCode.OK, swept.StatusCode);
        Assert.Equal(1, (await swept.JsonAsync()).GetProperty("sweep").GetProperty("abandoned_uploads").GetInt32());
        Assert.Null(await index.GetAsync(abandoned.ImageId, CancellationToken.None));
    }

    /// <summary>Through the HTTP API the adapter sets the gateway's request context, replacing any a client sent: such a
    /// request, or one with no context at all, must not reach the events.</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("""{"accountId":"123456789012","apiId":"abc","http":{"method":"POST","path":"/events"},"requestId":"x","stage":"$default"}""")]
    [InlineData("")]
    public async Task A_request_that_did_not_come_through_the_adapters_pass_through_is_404(string? requestContext)
    {
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators));
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo);
        using (await client.PostFileAsync(started, photo))
        {
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/events")
        {
            Content = new StringContent(S3Notification(service, $"uploads/{started.Str("upload_id")}"), Encoding.UTF8, "application/json"),
        };
        if (requestContext is not null)
        {
            request.Headers.TryAddWithoutValidation("x-amzn-request-context", requestContext);
        }

        using var response = await client.SendAsync(request);

        await response.AssertProblemAsync(404, "nothing at this path");
        Assert.Equal(0, await client.CountAsync());
    }

    [Fact]
    public async Task An_event_the_service_does_not_handle_is_400()
    {
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators));
        using var client = service.CreateClient();

        using var unknown = await PassThroughAsync(client, """{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification"}""");
        using var notJson = await PassThroughAsync(client, "this is not json");

        await unknown.AssertProblemAsync(400, "not an event this service handles");
        await notJson.AssertProblemAsync(400, "not valid JSON");
    }

    /// <summary>S3 notifies about every upload at about the moment its client completes it: the notification must see
    /// the complete under way and leave it be, without fetching the file a second time or waiting for it.</summary>
    [Fact]
    public async Task A_notification_arriving_while_the_client_completes_does_not_download_the_file_again()
    {
        var gate = new SemaphoreSlim(0);
        RawReadCountingBlobs? counting = null;
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators), null, services =>
        {
            GatedProcessor.Register(services, gate);
            services.Decorate<IBlobStore>((inner, _) => counting = new RawReadCountingBlobs(inner));
        });
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(800, 600);
        var started = await client.StartOkAsync(photo);
        using (var posted = await client.PostFileAsync(started, photo))
        {
            Assert.True(posted.IsSuccessStatusCode);
        }

        var complete = client.CompleteAsync(started);
        await GatedProcessor.HeldAsync(gate);
        var notification = PassThroughAsync(client, S3Notification(service, $"uploads/{started.Str("upload_id")}"));
        await Task.Delay(1500);
        var readsWhileHeld = counting!.RawReads;
        gate.Release();
        using var completed = await complete;
        using var notified = await notification;
        Assert.Equal(HttpStatusCode.OK, notified.StatusCode);

        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
        Assert.True(readsWhileHeld == 1, $"raw object read {readsWhileHeld} times while the client's complete was processing");
    }

    /// <summary>The gateway's route table matches paths case-sensitively and routing does not: the handler answers at its
    /// exact path only, so '/EVENTS' cannot slip past a table that blocks '/events'.</summary>
    [Theory]
    [InlineData("/EVENTS")]
    [InlineData("/Events")]
    public async Task The_events_handler_answers_only_at_its_exact_path(string path)
    {
        using var service = await ServiceFactory.StartAsync(new AwsBackend(emulators));
        using var client = service.CreateClient();

        using var response = await PassThroughAsync(client, """{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}""", path);

        await response.AssertProblemAsync(404, "nothing at this path");
    }

    /// <summary>What the adapter sends for a non-HTTP event: POST, the raw event, and a null request context.</summary>
    private static Task<HttpResponseMessage> PassThroughAsync(HttpClient client, string body, string path = "/events")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("x-amzn-request-context", "null");
        request.Headers.TryAddWithoutValidation("x-amzn-lambda-context",
            """{"request_id":"c6af9ac6-7b61-11e6-9a41-93e812345678","deadline":1796349900000,"invoked_function_arn":"arn:aws:lambda:us-east-1:123456789012:function:images"}""");
        return client.SendAsync(request);
    }

    /// <summary>An S3 ObjectCreated notification exactly as Lambda receives it, the key URL-encoded.</summary>
    private static string S3Notification(ServiceFactory service, string key, string? bucket = null, string eventName = "ObjectCreated:Post")
    {
        bucket ??= service.Services.GetRequiredService<AwsStorageOptions>().Bucket;
        var record = new
        {
            eventVersion = "2.1",
            eventSource = "aws:s3",
            awsRegion = "us-east-1",
            eventTime = "2026-12-03T12:00:00.123Z",
            eventName,
            userIdentity = new { principalId = "AWS:AIDAEXAMPLE" },
            requestParameters = new { sourceIPAddress = "203.0.113.7" },
            responseElements = new Dictionary<string, string> { ["x-amz-request-id"] = "C3D13FE58DE4C810", ["x-amz-id-2"] = "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
            s3 = new
            {
                s3SchemaVersion = "1.0",
                configurationId = "raw-uploads",
                bucket = new { name = bucket, ownerIdentity = new { principalId = "A3NL1KOZZKExample" }, arn = $"arn:aws:s3:::{bucket}" },
                @object = new { key = Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal), size = 1024, eTag = "d41d8cd98f00b204e9800998ecf8427e", sequencer = "0055AED6DCD90281E5" },
            },
        };
        return JsonSerializer.Serialize(new { Records = new[] { record } });
    }
}
