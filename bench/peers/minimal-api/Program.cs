// The start-up floor for section 5 of BENCHMARKS.md: the web host and the readiness endpoints, nothing else
// (/health/ready for the embedded rows, /health/live, the template's readiness path, for the Lambda-mode rows).
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/health/ready", () => "ready");
app.MapGet("/health/live", () => "live");
app.Run();
