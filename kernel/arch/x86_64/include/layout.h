// Sizes shared by the assembly and the Swift code (through hardware.h).
#ifndef KERNEL_LAYOUT_H
#define KERNEL_LAYOUT_H
#define BOOT_STACK_SIZE  (32 * 1024)
#define IST_STACK_SIZE   (16 * 1024)
#endif
