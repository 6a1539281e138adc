/* A tiny multiboot guest for the harness's flood tests and memory benchmark. Built with
   FLOOD_LINES=N and FLOOD_MODE (run-benchmarks.sh, Tests/EndToEndTests/FloodGuest.swift):
     0  text: N lines of 100 bytes (100 MiB for 1,048,576 lines)
     1  hostile: N records of 4,700 bytes: NUL, 0xff, 0xfe, invalid and truncated UTF-8, a
        lone CR, and a 4,600-byte run with no newline (longer than the harness's line limit)
     2  silent: prints nothing and idles in hlt forever (the silence watchdog's case)
     3  goodbye: N lines of mode 0, then one last line (`goodbye: ...`, 63 bytes)
     4  markup: N lines `tick: n=7`, then one line of markup and hostile bytes (`<script>`,
        `</pre>`, NUL, 0xff, invalid UTF-8), then silence: a hang (the HTML report's test)
   each as fast as the UART takes it, then, once the UART has sent everything (LSR TEMT), exits
   through isa-debug-exit with the kernel's clean status (33). */
    .set MAGIC, 0x1BADB002
    .set FLAGS, 0
    .section .multiboot, "a"
    .align 4
    .long MAGIC, FLAGS, -(MAGIC + FLAGS)

    .text
    .code32
    .globl _start
_start:
#if FLOOD_MODE == 2
    jmp halt
#endif
    mov $FLOOD_LINES, %ecx
    test %ecx, %ecx
    jz done
next_line:
    mov $line, %esi
    mov $(line_end - line), %edi
next_byte:
    lodsb
    mov %al, %bl
    mov $0x3fd, %dx          /* line status: wait until the transmitter holds nothing */
wait_thre:
    inb %dx, %al
    test $0x20, %al
    jz wait_thre
    mov $0x3f8, %dx
    mov %bl, %al
    outb %al, %dx
    dec %edi
    jnz next_byte
    dec %ecx
    jnz next_line
done:
#if FLOOD_MODE == 3 || FLOOD_MODE == 4
    mov $goodbye, %esi
    mov $(goodbye_end - goodbye), %edi
goodbye_byte:
    lodsb
    mov %al, %bl
    mov $0x3fd, %dx
wait_goodbye_thre:
    inb %dx, %al
    test $0x20, %al
    jz wait_goodbye_thre
    mov $0x3f8, %dx
    mov %bl, %al
    outb %al, %dx
    dec %edi
    jnz goodbye_byte
#endif
#if FLOOD_MODE == 4
    jmp halt
#endif
    /* QEMU exits on the isa-debug-exit write at once: bytes still in the UART (THRE only says
       the holding register is free; the last byte may wait in the shift register for the
       socket to take it) would be lost. TEMT says every byte was handed to the chardev. */
    mov $0x3fd, %dx
wait_temt:
    inb %dx, %al
    test $0x40, %al
    jz wait_temt
    mov $0xf4, %dx
    mov $0x10, %al
    outb %al, %dx
halt:
    hlt
    jmp halt

    .data
line:
#if FLOOD_MODE == 1
    .ascii "hostile: "
    .byte 0x00, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xe2, 0x82, 0x0d, 0x00, 0xf0, 0x9f
    .ascii " end\n"
    .fill 4600, 1, 0xff
    .ascii "\n"
#elif FLOOD_MODE == 4
    .ascii "tick: n=7\n"
#else
    .ascii "flood: 01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901\n"
#endif
line_end:
goodbye:
#if FLOOD_MODE == 4
    .ascii "markup: <script>document.title='pwned'</script></pre><b>not bold</b> "
    .byte 0x00, 0xff, 0xfe, 0xc3, 0x28
    .ascii " end\n"
#else
    .ascii "goodbye: the last line before isa-debug-exit, whole 0123456789\n"
#endif
goodbye_end:
