// System calls for user programs: `int $0x80` with the number in rax and arguments in rdi,
// rsi, rdx; the result comes back in rax (negative: an error). The numbers are in
// syscall_numbers.h, which the kernel reads too.
#ifndef USER_SYSCALL_H
#define USER_SYSCALL_H
#include <stdint.h>
#include "syscall_numbers.h"

static inline int64_t syscall3(int64_t n, uint64_t a, uint64_t b, uint64_t c) {
    int64_t r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

// Things a faulting program does on purpose.
static inline void user_ud2(void) { __asm__ volatile("ud2"); }
static inline void user_hlt(void) { __asm__ volatile("hlt"); }
// A busy loop's body: an instruction the optimizer must keep, so the loop stays a loop.
static inline void user_pause(void) { __asm__ volatile("pause"); }
#endif
