// swift-tools-version:6.0
// The host side of the project: the harness that boots the kernel under QEMU, and the kernel's
// pure data structures built for the host so `swift test` and `make bench` can reach them.
import PackageDescription

let package = Package(
    name: "SMPHarness",
    products: [
        .executable(name: "harness", targets: ["harness"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Scenario files are YAML: Yams keeps each node's line, so a bad file is refused with
        // file:line: reason.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // SHA-256 of the kernel image for the report (BoringSSL's, fast even in a debug build).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // The kernel's memory-management data structures: the very files the kernel compiles
        // in Embedded mode, built here for the host.
        .target(
            name: "KernelMemoryCore",
            path: "kernel/mm/core",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The kernel's seeded generator and clock-calibration sampling (kernel/lib/core), built
        // for the host for the tests above and their own.
        .target(
            name: "KernelLibCore",
            path: "kernel/lib/core",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "KernelLibCoreTests",
            dependencies: ["KernelLibCore"]
        ),
        .testTarget(
            name: "KernelMemoryCoreTests",
            dependencies: ["KernelMemoryCore", "KernelLibCore"]
        ),
        // The compositor's pure parts (kernel/video/core): rectangles and the damage queue.
        .target(
            name: "KernelVideoCore",
            path: "kernel/video/core",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "KernelVideoCoreTests",
            dependencies: ["KernelVideoCore"]
        ),
        // The scheduler's pure parts (kernel/sched/core): the intrusive queue of the run and
        // wait queues, and the stealing policy, built for the host.
        .target(
            name: "KernelSchedCore",
            path: "kernel/sched/core",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "KernelSchedCoreTests",
            dependencies: ["KernelSchedCore"]
        ),
        // The kernel's ELF64 checker (kernel/exec/core), built for the host.
        .target(
            name: "KernelExecCore",
            path: "kernel/exec/core",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "KernelExecCoreTests",
            dependencies: ["KernelExecCore"]
        ),
        // `make bench`'s figures, their statistics, the JSON and the Markdown table.
        .target(name: "BenchReport", swiftSettings: harnessSettings),
        .testTarget(name: "BenchReportTests", dependencies: ["BenchReport", "Benchmarks"], swiftSettings: harnessSettings),
        // `make bench`'s measurements: the plan (BenchPlan), bench scenarios run through the
        // Runner, figures from captures; LinuxPeer/ holds the peer's guest programs (C, built by
        // its peer.mk).
        .target(
            name: "Benchmarks",
            dependencies: ["BenchReport", "Runner", "Scenario", "QEMUMachine", "HostSystem"],
            exclude: ["LinuxPeer"],
            swiftSettings: harnessSettings
        ),
        // The `bench` command: flags in, BenchPlan run, report out.
        .executableTarget(
            name: "bench",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"), "Benchmarks", "BenchReport",
                "HostSystem",
            ],
            path: "Sources/BenchCommand",
            swiftSettings: harnessSettings
        ),
        // Host benchmark: the kernel heap core next to glibc malloc/free in one process (built in
        // release by `make bench`; its JSON joins the report).
        .executableTarget(
            name: "heap-bench",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"), "KernelMemoryCore", "BenchReport",
            ],
            path: "Sources/HeapBench",
            swiftSettings: harnessSettings
        ),

        // json-c through pkg-config: QMP is parsed with its incremental tokener.
        .systemLibrary(
            name: "CJSONC",
            path: "Sources/CJSONC",
            pkgConfig: "json-c",
            providers: [.apt(["libjson-c-dev"])]
        ),
        // libpng through pkg-config: screenshots are written as PNG, reference images read.
        .systemLibrary(
            name: "CLibPNG",
            path: "Sources/CLibPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        // The guest's screen as pictures: QEMU's PPM screendumps read, PNG written and read
        // (libpng), regions compared with tolerances.
        .target(name: "Screen", dependencies: ["CLibPNG"], swiftSettings: harnessSettings),
        // Thin wrappers over the POSIX calls the harness needs: an event loop over poll(2),
        // child processes in their own process group, UNIX sockets, private directories.
        .target(name: "HostSystem", swiftSettings: harnessSettings),
        // QMP: framing (json-c tokener), a session state machine, and a client over a socket.
        .target(name: "QMP", dependencies: ["CJSONC", "HostSystem"], swiftSettings: harnessSettings),
        // The GDB remote serial protocol: framing, an ack/resend state machine, a client.
        .target(name: "GDBRemote", dependencies: ["HostSystem"], swiftSettings: harnessSettings),
        // Kernel symbols from the ELF64 image, Swift names demangled by the host runtime.
        .target(name: "KernelSymbols", swiftSettings: harnessSettings),
        // DWARF call-frame information (.eh_frame, .debug_frame): the CIE/FDE parser, the CFA
        // program and one unwind step, for backtraces of kernels built without frame pointers.
        .target(name: "DWARFUnwind", swiftSettings: harnessSettings),
        .testTarget(
            name: "DWARFUnwindTests", dependencies: ["DWARFUnwind", "KernelSymbols", "TestSupport"],
            swiftSettings: harnessSettings),
        // A stopped machine explained: vCPU states, symbolized backtraces, kernel state by symbol.
        .target(name: "Diagnosis", dependencies: ["GDBRemote", "KernelSymbols", "DWARFUnwind"], swiftSettings: harnessSettings),
        // KTAP version 1 parsing: one kernel boot becomes many test cases.
        .target(name: "KTAP", swiftSettings: harnessSettings),
        // One QEMU virtual machine: command line, launch, serial console, shutdown.
        .target(
            name: "QEMUMachine", dependencies: ["HostSystem", "QMP", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["ProbeGuest"],
            swiftSettings: harnessSettings),
        // Scenario files: the model and the YAML parser that refuses bad files with file:line.
        .target(
            name: "Scenario",
            dependencies: ["QMP", "QEMUMachine", "KernelSymbols", "Screen", .product(name: "Yams", package: "Yams")],
            swiftSettings: harnessSettings
        ),
        // Figures sampled over a run: robust slope fit and the SVG plot of a scenario's `trend:`.
        .target(name: "Trend", dependencies: ["HostSystem"], swiftSettings: harnessSettings),
        // Runs scenarios on machines under watchdogs and turns what happened into verdicts.
        .target(
            name: "Runner",
            dependencies: [
                "HostSystem", "QMP", "QEMUMachine", "Scenario", "KTAP", "GDBRemote", "KernelSymbols", "Diagnosis", "DWARFUnwind",
                "Trend", "Screen",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: harnessSettings
        ),
        // JUnit XML for CI.
        .target(name: "JUnitReport", dependencies: ["Runner", "Scenario", "HostSystem"], swiftSettings: harnessSettings),
        // The HTML report for people: one self-contained page from a JUnit report.
        .target(
            name: "HTMLReport", dependencies: ["JUnitReport", "Runner", "Scenario"], swiftSettings: harnessSettings),

        // The harness command: flags only; the work lives in the library targets.
        .executableTarget(
            name: "harness",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "Runner", "Scenario", "JUnitReport", "HTMLReport", "QEMUMachine",
            ],
            path: "harness",
            swiftSettings: harnessSettings
        ),
        .testTarget(
            name: "QMPTests", dependencies: ["QMP", "HostSystem"], exclude: ["Fixtures"],
            swiftSettings: harnessSettings),
        .testTarget(name: "HostSystemTests", dependencies: ["HostSystem", "TestSupport"], swiftSettings: harnessSettings),
        .testTarget(
            name: "QEMUMachineTests", dependencies: ["QEMUMachine", "QMP", "HostSystem", "TestSupport"],
            swiftSettings: harnessSettings),
        .testTarget(
            name: "RunnerTests", dependencies: ["Runner", "Scenario", "QEMUMachine", "QMP", "KTAP", "HostSystem", "TestSupport"],
            swiftSettings: harnessSettings),
        .testTarget(
            name: "GDBRemoteTests",
            dependencies: ["GDBRemote", "HostSystem", "QEMUMachine", "KernelSymbols", "Diagnosis", "DWARFUnwind", "TestSupport"],
            swiftSettings: harnessSettings),
        .testTarget(name: "KernelSymbolsTests", dependencies: ["KernelSymbols", "TestSupport"], swiftSettings: harnessSettings),
        // The figure lines of docs/kernel-interface.md against the kernel's printers (sources read).
        .testTarget(name: "KernelInterfaceTests", swiftSettings: harnessSettings),
        .testTarget(
            name: "KTAPTests", dependencies: ["KTAP"], exclude: ["Conformance"], swiftSettings: harnessSettings),
        .testTarget(
            name: "RunnerSummaryTests", dependencies: ["Runner", "Scenario", "QEMUMachine", "HostSystem"],
            swiftSettings: harnessSettings),
        .testTarget(name: "ScreenTests", dependencies: ["Screen", "TestSupport"], swiftSettings: harnessSettings),
        .testTarget(name: "TrendTests", dependencies: ["Trend", "TestSupport"], swiftSettings: harnessSettings),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "TestSupport"], swiftSettings: harnessSettings),
        // A tool (xmllint, llvm-nm, gdb, gcc...) run to its end by a test: one helper for all.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: harnessSettings),
        // xmllint against the project's own JUnit schema (Tests/SchemaCheck/junit.xsd), shared by
        // the report and end-to-end tests.
        .target(
            name: "SchemaCheck", dependencies: ["TestSupport"], path: "Tests/SchemaCheck", exclude: ["junit.xsd"],
            swiftSettings: harnessSettings),
        .testTarget(
            name: "JUnitReportTests", dependencies: ["JUnitReport", "Runner", "KTAP", "SchemaCheck", "HostSystem"],
            swiftSettings: harnessSettings),
        .testTarget(
            name: "HTMLReportTests", dependencies: ["HTMLReport", "JUnitReport", "Runner"], swiftSettings: harnessSettings),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Runner", "Scenario", "QEMUMachine", "QMP", "HostSystem", "JUnitReport", "SchemaCheck", "TestSupport",
                "Screen",
            ],
            swiftSettings: harnessSettings
        ),
    ]
)

// libFuzzer targets (Tests/Fuzz): in the manifest only when SMP_FUZZ=1, which `make fuzz` sets
// with its own scratch path, so `swift build` and `make test` never build them.
if Context.environment["SMP_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzSupport", path: "Tests/Fuzz/FuzzSupport", swiftSettings: harnessSettings),
        .executableTarget(
            name: "KTAPFuzz", dependencies: ["FuzzSupport", "KTAP"], path: "Tests/Fuzz/KTAPFuzz",
            swiftSettings: harnessSettings),
        .executableTarget(
            name: "GDBFuzz", dependencies: ["FuzzSupport", "GDBRemote"], path: "Tests/Fuzz/GDBFuzz",
            swiftSettings: harnessSettings),
        .executableTarget(
            name: "ScenarioFuzz", dependencies: ["FuzzSupport", "Scenario", "QEMUMachine"],
            path: "Tests/Fuzz/ScenarioFuzz", swiftSettings: harnessSettings),
        .executableTarget(
            name: "QMPFuzz", dependencies: ["FuzzSupport", "QMP"], path: "Tests/Fuzz/QMPFuzz",
            swiftSettings: harnessSettings),
    ]
}

// The harness targets are written for Swift 5 mode: the machine's I/O runs on plain threads,
// one event loop per VM, and strict Sendable checking would only add ceremony there.
var harnessSettings: [SwiftSetting] { [.swiftLanguageMode(.v5)] }
