namespace FastInfer.Lpu.Hardware;

/// <summary>
/// One timed window of a probe: the units it processed in <see cref="Seconds"/>, and whether something that a device
/// run does not meet took the probe's cores during it (<see cref="WindowDisturbance"/>), so that the window is left
/// out of the probe's rate.
/// </summary>
internal readonly record struct ProbeWindow(double Units, double Seconds, bool Disturbed = false);
