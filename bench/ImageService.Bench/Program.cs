using ImageService.Bench;

// bench/run.sh calls this with the photo folder, the peers folder and where to write the report.
var options = BenchOptions.Parse(args);
var report = new Report(options);
await ProcessingBenchmark.RunAsync(options, report);
await ListingBenchmark.RunAsync(options, report);
await StartupBenchmark.RunAsync(options, report);
await report.WriteAsync();
return 0;
