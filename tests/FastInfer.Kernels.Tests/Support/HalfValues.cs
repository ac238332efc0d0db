namespace FastInfer.Kernels.Tests.Support;

/// <summary>Half-precision copies of test data and back, for comparing a half cache with the floats it holds.</summary>
public static class HalfValues
{
    public static Half[] ToHalf(float[] x) => x.Select(v => (Half)v).ToArray();

    public static float[] AsFloats(Half[] h) => h.Select(v => (float)v).ToArray();
}
