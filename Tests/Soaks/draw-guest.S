/* A multiboot guest that draws, for the harness's screen tests (Tests/EndToEndTests/ScreenEndToEndTests):
     - finds QEMU's standard VGA (`-device VGA`, PCI 1234:1111) on bus 0 and its linear
       framebuffer at BAR0 (0xfd000000 on i440fx under SeaBIOS), and prints `draw: lfb=ADDRESS`
       (hex); bochs-display has the same ids but its DISPI registers only in MMIO (BAR2), which
       this guest does not program;
     - sets the Bochs VBE mode 640x480, 32 bits per pixel, linear framebuffer (DISPI ports
       0x1CE/0x1CF: index 4 = 0 off, 1 = width, 2 = height, 3 = bpp, 4 = 0x41 on with LFB);
     - paints a dark blue screen with a red 64x64 square at 0,0 that never changes, prints
       `draw: ready`, then, 20 times a second (PIT channel 0 in mode 2, polled), moves a white
       bar 16 pixels wide 8 pixels to the right across rows 96 to 479 and prints
       `draw: frame=N x=X`;
     - reads COM1: `s` stops the bar (the screen freezes; every frame still prints
       `draw: idle frame=N`, so the serial line stays alive), `g` lets it move again, `q`
       exits through isa-debug-exit with status 33.
   Built by the test with gcc -m32 and Tests/Soaks/flood.ld. */
    .set MAGIC, 0x1BADB002
    .set FLAGS, 0
    .set WIDTH, 640
    .set HEIGHT, 480
    .set BAR_TOP, 96
    .set BAR_WIDTH, 16
    .set BACKGROUND, 0x00203050
    .set SQUARE, 0x00d02020
    .set BAR, 0x00f0f0f0
    .set PIT_COUNT, 59659          /* 1193182 Hz / 20 */
    .section .multiboot, "a"
    .align 4
    .long MAGIC, FLAGS, -(MAGIC + FLAGS)

    .text
    .code32
    .globl _start
_start:
    mov $stack_top, %esp

/* PCI bus 0: the first function with vendor 1234, device 1111. */
    xor %ebx, %ebx                 /* device number << 11 */
find_vga:
    mov %ebx, %eax
    or $0x80000000, %eax
    mov $0xcf8, %dx
    outl %eax, %dx
    mov $0xcfc, %dx
    inl %dx, %eax
    cmp $0x11111234, %eax
    je found_vga
    add $0x800, %ebx
    cmp $0x10000, %ebx
    jb find_vga
    mov $s_novga, %esi
    call puts
    jmp exit
found_vga:
    mov %ebx, %eax
    or $0x80000010, %eax           /* BAR0 */
    mov $0xcf8, %dx
    outl %eax, %dx
    mov $0xcfc, %dx
    inl %dx, %eax
    and $0xfffffff0, %eax
    mov %eax, lfb
    mov $s_lfb, %esi
    call puts
    mov lfb, %eax
    call hex8
    call newline

/* The mode. */
    mov $4, %ax
    xor %bx, %bx
    call dispi
    mov $1, %ax
    mov $WIDTH, %bx
    call dispi
    mov $2, %ax
    mov $HEIGHT, %bx
    call dispi
    mov $3, %ax
    mov $32, %bx
    call dispi
    mov $4, %ax
    mov $0x41, %bx
    call dispi

/* The first picture: background, then the square. */
    mov lfb, %edi
    mov $(WIDTH * HEIGHT), %ecx
    mov $BACKGROUND, %eax
    rep stosl
    mov lfb, %edi
    mov $64, %edx
square_row:
    push %edi
    mov $64, %ecx
    mov $SQUARE, %eax
    rep stosl
    pop %edi
    add $(WIDTH * 4), %edi
    dec %edx
    jnz square_row
    mov $s_ready, %esi
    call puts

/* The PIT: channel 0, lobyte/hibyte, mode 2 (rate generator). */
    mov $0x34, %al
    outb %al, $0x43
    mov $(PIT_COUNT & 0xff), %al
    outb %al, $0x40
    mov $(PIT_COUNT >> 8), %al
    outb %al, $0x40
    movl $0xffff, last_count

frame:
    call wait_tick
    call read_command
    incl frames
    cmpb $0, stopped
    jne idle
    /* Erase the bar at its old place, draw it at the next. */
    mov bar_x, %eax
    mov $BACKGROUND, %ebx
    call fill_bar
    mov bar_x, %eax
    add $8, %eax
    cmp $(WIDTH - BAR_WIDTH), %eax
    jbe 1f
    xor %eax, %eax
