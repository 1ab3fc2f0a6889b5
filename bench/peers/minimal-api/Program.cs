// The start-up floor for section 5 of BENCHMARKS.md: the web host and one readiness endpoint, nothing else.
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/health/ready", () => "ready");
app.Run();
