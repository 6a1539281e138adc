// The smallest static program that exits 0: what the peer's spawn loop execs, the Linux
// counterpart of our kernel's `exit0` user program. No libc, so exec maps one tiny segment.
void _start(void) {
    __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
    __builtin_unreachable();
}
