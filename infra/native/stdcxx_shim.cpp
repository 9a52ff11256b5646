// Provides std::ios_base_library_init(), the one GLIBCXX_3.4.32 (GCC 13) symbol that TorchSharp's
// libLibTorchSharp.so needs, for distributions whose libstdc++ is older (Debian 12 stops at 3.4.30).
// GCC 13 emits a call to it from every translation unit that includes <iostream>; its only job is to
// make sure the standard streams are initialised, which constructing an ios_base::Init does.
#include <ios>

namespace std {
__attribute__((visibility("default"))) void ios_base_library_init()
{
    static ios_base::Init init;
}
}
