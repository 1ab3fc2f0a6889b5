using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageService.Testing;

namespace ImageService.Storage.Aws.Tests;

/// <summary>
/// deploy/template.yaml, read as a deployment with given parameters would get it. Nothing here runs on AWS: these tests
/// check the shape CloudFormation and API Gateway are given, and cfn-lint checks the whole after the SAM transform.
/// </summary>
public sealed class DeploymentTemplateTests
{
    private static readonly JsonElement Function = DeploymentTemplate.Resource("ImageFunction").GetProperty("Properties");

    [Fact]
    public void The_http_api_routes_the_events_path_nowhere_so_only_the_adapter_can_post_to_it()
    {
        var paths = DeploymentTemplate.Resource("ImageApi").GetProperty("Properties").GetProperty("DefinitionBody").GetProperty("paths");
        var passThrough = Function.GetProperty("Environment").GetProperty("Variables").GetProperty("AWS_LWA_PASS_THROUGH_PATH").GetString();

        // The catch-all would take /events to the function; the exact route and its subtree are more specific and win.
        Assert.Equal("/events", passThrough);
        foreach (var blocked in new[] { "/events", "/events/{proxy+}" })
        {
            var operation = paths.GetProperty(blocked).GetProperty("x-amazon-apigateway-any-method");
            Assert.False(operation.TryGetProperty("x-amazon-apigateway-integration", out _), $"{blocked} must have no integration");
        }

        var routes = HttpApiEvents().ToList();
        Assert.Contains(("ANY", "/{proxy+}"), routes.Select(r => (r.Method, r.Path)));
        Assert.DoesNotContain(routes, r => r.Path.StartsWith("/events", StringComparison.OrdinalIgnoreCase));
        Assert.All(routes, r => Assert.Equal("ImageApi", r.ApiId));
    }

    [Fact]
    public void New_raw_uploads_and_only_those_are_announced_to_the_function()
    {
        var notification = Event("RawUpload");

        Assert.Equal("S3", notification.GetProperty("Type").GetString());
        var properties = notification.GetProperty("Properties");
        Assert.Equal("ImagesBucket", properties.GetProperty("Bucket").GetProperty("Ref").GetString());
        Assert.Equal("s3:ObjectCreated:*", properties.GetProperty("Events").GetString());
        var rule = Assert.Single(properties.GetProperty("Filter").GetProperty("S3Key").GetProperty("Rules").EnumerateArray());
        Assert.Equal(("prefix", "uploads/"), (rule.GetProperty("Name").GetString(), rule.GetProperty("Value").GetString()));
    }

    [Fact]
    public void The_routine_sweep_runs_on_the_schedule_instead_of_a_timer_in_each_execution_environment()
    {
        var sweep = Event("Sweep");

        Assert.Equal("Schedule", sweep.GetProperty("Type").GetString());
        Assert.Equal("rate(5 minutes)", Resolved(sweep.GetProperty("Properties").GetProperty("Schedule")));
        Assert.Equal("rate(1 hour)", Resolved(sweep.GetProperty("Properties").GetProperty("Schedule"), ("SweepSchedule", "rate(1 hour)")));
        Assert.Equal("false", Environment()["Sweeper__Enabled"]);
    }

    [Fact]
    public void Raw_uploads_and_unfinished_multipart_uploads_expire_after_a_day_and_images_never_do()
    {
        var rules = DeploymentTemplate.Resource("ImagesBucket").GetProperty("Properties")
            .GetProperty("LifecycleConfiguration").GetProperty("Rules").EnumerateArray().ToList();

        Assert.All(rules, r => Assert.Equal("Enabled", r.GetProperty("Status").GetString()));
        var expiring = Assert.Single(rules, r => r.TryGetProperty("ExpirationInDays", out _));
        Assert.Equal("uploads/", expiring.GetProperty("Prefix").GetString());
        Assert.Equal(1, expiring.GetProperty("ExpirationInDays").GetInt32());
        Assert.Contains(rules, r => r.TryGetProperty("AbortIncompleteMultipartUpload", out var abort)
            && abort.GetProperty("DaysAfterInitiation").GetInt32() == 1);
    }

