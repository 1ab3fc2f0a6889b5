using ImageService.ApiDocs;
using ImageService.Auth;
using ImageService.Configuration;
using ImageService.Errors;
using ImageService.Events;
using ImageService.Files;
using ImageService.Health;
using ImageService.Images;
using ImageService.Limits;
using ImageService.Processing;
using ImageService.RateLimits;
using ImageService.Storage;
using ImageService.Sweeping;
using ImageService.Uploads;
using ImageService.WebApp;

var sweep = SweepCommand.Parse(args);
var builder = WebApplication.CreateBuilder(sweep?.SettingArgs ?? args);

builder.AddApiConventions();
builder.AddApiErrors();
builder.AddApiDocs();
builder.AddApiAuth();
builder.AddUploadRateLimits();
builder.AddImageStorage();
builder.AddImageProcessing();
builder.AddSweeper(background: sweep is null);
builder.AddWebApp();

var app = builder.Build();
if (sweep is not null)
{
    return await app.SweepOnceAsync(sweep);
}

app.UseResponseHardening();
app.UseApiErrors();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapWebApp();
app.MapApiDocs();
app.MapHealthApi();
app.MapLimitsApi();
app.MapImagesApi();
app.MapUploadsApi();
app.MapEventsApi();
app.MapFilesApi();

await app.RunAsync();
return 0;

/// <summary>The web host; public so the API tests can start it in memory.</summary>
public partial class Program;
