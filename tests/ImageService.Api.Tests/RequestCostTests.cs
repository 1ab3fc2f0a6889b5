using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.S3;
using ImageService.Core.Processing;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ImageService.Api.Tests;

/// <summary>
/// What each thing a user does costs the AWS engine in requests to S3 and DynamoDB, counted at the wire as the SDK
/// sends them to s3rver and dynalite (retries included), through the HTTP API of the app: the inputs of the cost
/// model. Printed as a table; asserted against the model below, so a change that adds a request to an action fails
/// here until the model (and docs/scaling.md, when it exists) says so.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class RequestCostTests(AwsEmulators emulators, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_user_action_sends_the_s3_and_dynamodb_requests_the_model_counts()
    {
        var counter = new RequestCounter { Capacity = new CapacityMeter(emulators.DynamoDb) };
        var settings = emulators.ServiceSettings(await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());
        // Nothing but the action under measurement: no sweeps in the background.
        settings["Sweeper:Enabled"] = "false";
        await using var factory = new ServiceFactory(settings, services =>
        {
            services.AddSingleton<IAmazonS3>(emulators.CountedS3(counter));
            services.AddSingleton<IAmazonDynamoDB>(emulators.CountedDynamoDb(counter));
        });
        using var client = factory.CreateClient();
        var costs = new List<(string Action, Dictionary<string, int> Requests, Measured Capacity)>();

        async Task<T> MeasureAsync<T>(string action, Func<Task<T>> run)
        {
            counter.Reset();
            var result = await run();
            var meter = counter.Capacity!;
            costs.Add((action, counter.ByOperation(),
                new Measured(meter.ReadUnits, meter.TableWriteUnits, meter.IndexWriteUnits, meter.LargestItemBytes)));
            output.WriteLine($"{action}: {string.Join(" -> ", counter.Operations)}; {meter}");
            return result;
        }

        // Warm: the first request of a process reads nothing more than later ones, but keep the start out of it.
        (await client.GetAsync("/images")).EnsureSuccessStatusCode();
        var photo = TestImages.Jpeg(1200, 900);
        var first = await MeasureAsync("upload (POST /images, 2 tags)", () => client.UploadOkAsync(photo));
        var id = first.GetProperty("image_id").GetString()!;
        await MeasureAsync("upload with an Idempotency-Key", async () =>
            (await client.UploadWithKeyAsync(photo, Guid.NewGuid().ToString())).EnsureSuccessStatusCode());
        await client.UploadOkAsync(photo);
        // The longest caption and alt text the service takes: the record outgrows one write unit, and one read unit.
        var longest = JsonSerializer.Serialize(new
        {
            user_id = "123",
            caption = string.Concat(Enumerable.Repeat("Golden light over the bay. ", 100))[..UploadLimits.MaxCaptionLength],
            tags = new[] { "travel", "beach" },
            alt_text = string.Concat(Enumerable.Repeat("Waves at dusk, a lighthouse far off. ", 30))[..UploadLimits.MaxAltTextLength],
        });
        await MeasureAsync("upload, longest caption and alt text", () => client.UploadOkAsync(photo, longest));

        await MeasureAsync("view (GET /images/{id})", async () => (await client.GetAsync($"/images/{id}")).EnsureSuccessStatusCode());
        await MeasureAsync("list, first page of 20, no filter", async () => (await client.GetAsync("/images")).EnsureSuccessStatusCode());
        await MeasureAsync("list, first page of 20, by user", async () => (await client.GetAsync("/images?user_id=123")).EnsureSuccessStatusCode());
        await MeasureAsync("list, first page of 20, by tag", async () => (await client.GetAsync("/images?tag=travel")).EnsureSuccessStatusCode());
        var firstPage = await client.GetAsync("/images?limit=2");
        var next = System.Text.RegularExpressions.Regex.Match(firstPage.Headers.GetValues("Link").Single(), "<([^>]+)>").Groups[1].Value;
        await MeasureAsync("list, next page of 2 by cursor", async () => (await client.GetAsync(next)).EnsureSuccessStatusCode());
        await MeasureAsync("edit (PATCH caption, one tag swapped)", async () =>
        {
            using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/images/{id}")
            {
                Content = new StringContent("""{"caption":"Evening vibes","tags":["travel","dusk"]}""", Encoding.UTF8, "application/merge-patch+json"),
            };
            return (await client.SendAsync(patch)).EnsureSuccessStatusCode();
        });
        await MeasureAsync("delete (DELETE /images/{id})", async () => (await client.DeleteAsync($"/images/{id}")).EnsureSuccessStatusCode());

        // The direct path: start, the file to the bucket (the client's request to S3, not the service's), complete.
        var started = await MeasureAsync("direct upload: POST /uploads", async () =>
        {
            using var response = await client.PostAsJsonAsync("/uploads", new { user_id = "123", caption = "Direct #sunset", tags = new[] { "travel" }, size_bytes = photo.Length, content_type = "image/jpeg" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        });
        using (var browser = new HttpClient())
        using (var form = new MultipartFormDataContent())
        {
            foreach (var field in started.GetProperty("fields").EnumerateObject())
            {
                form.Add(new StringContent(field.Value.GetString()!), field.Name);
            }

            form.Add(new ByteArrayContent(photo), "file", "photo.jpg");
            (await browser.PostAsync(started.GetProperty("url").GetString(), form)).EnsureSuccessStatusCode();
        }

        await MeasureAsync("direct upload: complete", async () =>
            (await client.PostAsync(started.GetProperty("complete_url").GetString(), null)).EnsureSuccessStatusCode());

        var table = new StringBuilder("| Action | S3 | DynamoDB | Requests | RRU | WRU (table + index) | Largest item written |\n|---|---|---|---:|---:|---:|---:|\n");
        foreach (var (action, requests, capacity) in costs)
        {
            string Describe(Func<string, bool> which) =>
                string.Join(", ", requests.Where(r => which(r.Key)).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));
            table.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"| {action} | {Describe(RequestCostModel.IsS3)} | {Describe(o => !RequestCostModel.IsS3(o))} | {requests.Values.Sum()} | {capacity.Reads:0.#} | {capacity.TableWrites + capacity.IndexWrites:0.#} ({capacity.TableWrites:0.#} + {capacity.IndexWrites}) | {(capacity.LargestItem > 0 ? $"{capacity.LargestItem} B" : "")} |\n");
        }

        output.WriteLine(table.ToString());
        foreach (var (action, requests, measured) in costs)
        {
            var (expected, capacity) = Model[action];
            Assert.True(
                expected.Count == requests.Count && expected.All(e => requests.GetValueOrDefault(e.Key) == e.Value),
                $"{action}: the model counts {RequestCostModel.Show(expected)}, the service sent {RequestCostModel.Show(requests)}");
            // Writes exactly: an item grown past 1 KB costs two units a write and fails here. Reads up to the model's
            // ceiling and no less than its strongly consistent part: dynalite prices an empty shard's query at nothing.
            Assert.True(
                capacity.TableWriteUnits == measured.TableWrites && capacity.IndexWriteUnits == measured.IndexWrites,
                $"{action}: the model writes {capacity.TableWriteUnits} table + {capacity.IndexWriteUnits} index units, the service {measured.TableWrites} + {measured.IndexWrites} (largest item {measured.LargestItem} B)");
            Assert.True(
                measured.Reads >= capacity.ReadUnits && measured.Reads <= capacity.AllReadUnits,
                $"{action}: the model reads {capacity.ReadUnits}–{capacity.AllReadUnits} units, the service read {measured.Reads}");
        }

        // The record's size besides its caption, which docs/scaling.md prices: an item that grows fails here.
        var upload = costs.Single(c => c.Action == "upload (POST /images, 2 tags)").Capacity;
        Assert.Equal(RequestCostModel.RecordOverheadBytes + "Beach vibes #sunset".Length, upload.LargestItem);
    }

    private sealed record Measured(double Reads, double TableWrites, int IndexWrites, int LargestItem);

    /// <summary>The caption and alt text of the longest upload, in UTF-8 bytes (all ASCII).</summary>
    private const int LongestBytes = UploadLimits.MaxCaptionLength + UploadLimits.MaxAltTextLength;

    /// <summary>The read units of the four records every list reads: three small ones and the longest.</summary>
    private static readonly int FourRecords = 3 * RequestCostModel.RecordReadUnits(19) + RequestCostModel.RecordReadUnits(LongestBytes);

    /// <summary>The shards of the "all" and tag indexes (Storage:Aws:IndexShards, 4 by default).</summary>
    private const int Shards = 4;

    /// <summary>The model (<see cref="RequestCostModel"/>) for each action above; docs/scaling.md gives the same table.
    /// Four photos are stored when the lists run, each tagged "travel"; uploads have three tag edges ("travel",
    /// "beach" and the caption's "sunset"), the direct one two.</summary>
    private static readonly Dictionary<string, (Dictionary<string, int> Requests, RequestCostModel.Capacity Capacity)> Model = new()
    {
        ["upload (POST /images, 2 tags)"] = (RequestCostModel.Upload(), RequestCostModel.UploadCapacity(edges: 3)),
        ["upload with an Idempotency-Key"] = (RequestCostModel.UploadWithKey(), RequestCostModel.UploadWithKeyCapacity(edges: 3)),
        ["upload, longest caption and alt text"] = (RequestCostModel.Upload(), RequestCostModel.UploadCapacity(edges: 2, RequestCostModel.RecordWriteUnits(LongestBytes))),
        ["view (GET /images/{id})"] = (RequestCostModel.View(), RequestCostModel.ViewCapacity()),
        ["list, first page of 20, no filter"] = (RequestCostModel.ListPage(Shards), RequestCostModel.ListPageCapacity(Shards, FourRecords)),
        ["list, first page of 20, by user"] = (RequestCostModel.ListPageOfOnePartition(), RequestCostModel.ListPageCapacity(1, FourRecords)),
        ["list, first page of 20, by tag"] = (RequestCostModel.ListPage(Shards), RequestCostModel.ListPageCapacity(Shards, FourRecords)),
        // The two oldest, both small.
        ["list, next page of 2 by cursor"] = (RequestCostModel.ListPage(Shards), RequestCostModel.ListPageCapacity(Shards, recordReadUnits: 2)),
        // 3 edges move: "beach" and the old caption's "sunset" become tombstones, "dusk" is written; "travel" stays.
        ["edit (PATCH caption, one tag swapped)"] = (RequestCostModel.Edit(movedEdges: 3), RequestCostModel.EditCapacity(movedEdges: 3)),
        ["delete (DELETE /images/{id})"] = (RequestCostModel.Delete(), RequestCostModel.DeleteCapacity(liveEdges: 2)),
        ["direct upload: POST /uploads"] = (RequestCostModel.DirectStart(), RequestCostModel.DirectStartCapacity()),
        ["direct upload: complete"] = (RequestCostModel.DirectComplete(), RequestCostModel.DirectCompleteCapacity(edges: 2)),
    };
}
