// Sizes shared by the assembly and the Swift code (through hardware.h).
#ifndef KERNEL_LAYOUT_H
#define KERNEL_LAYOUT_H
#define BOOT_STACK_SIZE  (32 * 1024)
#define IST_STACK_SIZE   (16 * 1024)
// The AP trampoline runs from this page below 1 MiB (a SIPI vector names a page there); its
// parameters sit at fixed offsets in the same page, written by the boot CPU before each start.
#define AP_TRAMPOLINE      0x8000
#define AP_PARAM_CR3       0x8F00
#define AP_PARAM_STACK     0x8F08
#define AP_PARAM_ENTRY     0x8F10
#define AP_PARAM_CPU       0x8F18
#define AP_PARAM_STARTED   0x8F20
#endif
