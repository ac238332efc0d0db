namespace FastInfer.Kernels.Tests.Attention;

/// <summary>Naive two-pass softmax attention in double: scores, max, exponentials, normalised weighted sum.</summary>
public static class AttentionReference
{
    public static double[] Compute(float[] queries, int queryCount, float[] keys, float[] values, int headCount, int kvHeadCount,
        int headDim, Func<int, (int First, int End)> span)
    {
        int group = headCount / kvHeadCount, kvRow = kvHeadCount * headDim;
        var output = new double[queries.Length];
        double scale = 1 / Math.Sqrt(headDim);
        for (int qi = 0; qi < queryCount; qi++)
        {
            var (first, end) = span(qi);
            for (int h = 0; h < headCount; h++)
            {
                int qOffset = (qi * headCount + h) * headDim, kvOffset = h / group * headDim;
                var scores = new double[end - first];
                for (int t = first; t < end; t++)
                {
                    double dot = 0;
                    for (int i = 0; i < headDim; i++)
                        dot += (double)queries[qOffset + i] * keys[t * kvRow + kvOffset + i];
                    scores[t - first] = dot * scale;
                }
                double max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                double sum = weights.Sum();
                for (int t = first; t < end; t++)
                    for (int i = 0; i < headDim; i++)
                        output[qOffset + i] += weights[t - first] / sum * values[t * kvRow + kvOffset + i];
            }
        }
        return output;
    }
}
