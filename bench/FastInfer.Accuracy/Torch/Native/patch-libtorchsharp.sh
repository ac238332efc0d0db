#!/usr/bin/env bash
# Lets TorchSharp's libLibTorchSharp.so (built with GCC 13) load on a libstdc++ older than GCC 13.
# Its only GCC 13 requirement is std::ios_base_library_init@GLIBCXX_3.4.32, an empty function. We:
#   1. build a tiny shim library that defines it and add it as a DT_NEEDED of libLibTorchSharp.so,
#   2. clear the symbol's version so the shim's unversioned definition satisfies it,
#   3. mark the GLIBCXX_3.4.32 version requirement weak, so the loader no longer refuses the library.
# Usage: patch-libtorchsharp.sh <directory holding libLibTorchSharp.so> <shim C++ source>
# Idempotent; does nothing when the library is absent or the system libstdc++ already has the version.
set -euo pipefail
dir=$1
source=$2
lib=$dir/libLibTorchSharp.so
shim=libfastinfer_iosinit.so
version=GLIBCXX_3.4.32

[ -f "$lib" ] || exit 0
# (Output is captured before grep: grep -q closing a pipe early would fail the pipeline under pipefail.)
versions=$(readelf -VW "$lib")
grep -q "Name: $version  Flags: none" <<< "$versions" || exit 0
system_libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found { print $NF; found = 1 }')
if [ -n "$system_libstdcxx" ] && grep -qa "$version" "$system_libstdcxx"; then
  exit 0
fi
for tool in patchelf g++ readelf dd; do
  if ! command -v "$tool" > /dev/null; then
    echo "error: $tool is needed to patch $lib for this libstdc++ (see .ci/install-prerequisites)" >&2
    exit 1
  fi
done

g++ -shared -fPIC -O2 -o "$dir/$shim" "$source"
needed=$(patchelf --print-needed "$lib")
if ! grep -qx "$shim" <<< "$needed"; then
  patchelf --add-needed "$shim" "$lib"
fi
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"

# vna_flags is the 16-bit field 4 bytes into the Vernaux entry; VER_FLG_WEAK = 2.
section=$(readelf -SW "$lib" | sed 's/\[ */[/' | awk '$2 == ".gnu.version_r" { print $5 }')
entry=$(readelf -VW "$lib" | awk -v v="$version" '$2 == "Name:" && $3 == v { sub(":", "", $1); print $1 }')
if [ -z "$section" ] || [ -z "$entry" ]; then
  echo "error: could not find the $version requirement in $lib" >&2
  exit 1
fi
printf '\x02\x00' | dd of="$lib" bs=1 seek=$((0x$section + entry + 4)) conv=notrunc status=none
versions=$(readelf -VW "$lib")
grep -q "Name: $version  Flags: WEAK" <<< "$versions" || { echo "error: failed to weaken $version in $lib" >&2; exit 1; }
echo "patched $lib for a libstdc++ without $version"
