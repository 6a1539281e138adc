#!/usr/bin/env bash
# The one harness figure `make bench` leaves out because it takes minutes: the harness's memory
# while a guest prints 100 MiB (docs/performance.md). Run from the repository root after
# `make harness` (or `make serial-flood-soak`):   Tests/Soaks/serial-flood-soak.sh [flood-lines]
# The figure comes from the harness's own closing line (`harness: own CPU ... peak RSS`), plus
# the largest RSS sampled from outside while it runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-1048576}                 # 100-byte lines: 1048576 = 100 MiB
out=build/flood
harness=.build/debug/harness
rm -rf "$out" && mkdir -p "$out/scenarios"

gcc -m32 -c -DFLOOD_LINES="$lines" -DFLOOD_MODE=0 -x assembler-with-cpp Tests/Soaks/flood-guest.S -o "$out/flood.o"
ld -m elf_i386 -T Tests/Soaks/flood.ld --no-warn-rwx-segments -o "$out/flood.elf" "$out/flood.o"

cat > "$out/scenarios/flood.yaml" <<YAML
machine: {kernel: ../flood.elf, vcpus: 1, memory: 32M, accel: tcg}
watchdogs: {deadline: 900s, silence: 60s}
expect: {exit: 33}
YAML

echo "== guest prints $lines lines of 100 bytes (RSS stays bounded)"
"$harness" "$out/scenarios/flood.yaml" --junit "$out/flood.xml" --artifacts "$out/artifacts" 2> "$out/flood.log" >/dev/null &
pid=$!
peak_sample=0
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$peak_sample" ] && peak_sample=$rss
  sleep 2   # sampling from outside the harness; the harness itself never sleeps
done
wait "$pid" || true
grep -E "^harness: own CPU" "$out/flood.log" | tail -1
echo "largest RSS sampled during the flood: $((peak_sample / 1024)) MB"
grep -E "PASS|FAIL|ERROR" "$out/flood.log" | head -2
