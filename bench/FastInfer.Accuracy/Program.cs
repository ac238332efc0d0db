using FastInfer.Accuracy.Report;

return AccuracyReport.Run(args);
