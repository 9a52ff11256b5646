namespace Platform.ChatTemplates.Tests;

/// <summary>A clock stopped at one instant, in UTC, so strftime_now output is exact.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
