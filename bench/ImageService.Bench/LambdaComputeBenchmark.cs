using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageService.Storage.Aws;
using ImageService.Testing;
using ImageService.Testing.Aws;

namespace ImageService.Bench;

/// <summary>
/// What each user action costs in Lambda compute: the published app started in Lambda mode (deploy/template.yaml's
/// environment for the function) against s3rver and dynalite, warmed up, then every action sent one at a time, as one
/// Lambda instance serves one request at a time. Wall time at the client and the service's CPU time per action, turned
/// into GB-seconds at the template's memory size; the same photos through bench/peers/pillow_variants.py.
/// </summary>
public static class LambdaComputeBenchmark
{
    // The actions' names, as the report's rows show them.
    public const string Upload = "Upload (`POST /images`)";
    public const string DirectStart = "Direct upload: `POST /uploads`";
    public const string DirectComplete = "Direct upload: `complete`";
    public const string View = "View (`GET /images/{id}`)";
    public const string Edit = "Edit (`PATCH`, If-Match, 2 tag edges moved)";
    public const string Delete = "Delete (`DELETE /images/{id}`)";

    public static string List(string filter, bool deep) => $"List, {(deep ? "deep" : "first")} page, {filter}";

    private sealed record Plan(int UploadRepeats, int DirectRepeats, int SmallRequests, int GroupSize, int Catalogue, int PillowRepeats, int Warmups);

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var cancellationToken = CancellationToken.None;
        var plan = options.Smoke ? new Plan(1, 1, 10, 5, 200, 1, 3)
            : options.Quick ? new Plan(2, 1, 30, 10, 1_000, 2, 10)
            : new Plan(5, 3, 60, 10, 5_000, 3, 30);
        var loadBefore = LoadAverage();
        var function = DeploymentTemplate.Resource("ImageFunction").GetProperty("Properties");
        var billing = new LambdaBilling(function.GetProperty("MemorySize").GetInt32());
        var photos = LambdaComputePhotos.Choose(options);
        var maxUploadBytes = long.Parse(Environment(function)["Limits__MaxUploadBytes"], CultureInfo.InvariantCulture);
        var underLimit = photos.Where(p => new FileInfo(p).Length <= maxUploadBytes).Take(options.Quick ? 2 : int.MaxValue).ToList();
        var direct = photos.Take(options.Quick ? 3 : int.MaxValue).ToList();
        if (underLimit.Count == 0)
        {
            throw new InvalidOperationException($"no photo of {photos.Count} is under the {maxUploadBytes:N0} bytes POST /images takes in Lambda mode");
        }

        var publish = await ServiceProcess.PublishAsync(options);
        var emulators = new AwsEmulators();
        await emulators.InitializeAsync();
        var measured = new Measured();
        try
        {
            var bucket = await emulators.CreateBucketAsync();
            var table = await emulators.CreateTableAsync();
            var environment = LambdaEnvironment(function, emulators, bucket, table, out var address);
            await using var service = await ServiceProcess.StartWithEnvironmentAsync(publish, function.GetProperty("Handler").GetString()!, environment, address,
                environment["AWS_LWA_READINESS_CHECK_PATH"], cancellationToken);
            using var client = new LambdaComputeClient(address);
            var run = new Run(service, client, plan, measured, cancellationToken);

            Console.WriteLine($"compute: warming up the service in Lambda mode ({plan.Warmups} of each small action)");
            var model = await run.WarmUpAsync(underLimit, direct);
            var catalogue = await LambdaComputeCatalogue.SeedAsync(emulators.DynamoDb, table,
                (await new DynamoDbImageIndex(emulators.DynamoDb, new AwsStorageOptions { Table = table }).GetAsync(Guid.Parse(model), cancellationToken))!,
                plan.Catalogue, cancellationToken);
            measured.CatalogueSize = catalogue.Count;
            Console.WriteLine($"compute: seeded {catalogue.Count:N0} images; measuring");
            await run.MeasureAsync(underLimit, direct, catalogue);
        }
        finally
        {
            await emulators.DisposeAsync();
        }

