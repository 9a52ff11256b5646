using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Platform.RequestBus.Kafka;

/// <summary>
/// Makes Confluent.Kafka bind the librdkafka build this machine can load, before the first Kafka client exists.
/// The package's default linux build links libsasl2.so.3 (RHEL, Ubuntu); Debian 12 ships libsasl2.so.2, and
/// the package's <c>centos8-librdkafka.so</c> build, which carries its own SASL, loads there. The package tries
/// that build first by itself, but <c>Library.Load(path)</c> and any fallback bind the name "librdkafka" (and
/// open files through "libdl", which glibc 2.34+ ships only as libdl.so.2), so both names are resolved here.
/// </summary>
public static class KafkaNativeLibrary
{
    private static readonly Lazy<string?> Chosen = new(Choose, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The librdkafka file bound to the name "librdkafka", or null when the package's default loads as it is.</summary>
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
        var candidate = new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), AppContext.BaseDirectory }
            .Select(dir => Path.Combine(dir, "centos8-librdkafka.so"))
            .FirstOrDefault(File.Exists);
        if (candidate is null)
        {
            return null;
        }
        NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, (name, _, _) => name switch
        {
            "librdkafka" when NativeLibrary.TryLoad(candidate, out var rdkafka) => rdkafka,
            "libdl" when NativeLibrary.TryLoad("libdl.so.2", out var libdl) => libdl,
            _ => IntPtr.Zero,
        });
        return candidate;
    }
}
