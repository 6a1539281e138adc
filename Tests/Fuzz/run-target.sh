#!/bin/sh
# Runs one libFuzzer target (built by `make fuzz-build`) for a set time and prints one line:
# executions, speed, corpus, coverage, findings. `make fuzz` calls it once per target.
# Usage: Tests/Fuzz/run-target.sh NAME MAX_LEN SECONDS OUT_DIR
# NAME is QMP, GDB, Scenario or KTAP; seeds come from Tests/Fuzz/Corpus/NAME (never written),
# the growing corpus and any crash, timeout or out-of-memory input go to OUT_DIR/NAME.
set -u
name=$1 max_len=$2 seconds=$3 out=$4/$1
binary=.build-fuzz/release/${name}Fuzz
mkdir -p "$out/corpus" "$out/artifacts"
rm -f "$out/artifacts/"* "$out/result"
# A hang (10 s on one input), an RSS over 2 GiB or one allocation over 512 MiB is a finding.
# Swift's own backtracer is off: libFuzzer reports the crash and keeps the input.
SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
    "$out/corpus" "Tests/Fuzz/Corpus/$name" > "$out/log.txt" 2>&1
status=$?
export LC_ALL=C  # the log quotes the fuzzer's binary inputs
stat() { sed -n "s/^stat::$1: *//p" "$out/log.txt" | tail -1; }
progress=$(grep -a -E '^#[0-9]+' "$out/log.txt" | tail -1)
coverage=$(echo "$progress" | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')
corpus=$(echo "$progress" | sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
findings=$(ls "$out/artifacts" | wc -l)
line="fuzz $name: $(stat number_of_executed_units) executions in ${seconds}s ($(stat average_exec_per_sec)/s),"
line="$line corpus ${corpus:-?} (inputs/bytes), coverage ${coverage:-?}, findings $findings (exit $status)"
echo "$line" | tee "$out/result"
if [ "$findings" -gt 0 ]; then
    ls "$out/artifacts" | sed "s|^|fuzz $name: finding $out/artifacts/|"
    grep -a -m1 -E 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)' "$out/log.txt" | cut -c1-300
fi
