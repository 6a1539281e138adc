// Interrupt entry: one 16-byte stub per vector pushes a uniform frame (struct trap_frame in
// hardware.h), saves the SSE state and calls the Swift `trap_dispatch`.
.section .text
.align 16
.globl trap_stubs
trap_stubs:
.set vec, 0
.rept 256
    .align 16
    // The CPU pushes an error code only for these vectors; the others get a zero.
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
.endr

trap_common:
    testq $3, 24(%rsp)                  // from user mode: switch to the kernel's GS base
    jz 1f
    swapgs
1:  pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi                     // argument: the trap frame
    movq %rsp, %rbx                     // kept across the call (callee-saved)
    subq $512, %rsp
    andq $~15, %rsp
    fxsave64 (%rsp)                     // the handler may use SSE; the interrupted code's state survives
    // A frame record that links the handler's backtrace to the interrupted code.
    pushq 17*8(%rbx)                    // interrupted rip
    pushq 8*8(%rbx)                     // interrupted rbp
    movq %rsp, %rbp
    cld
    call trap_dispatch
    addq $16, %rsp
    fxrstor64 (%rsp)
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                      // vector and error code
    testq $3, 8(%rsp)
    jz 2f
    swapgs
2:  iretq

.section .rodata
.align 8
.globl trap_stub_table
trap_stub_table:
.set vec, 0
.rept 256
    .quad trap_stubs + vec * 16
    .set vec, vec + 1
.endr
