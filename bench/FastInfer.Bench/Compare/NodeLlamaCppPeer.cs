using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastInfer.Bench.Compare;

/// <summary>
/// The llama.cpp that the npm package node-llama-cpp bundles, as a second peer in its own Node process
/// (bench/peers/node-llama-cpp/run.mjs in --serve mode). The runner sends one JSON request per line and reads
/// one JSON answer per line, so its runs alternate with the in-process engines like theirs do.
/// </summary>
public sealed class NodeLlamaCppPeer : IPeer
{
    private readonly string _scriptDirectory;

    private NodeLlamaCppPeer(string scriptDirectory) => _scriptDirectory = scriptDirectory;

    public string Name => "llama.cpp (node-llama-cpp)";

    /// <summary>The peer if Node and the installed package are present; otherwise null and why not.</summary>
    public static NodeLlamaCppPeer? Find(out string reason)
    {
        var directory = LocateScriptDirectory();
        if (directory == null)
        {
            reason = "bench/peers/node-llama-cpp not found above the working directory";
            return null;
        }
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "node-llama-cpp")))
        {
            reason = $"node-llama-cpp is not installed: run `npm install` in {directory}";
            return null;
        }
        reason = "";
        return new NodeLlamaCppPeer(directory);
    }

    private static string? LocateScriptDirectory()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bench", "peers", "node-llama-cpp");
            if (File.Exists(Path.Combine(candidate, "run.mjs")))
                return candidate;
        }
        return null;
    }

    public IPeerEngine Load(string path, int threads, int contextLength) => new Engine(_scriptDirectory, path, threads, contextLength);

    private sealed class Engine : IPeerEngine
    {
        private readonly Process _process;

        public Engine(string scriptDirectory, string path, int threads, int contextLength)
        {
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = scriptDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "run.mjs", "--serve", "--model", Path.GetFullPath(path), "--threads", threads.ToString(), "--context", contextLength.ToString() })
                start.ArgumentList.Add(arg);
            _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            var ready = ReadAnswer();
            LoadSeconds = ready["loadSeconds"]!.GetValue<double>();
            Settings = ready["settings"]?.GetValue<string>() ?? "";
        }

        public string Settings { get; }
        public double LoadSeconds { get; }
        public long PeakBytes { get; private set; }

        public double PromptSeconds(int[] tokens) =>
            Request(new JsonObject { ["op"] = "pp", ["tokens"] = ToArray(tokens) })["seconds"]!.GetValue<double>();

        public double GenerateSeconds(int[] prompt, int[] tokens) =>
            Request(new JsonObject { ["op"] = "tg", ["prompt"] = ToArray(prompt), ["tokens"] = ToArray(tokens) })["seconds"]!.GetValue<double>();

        public void AfterWarmUp() => PeakBytes = Request(new JsonObject { ["op"] = "peak" })["peakBytes"]!.GetValue<long>();

        private static JsonArray ToArray(int[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

        private JsonObject Request(JsonObject request)
        {
            _process.StandardInput.WriteLine(request.ToJsonString());
            _process.StandardInput.Flush();
            return ReadAnswer();
        }

        private JsonObject ReadAnswer()
        {
            string? line = _process.StandardOutput.ReadLine();
            if (line == null)
                throw new InvalidOperationException($"node-llama-cpp peer exited (code {(_process.WaitForExit(5000) ? _process.ExitCode : -1)})");
            var answer = JsonNode.Parse(line) as JsonObject ?? throw new InvalidOperationException($"node-llama-cpp peer answered '{line}'");
            if (answer["error"] is { } error)
                throw new InvalidOperationException($"node-llama-cpp peer: {error}");
            return answer;
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.StandardInput.WriteLine(JsonSerializer.Serialize(new { op = "quit" }));
                    _process.StandardInput.Close();
                    if (!_process.WaitForExit(10_000))
                        _process.Kill();
                }
            }
            finally
            {
                _process.Dispose();
            }
        }
    }
}
