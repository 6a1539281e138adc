// Finding the CPUs: ACPI's RSDP (in the EBDA or the BIOS area) leads to the RSDT or XSDT, and
// their MADT lists each local APIC. Tables are read through the identity map.

struct DiscoveredCPU {
    var apicID: UInt32
}

enum ACPI {
    nonisolated(unsafe) static var cpus: PerCPUTable<DiscoveredCPU> = .init(repeating: DiscoveredCPU(apicID: 0))
    nonisolated(unsafe) static var cpuCount = 0
    nonisolated(unsafe) static var localAPICAddress: UInt64 = 0xFEE0_0000

    private static func bytes(_ address: UInt64) -> UnsafePointer<UInt8> { UnsafePointer(bitPattern: UInt(address))! }
    private static func read32(_ a: UInt64) -> UInt32 { UnsafeRawPointer(bitPattern: UInt(a))!.loadUnaligned(as: UInt32.self) }
    private static func read64(_ a: UInt64) -> UInt64 { UnsafeRawPointer(bitPattern: UInt(a))!.loadUnaligned(as: UInt64.self) }

    private static func signature(_ address: UInt64, _ s: StaticString) -> Bool {
        for i in 0..<s.utf8CodeUnitCount where bytes(address)[i] != s.utf8Start[i] { return false }
        return true
    }

    private static func checksumOK(_ address: UInt64, length: Int) -> Bool {
        var sum: UInt8 = 0
        for i in 0..<length { sum &+= bytes(address)[i] }
        return sum == 0
    }

    /// The EBDA's address, from the BIOS data area in page 0: read by `recordEBDA` while the boot
    /// map still covers page 0 (the kernel's own map leaves it out to catch null pointers).
    nonisolated(unsafe) static var ebda: UInt64 = 0

    static func recordEBDA() { ebda = UInt64(UnsafePointer<UInt16>(bitPattern: 0x40E)!.pointee) << 4 }

    private static func findRSDP() -> UInt64? {
        for (start, end) in [(ebda, ebda + 1024), (UInt64(0xE0000), UInt64(0x100000))] where start != 0 {
            var a = start
            while a + 20 <= end {
                if signature(a, "RSD PTR ") && checksumOK(a, length: 20) { return a }
                a += 16
            }
        }
        return nil
    }

    /// Fills `cpus` from the MADT. False when no usable table was found (then only the boot CPU runs).
    static func discover() -> Bool {
        guard let rsdp = findRSDP() else { return false }
        let revision = bytes(rsdp)[15]
        let useXSDT = revision >= 2 && read64(rsdp + 24) != 0
        let root = useXSDT ? read64(rsdp + 24) : UInt64(read32(rsdp + 16))
        let entrySize: UInt64 = useXSDT ? 8 : 4
        let length = UInt64(read32(root + 4))
        var offset: UInt64 = 36
        while offset + entrySize <= length {
            let table = useXSDT ? read64(root + offset) : UInt64(read32(root + offset))
            if signature(table, "APIC") {
                parseMADT(table)
                return cpuCount > 0
            }
            offset += entrySize
        }
        return false
    }

    private static func parseMADT(_ madt: UInt64) {
        localAPICAddress = UInt64(read32(madt + 36))
        let length = UInt64(read32(madt + 4))
        var offset: UInt64 = 44
        while offset + 2 <= length {
            let type = bytes(madt + offset)[0]
            let size = UInt64(bytes(madt + offset)[1])
            if size < 2 { return }
            switch type {
            case 0:  // processor local APIC
                let apicID = UInt32(bytes(madt + offset)[3])
                let flags = read32(madt + offset + 4)
                if flags & 1 != 0 && cpuCount < Parameters.maximumCPUs {
                    cpus[cpuCount] = DiscoveredCPU(apicID: apicID)
                    cpuCount += 1
                }
            case 5:  // local APIC address override
                localAPICAddress = read64(madt + offset + 4)
            default:
                break
            }
            offset += size
        }
    }
}
