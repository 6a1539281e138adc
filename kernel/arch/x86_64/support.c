// The few libc-shaped symbols the Embedded Swift runtime needs from a freestanding kernel.
// Each is tiny and forwards to Swift where there is policy (allocation, console).
#include <stddef.h>
#include <stdint.h>

// Implemented in Swift (mm/RuntimeAllocator.swift, console/Console.swift).
extern void *kernel_runtime_allocate(size_t size, size_t alignment);
extern void kernel_runtime_free(void *pointer);
extern void kernel_console_putchar(int c);
extern void kernel_random_fill(void *buffer, size_t count);

int posix_memalign(void **result, size_t alignment, size_t size) {
    void *p = kernel_runtime_allocate(size, alignment);   // panics itself when memory is exhausted
    if (p == NULL) return 12;                             // ENOMEM, for a bad alignment
    *result = p;
    return 0;
}

void free(void *pointer) {
    if (pointer != NULL) kernel_runtime_free(pointer);
}

int putchar(int c) {
    kernel_console_putchar(c);
    return c;
}

void arc4random_buf(void *buffer, size_t count) {
    kernel_random_fill(buffer, count);
}

// Eight bytes a step, then the tail a byte at a time. On hardware with ERMSB `rep movsb` alone is
// as fast, but under TCG every iteration of a string instruction is a step of its own, so a
// byte loop costs eight times as much; the program loader's copies and frame zeroing are on
// the spawn path.
void *memset(void *dst, int c, size_t n) {
    void *d = dst;
    size_t words = n >> 3, tail = n & 7;
    unsigned long pattern = (unsigned char)c * 0x0101010101010101UL;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
    void *d = dst;
    size_t words = n >> 3, tail = n & 7;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) :: "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) :: "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n) return memcpy(dst, src, n);
    // Overlapping with dst above src: copy backwards.
    unsigned char *d = (unsigned char *)dst + n - 1;
    const unsigned char *s = (const unsigned char *)src + n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

// Dictionary capacity math needs ceil. Exact for every double: values of 2^52 and above are integers.
double ceil(double x) {
    if (!(x < 4503599627370496.0 && x > -4503599627370496.0)) return x;   // also NaN and infinities
    double t = (double)(long long)x;
    return (t < x) ? t + 1.0 : t;
}