    [Fact]
    public void A_page_on_the_web_app_origins_may_post_to_the_bucket_and_call_the_api()
    {
        (string, string) origins = ("WebAppOrigins", "https://app.example.com,http://localhost:5173");
        var bucketCors = DeploymentTemplate.Resource("ImagesBucket").GetProperty("Properties").GetProperty("CorsConfiguration")
            .GetProperty("CorsRules")[0];
        var apiCors = DeploymentTemplate.Resource("ImageApi").GetProperty("Properties").GetProperty("DefinitionBody")
            .GetProperty("x-amazon-apigateway-cors");

        string[] expected = ["https://app.example.com", "http://localhost:5173"];
        Assert.Equal(expected, Strings(bucketCors.GetProperty("AllowedOrigins"), origins));
        Assert.Equal(expected, Strings(apiCors.GetProperty("allowOrigins"), origins));
        Assert.Equal(["*"], Strings(apiCors.GetProperty("allowOrigins")));
        Assert.Equal(["GET", "HEAD", "POST"], Strings(bucketCors.GetProperty("AllowedMethods")).Order());
        Assert.Equal(["ETag", "Location"], Strings(bucketCors.GetProperty("ExposedHeaders")).Order());
        Assert.Contains("POST", Strings(apiCors.GetProperty("allowMethods")));
        Assert.Contains("authorization", Strings(apiCors.GetProperty("allowHeaders")));
    }

