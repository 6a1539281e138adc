// Thin inline-assembly wrappers for what Swift cannot express (port I/O, control registers, MSRs,
// descriptor tables), and the shapes the assembly shares with Swift (trap frame, static storage).
#ifndef KERNEL_HARDWARE_H
#define KERNEL_HARDWARE_H
#include <stdint.h>
#include "layout.h"

// ---- port I/O ----
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

// ---- interrupts and the processor ----
static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
// Enables interrupts and halts in one step, so a wake-up interrupt cannot slip in between.
static inline void cpu_sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
// Zeroes one 4 KiB page eight bytes a step (the compiler's own zeroing loop stores four).
static inline void cpu_zero_page(uint64_t address) {
    uint64_t count = 512;
    __asm__ volatile("rep stosq" : "+D"(address), "+c"(count) : "a"(0UL) : "memory");
}
static inline void cpu_ud2(void) { __asm__ volatile("ud2"); }
static inline uint64_t cpu_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f) :: "memory"); return f; }
static inline void cpu_restore_rflags(uint64_t f) { __asm__ volatile("pushq %0; popfq" :: "r"(f) : "memory", "cc"); }
static inline uint64_t cpu_rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
static inline uint64_t cpu_frame_pointer(void) { return (uint64_t)__builtin_frame_address(0); }
static inline uint64_t cpu_stack_pointer(void) { uint64_t sp; __asm__ volatile("movq %%rsp, %0" : "=r"(sp)); return sp; }
static inline void cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void cpu_triple_fault(void) {
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } empty = {0, 0};
    __asm__ volatile("lidt %0; int3" :: "m"(empty));
}

// ---- control registers and MSRs ----
static inline uint64_t cpu_read_cr0(void) { uint64_t v; __asm__ volatile("movq %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t cpu_read_cr2(void) { uint64_t v; __asm__ volatile("movq %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t cpu_read_cr3(void) { uint64_t v; __asm__ volatile("movq %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t cpu_read_cr4(void) { uint64_t v; __asm__ volatile("movq %%cr4, %0" : "=r"(v)); return v; }
static inline void cpu_write_cr3(uint64_t v) { __asm__ volatile("movq %0, %%cr3" :: "r"(v) : "memory"); }
static inline void cpu_invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline uint64_t cpu_rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline void cpu_wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }

// ---- descriptor tables ----
struct __attribute__((packed)) descriptor_pointer { uint16_t limit; uint64_t base; };
static inline void cpu_lgdt(uint64_t base, uint16_t limit) {
    struct descriptor_pointer p = { limit, base };
    __asm__ volatile("lgdt %0" :: "m"(p) : "memory");
}
static inline void cpu_lidt(uint64_t base, uint16_t limit) {
    struct descriptor_pointer p = { limit, base };
    __asm__ volatile("lidt %0" :: "m"(p) : "memory");
}
static inline void cpu_ltr(uint16_t selector) { __asm__ volatile("ltr %0" :: "r"(selector)); }
// Reloads CS with a far return and the data segments, after a new GDT is loaded.
static inline void cpu_reload_segments(uint16_t code, uint16_t data) {
    __asm__ volatile(
        "pushq %q0\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w1, %%ds\n\tmovw %w1, %%es\n\tmovw %w1, %%ss\n\t"
        :: "r"((uint64_t)code), "r"(data) : "rax", "memory");
}

// ---- memory-mapped I/O, per-CPU data, FPU state ----
static inline uint32_t mmio_read32(uint64_t address) { return *(volatile uint32_t *)address; }
static inline void mmio_write32(uint64_t address, uint32_t v) { *(volatile uint32_t *)address = v; }
static inline uint16_t mmio_read16(uint64_t address) { return *(volatile uint16_t *)address; }
static inline void mmio_write16(uint64_t address, uint16_t v) { *(volatile uint16_t *)address = v; }
// GS holds each CPU's per-CPU block; its first word points at the block itself.
static inline uint64_t cpu_percpu_block(void) { uint64_t v; __asm__ volatile("movq %%gs:0, %0" : "=r"(v)); return v; }
static inline void cpu_fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" :: "r"(area) : "memory"); }
static inline void cpu_fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" :: "r"(area) : "memory"); }
// A clean FPU/SSE state for a new task: x87 reset, SSE exceptions masked, round to nearest.
static inline void cpu_fpu_reset(void) { uint32_t mxcsr = 0x1F80; __asm__ volatile("fninit; ldmxcsr %0" :: "m"(mxcsr)); }
static inline void cpu_flush_tlb(void) { __asm__ volatile("movq %%cr3, %%rax; movq %%rax, %%cr3" ::: "rax", "memory"); }

// Implemented in switch.S.
void context_switch(uint64_t *save_rsp, uint64_t new_rsp);
__attribute__((noreturn)) void enter_user_mode(uint64_t rip, uint64_t rsp, uint64_t argument);
extern char task_entry[], ap_trampoline_start[], ap_trampoline_end[];
static inline uint64_t task_entry_address(void) { return (uint64_t)task_entry; }
static inline uint64_t ap_trampoline_code(void) { return (uint64_t)ap_trampoline_start; }
static inline uint64_t ap_trampoline_size(void) { return (uint64_t)(ap_trampoline_end - ap_trampoline_start); }

// ---- the trap frame built by traps.S (lowest address first) ----
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

// ---- static storage defined by the assembly and the linker script ----
extern char __kernel_start[], __kernel_end[], __bss_start[], __bss_end[];
extern uint32_t boot_multiboot_magic, boot_multiboot_info;
extern uint64_t boot_tsc;
extern char boot_stack_guard[], boot_stack[], boot_ist_stacks[], boot_pml4[];
extern uint64_t trap_stub_table[];
static inline uint64_t kernel_image_start(void) { return (uint64_t)__kernel_start; }
static inline uint64_t kernel_image_end(void) { return (uint64_t)__kernel_end; }
static inline uint64_t boot_start_tsc(void) { return boot_tsc; }
static inline uint64_t boot_stack_bottom(void) { return (uint64_t)boot_stack; }
static inline uint64_t boot_stack_guard_page(void) { return (uint64_t)boot_stack_guard; }
static inline uint64_t boot_ist_stack_area(void) { return (uint64_t)boot_ist_stacks; }
static inline uint64_t trap_stub_address(int vector) { return trap_stub_table[vector]; }

#endif
