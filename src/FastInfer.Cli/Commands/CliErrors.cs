namespace FastInfer.Cli.Commands;

/// <summary>Turns the failures a user can cause (bad files, bad options) into one line on stderr and exit code 1.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    private static bool IsUserError(Exception e) => e is FormatException or ArgumentException or IOException
        or NotSupportedException or UnauthorizedAccessException or InvalidDataException or OutOfMemoryException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