    [Fact]
    public void The_function_may_presign_posts_for_raw_uploads_read_them_and_delete_them()
    {
        var statements = Function.GetProperty("Policies")[0].GetProperty("Statement").EnumerateArray();

        var uploads = Assert.Single(statements, s => s.GetProperty("Resource").GetRawText().Contains("}/uploads/*\"", StringComparison.Ordinal));
        Assert.Equal("Allow", uploads.GetProperty("Effect").GetString());
        Assert.Equal(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], Strings(uploads.GetProperty("Action")).Order());
    }

    [Fact]
    public void The_direct_upload_settings_reach_the_app()
    {
        Assert.Equal("52428800", Environment()["DirectUploads__MaxBytes"]);
        Assert.Equal("900", Environment()["DirectUploads__UrlExpirySeconds"]);
        Assert.Equal("10485760", Environment(("DirectUploadMaxBytes", "10485760"))["DirectUploads__MaxBytes"]);
    }

    [Fact]
    public void The_shard_counts_reach_the_app_and_readers_read_the_writers_count_unless_told_more()
    {
        Assert.Equal("4", Environment()["Storage__Aws__IndexShards"]);
        Assert.False(Environment().ContainsKey("Storage__Aws__ReadIndexShards"));
        var growing = Environment(("IndexShards", "4"), ("ReadIndexShards", "8"));
        Assert.Equal(("4", "8"), (growing["Storage__Aws__IndexShards"], growing["Storage__Aws__ReadIndexShards"]));
    }

    [Fact]
    public void The_api_throttles_all_clients_together_and_reserving_concurrency_is_optional()
    {
        var throttle = DeploymentTemplate.Resource("ImageApi").GetProperty("Properties").GetProperty("DefaultRouteSettings");

        Assert.Equal("100", Resolved(throttle.GetProperty("ThrottlingBurstLimit")));
        Assert.Equal("50", Resolved(throttle.GetProperty("ThrottlingRateLimit")));
        var reserved = Function.GetProperty("ReservedConcurrentExecutions");
        Assert.Null(DeploymentTemplate.Resolve(reserved));
        Assert.Equal("10", Resolved(reserved, ("ReservedConcurrency", "10")));
    }

    [Fact]
    public void Only_an_administrator_creates_accounts_unless_self_sign_up_is_asked_for()
    {
        var pool = DeploymentTemplate.Resource("UserPool");
        var adminOnly = pool.GetProperty("Properties").GetProperty("AdminCreateUserConfig").GetProperty("AllowAdminCreateUserOnly");

        Assert.True(DeploymentTemplate.Resolve(adminOnly)!.GetValue<bool>());
        Assert.False(DeploymentTemplate.Resolve(adminOnly, new Dictionary<string, string> { ["AllowSelfSignUp"] = "true" })!.GetValue<bool>());
        // docs/deployment.md says the pool outlives the stack: a new pool would give every user a new sub.
        Assert.Equal("Retain", pool.GetProperty("DeletionPolicy").GetString());
    }

    [Fact]
    public void The_app_client_lets_the_browser_app_sign_in_with_the_code_flow_only_and_back_to_the_listed_addresses_only()
    {
        var client = DeploymentTemplate.Resource("UserPoolClient").GetProperty("Properties");
        (string, string) urls = ("WebAppUrls", "https://abc123.execute-api.eu-west-1.amazonaws.com/,http://localhost:5080/");

        // A public client: the app runs in the browser and proves its sign-in with PKCE, not with a secret.
        Assert.False(client.GetProperty("GenerateSecret").GetBoolean());
        Assert.True(client.GetProperty("AllowedOAuthFlowsUserPoolClient").GetBoolean());
        Assert.Equal(["code"], Strings(client.GetProperty("AllowedOAuthFlows")));
        Assert.Equal(["COGNITO"], Strings(client.GetProperty("SupportedIdentityProviders")));
        Assert.Equal(["http://localhost:5080/"], Strings(client.GetProperty("CallbackURLs")));
        Assert.Equal(["http://localhost:5080/"], Strings(client.GetProperty("LogoutURLs")));
        string[] listed = ["https://abc123.execute-api.eu-west-1.amazonaws.com/", "http://localhost:5080/"];
        Assert.Equal(listed, Strings(client.GetProperty("CallbackURLs"), urls));
        Assert.Equal(listed, Strings(client.GetProperty("LogoutURLs"), urls));
        Assert.Equal("CommaDelimitedList", DeploymentTemplate.ParameterDeclaration("WebAppUrls").GetProperty("Type").GetString());
        // The direct sign-in flows stay as they were: no password flow comes with the hosted pages.
        Assert.Equal(["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"], Strings(client.GetProperty("ExplicitAuthFlows")).Order());
    }

    [Fact]
    public void The_app_asks_for_exactly_the_scopes_the_client_allows()
    {
        var allowed = Strings(DeploymentTemplate.Resource("UserPoolClient").GetProperty("Properties").GetProperty("AllowedOAuthScopes"));
        var asked = Environment()["WebApp__OidcScope"].Split(' ');

        Assert.Equal(["openid", "email"], asked);
        Assert.Equal(asked.Order(), allowed.Order());
    }

    [Fact]
    public void In_jwt_mode_the_function_gets_the_app_client_id_for_the_web_app_and_without_sign_in_it_gets_none()
    {
        var variables = Function.GetProperty("Environment").GetProperty("Variables");

        var jwt = DeploymentTemplate.Resolve(variables)!.AsObject();
        Assert.Equal("UserPoolClient", jwt["WebApp__OidcClientId"]!["Ref"]!.GetValue<string>());
        // The client the web app signs in with is the audience the API checks tokens against.
        Assert.Equal(jwt["Auth__Jwt__Audience"]!.ToJsonString(), jwt["WebApp__OidcClientId"]!.ToJsonString());

        var none = DeploymentTemplate.Resolve(variables, new Dictionary<string, string> { ["AuthMode"] = "None" })!.AsObject();
        Assert.False(none.ContainsKey("WebApp__OidcClientId"));
    }

    [Fact]
    public void In_jwt_mode_the_pool_gets_a_prefix_domain_named_after_the_stack_and_account_unless_one_is_given()
    {
        var domain = DeploymentTemplate.Resource("UserPoolDomain");
        var properties = domain.GetProperty("Properties");

        Assert.Equal("AWS::Cognito::UserPoolDomain", domain.GetProperty("Type").GetString());
        Assert.Equal("JwtMode", domain.GetProperty("Condition").GetString());
        Assert.True(DeploymentTemplate.Condition("JwtMode"));
        Assert.False(DeploymentTemplate.Condition("JwtMode", new Dictionary<string, string> { ["AuthMode"] = "None" }));
        Assert.Equal("UserPool", properties.GetProperty("UserPoolId").GetProperty("Ref").GetString());
        Assert.False(properties.TryGetProperty("CustomDomainConfig", out _), "a Cognito prefix domain, not a custom one");
        Assert.Equal("""{"Fn::Sub":"${AWS::StackName}-${AWS::AccountId}"}""", DeploymentTemplate.Resolve(properties.GetProperty("Domain"))!.ToJsonString());
        Assert.Equal("images-eu-1", Resolved(properties.GetProperty("Domain"), ("SignInDomainPrefix", "images-eu-1")));
        // The classic hosted pages, which need no branding resource.
        Assert.Equal(1, properties.GetProperty("ManagedLoginVersion").GetInt32());
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("image-service-123456789012", true)] // what an empty prefix gives deploy.sh's default stack name
    [InlineData("images", true)]
    [InlineData("a", true)]
    [InlineData("Image-Service", false)]
    [InlineData("images_1", false)]
    [InlineData("-images", false)]
    [InlineData("images-", false)]
    [InlineData("my-aws-images", false)]
    [InlineData("amazonimages", false)]
    [InlineData("images-cognito", false)]
    public void The_domain_prefix_parameter_takes_only_what_cognito_accepts(string prefix, bool accepted)
    {
        var pattern = DeploymentTemplate.ParameterDeclaration("SignInDomainPrefix").GetProperty("AllowedPattern").GetString()!;

        Assert.Equal(accepted, Regex.IsMatch(prefix, $"^(?:{pattern})$"));
    }

    [Fact]
    public void The_domain_prefix_parameter_takes_at_most_63_characters()
    {
        var pattern = DeploymentTemplate.ParameterDeclaration("SignInDomainPrefix").GetProperty("AllowedPattern").GetString()!;

        Assert.Matches(pattern, new string('a', 63));
        Assert.DoesNotMatch(pattern, new string('a', 64));
    }

    [Fact]
    public void In_jwt_mode_the_outputs_give_the_hosted_sign_in_domain_and_its_url()
    {
        foreach (var (name, value) in new[]
        {
            ("SignInDomain", "${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"),
            ("SignInUrl", "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"),
        })
        {
            var output = DeploymentTemplate.Output(name);
            Assert.Equal("JwtMode", output.GetProperty("Condition").GetString());
            Assert.Equal(value, output.GetProperty("Value").GetProperty("Fn::Sub").GetString());
        }
    }

    [Fact]
    public void The_app_client_and_its_domain_reach_neither_the_api_nor_the_function_so_the_function_may_refer_to_the_client()
    {
        // The callback addresses come from a parameter because the API's URL would close a cycle: the function's
        // environment names the client, and the API integrates the function. cfn-lint (below) checks the expanded template.
        Assert.Contains("UserPoolClient", DeploymentTemplate.References("ImageFunction"));
        Assert.Contains("ImageApi", Reachable("ImageFunction"));
        foreach (var resource in new[] { "UserPoolClient", "UserPoolDomain" })
        {
            var reached = Reachable(resource);
            Assert.Contains("UserPool", reached);
            Assert.DoesNotContain("ImageApi", reached);
            Assert.DoesNotContain("ImageFunction", reached);
        }

        Assert.All(DeploymentTemplate.ResourceNames(), resource => Assert.DoesNotContain(resource, Reachable(resource)));
    }

    [Fact]
    public void The_package_parameter_picks_the_runtime_and_handler_that_can_start_that_publish()
    {
        var declaration = DeploymentTemplate.ParameterDeclaration("Package");
        Assert.Equal("ReadyToRun", declaration.GetProperty("Default").GetString());
        Assert.Equal(["ReadyToRun", "NativeAot"], declaration.GetProperty("AllowedValues").EnumerateArray().Select(v => v.GetString()));

        // The default package: the managed runtime runs the adapter layer's exec wrapper, which starts the handler.
        var readyToRun = LambdaFunction.FromTemplate();
        Assert.Equal(("dotnet10", "ImageService"), (readyToRun.Runtime, readyToRun.Handler));
        Assert.Equal("/opt/bootstrap", readyToRun.Environment["AWS_LAMBDA_EXEC_WRAPPER"]);

        // Native AOT: the OS-only runtime starts the package's bootstrap and has no exec wrapper; the adapter still runs
        // as an extension from the same layer. Nothing is sure to provide ICU there, so globalization is invariant.
        var nativeAot = LambdaFunction.FromTemplate(new Dictionary<string, string> { ["Package"] = "NativeAot" });
        Assert.Equal(("provided.al2023", "bootstrap"), (nativeAot.Runtime, nativeAot.Handler));
        Assert.False(nativeAot.Environment.ContainsKey("AWS_LAMBDA_EXEC_WRAPPER"));
        Assert.Equal("true", nativeAot.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"]);
        Assert.False(readyToRun.Environment.ContainsKey("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"));

        // Everything else the app is told is the same for both.
        string[] startUp = ["AWS_LAMBDA_EXEC_WRAPPER", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"];
        Assert.Equal(readyToRun.Environment.Where(v => !startUp.Contains(v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal),
            nativeAot.Environment.Where(v => !startUp.Contains(v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Deploying_with_native_aot_deploys_the_native_aot_choice_and_otherwise_the_default()
    {
        var script = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "scripts", "deploy.sh"));

        Assert.Matches(@"PublishAot=true[^\n]*\n(?:.*\n){0,2}\s*package=NativeAot\n", script);
        Assert.Matches(@"-o artifacts/lambda\n\s*package=ReadyToRun\n", script);
        Assert.Contains("\"Package=$package\"", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cfn_lint_finds_nothing_wrong_with_the_template_after_the_sam_transform()
    {
        // cfn-lint applies the SAM transform itself and then checks the CloudFormation it expands to: types, values,
        // references, and dependency cycles such as the one an S3 notification and the function's policy can form.
        var start = new ProcessStartInfo("cfn-lint", [RepositoryPaths.Template]) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException("This test needs cfn-lint (pip install cfn-lint) on the PATH.", error);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, await output + await errors);
        }
    }

    private static IEnumerable<(string Method, string Path, string? ApiId)> HttpApiEvents() =>
        Function.GetProperty("Events").EnumerateObject()
            .Where(e => e.Value.GetProperty("Type").GetString() == "HttpApi")
            .Select(e => e.Value.GetProperty("Properties"))
            .Select(p => (p.GetProperty("Method").GetString()!, p.GetProperty("Path").GetString()!,
                p.TryGetProperty("ApiId", out var api) ? api.GetProperty("Ref").GetString() : null));

    // The resources a resource depends on, directly or through others, as the template is written.
    private static HashSet<string> Reachable(string from)
    {
        var reached = new HashSet<string>();
        var pending = new Queue<string>(DeploymentTemplate.References(from));
        while (pending.TryDequeue(out var next))
        {
            if (reached.Add(next))
            {
                foreach (var further in DeploymentTemplate.References(next))
                {
                    pending.Enqueue(further);
                }
            }
        }

        return reached;
    }

    private static JsonElement Event(string name) => Function.GetProperty("Events").GetProperty(name);

    private static Dictionary<string, string> Environment(params (string Name, string Value)[] parameters) =>
        DeploymentTemplate.Resolve(Function.GetProperty("Environment").GetProperty("Variables"), Parameters(parameters))!.AsObject()
            .ToDictionary(v => v.Key, v => v.Value!.ToJsonString().Trim('"'));

    private static string Resolved(JsonElement value, params (string Name, string Value)[] parameters) =>
        DeploymentTemplate.Resolve(value, Parameters(parameters)) switch
        {
            JsonValue text => text.ToString(),
            var other => other!.ToJsonString(),
        };

    private static string[] Strings(JsonElement value, params (string Name, string Value)[] parameters) =>
        [.. DeploymentTemplate.Resolve(value, Parameters(parameters))!.AsArray().Select(s => s!.GetValue<string>())];

    private static Dictionary<string, string> Parameters((string Name, string Value)[] parameters) =>
        parameters.ToDictionary(p => p.Name, p => p.Value);
}
