// Task switching: save the callee-saved registers on the old task's stack, switch stacks, and
// restore the new task's. FPU/SSE state is saved and restored by the Swift caller.
#include "include/layout.h"

.section .text
// void context_switch(uint64_t *save_rsp, uint64_t new_rsp)
.globl context_switch
context_switch:
    pushq %rbp
    movq %rsp, %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

// A new task's first return lands here: r12 is its entry function, r13 its argument
// (see Scheduler.makeInitialStack). task_start (Swift) never returns.
.globl task_entry
task_entry:
    movq %r12, %rdi
    movq %r13, %rsi
    andq $-16, %rsp
    call task_start
    ud2

// void enter_user_mode(uint64_t rip, uint64_t rsp, uint64_t argument)
// Leaves for ring 3 with interrupts on, every other register cleared and the user's GS base.
.globl enter_user_mode
enter_user_mode:
    cli
    pushq $0x1B                             // ss: user data, RPL 3
    pushq %rsi                              // rsp
    pushq $0x202                            // rflags: interrupts on
    pushq $0x23                             // cs: user code, RPL 3
    pushq %rdi                              // rip
    movq %rdx, %rdi
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    swapgs
    iretq

// ---- The AP trampoline: copied to AP_TRAMPOLINE and entered in real mode by a SIPI. ----
#define TR(label) (label - ap_trampoline_start + AP_TRAMPOLINE)

.section .rodata
.code16
.globl ap_trampoline_start
ap_trampoline_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    movl $1, AP_PARAM_STARTED               // tell the boot CPU this SIPI arrived
    lgdtl TR(ap_gdt_pointer)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $TR(ap_protected)

.code32
ap_protected:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax   // PAE, OSFXSR, OSXMMEXCPT
    movl %eax, %cr4
    movl AP_PARAM_CR3, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax       // long mode, no-execute
    wrmsr
    movl %cr0, %eax
    andl $~(1 << 2), %eax
    orl $((1 << 31) | (1 << 16) | (1 << 1)), %eax
    movl %eax, %cr0
    ljmp $0x18, $TR(ap_long)

.code64
ap_long:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movq AP_PARAM_STACK, %rsp
    movl AP_PARAM_CPU, %edi
    xorl %ebp, %ebp
    movq AP_PARAM_ENTRY, %rax
    call *%rax
1:  cli
    hlt
    jmp 1b

.align 16
ap_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF                // 0x08: 32-bit code
    .quad 0x00CF92000000FFFF                // 0x10: data
    .quad 0x00AF9A000000FFFF                // 0x18: 64-bit code
ap_gdt_pointer:
    .word ap_gdt_pointer - ap_gdt - 1
    .long TR(ap_gdt)
.globl ap_trampoline_end
ap_trampoline_end:
