using Platform.Engine.KvCache;

namespace Platform.Engine.Tests;

public sealed class HostMemoryTests
{
    [SkippableFact]
    public void Glibc_takes_the_settings_that_keep_freed_memory_in_the_process()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "glibc malloc settings exist on Linux only");
        Skip.If(File.Exists("/etc/alpine-release"), "musl has no mallopt");
        // Loading any model applies them once per process (Engine:RetainHostMemory is on by default); this is that outcome.
        Assert.True(HostMemory.RetainFreedMemory());
    }
}
