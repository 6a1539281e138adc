// The unwind test guest's entry: the multiboot header, the climb from QEMU's 32-bit entry into
// long mode (identity map of the first 1 GiB, 2 MiB pages), then a call to guest_main with rbp=0.
// With WITH_CFI the 64-bit entry carries CFI marking it the outermost frame (return address
// undefined), as a C library's _start does; CFI_IN_DEBUG_FRAME puts it in .debug_frame.

#ifdef CFI_IN_DEBUG_FRAME
    .cfi_sections .debug_frame
#endif
.section .note.GNU-stack, "", @progbits

.set MB_MAGIC, 0x1BADB002
.set MB_FLAGS, 0x00000003

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
    movl $(stack_top), %esp
    movl $pdpt, %eax
    orl $0x3, %eax
    movl %eax, pml4
    movl $pd, %eax
    orl $0x3, %eax
    movl %eax, pdpt
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, pd(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b
    movl %cr4, %eax
    orl $(1 << 5), %eax                     // PAE
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx                  // EFER.LME
    rdmsr
    orl $(1 << 8), %eax
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | 1), %eax
    movl %eax, %cr0
    lgdt gdt_pointer
    ljmp $0x08, $long_mode_entry

.code64
.globl long_mode_entry
.type long_mode_entry, @function
long_mode_entry:
#ifdef WITH_CFI
    .cfi_startproc
    .cfi_undefined rip
#endif
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movq $stack_top, %rsp
    xorl %ebp, %ebp
    call guest_main
2:  hlt
    jmp 2b
#ifdef WITH_CFI
    .cfi_endproc
#endif
.size long_mode_entry, . - long_mode_entry

.section .rodata
.align 16
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                // 0x08: 64-bit code
    .quad 0x00CF92000000FFFF                // 0x10: data
gdt_pointer:
    .word gdt_pointer - gdt - 1
    .quad gdt

.section .bss
.align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
stack: .skip 16384
stack_top:
