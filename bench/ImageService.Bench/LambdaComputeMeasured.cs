namespace ImageService.Bench;

/// <summary>What the run measured, by action and by photo.</summary>
public sealed class LambdaComputeMeasured
{
    public Dictionary<string, LambdaComputeSamples> Actions { get; } = [];

    public Dictionary<string, LambdaComputeSamples> UploadsByPhoto { get; } = [];

    public Dictionary<string, LambdaComputeSamples> CompletesByPhoto { get; } = [];

    public Dictionary<string, int> DeepPages { get; } = [];

    public int CatalogueSize { get; set; }

    public LambdaComputeSamples Action(string name) => Get(Actions, name);

    public static LambdaComputeSamples Get(Dictionary<string, LambdaComputeSamples> samples, string name) =>
        samples.TryGetValue(name, out var found) ? found : samples[name] = new LambdaComputeSamples();
}
