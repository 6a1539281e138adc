# Builds the kernel with nothing but the Swift toolchain: swiftc (Embedded) for Swift, its clang
# for assembly and C, its ld.lld to link. Included by the top-level Makefile.

SWIFT_BIN    := $(dir $(realpath $(shell command -v swiftc)))
SWIFTC       := $(SWIFT_BIN)swiftc
KCLANG       := $(SWIFT_BIN)clang
KLD          := $(SWIFT_BIN)ld.lld
KOBJCOPY     := $(SWIFT_BIN)llvm-objcopy

KERNEL_DIR   := kernel
KERNEL_OUT   := $(BUILD)/kernel
KERNEL_ELF   := $(KERNEL_OUT)/kernel.elf
KERNEL_IMG   := $(KERNEL_OUT)/kernel.img
KARCH        := $(KERNEL_DIR)/arch/x86_64

# Every Swift file of the kernel except user programs (kernel/user/, built separately).
KERNEL_SWIFT := $(shell find $(KERNEL_DIR) -name '*.swift' -not -path '$(KERNEL_DIR)/user/*' | sort)
KERNEL_ASM   := $(wildcard $(KARCH)/*.S)
KERNEL_C     := $(wildcard $(KARCH)/*.c)
KERNEL_HDRS  := $(wildcard $(KARCH)/include/*) $(KERNEL_DIR)/user/include/syscall_numbers.h

KSWIFTFLAGS  := -target x86_64-unknown-none-elf -enable-experimental-feature Embedded -wmo \
                -parse-as-library -Osize -module-name Kernel \
                -Xcc -mno-red-zone -Xfrontend -disable-stack-protector -Xfrontend -function-sections \
                -Xcc -fno-omit-frame-pointer -I $(KARCH)/include
KCFLAGS      := --target=x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib -mno-red-zone \
                -fno-stack-protector -fno-omit-frame-pointer -O2 -Wall -I $(KARCH)/include

# User programs (kernel/user/programs/*.swift): each is its own Embedded Swift ELF, linked at
# the start of the user half, then wrapped as a binary blob the kernel links in
# (symbols _binary_<name>_elf_start/_end, listed in proc/UserImages.swift).
USER_DIR     := $(KERNEL_DIR)/user
USER_OUT     := $(KERNEL_OUT)/user
USER_NAMES   := $(basename $(notdir $(wildcard $(USER_DIR)/programs/*.swift)))
USER_ELFS    := $(patsubst %,$(USER_OUT)/%.elf,$(USER_NAMES))
USER_BLOBS   := $(patsubst %,$(USER_OUT)/%.blob.o,$(USER_NAMES))
USER_SWIFTFLAGS := -target x86_64-unknown-none-elf -enable-experimental-feature Embedded -wmo \
                -parse-as-library -Osize -Xfrontend -disable-stack-protector -Xfrontend -function-sections \
                -Xcc -fno-omit-frame-pointer -I $(USER_DIR)/include

$(USER_OUT)/%.o: $(USER_DIR)/programs/%.swift $(USER_DIR)/Runtime.swift $(wildcard $(USER_DIR)/include/*) $(KERNEL_DIR)/kernel.mk
	@mkdir -p $(@D)
	$(SWIFTC) $(USER_SWIFTFLAGS) -module-name $* -c $(USER_DIR)/Runtime.swift $< -o $@

$(USER_OUT)/%.elf: $(USER_OUT)/%.o $(USER_DIR)/linker.ld
	$(KLD) -static --no-pie -nostdlib --gc-sections -z max-page-size=4096 -T $(USER_DIR)/linker.ld -o $@ $<

$(USER_OUT)/%.blob.o: $(USER_OUT)/%.elf
	cd $(USER_OUT) && $(KOBJCOPY) -I binary -O elf64-x86-64 -B i386:x86-64 \
	  --rename-section .data=.rodata.user_images,alloc,load,readonly,data,contents $*.elf $*.blob.o

.PHONY: user-programs
user-programs: $(USER_ELFS)

KERNEL_OBJS  := $(KERNEL_OUT)/kernel-swift.o $(USER_BLOBS) \
                $(patsubst $(KARCH)/%.S,$(KERNEL_OUT)/%.o,$(KERNEL_ASM)) \
                $(patsubst $(KARCH)/%.c,$(KERNEL_OUT)/%.o,$(KERNEL_C))

.PHONY: kernel
kernel: $(KERNEL_IMG)

$(KERNEL_OUT)/kernel-swift.o: $(KERNEL_SWIFT) $(KERNEL_HDRS) $(KERNEL_DIR)/kernel.mk
	@mkdir -p $(@D)
	$(SWIFTC) $(KSWIFTFLAGS) -c $(KERNEL_SWIFT) -o $@

$(KERNEL_OUT)/%.o: $(KARCH)/%.S $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(KCLANG) $(KCFLAGS) -c $< -o $@

$(KERNEL_OUT)/%.o: $(KARCH)/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(KCLANG) $(KCFLAGS) -c $< -o $@

$(KERNEL_ELF): $(KERNEL_OBJS) $(KARCH)/linker.ld
	$(KLD) -static --no-pie -nostdlib -z max-page-size=4096 -T $(KARCH)/linker.ld -o $@ $(KERNEL_OBJS)

# QEMU 7.2's multiboot loader takes only 32-bit ELF: the same image, converted.
$(KERNEL_IMG): $(KERNEL_ELF)
	$(KOBJCOPY) -O elf32-i386 $< $@
