using System.Reflection;
using System.Runtime.CompilerServices;
using FastInfer.Kernels.Isa;
using Xunit;

namespace FastInfer.Kernels.Tests.Startup;

public class KernelStaticsTests
{
    [Fact]
    public void ReadingTheActivePathInitializesTheKernelsStatics()
    {
        _ = KernelIsa.Active;
        Assert.True(KernelStatics.Initialized);
    }

    /// <summary>
    /// A class that gains a static read-only value the kernels could read must be initialized with the others, or the
    /// first kernel compiled before it keeps a class-initialization call in its loop.
    /// </summary>
    [Fact]
    public void EveryClassWithStaticReadOnlyValuesIsInitializedBeforeTheKernels()
    {
        var benchmarking = typeof(FastInfer.Kernels.Benchmarking.BenchKernels).Namespace;
        var missing = typeof(KernelIsa).Assembly.GetTypes()
            .Where(type => type.Namespace != benchmarking && !type.IsDefined(typeof(CompilerGeneratedAttribute), false))
            .Where(type => type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Any(field => field.IsInitOnly && (field.FieldType.IsValueType || field.FieldType.IsPointer)))
            .Except(KernelStatics.Classes)
            .Select(type => type.FullName)
            .ToArray();
        Assert.Empty(missing);
    }
}
