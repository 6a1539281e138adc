# Top-level entry points. `make run` and `make test` are the two commands a newcomer needs;
# both install missing Debian packages first (as root), then build what they use. `make bench`
# measures the kernel and the harness next to Debian's Linux in the same QEMU
# (docs/performance.md); `make peer` only builds that Linux peer. `make examples` boots that
# Linux in the examples of scenarios/linux/ (downloads; also part of `make nightly`).
# `make fuzz` runs the libFuzzer targets (QMP, GDB, Scenario, KTAP parsers) for FUZZ_SECONDS each
# (default 600) and fails on any finding; FUZZ_TARGETS picks some, `make -j 2 fuzz` runs two at once.

SWIFT      ?= swift
BUILD      := build
JUNIT      ?= $(BUILD)/junit.xml
# Arguments for the harness on top of the scenario folder, e.g. `make run HARNESS_ARGS=--verbose`.
HARNESS_ARGS ?=

.PHONY: all deps lint kernel harness unit test run ktest nightly examples linux-examples bench peer harness-soak serial-flood-soak fuzz fuzz-build probe-guest clean

all: kernel harness

# Debian packages we depend on: "command-or-pkgconfig-check package" pairs. The tests also use
# gdb (GDBLiveTests' and UnwindGuestTests' cross-checks), gcc, ld, objcopy and readelf (FloodGuest
# assembles a small test guest; UnwindGuest compiles a C one three ways, and its CFI is checked
# against readelf's) and
# unshare (util-linux, DiskFullEndToEndTests' private mount namespace); bubblewrap gives
# QEMU its private filesystem view (docs/security.md); qemu-utils gives qemu-img, which makes
# the snapshot drive of `--record` (docs/harness.md, "Record and replay"); libpng writes screenshots
# and reads reference images (docs/scenarios.md, "Screen steps"); chromium renders the HTML report
# headless in HTMLReportBrowserTests.
DEPS := qemu-system-x86_64:qemu-system-x86 pkg-config:pkg-config pc/json-c:libjson-c-dev pc/libpng:libpng-dev \
        xmllint:libxml2-utils \
        gdb:gdb gcc:gcc ld:binutils unshare:util-linux bwrap:bubblewrap qemu-img:qemu-utils chromium:chromium

