#!/usr/bin/env bash
# Rebuild the benchmark programs into bench/bin/ (all static, stripped, no build id):
#   *.c            musl-gcc -static -O2 (Debian musl-tools); threads.c uses musl's pthreads
#   src/cxx.cc ... g++ -std=c++17 -static -O2 against glibc/libstdc++ (Debian g++ 12): bin/cxx map|exceptions|sharedptr N
#   src/wordfreq.rs rustc -C opt-level=2 -C target-feature=+crt-static (static-pie, glibc)
#   src/goroutines  go build with CGO_ENABLED=0 (Go 1.19; GOMAXPROCS(4) set by the program)
# shell-forks, python3 and gzip use the host's /usr/bin/busybox, /usr/bin/python3 and /usr/bin/gzip (see programs.mjs).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
if command -v musl-gcc >/dev/null; then
  for src in *.c; do
    musl-gcc -static -O2 -s -Wl,--build-id=none -o "bin/${src%.c}" "$src"
  done
else echo "musl-gcc not found (apt-get install musl-tools): C programs not rebuilt"; fi
if command -v g++ >/dev/null; then
  g++ -std=c++17 -static -O2 -s -Wl,--build-id=none -o bin/cxx src/cxx.cc src/containers.cc src/exceptions.cc src/sharedptr.cc
else echo "g++ not found: bin/cxx not rebuilt"; fi
if command -v rustc >/dev/null; then
  rustc -C opt-level=2 -C target-feature=+crt-static -C strip=symbols -C link-arg=-Wl,--build-id=none -o bin/wordfreq src/wordfreq.rs
else echo "rustc not found: bin/wordfreq not rebuilt"; fi
if command -v go >/dev/null; then
  (cd src/goroutines && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w -buildid=' -o ../../bin/goroutines .)
else echo "go not found: bin/goroutines not rebuilt"; fi
echo "built: $(ls bin | tr '\n' ' ')"
