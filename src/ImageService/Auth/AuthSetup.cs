using System.Text;
using ImageService.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace ImageService.Auth;

internal static class AuthSetup
{
    public const string WritePolicy = "writer";

    /// <summary>
    /// JWT bearer authentication, configured from <see cref="AuthOptions"/> as it is registered, and
    /// a write policy that lets anyone through in <c>None</c> mode and only signed-in callers in <c>Jwt</c> mode.
    /// </summary>
    public static WebApplicationBuilder AddApiAuth(this WebApplicationBuilder builder)
    {
        var auth = builder.AddValidated(builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>(), o => o.Validate());
        builder.Services.AddAuthentication().AddJwtBearer();
        // AddAuthentication also registers ASP.NET Data Protection, whose hosted service reads (or creates) a key ring
        // under the home folder at every start: file reads, XML parsing and crypto set-up on the cold-start path. Bearer
        // tokens never use it; Data Protection itself stays registered and would load its keys on first use.
        builder.Services.RemoveHostedService("DataProtectionHostedService");
        // In None mode the handler stays unconfigured: it validates nothing and the write policy lets everyone in.
        if (auth.Mode == AuthMode.Jwt)
        {
            builder.Services.Configure<AuthenticationOptions>(authentication => authentication.DefaultScheme = JwtBearerDefaults.AuthenticationScheme);
            builder.Services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt => Configure(jwt, auth.Jwt));
        }
        builder.Services.AddAuthorizationBuilder().AddPolicy(WritePolicy, policy => policy.RequireAssertion(context =>
            context.Resource is HttpContext http
            && (http.RequestServices.GetRequiredService<AuthOptions>().Mode == AuthMode.None || http.User.Identity?.IsAuthenticated == true)));
        return builder;
    }

    private static void Configure(JwtBearerOptions jwt, JwtSettings settings)
    {
        // Keep claim names as issued ("sub" stays "sub").
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters.ValidateAudience = true;
        jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
        jwt.TokenValidationParameters.AudienceValidator = (audiences, token, _) => BearerTokenRules.IsForUs(audiences, token, settings.Audience!);
        jwt.Events = BearerTokenRules.Events();
        if (!string.IsNullOrWhiteSpace(settings.Authority))
        {
            jwt.Authority = settings.Authority;
            // Well inside a Lambda invocation's 29 s: an authority that hangs fails a token check, not the function.
            jwt.BackchannelTimeout = TimeSpan.FromSeconds(10);
            // JwtBearer's own default would allow http only in the Development environment; here it is a setting.
            jwt.RequireHttpsMetadata = settings.RequireHttpsMetadata;
            return;
        }

        jwt.TokenValidationParameters.ValidIssuer = settings.Issuer;
        jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.SigningKey!));
    }
}