deps:
	@missing=""; \
	for pair in $(DEPS); do \
	  check=$${pair%%:*}; pkg=$${pair#*:}; \
	  case $$check in \
	    pc/*) pkg-config --exists $${check#pc/} 2>/dev/null || missing="$$missing $$pkg";; \
	    *) command -v $$check >/dev/null 2>&1 || missing="$$missing $$pkg";; \
	  esac; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "deps: missing Debian packages:$$missing"; \
	    echo "deps: run 'sudo apt-get install$$missing' (or run make as root)"; exit 1; \
	  fi; \
	fi

include kernel/kernel.mk
include Sources/Benchmarks/LinuxPeer/peer.mk
include scenarios/linux/examples.mk

harness: deps
	$(SWIFT) build -j 2 --product harness

# Regenerates the accelerator probe guest's bytes, which the harness embeds (it cannot assume an
# assembler where it runs); QEMUMachineTests checks that the committed bytes match the source.
PROBE_GUEST := Sources/QEMUMachine/ProbeGuest
probe-guest: deps
	@mkdir -p $(BUILD)
	gcc -m32 -c -x assembler-with-cpp $(PROBE_GUEST)/accel-probe.S -o $(BUILD)/accel-probe.o
	ld -m elf_i386 -T $(PROBE_GUEST)/accel-probe.ld -o $(BUILD)/accel-probe.bin $(BUILD)/accel-probe.o
	$(PROBE_GUEST)/embed.sh $(BUILD)/accel-probe.bin > Sources/QEMUMachine/ProbeGuestImage.swift

unit: deps
	$(SWIFT) build -j 2 --build-tests
	$(SWIFT) test -j 2 --skip-build

# Boots the kernel's self-tests directly in QEMU, without the harness (a quick kernel check).
ktest: deps kernel
	@qemu-system-x86_64 -accel tcg -m 128 -smp 1 -display none -no-reboot \
	  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -monitor none \
	  -kernel $(KERNEL_IMG) -append "ktest=$${KTEST:-*}"; st=$$?; \
	  if [ $$st -eq 33 ]; then echo "ktest: passed"; else echo "ktest: failed (QEMU status $$st)"; exit 1; fi

# The Swift sources against .swift-format (`swift format format -i -r ...` with the same paths fixes
# most of what it finds).
LINT_PATHS := Sources harness Tests kernel Package.swift
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(LINT_PATHS)

# The format check, unit and end-to-end tests, then the harness over every scenario not tagged
# nightly (`run`).
test: deps lint kernel unit run

# The scenarios under scenarios/ (nightly ones only with HARNESS_ARGS=--nightly); JUnit in $(JUNIT).
run: deps kernel harness
	$(SWIFT) run --skip-build harness scenarios/ --junit $(JUNIT) $(HARNESS_ARGS)

# Long runs: the soaks and the Linux examples (scenarios tagged nightly; the examples download
# once, see `examples`) plus every scenario repeated NIGHTLY_REPEAT
# times, each repetition with its own seed (a failure prints the command that reruns it).
# SHARD=K/N runs the K-th of N disjoint parts of that plan (docs/scaling-out.md); every part
# needs the same SEED_BASE. DURATIONS=an earlier junit.xml balances the parts by its run times.
NIGHTLY_REPEAT ?= 5
SHARD      ?=
SEED_BASE  ?=
DURATIONS  ?=
SHARD_ARGS := $(if $(SHARD),--shard $(SHARD)) $(if $(SEED_BASE),--seed-base $(SEED_BASE)) \
              $(if $(DURATIONS),--durations $(DURATIONS))
nightly: deps kernel harness
	$(SWIFT) run --skip-build harness scenarios/ --nightly --repeat $(NIGHTLY_REPEAT) --junit $(JUNIT) $(SHARD_ARGS) $(HARNESS_ARGS)

# The Linux examples (scenarios/linux/, tagged nightly): Debian's Linux with a busybox initramfs,
# its System.map from the -dbg package (a 280 MB download, once); the profile's build makes them.
examples: deps harness
	$(SWIFT) run --skip-build harness scenarios/linux/ --nightly --junit $(BUILD)/examples.xml $(HARNESS_ARGS)

# Figures: the kernel's, the harness's and the host heap core's, with Debian's Linux booted by
# the same harness in the same QEMU as the peer; build/bench.json, build/bench.md and the table.
# BENCH_REPEAT runs of each VM figure; BENCH_VMS VMs at once for the harness's peak memory;
# BENCH_ARGS more flags for `bench`, e.g. BENCH_ARGS='--only kernel'.
BENCH_REPEAT ?= 5
BENCH_VMS    ?= 4
BENCH_ARGS   ?=
bench: deps kernel
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS) $(PEER_DEPS)"
	@$(MAKE) --no-print-directory peer
	$(SWIFT) build -j 2 --product bench
	$(SWIFT) build -j 2 -c release --product heap-bench
	@mkdir -p $(BUILD)/bench
	.build/release/heap-bench --json $(BUILD)/bench/heap.json
	$(SWIFT) run --skip-build bench --repeat $(BENCH_REPEAT) --vms $(BENCH_VMS) $(BENCH_ARGS)

# The harness soaking itself: 500 quick runs with --jobs 2 (memory, descriptors, children and
# leftovers sampled), then a guest flooding 200 MB of hostile bytes. RUNS=, FLOOD_MB= to change.
harness-soak: deps kernel harness
	Tests/Soaks/harness-soak.sh

# The harness while a guest prints 100 MiB on its serial console (minutes; docs/performance.md).
serial-flood-soak: deps harness
	Tests/Soaks/serial-flood-soak.sh

# libFuzzer targets (Tests/Fuzz), built with the fuzzer and address sanitizers in their own
# scratch path; SMP_FUZZ=1 puts them in the manifest, so `swift build` never sees them.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= QMP GDB Scenario KTAP
# Longest input per target: a few QMP messages or GDB packets, a scenario file with profiles,
# a KTAP run of a few hundred lines.
FUZZ_MAX_LEN_QMP := 4096
FUZZ_MAX_LEN_GDB := 4096
FUZZ_MAX_LEN_Scenario := 8192
FUZZ_MAX_LEN_KTAP := 16384
FUZZ_BUILD_FLAGS := -c release --scratch-path .build-fuzz --sanitize fuzzer --sanitize address \
	-Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld

fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))
	@cat $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(t)/result); \
	if ! grep -q 'findings 0 ' $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(t)/result) \
	  || grep -v -q 'findings 0 ' $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(t)/result); then \
	  echo "fuzz: findings above (inputs in $(BUILD)/fuzz/*/artifacts/)"; exit 1; fi

fuzz-build: deps
	@for t in $(FUZZ_TARGETS); do \
	  SMP_FUZZ=1 $(SWIFT) build -j 2 $(FUZZ_BUILD_FLAGS) --product $${t}Fuzz || exit 1; done

fuzz-run-%: fuzz-build
	@Tests/Fuzz/run-target.sh $* $(FUZZ_MAX_LEN_$*) $(FUZZ_SECONDS) $(BUILD)/fuzz

clean:
	rm -rf $(BUILD) .build .build-fuzz
