# The Linux peer of `make bench`: Debian's cloud kernel and busybox-static, fetched with
# `apt-get download` into build/peer/ (never committed), and an initramfs holding busybox,
# Sources/Benchmarks/LinuxPeer/init, the spawn loop (spawn.c) and the program it execs (exit0.c), both static.
# Included by the top-level Makefile.

PEER_DIR    := Sources/Benchmarks/LinuxPeer
PEER_OUT    := $(BUILD)/peer
PEER_KERNEL := $(PEER_OUT)/vmlinuz
PEER_INITRD := $(PEER_OUT)/initramfs.gz
PEER_CC     ?= gcc
# Commands the peer needs, as "command:package" pairs for `make deps`.
PEER_DEPS   := gcc:gcc dpkg-deb:dpkg apt-get:apt gzip:gzip

# The metapackage names the real kernel package (linux-image-6.1.*-cloud-amd64); download that.
$(PEER_OUT)/debs/fetched:
	@mkdir -p $(PEER_OUT)/debs
	@real=$$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $$2; exit}'); \
	if [ -z "$$real" ]; then apt-get update -qq; \
	  real=$$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $$2; exit}'); fi; \
	echo "peer: downloading $$real busybox-static"; \
	cd $(PEER_OUT)/debs && rm -f *.deb && apt-get download -q=2 "$$real" busybox-static
	@touch $@

# vmlinuz, busybox, and linux.txt naming the kernel package and version for the report.
$(PEER_KERNEL): $(PEER_OUT)/debs/fetched
	@rm -rf $(PEER_OUT)/pkg && mkdir -p $(PEER_OUT)/pkg
	@for deb in $(PEER_OUT)/debs/*.deb; do dpkg-deb -x "$$deb" $(PEER_OUT)/pkg; done
	@deb=$$(ls $(PEER_OUT)/debs/linux-image-*.deb); \
	  echo "$$(dpkg-deb -f $$deb Package) $$(dpkg-deb -f $$deb Version)" > $(PEER_OUT)/linux.txt
	cp $(PEER_OUT)/pkg/boot/vmlinuz-* $@

$(PEER_OUT)/spawn: $(PEER_DIR)/spawn.c
	@mkdir -p $(PEER_OUT)
	$(PEER_CC) -O2 -static -o $@ $<

$(PEER_OUT)/exit0: $(PEER_DIR)/exit0.c
	@mkdir -p $(PEER_OUT)
	$(PEER_CC) -O2 -static -nostdlib -o $@ $<

# A newc cpio made by busybox's own cpio applet (the cpio package is not needed).
$(PEER_INITRD): $(PEER_KERNEL) $(PEER_OUT)/spawn $(PEER_OUT)/exit0 $(PEER_DIR)/init
	@rm -rf $(PEER_OUT)/root && mkdir -p $(PEER_OUT)/root/bin $(PEER_OUT)/root/dev $(PEER_OUT)/root/proc
	@cp $(PEER_OUT)/pkg/bin/busybox $(PEER_OUT)/root/bin/
	@cp $(PEER_OUT)/spawn $(PEER_OUT)/exit0 $(PEER_OUT)/root/ && cp $(PEER_DIR)/init $(PEER_OUT)/root/init
	@chmod 755 $(PEER_OUT)/root/init
	cd $(PEER_OUT)/root && find . | ../pkg/bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > ../initramfs.gz

peer: $(PEER_KERNEL) $(PEER_INITRD)
