#!/usr/bin/env bash
# Makes TorchSharp's native library loadable where the system libstdc++ is older than the one it was
# built against (GLIBCXX_3.4.32, GCC 13; Debian 12 has 3.4.30). Does nothing where libstdc++ is new
# enough (Debian 13, Ubuntu 24.04) or where the library is already patched. Idempotent.
# Usage: infra/setup-torchsharp.sh PACKAGES_DIR
set -euo pipefail
packages=${1:?usage: setup-torchsharp.sh PACKAGES_DIR}
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/.*Include="TorchSharp" Version="\([^"]*\)".*/\1/p' "$here/../Directory.Packages.props")
native="$packages/torchsharp/$version/runtimes/linux-x64/native"
lib="$native/libLibTorchSharp.so"
shim_name=libtorchsharp_stdcxx_shim.so
[ -f "$lib" ] || { echo "setup-torchsharp: $lib not found (restore first)" >&2; exit 1; }

# No early exits in these pipes: under pipefail the writer's SIGPIPE would fail the script.
libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found {found = $NF} END {print found}')
if [ -n "$libstdcxx" ] && grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
  exit 0  # new enough: the library loads as shipped
fi
if [ -n "$(readelf -d "$lib" 2>/dev/null | grep "$shim_name")" ]; then
  exit 0  # already patched
fi

need=()
command -v g++ >/dev/null || need+=(g++)
command -v patchelf >/dev/null || need+=(patchelf)
command -v readelf >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-torchsharp: installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g++ -shared -fPIC -O2 -o "$native/$shim_name" "$here/native/stdcxx_shim.cpp"
gcc -O2 -o "$work/weaken_verneed" "$here/native/weaken_verneed.c"
cp "$lib" "$work/lib.so"
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$work/lib.so"
patchelf --add-needed "$shim_name" "$work/lib.so"
"$work/weaken_verneed" "$work/lib.so" GLIBCXX_3.4.32
mv "$work/lib.so" "$lib"
echo "setup-torchsharp: patched $lib for libstdc++ without GLIBCXX_3.4.32" >&2
