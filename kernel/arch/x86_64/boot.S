// Boot: the multiboot header, the 32-bit entry QEMU's loader jumps to, and the climb into long
// mode with an identity map of the first 4 GiB, then a call to the Swift `kmain`.
#include "include/layout.h"

.set MB_MAGIC, 0x1BADB002
.set MB_FLAGS, 0x00000003            // modules page-aligned, memory information wanted

.section .multiboot, "a"
.align 4
.long MB_MAGIC
.long MB_FLAGS
.long -(MB_MAGIC + MB_FLAGS)

.section .text.boot, "ax"
.code32
.globl _start
_start:
    cli
    movl %eax, boot_multiboot_magic
    movl %ebx, boot_multiboot_info
    rdtsc                                   // boot time zero, for boot_ms
    movl %eax, boot_tsc
    movl %edx, boot_tsc + 4
    movl $(boot_stack + BOOT_STACK_SIZE), %esp

    // Identity map 0..4 GiB with 2 MiB pages: PML4[0] -> PDPT, PDPT[0..3] -> four page directories.
    movl $boot_pdpt, %eax
    orl $0x3, %eax
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $0x3, %eax
    xorl %ecx, %ecx
1:  movl %eax, boot_pdpt(,%ecx,8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                         // present, writable, 2 MiB page
    movl %eax, boot_pd(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jne 2b

    movl %cr4, %eax
    orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax   // PAE, OSFXSR, OSXMMEXCPT (Swift uses SSE)
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx                  // EFER: long mode, no-execute
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax
    wrmsr
    movl %cr0, %eax
    andl $~(1 << 2), %eax                   // EM off
    orl $((1 << 31) | (1 << 16) | (1 << 1)), %eax  // paging, write-protect, MP
    movl %eax, %cr0
    lgdt boot_gdt_pointer
    ljmp $0x08, $long_mode_entry

.code64
long_mode_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq $(boot_stack + BOOT_STACK_SIZE), %rsp
    xorl %ebp, %ebp                         // ends every frame-pointer backtrace
    movl boot_multiboot_magic, %edi
    movl boot_multiboot_info, %esi
    call kmain
3:  cli
    hlt
    jmp 3b

.section .rodata
.align 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                // 0x08: 64-bit code
    .quad 0x00CF92000000FFFF                // 0x10: data
boot_gdt_pointer:
    .word boot_gdt_pointer - boot_gdt - 1
    .quad boot_gdt

.section .data
.align 8
.globl boot_multiboot_magic, boot_multiboot_info, boot_tsc
boot_multiboot_magic: .long 0
boot_multiboot_info:  .long 0
boot_tsc:             .quad 0

.section .bss
.align 4096
.globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096 * 4
// The boot CPU's kernel stack, with an unmapped guard page below it once paging is rebuilt.
.globl boot_stack_guard, boot_stack
boot_stack_guard: .skip 4096
boot_stack: .skip BOOT_STACK_SIZE
// Interrupt stacks (IST) of the boot CPU: #DF, NMI, #MC. Each has a guard page below it.
.globl boot_ist_stacks
boot_ist_stacks: .skip (4096 + IST_STACK_SIZE) * 3
