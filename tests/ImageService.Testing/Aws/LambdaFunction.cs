using System.Globalization;
using System.Text.Json.Nodes;

namespace ImageService.Testing.Aws;

/// <summary>
/// The template's function as a stack deployed with given parameters gets it: the runtime, the handler, and the
/// environment variables whose values are known before deployment (those naming resources, such as the table, are
/// left out). The published-app test and the start-up benchmark start the app from this, as the Lambda Web Adapter would.
/// </summary>
public sealed record LambdaFunction(string Runtime, string Handler, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The port the adapter sends requests to, and the app listens on.</summary>
    public int Port => int.Parse(Environment["AWS_LWA_PORT"], CultureInfo.InvariantCulture);

    /// <summary>The path the adapter polls until it answers 200 before it passes on the first request.</summary>
    public string ReadinessPath => Environment["AWS_LWA_READINESS_CHECK_PATH"];

    public static LambdaFunction FromTemplate(IReadOnlyDictionary<string, string>? parameters = null)
    {
        var function = DeploymentTemplate.Resolve(DeploymentTemplate.Resource("ImageFunction").GetProperty("Properties"), parameters)!.AsObject();
        // The record's properties are named as the template's.
        var variables = function[nameof(Environment)]!["Variables"]!.AsObject()
            .Where(v => v.Value is JsonValue)
            .ToDictionary(v => v.Key, v => v.Value!.ToString());
        return new LambdaFunction(function[nameof(Runtime)]!.ToString(), function[nameof(Handler)]!.ToString(), variables);
    }

    /// <summary>
    /// The function's environment with what CloudFormation would fill in (bucket and table) and what the Lambda runtime
    /// provides (region and credentials, from environment variables as in Lambda), pointed at the emulators.
    /// </summary>
    public Dictionary<string, string> EnvironmentOn(AwsEmulators emulators, string bucket, string table)
    {
        var environment = new Dictionary<string, string>(Environment)
        {
            ["Storage__Aws__Bucket"] = bucket,
            ["Storage__Aws__Table"] = table,
            ["AWS_ENDPOINT_URL_S3"] = emulators.S3Endpoint,
            ["AWS_ENDPOINT_URL_DYNAMODB"] = emulators.DynamoDbEndpoint,
            ["AWS_ACCESS_KEY_ID"] = AwsEmulators.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = AwsEmulators.AccessKey,
            ["AWS_REGION"] = "us-east-1",
        };
        return environment;
    }
}
