// The ELF reader against the real kernel image and llvm-nm's view of it; the demangler through
// the host Swift runtime.
import Foundation
import TestSupport
import Testing

@testable import KernelSymbols

let kernelELF = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("build/kernel/kernel.elf").path

@Suite struct SymbolMapTests {
    @Test func agreesWithLLVMNM() throws {
        let map = try SymbolMap(path: kernelELF)
        let output = try Tool.run(["llvm-nm", "--defined-only", kernelELF]).output
        var checked = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, "TtBbDd".contains(fields[1]), let address = UInt64(fields[0], radix: 16), address != 0 else {
                continue
            }
            let symbol = map.lookup(String(fields[2]))
            #expect(symbol?.address == address, "\(fields[2])")
            checked += 1
        }
        #expect(checked > 500)
    }

    @Test func symbolizesAndFindsVariables() throws {
        let map = try SymbolMap(path: kernelELF)
        let blocks = try #require(map.lookup("Kernel.CPUs.blocks"))
        #expect(blocks.size == 128)
        #expect(map.lookup("CPUs.blocks") == blocks)
        #expect(map.lookup("Kernel.memoryCounters")?.size == 64)
        #expect(map.lookup("Kernel.NoSuchThing") == nil)
        let idle = try #require(map.lookup("Scheduler.idleLoop()"))
        #expect(map.describe(idle.address) == "Scheduler.idleLoop()")
        let kmain = try #require(map.image.symbols.first { $0.name.hasPrefix("$e6Kernel5kmain") })
        #expect(map.describe(kmain.address + 0x10).hasSuffix("+0x10"))
        #expect(map.describe(kmain.address).hasPrefix("kmain("))
        #expect(map.describe(0xdead_0000_0000) == "0xdead00000000")
    }

    @Test func demanglesEmbeddedNames() {
        #expect(
            SwiftDemangler.demangle("$e6Kernel4CPUsO6blockss11InlineArrayVy$15_s6UInt64VGvpZ")
                == "static Kernel.CPUs.blocks : Swift.InlineArray<16, Swift.UInt64>")
        #expect(
            SwiftDemangler.simplified("$e6Kernel14MemoryCountersO7publishyyAA18HeapRunningFiguresVFZ")
                == "MemoryCounters.publish(_:)")
        #expect(
            SwiftDemangler.simplified("$e6Kernel3SMPO18startSecondaryCPUsyyFZyAA11ConsoleLineVXEfU2_")
                == "closure #4 in SMP.startSecondaryCPUs()")
        #expect(
            SwiftDemangler.simplify(
                "closure #1 (Swift.UInt64) -> () in variable initialization expression of Kernel.haltWithInterruptsOff : @convention(c) (Swift.UInt64) -> ()"
            )
                == "closure #1 in haltWithInterruptsOff")
        #expect(
            SwiftDemangler.simplify(
                "static Kernel.CrossCall.run(on: Swift.UInt64, _: @convention(c) (Swift.UInt64) -> (), _: Swift.UInt64, waitForCompletion: Swift.Bool) -> ()"
            )
                == "CrossCall.run(on:_:_:waitForCompletion:)")
        #expect(
            SwiftDemangler.simplify(
                "closure #1 (Kernel.ConsoleLine) -> () in static Kernel.KernelHeap.(reportPressure in _E6A8995AFBBA4B57338201D7DD07C2F0)() -> ()"
            )
                == "closure #1 in KernelHeap.reportPressure()")
        #expect(SwiftDemangler.simplify("static Kernel.Scheduler.idleLoop() -> Swift.Never") == "Scheduler.idleLoop()")
        #expect(
            SwiftDemangler.simplify(
                "generic specialization <Kernel.KernelHeapBacking> of Kernel.KernelHeapCore.addSlabPage(ofClass: Swift.Int) -> Kernel.WindowClaim"
            )
                == "KernelHeapCore.addSlabPage(ofClass:)")
        #expect(
            SwiftDemangler.simplify(
                "function signature specialization <Arg[2] = [Closure Propagated : closure #1 () -> () in Kernel.kmain(Swift.UInt32, Swift.UInt32) -> Swift.Never, Argument Types : []]> of Kernel.Panic.stopHere(_: Swift.Int) -> Swift.Never"
            )
                == "Panic.stopHere(_:)")
        #expect(SwiftDemangler.simplified("memcpy") == "memcpy")
    }
}