        var (pillowVersion, pillow) = await PillowPeer.RunAsync(options, direct, plan.PillowRepeats, cancellationToken);
        var section = new LambdaComputeReport(billing, measured, pillow, pillowVersion, maxUploadBytes, plan.UploadRepeats, plan.DirectRepeats, plan.PillowRepeats, $"{loadBefore} before, {LoadAverage()} after");
        report.Add(section.Markdown(underLimit, direct));
    }

    /// <summary>The function's environment as deploy/template.yaml gives it (parameters at their defaults, auth off), and
    /// what CloudFormation and the Lambda runtime would fill in, pointed at the emulators.</summary>
    private static Dictionary<string, string> LambdaEnvironment(JsonElement function, AwsEmulators emulators, string bucket, string table, out Uri address)
    {
        var environment = Environment(function);
        environment["Storage__Aws__Bucket"] = bucket;
        environment["Storage__Aws__Table"] = table;
        environment["AWS_ENDPOINT_URL_S3"] = emulators.S3Endpoint;
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = emulators.DynamoDbEndpoint;
        environment["AWS_ACCESS_KEY_ID"] = AwsEmulators.AccessKey;
        environment["AWS_SECRET_ACCESS_KEY"] = AwsEmulators.AccessKey;
        environment["AWS_REGION"] = "us-east-1";
        // A free port instead of the adapter's 8080, which another run on this machine may hold.
        var port = Loopback.FreePort();
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        // One client uploads and edits far faster than a person: the per-user and per-address limits would refuse it.
        environment["RateLimits__UploadsPerMinutePerUser"] = "100000";
        environment["RateLimits__UploadsPerMinutePerAddress"] = "100000";
        environment["RateLimits__EditsPerMinutePerUser"] = "100000";
        environment["RateLimits__EditsPerMinutePerAddress"] = "100000";
        address = new Uri($"http://127.0.0.1:{port}/");
        return environment;
    }

    /// <summary>The template's variables that are plain values once its parameters are at their defaults; AuthMode None,
    /// since a Jwt function would need a Cognito pool to sign in to (the token check is not measured here).</summary>
    private static Dictionary<string, string> Environment(JsonElement function)
    {
        var variables = DeploymentTemplate.Resolve(function.GetProperty("Environment").GetProperty("Variables"), new Dictionary<string, string> { ["AuthMode"] = "None" })!.AsObject();
        return variables.Where(v => v.Value is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            .ToDictionary(v => v.Key, v => v.Value!.GetValue<string>());
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>What the run measured, by action and by photo.</summary>
    public sealed class Measured
    {
        public Dictionary<string, LambdaComputeSamples> Actions { get; } = [];

        public Dictionary<string, LambdaComputeSamples> UploadsByPhoto { get; } = [];

        public Dictionary<string, LambdaComputeSamples> CompletesByPhoto { get; } = [];

        public Dictionary<string, int> DeepPages { get; } = [];

        public int CatalogueSize { get; set; }

        public LambdaComputeSamples Action(string name) => Get(Actions, name);

        public static LambdaComputeSamples Get(Dictionary<string, LambdaComputeSamples> samples, string name) =>
            samples.TryGetValue(name, out var found) ? found : samples[name] = new LambdaComputeSamples();
    }

    /// <summary>The requests of one run, each measured with the service's CPU around it.</summary>
    private sealed class Run(ServiceProcess service, LambdaComputeClient client, Plan plan, Measured measured, CancellationToken cancellationToken)
    {
        /// <summary>Every photo once by each path and every small action a few times, so that start-up and tiered JIT
        /// are over before anything is timed; the id of an image to model the catalogue's records on.</summary>
        public async Task<string> WarmUpAsync(List<string> underLimit, List<string> direct)
        {
            var ids = new List<string>();
            foreach (var photo in underLimit)
            {
                ids.Add((await client.UploadAsync(await File.ReadAllBytesAsync(photo, cancellationToken), cancellationToken)).Image.GetProperty("image_id").GetString()!);
            }

            foreach (var photo in direct)
            {
                var bytes = await File.ReadAllBytesAsync(photo, cancellationToken);
                var (_, started) = await client.StartDirectAsync(bytes, cancellationToken);
                await client.PostToStorageAsync(started, bytes, cancellationToken);
                ids.Add((await client.CompleteDirectAsync(started, cancellationToken)).Image.GetProperty("image_id").GetString()!);
            }

            var version = 1L;
            for (var i = 0; i < plan.Warmups; i++)
            {
                await client.ViewAsync(ids[i % ids.Count], cancellationToken);
                await client.ListAsync(LambdaComputeCatalogue.FirstPage(null, i % 2 == 0 ? "bench" : null), cancellationToken);
                await client.ListAsync(LambdaComputeCatalogue.FirstPage(LambdaComputeClient.UserId, null), cancellationToken);
                version = (await client.EditAsync(ids[0], version, cancellationToken)).Version;
            }

            // One delete of each kind of image; the rest stay, and the first is the catalogue's model.
            await client.DeleteAsync(ids[^1], cancellationToken);
            return ids[0];
        }

        public async Task MeasureAsync(List<string> underLimit, List<string> direct, LambdaComputeCatalogue catalogue)
        {
            var uploaded = new List<string>();
            var bodies = new Dictionary<string, byte[]>();
            foreach (var photo in direct.Union(underLimit))
            {
                bodies[photo] = await File.ReadAllBytesAsync(photo, cancellationToken);
            }

            for (var repeat = 0; repeat < plan.UploadRepeats; repeat++)
            {
                foreach (var photo in underLimit)
                {
                    var cpu = service.CpuSeconds();
                    var (ms, image) = await client.UploadAsync(bodies[photo], cancellationToken);
                    var used = service.CpuSeconds() - cpu;
                    var bytes = RenditionBytes(image);
                    measured.Action(Upload).Add([ms], used, bytes);
                    Measured.Get(measured.UploadsByPhoto, photo).Add([ms], used, bytes);
                    uploaded.Add(image.GetProperty("image_id").GetString()!);
                }
            }

            Console.WriteLine($"compute: {uploaded.Count} uploads by POST /images");
            for (var repeat = 0; repeat < plan.DirectRepeats; repeat++)
            {
                foreach (var photo in direct)
                {
                    var cpu = service.CpuSeconds();
                    var (startMs, started) = await client.StartDirectAsync(bodies[photo], cancellationToken);
                    measured.Action(DirectStart).Add([startMs], service.CpuSeconds() - cpu);
                    await client.PostToStorageAsync(started, bodies[photo], cancellationToken);
                    cpu = service.CpuSeconds();
                    var (ms, image) = await client.CompleteDirectAsync(started, cancellationToken);
                    var used = service.CpuSeconds() - cpu;
                    var bytes = bodies[photo].LongLength + RenditionBytes(image);
                    measured.Action(DirectComplete).Add([ms], used, bytes);
                    Measured.Get(measured.CompletesByPhoto, photo).Add([ms], used, bytes);
                    uploaded.Add(image.GetProperty("image_id").GetString()!);
                }
            }

            Console.WriteLine($"compute: {plan.DirectRepeats * direct.Count} direct uploads");
            await GroupsAsync(View, plan.SmallRequests, plan.GroupSize, i => client.ViewAsync(uploaded[i % uploaded.Count], cancellationToken));
            foreach (var (name, user, tag) in LambdaComputeCatalogue.Filters)
            {
                var first = LambdaComputeCatalogue.FirstPage(user, tag);
                var deep = catalogue.DeepPage(user, tag);
                measured.DeepPages[name] = catalogue.DeepPageNumber(user, tag);
                await GroupsAsync(List(name, deep: false), plan.SmallRequests, plan.GroupSize, _ => client.ListAsync(first, cancellationToken));
                await GroupsAsync(List(name, deep: true), plan.SmallRequests, plan.GroupSize, _ => client.ListAsync(deep, cancellationToken));
            }

            var versions = uploaded.ToDictionary(id => id, _ => 1L);
            await GroupsAsync(Edit, plan.SmallRequests, plan.GroupSize, async i =>
            {
                var id = uploaded[i % uploaded.Count];
                var (ms, version) = await client.EditAsync(id, versions[id], cancellationToken);
                versions[id] = version;
                return ms;
            });
            await GroupsAsync(Delete, uploaded.Count, Math.Max(1, plan.GroupSize / 2), i => client.DeleteAsync(uploaded[i], cancellationToken));
            Console.WriteLine($"compute: views, lists, {plan.SmallRequests} edits and {uploaded.Count} deletes measured");
        }

        /// <summary><paramref name="requests"/> requests in groups of <paramref name="groupSize"/>, the CPU read around each group.</summary>
        private async Task GroupsAsync(string action, int requests, int groupSize, Func<int, Task<double>> request)
        {
            for (var start = 0; start < requests; start += groupSize)
            {
                var walls = new List<double>();
                var cpu = service.CpuSeconds();
                for (var i = start; i < Math.Min(requests, start + groupSize); i++)
                {
                    walls.Add(await request(i));
                }

                measured.Action(action).Add(walls, service.CpuSeconds() - cpu);
            }
        }

        private static long RenditionBytes(JsonElement image) => image.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("size_bytes").GetInt64());
    }
}
