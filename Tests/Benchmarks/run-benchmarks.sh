#!/usr/bin/env bash
# The harness's benchmark figures (docs/harness.md, "Benchmarks"): start to first serial line,
# its own CPU share while a guest idles, its peak memory with 4 VMs at once, and its memory
# while a guest prints 100 MB. Run from the repository root after `make kernel harness`:
#   Tests/Benchmarks/run-benchmarks.sh [flood-lines]
# KERNEL=path picks another kernel image (default build/kernel/kernel.img).
# Each figure comes from the harness's own closing line (getrusage: its threads only, not
# QEMU's) or from the report's harness.first_serial_line_s property.
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-1048576}                 # 100-byte lines: 1048576 = 100 MiB
bench=build/bench
harness=.build/debug/harness
kernel=$(realpath "${KERNEL:-build/kernel/kernel.img}")
rm -rf "$bench" && mkdir -p "$bench/scenarios"

gcc -m32 -c -DFLOOD_LINES="$lines" -x assembler-with-cpp Tests/Benchmarks/flood-guest.S -o "$bench/flood.o"
ld -m elf_i386 -T Tests/Benchmarks/flood.ld --no-warn-rwx-segments -o "$bench/flood.elf" "$bench/flood.o"

cat > "$bench/scenarios/profiles.yaml" <<YAML
default:
  kernel: $kernel
  vcpus: 1
  memory: 128M
  accel: tcg
YAML
cat > "$bench/scenarios/boot.yaml" <<YAML
machine: {cmdline: "debug=triplefault"}
expect: triple-fault
YAML
cat > "$bench/scenarios/idle.yaml" <<YAML
machine: {cmdline: "debug=silent"}
watchdogs: {silence: off, deadline: 120s}
steps:
  - wait-serial: "kernel: ready"
  - pause: 30s
expect: running
YAML
for i in 1 2 3 4; do
cat > "$bench/scenarios/parallel-$i.yaml" <<YAML
tags: [parallel]
machine: {vcpus: 2, cmdline: "ktest=* seed={seed}"}
expect: ktap
YAML
done
cat > "$bench/scenarios/flood.yaml" <<YAML
machine: {kernel: ../flood.elf, memory: 32M}
watchdogs: {deadline: 900s, silence: 60s}
never: []
expect: {exit: 33}
YAML

figure() { grep -E "^harness: own CPU" "$1" | tail -1; }

echo "== start to first serial line (5 runs, seconds)"
for i in 1 2 3 4 5; do
  "$harness" "$bench/scenarios/boot.yaml" --junit "$bench/boot.xml" --artifacts "$bench/artifacts" >/dev/null 2>&1
  grep -o 'harness.first_serial_line_s" value="[0-9.]*' "$bench/boot.xml" | sed 's/.*value="//'
done

echo "== idle guest for 30 s (own CPU share while waiting)"
"$harness" "$bench/scenarios/idle.yaml" --junit "$bench/idle.xml" --artifacts "$bench/artifacts" 2> "$bench/idle.log" >/dev/null
figure "$bench/idle.log"

echo "== 4 VMs in parallel, KTAP self-tests twice each (peak RSS)"
"$harness" "$bench/scenarios" --filter 'parallel-*' --jobs 4 --repeat 2 --junit "$bench/parallel.xml" \
  --artifacts "$bench/artifacts" 2> "$bench/parallel.log" >/dev/null
figure "$bench/parallel.log"

echo "== guest prints $lines lines of 100 bytes (RSS stays bounded)"
"$harness" "$bench/scenarios/flood.yaml" --junit "$bench/flood.xml" --artifacts "$bench/artifacts" \
  2> "$bench/flood.log" >/dev/null &
pid=$!
peak_sample=0
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$peak_sample" ] && peak_sample=$rss
  sleep 2   # sampling from outside the harness; the harness itself never sleeps
done
wait "$pid" || true
figure "$bench/flood.log"
echo "largest RSS sampled during the flood: $((peak_sample / 1024)) MB"
grep -E "PASS|FAIL|ERROR" "$bench/flood.log" | head -2
