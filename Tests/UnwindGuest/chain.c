// The unwind test guest: guest_main -> outer -> middle -> inner -> deepest, which prints one line
// on COM1 and spins there with interrupts off. Built with frame pointers, and without them with
// .eh_frame or .debug_frame (Tests/TestSupport/UnwindGuest.swift); middle keeps six values live
// across its call, so without frame pointers the compiler saves and reuses rbp as data and a
// frame-pointer walk of that build goes wrong at once.

volatile unsigned long spin_count;
volatile int released;

// Not inlined: GCC 12 gives a leaf function that needs no stack no frame even with
// -fno-omit-frame-pointer, and a frame-pointer walk from a frameless `deepest` would not see
// `inner` (its return address sits at rsp, not above a saved rbp).
__attribute__((noinline)) static void put(const char *text) {
    for (; *text; text++) __asm__ volatile("outb %0, %1" : : "a"(*text), "Nd"((unsigned short)0x3f8));
}

__attribute__((noinline)) long deepest(long n) {
    put("unwind guest: spinning in deepest\n");
    while (!released) {
        spin_count += (unsigned long)n;
        __asm__ volatile("pause");
    }
    return n;
}

__attribute__((noinline)) long inner(long n) {
    volatile long values[8];
    for (int i = 0; i < 8; i++) values[i] = n * i;
    long result = deepest(values[n & 7]);
    return result + values[3];
}

__attribute__((noinline)) long middle(long a, long b) {
    long c = a * 7, d = b * 11, e = a ^ b, f = a + b * 3, g = b - a, h = a * b;
    long result = inner(a + b);
    return result + c * d + e * f + g * h + c + d + e + f + g + h;
}

__attribute__((noinline)) long outer(long n) { return middle(n, n * 3) * 2 + 1; }

void guest_main(void) {
    spin_count = (unsigned long)outer(5);
    for (;;) __asm__ volatile("hlt");
}
