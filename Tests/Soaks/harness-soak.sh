#!/usr/bin/env bash
# Soak of the harness itself: RUNS runs of a quick scenario with --jobs 2, the
# harness's RSS, open descriptors and child processes sampled from outside every second;
# then a guest flooding FLOOD_MB of hostile bytes (NUL, 0xff, invalid UTF-8, over-long lines).
# Prints start/end memory, descriptors, most children, leftovers, and fails when memory or
# descriptors trend upward beyond the stated bounds or anything is left behind.
# From the repository root after `make kernel harness` (or `make harness-soak`):
#   Tests/Soaks/harness-soak.sh            RUNS=500 FLOOD_MB=200 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-500}
flood_mb=${FLOOD_MB:-200}
memory_bound_kb=${MEMORY_BOUND_KB:-8192}     # end minus start RSS
fd_bound=${FD_BOUND:-4}                      # end minus start descriptors
interval=${INTERVAL:-1}
harness=.build/debug/harness
kernel=$(realpath "${KERNEL:-build/kernel/kernel.img}")
soak=build/harness-soak
rm -rf "$soak" && mkdir -p "$soak/scenarios"
seed=$(( (RANDOM << 15 | RANDOM) + 1000000 ))

cat > "$soak/scenarios/profiles.yaml" <<YAML
default:
  kernel: $kernel
  vcpus: 1
  memory: 64M
  accel: tcg
YAML
cat > "$soak/scenarios/quick.yaml" <<YAML
machine: {cmdline: "debug=silent seed={seed}"}
steps:
  - wait-serial: "kernel: ready"
  - qmp: {execute: query-status, expect: {running: true}}
expect: running
YAML

# Samples: seconds rss_kb fds children (the harness's live QEMU children).
sample() {
  local pid=$1 rss fds children
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  children=$(awk -v p="$pid" '$4 == p' /proc/[0-9]*/stat 2>/dev/null | grep -c '(qemu-system' || true)
  # The largest QEMU child's RSS (kB): the guest's -m plus QEMU's own, never more.
  qemu_rss=$(awk -v p="$pid" '$4 == p && /\(qemu-system/ { print $24 * 4 }' /proc/[0-9]*/stat 2>/dev/null | sort -n | tail -1)
  echo "$SECONDS $rss $fds $children ${qemu_rss:-0}"
}
leftovers() {   # QEMUs with the soak's seed, and socket directories owned by pid $1
  local qemus dirs=0
  qemus=0
  for f in /proc/[0-9]*/cmdline; do
    # QEMU's own command line (setpriv execs it), not this loop's tools, which hold the pattern too.
    tr '\0' ' ' 2>/dev/null < "$f" | grep -q "^[^ ]*qemu-system[^ ]* .*seed=$seed" && qemus=$((qemus + 1))
  done
  for d in "${TMPDIR:-/tmp}"/harness-vm.*; do
    [ -f "$d/owner.pid" ] && [ "$(cat "$d/owner.pid")" = "$1" ] && dirs=$((dirs + 1))
  done
  echo "$qemus $dirs"
}

echo "== $runs runs of quick.yaml with --jobs 2 (seed $seed), sampled every ${interval}s"
SECONDS=0
"$harness" "$soak/scenarios/quick.yaml" --jobs 2 --repeat "$runs" --seed "$seed" \
  --junit "$soak/soak.xml" --artifacts "$soak/artifacts" > "$soak/soak.out" 2> "$soak/soak.log" &
pid=$!
: > "$soak/samples"
while kill -0 "$pid" 2>/dev/null; do
  sample "$pid" >> "$soak/samples" || true
  sleep "$interval"   # sampling from outside; the harness itself never sleeps
