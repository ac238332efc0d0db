using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// One timed token of a device benchmark: its run, position and seconds, the longest time one of the device's threads
/// (the host's, which runs chip 0, or a worker chip's) was off its core during it, and the methods the process compiled
/// meanwhile. <see cref="Disturbed"/> applies the rule the probes apply to their windows (<see cref="WindowDisturbance"/>).
/// </summary>
public readonly record struct MeasuredToken(int Run, int Position, double Seconds, double OffCoreSeconds, long MethodsCompiled)
{
    /// <summary>Another thread of this machine had one of the device's cores for more than a tenth of the token, or the
    /// JIT compiled during it: the token is left out of the device's rate.</summary>
    public bool Disturbed => WindowDisturbance.IsDisturbed(Seconds, OffCoreSeconds, MethodsCompiled);

    /// <summary>Disturbed because a thread lost its core (as opposed to only the JIT).</summary>
    public bool OffCore => OffCoreSeconds > WindowDisturbance.OffCoreShare * Seconds;
}
