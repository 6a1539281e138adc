// The user programs linked into the kernel image (kernel/user/programs/*.swift, wrapped by
// kernel.mk as binary blobs). A new program needs a line here and in proc/UserImages.swift.
#ifndef KERNEL_USER_IMAGES_H
#define KERNEL_USER_IMAGES_H
#include <stdint.h>
#define USER_IMAGE(name) \
    extern char _binary_##name##_elf_start[], _binary_##name##_elf_end[]; \
    static inline uint64_t user_image_##name##_start(void) { return (uint64_t)_binary_##name##_elf_start; } \
    static inline uint64_t user_image_##name##_end(void) { return (uint64_t)_binary_##name##_elf_end; }
USER_IMAGE(exit0)
USER_IMAGE(spin)
USER_IMAGE(spawner)
USER_IMAGE(hog)
USER_IMAGE(faulter)
USER_IMAGE(fuzzer)
#undef USER_IMAGE
#endif
