/* A multiboot guest that prints on COM1 whatever QEMU put in its reach, so a leak of a host file
   into the VM shows in the serial log (docs/security.md; Tests/EndToEndTests/ReachEndToEndTests):
     reach: modules=N                       then per module: start, size, its string and first bytes
     reach: rom at=ADDR size=BYTES          each 0x55AA signature, 2 KiB aligned, in 0xC0000-0xEFFFF
     reach: pci at=CF8ADDR vendor= device= class=   every function answering on buses 0-255
     reach: fw_cfg size= name=              QEMU's file directory for the firmware (ports 0x510/0x511)
     reach: ata port= drive= status=        the IDE status after IDENTIFY, for the 4 drive positions
     reach: end
   then, with the UART empty, exits through isa-debug-exit with status 33. Built by the test with
   gcc -m32 and Tests/Soaks/flood.ld. */
    .set MAGIC, 0x1BADB002
    .set FLAGS, 0
    .section .multiboot, "a"
    .align 4
    .long MAGIC, FLAGS, -(MAGIC + FLAGS)

    .text
    .code32
    .globl _start
_start:
    mov $stack_top, %esp
    mov %ebx, %ebp                 /* multiboot information */

modules:
    mov $s_modules, %esi
    call puts
    xor %ecx, %ecx
    testl $8, (%ebp)
    jz 1f
    mov 20(%ebp), %ecx
1:  mov %ecx, %eax
    call hex8
    call newline
    test %ecx, %ecx
    jz roms
    mov 24(%ebp), %edi             /* mods_addr: {start, end, string, reserved} */
next_module:
    mov $s_module, %esi
    call puts
    mov (%edi), %eax
    call hex8
    mov $s_size, %esi
    call puts
    mov 4(%edi), %eax
    sub (%edi), %eax
    call hex8
    mov $s_string, %esi
    call puts
    mov 8(%edi), %esi
    call puts
    mov $s_first, %esi
    call puts
    mov 4(%edi), %edx
    sub (%edi), %edx               /* at most 32 bytes, printable ones as they are */
    cmp $32, %edx
    jbe 2f
    mov $32, %edx
2:  mov (%edi), %esi
3:  test %edx, %edx
    jz 5f
    lodsb
    cmp $0x20, %al
    jb 4f
    cmp $0x7e, %al
    ja 4f
    call putc
    dec %edx
    jmp 3b
4:  mov $'.', %al
    call putc
    dec %edx
    jmp 3b
5:  call newline
    add $16, %edi
    dec %ecx
    jnz next_module

roms:
    mov $0xC0000, %edi
next_rom:
    cmpw $0xAA55, (%edi)
    jne 6f
    mov $s_rom, %esi
    call puts
    mov %edi, %eax
    call hex8
    mov $s_size, %esi
    call puts
    movzbl 2(%edi), %eax
    shl $9, %eax
    call hex8
    call newline
    add $2047, %eax                /* past this ROM, rounded up to 2 KiB */
    and $~2047, %eax
    jz 6f
    add %eax, %edi
    jmp 7f
6:  add $2048, %edi
7:  cmp $0xF0000, %edi
    jb next_rom

pci:
    mov $0x80000000, %ebx          /* enable, bus 0, device 0, function 0, register 0 */
next_function:
    mov %ebx, %eax
    mov $0xcf8, %dx
    outl %eax, %dx
    mov $0xcfc, %dx
    inl %dx, %eax
    cmp $0xffff, %ax
    je 8f
    mov %eax, %ecx
    mov $s_pci, %esi
    call puts
    mov %ebx, %eax
    call hex8
    mov $s_vendor, %esi
    call puts
    mov %ecx, %eax
    call hex4
    mov $s_device, %esi
    call puts
    mov %ecx, %eax
    shr $16, %eax
    call hex4
    mov $s_class, %esi
    call puts
    lea 8(%ebx), %eax
    mov $0xcf8, %dx
    outl %eax, %dx
    mov $0xcfc, %dx
    inl %dx, %eax
    shr $16, %eax
    call hex4
    call newline
8:  add $0x100, %ebx
    cmp $0x81000000, %ebx
    jb next_function

