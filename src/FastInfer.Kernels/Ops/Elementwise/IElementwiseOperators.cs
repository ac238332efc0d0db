using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Ops.Elementwise;

/// <summary>
/// f(x) at every width. The loop skeletons in <see cref="ElementwiseLoop"/> pick the width from the
/// <see cref="Isa.IsaPath"/>; an operator only says what to compute. The scalar form must compute the
/// same function as the vector forms (same polynomial, same FMAs) so a value's bits do not depend on
/// whether it landed in the vector body or the tail.
/// </summary>
public interface IUnaryOperator
{
    static abstract float Invoke(float x);
    static abstract Vector128<float> Invoke(Vector128<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>f(x, y) at every width; y is either a second span or one scalar broadcast.</summary>
public interface IBinaryOperator
{
    static abstract float Invoke(float x, float y);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>f(x, y, z) at every width; z is one scalar broadcast.</summary>
public interface ITernaryOperator
{
    static abstract float Invoke(float x, float y, float z);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> z);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> z);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> z);
}

/// <summary>An associative combine (sum, max) with its identity; the loops fold lanes in a fixed order.</summary>
public interface IAggregationOperator : IBinaryOperator
{
    static abstract float Identity { get; }
}
