// System-call numbers: the one list, read by user programs (through syscall.h) and by the
// kernel (through the Hardware module, for proc/Syscalls.swift).
#ifndef SYSCALL_NUMBERS_H
#define SYSCALL_NUMBERS_H

enum {
    SYS_EXIT = 0, SYS_SPAWN = 1, SYS_WAIT = 2, SYS_KILL = 3, SYS_YIELD = 4, SYS_GETPID = 5,
    SYS_WRITE = 6, SYS_SLEEP = 7, SYS_MAP = 8, SYS_UNMAP = 9, SYS_CLOCK = 10,
};
#endif
