using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Ops.Elementwise;

/// <summary>x ↦ x.</summary>
public readonly struct IdentityOperator : IUnaryOperator
{
    public static float Invoke(float x) => x;
    public static Vector128<float> Invoke(Vector128<float> x) => x;
    public static Vector256<float> Invoke(Vector256<float> x) => x;
    public static Vector512<float> Invoke(Vector512<float> x) => x;
}

/// <summary>x ↦ x².</summary>
public readonly struct SquareOperator : IUnaryOperator
{
    public static float Invoke(float x) => x * x;
    public static Vector128<float> Invoke(Vector128<float> x) => x * x;
    public static Vector256<float> Invoke(Vector256<float> x) => x * x;
    public static Vector512<float> Invoke(Vector512<float> x) => x * x;
}

/// <summary>x ↦ eˣ (<see cref="FastExp"/>).</summary>
public readonly struct ExpOperator : IUnaryOperator
{
    public static float Invoke(float x) => FastExp.Exp(x);
    public static Vector128<float> Invoke(Vector128<float> x) => FastExp.Exp(x);
    public static Vector256<float> Invoke(Vector256<float> x) => FastExp.Exp(x);
    public static Vector512<float> Invoke(Vector512<float> x) => FastExp.Exp(x);
}

/// <summary>Sum; identity 0.</summary>
public readonly struct AddOperator : IAggregationOperator
{
    public static float Identity => 0f;
    public static float Invoke(float x, float y) => x + y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
}

/// <summary>Product.</summary>
public readonly struct MultiplyOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x * y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
}

/// <summary>Maximum, NaN-propagating as <see cref="MathF.Max(float, float)"/>; identity −∞.</summary>
public readonly struct MaxOperator : IAggregationOperator
{
    public static float Identity => float.NegativeInfinity;
    public static float Invoke(float x, float y) => MathF.Max(x, y);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
}

/// <summary>(x, m) ↦ e^(x−m): softmax's shifted exponential.</summary>
public readonly struct ExpShiftedOperator : IBinaryOperator
{
    public static float Invoke(float x, float m) => FastExp.Exp(x - m);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> m) => FastExp.Exp(x - m);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> m) => FastExp.Exp(x - m);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> m) => FastExp.Exp(x - m);
}

/// <summary>(g, u) ↦ silu(g)·u = g / (1 + e^−g) · u: SwiGLU.</summary>
public readonly struct SiluMulOperator : IBinaryOperator
{
    public static float Invoke(float g, float u) => g / (1f + FastExp.Exp(-g)) * u;
    public static Vector128<float> Invoke(Vector128<float> g, Vector128<float> u) => g / (Vector128<float>.One + FastExp.Exp(-g)) * u;
    public static Vector256<float> Invoke(Vector256<float> g, Vector256<float> u) => g / (Vector256<float>.One + FastExp.Exp(-g)) * u;
    public static Vector512<float> Invoke(Vector512<float> g, Vector512<float> u) => g / (Vector512<float>.One + FastExp.Exp(-g)) * u;
}

/// <summary>(a, x, s) ↦ a + s·x, fused (axpy).</summary>
public readonly struct MultiplyAddOperator : ITernaryOperator
{
    public static float Invoke(float a, float x, float s) => MathF.FusedMultiplyAdd(x, s, a);
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> x, Vector128<float> s) => Vector128.FusedMultiplyAdd(x, s, a);
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> x, Vector256<float> s) => Vector256.FusedMultiplyAdd(x, s, a);
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> x, Vector512<float> s) => Vector512.FusedMultiplyAdd(x, s, a);
}

/// <summary>(x, w, s) ↦ (x·s)·w: RMSNorm's scaling by the inverse RMS and the weight.</summary>
public readonly struct ScaleMultiplyOperator : ITernaryOperator
{
    public static float Invoke(float x, float w, float s) => x * s * w;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> w, Vector128<float> s) => x * s * w;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> w, Vector256<float> s) => x * s * w;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> w, Vector512<float> s) => x * s * w;
}
