#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cd build && ctest --output-on-failure -j 2 --timeout 600