1:  mov %eax, bar_x
    mov $BAR, %ebx
    call fill_bar
    mov $s_frame, %esi
    call puts
    mov frames, %eax
    call decimal
    mov $s_x, %esi
    call puts
    mov bar_x, %eax
    call decimal
    call newline
    jmp frame
idle:
    mov $s_idle, %esi
    call puts
    mov frames, %eax
    call decimal
    call newline
    jmp frame

/* Waits for the PIT's counter to wrap (it counts down from PIT_COUNT to 1, then reloads). */
wait_tick:
    mov $0x00, %al                 /* latch channel 0 */
    outb %al, $0x43
    inb $0x40, %al
    mov %al, %cl
    inb $0x40, %al
    mov %al, %ch
    movzwl %cx, %ecx
    mov last_count, %eax
    mov %ecx, last_count
    cmp %eax, %ecx
    jbe wait_tick
    ret

/* Acts on a byte waiting on COM1, if any. */
read_command:
    mov $0x3fd, %dx
    inb %dx, %al
    test $1, %al
    jz 2f
    mov $0x3f8, %dx
    inb %dx, %al
    cmp $'s', %al
    jne 1f
    movb $1, stopped
    mov $s_stopped, %esi
    call puts
1:  cmp $'g', %al
    jne 3f
    movb $0, stopped
3:  cmp $'q', %al
    je exit
2:  ret

/* Fills the bar's columns at x = %eax, rows BAR_TOP to HEIGHT - 1, with colour %ebx. */
fill_bar:
    mov $(BAR_TOP * WIDTH), %edi
    add %eax, %edi
    shl $2, %edi
    add lfb, %edi
    mov $(HEIGHT - BAR_TOP), %edx
    mov %ebx, %eax
1:  push %edi
    mov $BAR_WIDTH, %ecx
    rep stosl
    pop %edi
    add $(WIDTH * 4), %edi
    dec %edx
    jnz 1b
    ret

/* DISPI register %ax := %bx. */
dispi:
    mov $0x1ce, %dx
    outw %ax, %dx
    mov $0x1cf, %dx
    mov %bx, %ax
    outw %ax, %dx
    ret

exit:
    mov $0x3fd, %dx
1:  inb %dx, %al
    test $0x40, %al
    jz 1b
    mov $0xf4, %dx
    mov $0x10, %al
    outb %al, %dx
halt:
    hlt
    jmp halt

/* COM1 output: putc (%al), puts (%esi, NUL-ended), newline, hex8 (%eax), decimal (%eax). */
putc:
    push %edx
    push %eax
    mov $0x3fd, %dx
1:  inb %dx, %al
    test $0x20, %al
    jz 1b
    pop %eax
    mov $0x3f8, %dx
    outb %al, %dx
    pop %edx
    ret
puts:
    push %eax
1:  lodsb
    test %al, %al
    jz 2f
    call putc
    jmp 1b
2:  pop %eax
    ret
newline:
    push %eax
    mov $'\n', %al
    call putc
    pop %eax
    ret
hex8:
    push %ecx
    push %eax
    mov $8, %ecx
1:  rol $4, %eax
    push %eax
    and $0xf, %eax
    movb hexdigits(%eax), %al
    call putc
    pop %eax
    dec %ecx
    jnz 1b
    pop %eax
    pop %ecx
    ret
decimal:
    push %ebx
    push %ecx
    push %edx
    mov $10, %ebx
    xor %ecx, %ecx
1:  xor %edx, %edx
    div %ebx
    push %edx
    inc %ecx
    test %eax, %eax
    jnz 1b
2:  pop %eax
    add $'0', %al
    call putc
    dec %ecx
    jnz 2b
    pop %edx
    pop %ecx
    pop %ebx
    ret

    .data
hexdigits: .ascii "0123456789abcdef"
s_novga: .asciz "draw: no VGA (1234:1111) on PCI bus 0\n"
s_lfb: .asciz "draw: lfb="
s_ready: .asciz "draw: ready\n"
s_frame: .asciz "draw: frame="
s_x: .asciz " x="
s_idle: .asciz "draw: idle frame="
s_stopped: .asciz "draw: stopped\n"
    .align 4
lfb: .long 0
frames: .long 0
bar_x: .long 0
last_count: .long 0
stopped: .byte 0
    .align 16
    .fill 4096, 1, 0
stack_top:
