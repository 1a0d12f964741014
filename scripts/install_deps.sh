#!/usr/bin/env bash
# Installs the Debian packages cortexloop needs. Idempotent: packages already present are skipped,
# and apt is only touched when something is missing. Runs non-interactively (CI has no stdin).
set -euo pipefail
packages=(
  g++ cmake make ninja-build pkg-config  # ninja: scripts/generator.sh
  libboost-dev libzmq3-dev cppzmq-dev libflatbuffers-dev flatbuffers-compiler
  libbenchmark-dev catch2 libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  python3-zmq python3-flatbuffers python3-numpy python3-matplotlib python3-brian
  libopenmpi-dev openmpi-bin  # `mpirun -n K cortexloop simulate` and its test (docs/engine.md, "Across processes")
  rt-tests  # cyclictest, the wake-up latency peer of bench/realtime_latency.sh
  clang libclang-rt-14-dev  # libFuzzer and clang's ASan/UBSan runtimes (scripts/fuzz.sh); g++'s libasan8,
                            # libubsan1 and libtsan2 (scripts/sanitize.sh) come with g++
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install_deps: installing ${missing[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
else
  echo "install_deps: all packages present" >&2
fi
