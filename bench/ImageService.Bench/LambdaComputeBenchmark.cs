using System.Globalization;
using ImageService.Storage.Aws;
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

    /// <summary>How many of each request a run sends.</summary>
    public sealed record Plan(int UploadRepeats, int DirectRepeats, int SmallRequests, int GroupSize, int Catalogue, int PillowRepeats, int Warmups);

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var cancellationToken = CancellationToken.None;
        var plan = options.Smoke ? new Plan(1, 1, 10, 5, 200, 1, 3)
            : options.Quick ? new Plan(2, 1, 30, 10, 1_000, 2, 10)
            : new Plan(5, 3, 60, 10, 5_000, 3, 30);
        var loadBefore = LoadAverage();
        var billing = new LambdaBilling(DeploymentTemplate.Resource("ImageFunction").GetProperty("Properties").GetProperty("MemorySize").GetInt32());
        // Parameters at their defaults but AuthMode None: a Jwt function would need a Cognito pool to sign in to (the
        // token check is not measured here).
        var function = LambdaFunction.FromTemplate(new Dictionary<string, string> { ["AuthMode"] = "None" });
        var photos = LambdaComputePhotos.Choose(options);
        var maxUploadBytes = long.Parse(function.Environment["Limits__MaxUploadBytes"], CultureInfo.InvariantCulture);
        var underLimit = photos.Where(p => new FileInfo(p).Length <= maxUploadBytes).Take(options.Quick ? 2 : int.MaxValue).ToList();
        var direct = photos.Take(options.Quick ? 3 : int.MaxValue).ToList();
        if (underLimit.Count == 0)
        {
            throw new InvalidOperationException($"no photo of {photos.Count} is under the {maxUploadBytes:N0} bytes POST /images takes in Lambda mode");
        }

        var publish = await ServiceProcess.PublishAsync(options);
        var emulators = new AwsEmulators();
        await emulators.InitializeAsync();
        var measured = new LambdaComputeMeasured();
        try
        {
            var bucket = await emulators.CreateBucketAsync();
            var table = await emulators.CreateTableAsync();
            await using var service = await ServiceProcess.StartAsync(publish, function.Handler, LambdaEnvironment(function, emulators, bucket, table),
                function.ReadinessPath);
            using var client = new LambdaComputeClient(service.Address);
            var run = new LambdaComputeRun(service, client, plan, measured, cancellationToken);

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

    /// <summary>The function's environment as deploy/template.yaml gives it, and what CloudFormation and the Lambda runtime
    /// would fill in, pointed at the emulators.</summary>
    private static Dictionary<string, string> LambdaEnvironment(LambdaFunction function, AwsEmulators emulators, string bucket, string table)
    {
        var environment = function.EnvironmentOn(emulators, bucket, table);
        // One client uploads and edits far faster than a person: the per-user and per-address limits would refuse it.
        environment["RateLimits__UploadsPerMinutePerUser"] = "100000";
        environment["RateLimits__UploadsPerMinutePerAddress"] = "100000";
        environment["RateLimits__EditsPerMinutePerUser"] = "100000";
        environment["RateLimits__EditsPerMinutePerAddress"] = "100000";
        return environment;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
