/* The accelerator probe guest (AcceleratorProbe.swift): does what a kernel's first steps do under
   the accelerator being tried, then prints one line on COM1 and exits through isa-debug-exit.
   It enters long mode with 4-level paging, turns on SSE, and with `xorps` and `movups` clears an
   entry of its own live page directory: a hypervisor that shadows guest page tables traps that
   write and must emulate an SSE store (kvm-pvm cannot: "KVM internal error ... emulation failure").
   A flat multiboot image (the header's address fields, flag 16), loaded at 1 MiB.
   The harness embeds the assembled bytes (ProbeGuestImage.swift); after changing this file run
   `make probe-guest` and commit both (QEMUMachineTests checks that they agree). */
    .set MAGIC, 0x1BADB002
    .set FLAGS, 0x00010000
    .set BASE, 0x100000

    .text
    .code32
header:
    .long MAGIC, FLAGS, -(MAGIC + FLAGS)
    .long header, BASE, image_end, bss_end, start

start:
    /* Page tables (in bss, zeroed by the loader): the first 2 MiB identity-mapped. */
    movl $pdpt + 3, pml4
    movl $pd + 3, pdpt
    movl $0x83, pd                 /* present, writable, 2 MiB page */
    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x620, %eax                /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    mov $0xC0000080, %ecx          /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    and $~0x4, %eax                /* EM off */
    or $0x80000002, %eax           /* PG, MP */
    mov %eax, %cr0
    lgdt gdt_pointer
    ljmp $8, $long_mode

    .code64
long_mode:
    xorps %xmm0, %xmm0
    mov $pd, %eax
    movups %xmm0, 4080(%rax)       /* the last two entries of the live page directory */
    mov $message, %esi
    mov $(message_end - message), %ecx
next_byte:
    mov $0x3fd, %dx
wait_thre:
    inb %dx, %al
    test $0x20, %al
    jz wait_thre
    lodsb
    mov $0x3f8, %dx
    outb %al, %dx
    loop next_byte
    mov $0x3fd, %dx
wait_temt:                         /* every byte sent before QEMU exits */
    inb %dx, %al
    test $0x40, %al
    jz wait_temt
    mov $0xf4, %dx
    mov $0x10, %al
    outb %al, %dx
halt:
    hlt
    jmp halt

    .align 8
gdt:
    .quad 0
    .quad 0x00209A0000000000       /* 64-bit code */
gdt_pointer:
    .word gdt_pointer - gdt - 1
    .long gdt
message:
    .ascii "accel probe: long mode, paging and SSE work\n"
message_end:
image_end:

    .bss
    .align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
bss_end:
