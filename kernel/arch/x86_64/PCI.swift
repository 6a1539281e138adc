// PCI configuration space through the legacy ports (mechanism #1: address at 0xCF8, data at
// 0xCFC), enough to find a device on bus 0 and read its BARs. The firmware (SeaBIOS) has
// already assigned the BARs; the kernel only reads them.
import Hardware

struct PCIDevice {
    var device: UInt8
    var function: UInt8

    private func address(_ offset: UInt8) -> UInt32 {
        0x8000_0000 | UInt32(device) << 11 | UInt32(function) << 8 | UInt32(offset & 0xFC)
    }

    func read32(_ offset: UInt8) -> UInt32 {
        outl(0xCF8, address(offset))
        return inl(0xCFC)
    }

    func write32(_ offset: UInt8, _ value: UInt32) {
        outl(0xCF8, address(offset))
        outl(0xCFC, value)
    }

    var vendorID: UInt16 { UInt16(truncatingIfNeeded: read32(0)) }
    var deviceID: UInt16 { UInt16(truncatingIfNeeded: read32(0) >> 16) }
    /// Base class and subclass (0x0300: VGA-compatible display, 0x0380: other display).
    var classCode: UInt16 { UInt16(truncatingIfNeeded: read32(8) >> 16) }

    /// The physical address a memory BAR decodes (0 for an I/O BAR or one not assigned).
    func memoryBAR(_ index: Int) -> UInt64 {
        let offset = UInt8(0x10 + 4 * index)
        let low = read32(offset)
        if low & 1 != 0 { return 0 }
        var base = UInt64(low & 0xFFFF_FFF0)
        if (low >> 1) & 3 == 2 { base |= UInt64(read32(offset + 4)) << 32 }
        return base
    }

    /// Turns on memory decoding (command register bit 1), in case the firmware left it off.
    func enableMemorySpace() { write32(4, read32(4) | 0x2) }
}

enum PCI {
    /// The first function 0 on bus 0 with these ids.
    static func find(vendor: UInt16, device: UInt16) -> PCIDevice? {
        for slot in 0..<32 {
            let candidate = PCIDevice(device: UInt8(slot), function: 0)
            if candidate.vendorID == vendor && candidate.deviceID == device { return candidate }
        }
        return nil
    }
}
