// A task stuck in D state on purpose, for the hung-task example (hung-task.yaml): one thread
// writes to a pipe from a page registered with userfaultfd and never served, so it faults
// while holding the pipe's mutex and waits; a second thread's write to the same pipe then waits
// for that mutex uninterruptibly (mutex_lock: TASK_UNINTERRUPTIBLE), which is what Linux's
// hung-task detector reports ("INFO: task hang-task:PID blocked for more than N seconds").
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pipefd[2];
static char *page;

static void *faulting_writer(void *unused) {
    // Faults on `page` inside pipe_write, with the pipe's mutex held; nobody serves the fault.
    write(pipefd[1], page, 4096);
    return unused;
}

int main(void) {
    long size = sysconf(_SC_PAGESIZE);
    int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (uffd < 0) { perror("hang-task: userfaultfd"); return 1; }
    struct uffdio_api api = {.api = UFFD_API};
    if (ioctl(uffd, UFFDIO_API, &api) < 0) { perror("hang-task: UFFDIO_API"); return 1; }
    page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {.range = {.start = (unsigned long)page, .len = size}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) { perror("hang-task: UFFDIO_REGISTER"); return 1; }
    if (pipe(pipefd) < 0) { perror("hang-task: pipe"); return 1; }
    pthread_t thread;
    pthread_create(&thread, NULL, faulting_writer, NULL);
    sleep(1);
    printf("hang-task: second writer blocks now\n");
    fflush(stdout);
    // Waits for the pipe's mutex, in D state, for good.
    write(pipefd[1], "x", 1);
    return 0;
}