done
wait "$pid" && status=0 || status=$?
read -r qemus dirs < <(leftovers "$pid")
count=$(wc -l < "$soak/samples")
# Start and end: the median of the first and last fifth of the samples (after the first,
# which catches the harness still loading).
qemu_peak=$(awk '$5 > m { m = $5 } END { print m + 0 }' "$soak/samples")
figures=$(awk -v n="$count" 'NR > 1 { rss[NR] = $2; fds[NR] = $3; if ($4 > most) most = $4 }
  END {
    k = int((n - 1) / 5); if (k < 1) k = 1
    printf "%d %d %d %d %d", rss[2 + int(k / 2)], rss[n - int(k / 2)], fds[2 + int(k / 2)], fds[n - int(k / 2)], most
  }' "$soak/samples")
read -r rss_start rss_end fd_start fd_end most <<< "$figures"
passed=$(grep -c '<testsuite ' "$soak/soak.xml" || true)
echo "runs in the report: $passed; harness exit status $status; $(tail -1 "$soak/soak.out")"
echo "samples: $count over ${SECONDS}s"
echo "RSS: start $((rss_start / 1024)) MB ($rss_start kB), end $((rss_end / 1024)) MB ($rss_end kB), bound +$memory_bound_kb kB"
echo "open descriptors: start $fd_start, end $fd_end, bound +$fd_bound"
echo "most QEMU children at once: $most (--jobs 2); largest QEMU RSS sampled $((qemu_peak / 1024)) MB (guest memory 64M)"
echo "leftovers: QEMU processes $qemus, socket directories $dirs"
grep -E "^harness: own CPU" "$soak/soak.log" || true
fail=0
[ "$status" -eq 0 ] || { echo "FAIL: the harness exited with $status"; fail=1; }
[ "$passed" -eq "$runs" ] || { echo "FAIL: $passed of $runs runs reported"; fail=1; }
[ $((rss_end - rss_start)) -le "$memory_bound_kb" ] || { echo "FAIL: memory grew by $((rss_end - rss_start)) kB"; fail=1; }
[ $((fd_end - fd_start)) -le "$fd_bound" ] || { echo "FAIL: descriptors grew by $((fd_end - fd_start))"; fail=1; }
[ "$most" -le 2 ] || { echo "FAIL: $most QEMUs at once with --jobs 2"; fail=1; }
[ "$qemus" -eq 0 ] && [ "$dirs" -eq 0 ] || { echo "FAIL: leftovers"; fail=1; }

if [ "$flood_mb" -gt 0 ]; then
  records=$(( flood_mb * 1024 * 1024 / 4629 ))
  echo "== a guest printing $flood_mb MB of hostile bytes ($records records of 4629 bytes)"
  gcc -m32 -c -DFLOOD_LINES="$records" -DFLOOD_MODE=1 -x assembler-with-cpp Tests/Soaks/flood-guest.S -o "$soak/flood.o"
  ld -m elf_i386 -T Tests/Soaks/flood.ld --no-warn-rwx-segments -o "$soak/flood.elf" "$soak/flood.o"
  cat > "$soak/scenarios/flood.yaml" <<YAML
machine: {kernel: ../flood.elf, memory: 32M}
watchdogs: {deadline: 4h, silence: 60s}
never: []
expect: {exit: 34}
YAML
  SECONDS=0
  "$harness" "$soak/scenarios/flood.yaml" --junit "$soak/flood.xml" --artifacts "$soak/artifacts" \
    --artifact-limit 16M > /dev/null 2> "$soak/flood.log" &
  pid=$!
  : > "$soak/flood-samples"
  while kill -0 "$pid" 2>/dev/null; do
    sample "$pid" >> "$soak/flood-samples" || true
    sleep "$interval"
  done
  wait "$pid" || true
  read -r qemus dirs < <(leftovers "$pid")
  log=$(find "$soak/artifacts" -path '*flood-seed*' -name serial.log | head -1)
  peak=$(awk 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$soak/flood-samples")
  first=$(awk 'NR == 2 { print $2 }' "$soak/flood-samples")
  echo "flood took ${SECONDS}s; RSS first sample $((first / 1024)) MB, peak $((peak / 1024)) MB"
  echo "serial.log: $(stat -c %s "$log") bytes (limit 16 MiB); $(grep -a -o '[0-9]* lines ([0-9]* bytes) not logged' "$log")"
  grep -E "FAIL|ERROR" "$soak/flood.log" | head -1
  echo "leftovers: QEMU processes $qemus, socket directories $dirs"
  [ "$(stat -c %s "$log")" -le $((16 * 1024 * 1024 + 1024)) ] || { echo "FAIL: serial.log over its limit"; fail=1; }
  [ $((peak - first)) -le "$memory_bound_kb" ] || { echo "FAIL: memory grew by $((peak - first)) kB during the flood"; fail=1; }
  [ "$qemus" -eq 0 ] && [ "$dirs" -eq 0 ] || { echo "FAIL: leftovers after the flood"; fail=1; }
fi
[ "$fail" -eq 0 ] && echo "harness-soak: passed" || { echo "harness-soak: FAILED"; exit 1; }
