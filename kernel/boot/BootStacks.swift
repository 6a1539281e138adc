// The boot CPU's interrupt stacks, carved from boot.S's `boot_ist_stacks`: each is a guard
// page followed by IST_STACK_SIZE bytes.
import Hardware

enum BootStacks {
    static let istStackSize = UInt64(IST_STACK_SIZE)

    static func istGuard(_ i: UInt64) -> UInt64 { boot_ist_stack_area() + i * (Layout.pageSize + istStackSize) }
    static func istTop(_ i: UInt64) -> UInt64 { istGuard(i) + Layout.pageSize + istStackSize }
}