fw_cfg:
    mov $0x19, %ax                 /* FW_CFG_FILE_DIR: count, then 64-byte entries, big-endian */
    mov $0x510, %dx
    outw %ax, %dx
    call fw_cfg_be32
    mov %eax, %ecx
    test %ecx, %ecx
    jz ata
next_file:
    call fw_cfg_be32
    mov %eax, %ebx                 /* size */
    call fw_cfg_be32               /* select and reserved */
    mov $name, %edi
    mov $56, %edx
9:  mov $0x511, %dx
    inb %dx, %al
    stosb
    cmp $name + 56, %edi
    jb 9b
    movb $0, name + 55
    mov $s_fw_cfg, %esi
    call puts
    mov %ebx, %eax
    call hex8
    mov $s_name, %esi
    call puts
    mov $name, %esi
    call puts
    call newline
    dec %ecx
    jnz next_file

ata:
    mov $ata_positions, %edi
next_drive:
    movzwl (%edi), %ebx            /* command block base */
    test %ebx, %ebx
    jz done
    lea 6(%ebx), %edx
    movb 2(%edi), %al
    outb %al, %dx                  /* select the drive */
    lea 7(%ebx), %edx
    mov $0xec, %al                 /* IDENTIFY DEVICE */
    outb %al, %dx
    inb %dx, %al
    movzbl %al, %ecx
    mov $s_ata, %esi
    call puts
    mov %ebx, %eax
    call hex4
    mov $s_drive, %esi
    call puts
    movzbl 2(%edi), %eax
    call hex2
    mov $s_status, %esi
    call puts
    mov %ecx, %eax
    call hex2
    call newline
    add $4, %edi
    jmp next_drive

done:
    mov $s_end, %esi
    call puts
    call newline
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

/* eax = the next four fw_cfg data bytes, big-endian. */
fw_cfg_be32:
    push %edx
    push %ecx
    mov $0x511, %dx
    mov $4, %ecx
    xor %eax, %eax
1:  shl $8, %eax
    inb %dx, %al
    loop 1b
    pop %ecx
    pop %edx
    ret

/* putc: al. puts: the NUL-terminated string at esi. hexN: the low N digits of eax. */
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
    push %esi
1:  lodsb
    test %al, %al
    jz 2f
    call putc
    jmp 1b
2:  pop %esi
    pop %eax
    ret
newline:
    push %eax
    mov $'\n', %al
    call putc
    pop %eax
    ret
hex8:
    push %ecx
    mov $8, %ecx
    jmp hex
hex4:
    push %ecx
    mov $4, %ecx
    jmp hex
hex2:
    push %ecx
    mov $2, %ecx
hex:
    push %eax
    push %edx
    mov %eax, %edx
    mov $8, %eax                   /* move the wanted digits to the top */
    sub %ecx, %eax
    push %ecx
    mov %eax, %ecx
    shl $2, %ecx
    shl %cl, %edx
    pop %ecx
1:  rol $4, %edx
    mov %edx, %eax
    and $0xf, %eax
    movb digits(%eax), %al
    call putc
    loop 1b
    pop %edx
    pop %eax
    pop %ecx
    ret

    .data
digits:     .ascii "0123456789abcdef"
s_modules:  .asciz "reach: modules="
s_module:   .asciz "reach: module start="
s_size:     .asciz " size="
s_string:   .asciz " string="
s_first:    .asciz " first="
s_rom:      .asciz "reach: rom at="
s_pci:      .asciz "reach: pci at="
s_vendor:   .asciz " vendor="
s_device:   .asciz " device="
s_class:    .asciz " class="
s_fw_cfg:   .asciz "reach: fw_cfg size="
s_name:     .asciz " name="
s_ata:      .asciz "reach: ata port="
s_drive:    .asciz " drive="
s_status:   .asciz " status="
s_end:      .asciz "reach: end"
    .align 2
ata_positions:
    .word 0x1f0
    .byte 0xa0, 0
    .word 0x1f0
    .byte 0xb0, 0
    .word 0x170
    .byte 0xa0, 0
    .word 0x170
    .byte 0xb0, 0
    .word 0, 0
name:       .skip 56
    .align 16
stack:      .skip 4096
stack_top:
