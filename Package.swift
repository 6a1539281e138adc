// swift-tools-version:6.0
// The host side of the project: the harness that boots the kernel under QEMU, and the kernel's
// pure data structures built for the host so `swift test` and `make bench` can reach them.
import PackageDescription

let package = Package(
    name: "SMPHarness",
    products: [
        .executable(name: "harness", targets: ["harness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The kernel's memory-management data structures: the very files the kernel compiles
        // in Embedded mode, built here for the host.
        .target(
            name: "KernelMemoryCore",
            path: "kernel/mm/core",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "KernelMemoryCoreTests",
            dependencies: ["KernelMemoryCore"]
        ),
        // Host benchmark: the kernel heap core next to glibc malloc/free in one process.
        .executableTarget(
            name: "heap-bench",
            dependencies: ["KernelMemoryCore"],
            path: "Sources/HeapBench"
        ),

        // The harness command: flags only; the work lives in the library targets.
        .executableTarget(
            name: "harness",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "harness"
        ),
    ]
)
