# The Linux examples (scenarios/linux/): Debian's cloud kernel and busybox-static from the
# bench's peer (Sources/Benchmarks/LinuxPeer/peer.mk), the kernel's real System.map and a cut
# of its vmlinux from its -dbg package (the package is 280 MB, its vmlinux 590 MB: only the
# section headers, the symbol table and .debug_frame are kept, 31 MB), and a
# busybox initramfs whose /init is scenarios/linux/init, with hang-task.c built static beside
# busybox. Everything lands in build/linux/.
# Included by the top-level Makefile; `make examples` runs the scenarios.

LINUX_DIR := scenarios/linux
LINUX_OUT := $(BUILD)/linux

$(LINUX_OUT)/vmlinuz: $(PEER_KERNEL)
	@mkdir -p $(LINUX_OUT)
	cp $< $@

# The -dbg package of the exact kernel package the peer downloaded: its System.map, and its
# vmlinux cut to what a backtrace needs (`vmlinux.cfi`: section headers, with the code's as
# NOBITS, .symtab and .debug_frame, which the harness unwinds by; objcopy from binutils).
$(LINUX_OUT)/System.map $(LINUX_OUT)/vmlinux.cfi &: $(PEER_KERNEL)
	@mkdir -p $(LINUX_OUT)/dbg
	@pkg=$$(cut -d' ' -f1 $(PEER_OUT)/linux.txt)-dbg; \
	  echo "linux examples: downloading $$pkg (System.map and vmlinux's symbols and CFI are kept)"; \
	  cd $(LINUX_OUT)/dbg && rm -f *.deb && \
	  { apt-get download -q=2 "$$pkg" || { apt-get update -qq && apt-get download -q=2 "$$pkg"; }; }
	cd $(LINUX_OUT)/dbg && dpkg-deb --fsys-tarfile *.deb | \
	  tar -x --wildcards './usr/lib/debug/boot/System.map-*' './usr/lib/debug/boot/vmlinux-*'
	cp $(LINUX_OUT)/dbg/usr/lib/debug/boot/System.map-* $(LINUX_OUT)/System.map
	objcopy --only-keep-debug --remove-relocations='*' \
	  $(foreach s,info abbrev line str ranges loc aranges rnglists loclists line_str,-R .debug_$(s)) \
	  $(LINUX_OUT)/dbg/usr/lib/debug/boot/vmlinux-* $(LINUX_OUT)/vmlinux.cfi
	rm -rf $(LINUX_OUT)/dbg

# The hung-task example's program (static: the initramfs has no libc).
$(LINUX_OUT)/hang-task: $(LINUX_DIR)/hang-task.c
	@mkdir -p $(LINUX_OUT)
	$(PEER_CC) -O2 -static -pthread -o $@ $<

# A newc cpio made by busybox's own cpio applet, as the peer's.
$(LINUX_OUT)/initramfs.gz: $(PEER_KERNEL) $(LINUX_DIR)/init $(LINUX_OUT)/hang-task
	@rm -rf $(LINUX_OUT)/root && mkdir -p $(LINUX_OUT)/root/bin $(LINUX_OUT)/root/dev $(LINUX_OUT)/root/proc
	@cp $(PEER_OUT)/pkg/bin/busybox $(LINUX_OUT)/hang-task $(LINUX_OUT)/root/bin/
	@cp $(LINUX_DIR)/init $(LINUX_OUT)/root/init && chmod 755 $(LINUX_OUT)/root/init
	cd $(LINUX_OUT)/root && find . | $(abspath $(PEER_OUT))/pkg/bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > ../initramfs.gz

# The profile's `build:` (scenarios/linux/profiles.yaml) runs this: the peer's packages first.
linux-examples:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS) $(PEER_DEPS)"
	@$(MAKE) --no-print-directory $(LINUX_OUT)/vmlinuz $(LINUX_OUT)/System.map $(LINUX_OUT)/vmlinux.cfi $(LINUX_OUT)/initramfs.gz
