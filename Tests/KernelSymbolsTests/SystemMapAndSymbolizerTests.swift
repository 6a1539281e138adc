// A System.map read as the ELF is (llvm-nm of the real kernel written as one), a KASLR slide,
// and guest-printed backtraces symbolized.
import Foundation
import TestSupport
import Testing

@testable import KernelSymbols

@Suite struct SystemMapAndSymbolizerTests {
    /// The real kernel's symbols as `nm` prints them: the System.map a Linux build writes.
    private func systemMap() throws -> String {
        try Tool.run(["llvm-nm", "--defined-only", kernelELF]).output
    }

    @Test func aSystemMapNamesTheSameFunctionsAsTheELF() throws {
        let elf = try SymbolMap(path: kernelELF)
        let map = SymbolMap(image: try ELFImage(systemMap: try systemMap()))
        var checked = 0
        for symbol in elf.image.symbols where symbol.isFunction && symbol.size > 8 {
            let inside = symbol.address + symbol.size / 2
            // Within a function the System.map (no sizes) names the same one, or a local label
            // inside it that the ELF lists too.
            let found = try #require(map.symbol(containing: inside), "\(symbol.name)")
            #expect(found.address >= symbol.address && found.address <= inside, "\(symbol.name)")
            checked += 1
        }
        #expect(checked > 300)
    }

    @Test func aSystemMapLineThatIsNotOneIsRefusedWithItsLine() throws {
        #expect(throws: ELFError.self) { try ELFImage(systemMap: "ffffffff81000000 T _stext\nnot a map\n", name: "m") }
        do {
            _ = try ELFImage(systemMap: "ffffffff81000000 T _stext\nnot a map\n", name: "m")
        } catch let error as ELFError {
            #expect(error.description.hasPrefix("m:2: not a System.map line"), "\(error)")
        }
    }

    @Test func perCPUSymbolsNearZeroDoNotClaimTheAddressesUpToTheText() throws {
        let text = """
            0000000000000000 D __per_cpu_start
            0000000000001000 D fixed_percpu_data
            ffffffff81000000 T _stext
            ffffffff81000100 T start_kernel
            ffffffff81000200 T _etext
            """
        let map = SymbolMap(image: try ELFImage(systemMap: text))
        #expect(map.symbol(containing: 0x1000_0000) == nil)
        #expect(map.symbol(containing: 0xffff_ffff_8100_0180)?.name == "start_kernel")
        #expect(map.symbol(containing: 0xffff_ffff_8100_0300) == nil)
    }

    @Test func aSlideMovesEveryLookup() throws {
        let text = "ffffffff81000000 T _stext\nffffffff81000100 T start_kernel\nffffffff81000200 T _etext\n"
        let slid = SymbolMap(image: try ELFImage(systemMap: text)).sliding(by: 0x2a00_0000)
        #expect(slid.lookup("start_kernel")?.address == 0xffff_ffff_ab00_0100)
        #expect(slid.symbol(containing: 0xffff_ffff_ab00_0110)?.name == "start_kernel")
        #expect(slid.describe(0xffff_ffff_ab00_0110) == "start_kernel+0x10")
        #expect(slid.symbol(containing: 0xffff_ffff_8100_0110) == nil)
    }

    @Test func ourBacktraceLinesGetTheirFunctions() throws {
        let map = try SymbolMap(path: kernelELF)
        let idle = try #require(map.lookup("Scheduler.idleLoop()"))
        let symbolizer = BacktraceSymbolizer(symbols: map)
        let returnAddress = idle.address + 4
        let frame = "  #1 0x" + String(format: "%016llx", returnAddress)
        #expect(symbolizer.symbolize(frame) == frame + " (Scheduler.idleLoop()+0x4)")
        let registers = "cpu=0 rip=0x\(String(idle.address, radix: 16)) rsp=0x0000000000000010"
        #expect(
            symbolizer.symbolize(registers)
                == "cpu=0 rip=0x\(String(idle.address, radix: 16)) (Scheduler.idleLoop()) rsp=0x0000000000000010")
        // A return address just past a function's end is the call at its end: looked up one byte back.
        let end = "  #2 0x" + String(idle.address + idle.size, radix: 16)
        #expect(symbolizer.symbolize(end)?.hasSuffix("(Scheduler.idleLoop()+0x\(String(idle.size, radix: 16)))") == true)
        #expect(symbolizer.symbolize("kernel: ready") == nil)
        #expect(symbolizer.symbolize("  #3 0x0000000000000010") == nil)
    }

    @Test func linuxRawFramesGetTheirFunctions() throws {
        let text = "ffffffff81000000 T _stext\nffffffff81000100 T panic\nffffffff81000200 T _etext\n"
        let symbolizer = BacktraceSymbolizer(symbols: SymbolMap(image: try ELFImage(systemMap: text)))
        #expect(symbolizer.symbolize(" [<ffffffff81000123>] ") == " [<ffffffff81000123>] (panic+0x23) ")
        #expect(
            symbolizer.symbolize("[    1.234567]  ? 0xffffffff81000123") == "[    1.234567]  ? 0xffffffff81000123 (panic+0x23)")
        #expect(symbolizer.symbolize("RIP: 0010:0xffffffff81000104") == "RIP: 0010:0xffffffff81000104 (panic+0x4)")
        let (lines, changed) = symbolizer.symbolize(lines: ["Call Trace:", " [<ffffffff81000123>]", "done"])
        #expect(changed == 1)
        #expect(lines == ["Call Trace:", " [<ffffffff81000123>] (panic+0x23)", "done"])
    }
}
