/* A tiny multiboot guest for the harness's memory benchmark: prints FLOOD_LINES lines of 100
   bytes (100 MB for 1,048,576 lines) on COM1 as fast as the UART takes them, then exits
   through isa-debug-exit with the kernel's clean status (33). Built by run-benchmarks.sh. */
    .set MAGIC, 0x1BADB002
    .set FLAGS, 0
    .section .multiboot, "a"
    .align 4
    .long MAGIC, FLAGS, -(MAGIC + FLAGS)

    .text
    .code32
    .globl _start
_start:
    mov $FLOOD_LINES, %ecx
next_line:
    mov $line, %esi
next_byte:
    lodsb
    test %al, %al
    jz line_done
    mov %al, %bl
    mov $0x3fd, %dx          /* line status: wait until the transmitter holds nothing */
wait_thre:
    inb %dx, %al
    test $0x20, %al
    jz wait_thre
    mov $0x3f8, %dx
    mov %bl, %al
    outb %al, %dx
    jmp next_byte
line_done:
    dec %ecx
    jnz next_line
    mov $0xf4, %dx
    mov $0x10, %al
    outb %al, %dx
halt:
    hlt
    jmp halt

    .data
line:
    .ascii "flood: 01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901\n"
    .byte 0
