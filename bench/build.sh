#!/usr/bin/env bash
# Rebuild the benchmark programs (static, musl-gcc -O2, from Debian musl-tools) into bench/bin/.
set -euo pipefail
cd "$(dirname "$0")"
command -v musl-gcc >/dev/null || { echo "musl-gcc not found (apt-get install musl-tools)"; exit 1; }
mkdir -p bin
for src in *.c; do
  musl-gcc -static -O2 -Wl,--build-id=none -o "bin/${src%.c}" "$src"
done
echo "built: $(ls bin | tr '\n' ' ')"
