using System.Collections.Concurrent;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FastInfer.Tests;

/// <summary>
/// Lets a test assembly run its own tests, through xUnit's own discovery and execution engine, where no VSTest host can
/// start: a build published for another CPU and run under an emulator (<c>.ci/arm64-tests</c> runs the kernel and
/// engine tests on Arm64 this way). <c>dotnet test</c> does not come here; it runs the assembly through its test host as
/// before. Arguments, if any, keep only the test classes whose full name contains one of them. Prints each failure, how
/// many tests skipped for each reason, and one summary line; the exit code is 1 when a test failed or none ran.
/// </summary>
public static class TestAssemblyEntryPoint
{
    public static int Main(string[] args)
    {
        var assembly = typeof(TestAssemblyEntryPoint).Assembly;
        var options = new FrameworkOptions();
        using var framework = new XunitTestFramework(new DiagnosticSink());

        var discovery = new DiscoverySink();
        using (var discoverer = framework.GetDiscoverer(Reflector.Wrap(assembly)))
        {
            discoverer.Find(includeSourceInformation: false, discovery, options);
            discovery.Finished.WaitOne();
        }
        var cases = discovery.Cases
            .Where(c => args.Length == 0 || args.Any(a => c.TestMethod.TestClass.Class.Name.Contains(a, StringComparison.Ordinal)))
            .ToList();

        var results = new ResultSink();
        using (var executor = framework.GetExecutor(assembly.GetName()))
        {
            executor.RunTests(cases, results, options);
            results.Finished.WaitOne();
        }

        foreach (var reason in results.SkipReasons.GroupBy(r => r).OrderByDescending(g => g.Count()))
            Console.WriteLine($"skipped {reason.Count()}: {reason.Key}");
        foreach (var failure in results.Failures)
            Console.WriteLine(failure);
        Console.WriteLine($"{assembly.GetName().Name} on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}: " +
            $"tests: {results.Passed} passed, {results.Failed} failed, {results.SkipReasons.Count} skipped");
        return results.Failed == 0 && results.Passed > 0 ? 0 : 1;
    }

    /// <summary>xUnit's option bag: every option left at its default (parallel test collections, as under <c>dotnet test</c>).</summary>
    private sealed class FrameworkOptions : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly ConcurrentDictionary<string, object?> _values = new();

        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out var value) && value is TValue typed ? typed : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    private sealed class DiagnosticSink : LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is IDiagnosticMessage diagnostic)
                Console.Error.WriteLine(diagnostic.Message);
            return true;
        }
    }

    private sealed class DiscoverySink : LongLivedMarshalByRefObject, IMessageSink
    {
        public List<ITestCase> Cases { get; } = [];

        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is ITestCaseDiscoveryMessage found)
            {
                lock (Cases)
                    Cases.Add(found.TestCase);
            }
            else if (message is IDiscoveryCompleteMessage)
            {
                Finished.Set();
            }
            return true;
        }
    }

    private sealed class ResultSink : LongLivedMarshalByRefObject, IMessageSink
    {
        private int _passed, _failed;

        public int Passed => _passed;

        public int Failed => _failed;

        public ConcurrentQueue<string> Failures { get; } = new();

        public List<string> SkipReasons { get; } = [];

        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestPassed:
                    Interlocked.Increment(ref _passed);
                    break;
                case ITestFailed failed:
                    Interlocked.Increment(ref _failed);
                    Failures.Enqueue($"FAILED: {failed.Test.DisplayName}{Environment.NewLine}" +
                        string.Join(Environment.NewLine, failed.ExceptionTypes.Zip(failed.Messages, (type, text) => $"  {type}: {text}")) +
                        Environment.NewLine + string.Join(Environment.NewLine, failed.StackTraces.Where(s => s != null)));
                    break;
                case ITestSkipped skipped:
                    lock (SkipReasons)
                        SkipReasons.Add(skipped.Reason);
                    break;
                case ITestAssemblyFinished:
                    Finished.Set();
                    break;
            }
            return true;
        }
    }
}
