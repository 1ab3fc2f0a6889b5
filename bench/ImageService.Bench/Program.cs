using ImageService.Bench;
using ImageService.Bench.LoadSim;

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

// The load simulation's model check: a mismatch the model does not explain is in the report and fails the run.
var modelHolds = true;
if (options.Runs("loadsim"))
{
    modelHolds = await LoadSimulation.RunAsync(options, report);
}

if (options.Runs("listdesign"))
{
    await ImageService.Bench.ListDesign.ListDesignBenchmark.RunAsync(options, report);
}

if (options.Runs("compute"))
{
    await LambdaComputeBenchmark.RunAsync(options, report);
}

await report.WriteAsync();
return modelHolds ? 0 : 1;
