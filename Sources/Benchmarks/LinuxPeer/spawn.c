// The Linux peer's workload for `make bench`: the same spawn + exit + wait loop as our kernel's
// `storm=exit` (fork, exec a minimal static program that exits 0, wait), timed with
// CLOCK_MONOTONIC and printed in the kernel's figure format; then QEMU is ended through
// isa-debug-exit (port 0xf4), so the harness sees status 33 exactly as with our kernel.
// Runs as root from /init; `count=N` on the kernel command line reaches it as $count.
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static unsigned long long microseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000ULL;
}

/// isa-debug-exit: QEMU exits with status (value << 1) | 1; 0x10 is our clean shutdown (33).
/// The console's bytes must have left the UART first: fflush only hands them to the tty.
static void exit_qemu(unsigned char value) {
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
    if (ioperm(0xf4, 4, 1) != 0) { perror("peer: ioperm"); return; }
    outb(value, 0xf4);
}

int main(void) {
    const char *text = getenv("count");
    long count = text ? strtol(text, NULL, 10) : 1000;
    if (count <= 0) count = 1000;
    char *const argv[] = {"/exit0", NULL};
    char *const envp[] = {NULL};
    long failures = 0;
    printf("peer: spawn start count=%ld cpus=%ld\n", count, sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
    unsigned long long start = microseconds();
    for (long i = 0; i < count; i++) {
        pid_t child = fork();
        if (child == 0) { execve(argv[0], argv, envp); _exit(127); }
        int status = 0;
        if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
    }
    unsigned long long elapsed = microseconds() - start;
    printf("peer: spawn done count=%ld failures=%ld elapsed_ms=%llu per_s=%llu\n", count, failures,
           elapsed / 1000, elapsed == 0 ? 0 : (unsigned long long)count * 1000000ULL / elapsed);
    exit_qemu(failures == 0 ? 0x10 : 0x11);
    return 1;
}
