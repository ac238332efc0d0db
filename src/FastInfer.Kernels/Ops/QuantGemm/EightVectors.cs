using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>Eight float vectors in a row, for state a kernel keeps on the stack rather than in registers.</summary>
[InlineArray(8)]
internal struct EightFloatVectors
{
    private Vector256<float> _first;
}

/// <summary>Eight int vectors in a row (see <see cref="EightFloatVectors"/>).</summary>
[InlineArray(8)]
internal struct EightIntVectors
{
    private Vector256<int> _first;
}
