namespace Platform.RequestBus;

/// <summary>What <see cref="BusTriage"/> says to do with a delivery.</summary>
public enum BusVerdict
{
    /// <summary>Compute it.</summary>
    Run,

    /// <summary>Move it to the dead-letter topic and tell its client why.</summary>
    DeadLetter,

    /// <summary>Acknowledge it without computing it (its client has given up) and say so.</summary>
    Expired,
}
