namespace FastInfer.Accuracy.Report;

public static class AccuracyReport
{
    public static int Run(string[] args) => 0;
}
