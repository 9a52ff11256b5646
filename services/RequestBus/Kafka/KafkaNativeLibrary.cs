using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Platform.RequestBus.Kafka;

/// <summary>
/// Picks the librdkafka build this machine can load before the first Kafka client exists. The package's
/// default linux build links libsasl2.so.3 (RHEL, Ubuntu); Debian 12 ships libsasl2.so.2, and the package's
/// <c>centos8-librdkafka.so</c> build, which carries its own SASL, loads there.
/// </summary>
public static class KafkaNativeLibrary
{
    private static readonly Lazy<string?> Chosen = new(Choose, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The librdkafka file loaded explicitly, or null when the package's own choice works.</summary>
    public static string? EnsureLoaded() => Chosen.Value;

    private static string? Choose()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || Library.IsLoaded)
        {
            return null;
        }
        if (NativeLibrary.TryLoad("libsasl2.so.3", out var sasl))
        {
            NativeLibrary.Free(sasl);
            return null;
        }
        foreach (var dir in new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), AppContext.BaseDirectory })
        {
            var candidate = Path.Combine(dir, "centos8-librdkafka.so");
            if (File.Exists(candidate))
            {
                Library.Load(candidate);
                return candidate;
            }
        }
        return null;
    }
}
