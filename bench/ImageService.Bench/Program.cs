using ImageService.Bench;

// bench/run.sh calls this with the photo folder, the peers folder and where to write the report.
var options = BenchOptions.Parse(args);
var report = new Report(options);
if (options.Runs("processing"))
{
    await ProcessingBenchmark.RunAsync(options, report);
}

if (options.Runs("ingest"))
{
    await IngestBenchmark.RunAsync(options, report);
}

if (options.Runs("listing"))
{
    await ListingBenchmark.RunAsync(options, report);
    await DynamoListingBenchmark.RunAsync(options, report);
}

if (options.Runs("startup"))
{
    await StartupBenchmark.RunAsync(options, report);
}

if (options.Runs("sweep"))
{
    await SweepCostBenchmark.RunAsync(options, report);
}

if (options.Runs("storm") && !OperatingSystem.IsWindows())
{
    await UploadStormBenchmark.RunAsync(options, report);
}

if (options.Runs("compute"))
{
    await LambdaComputeBenchmark.RunAsync(options, report);
}

await report.WriteAsync();
return 0;
