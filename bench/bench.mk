# The benchmark suite: `make bench` runs the same static benchmark binaries
# on Linux and on Metta under identical QEMU settings and prints them side by
# side (see bench/README.md). Included by the top Makefile; also usable on
# its own as `make -f bench/bench.mk bench`. Everything it makes or fetches
# goes under build/bench/.

BENCH_OUT    := build/bench
BENCH_BIN    := $(BENCH_OUT)/bin
BENCH_LINUX  := $(BENCH_OUT)/linux
BENCH_CC     := musl-gcc
BENCH_CFLAGS := -std=gnu11 -static -O2 -Wall -Wextra -Werror
BENCH_ROUNDS ?= 3
# QEMU -cpu for both systems; empty means the runner's default (max).
BENCH_CPU    ?=

BENCH_SUITE_SRC := bench/suite.c bench/harness.c bench/sys.c bench/ipc.c \
		   bench/mem.c bench/proc.c bench/file.c bench/disk.c \
		   bench/idle.c bench/net.c
BENCH_PROGS  := $(BENCH_BIN)/bench $(BENCH_BIN)/tsc $(BENCH_BIN)/nop \
		$(BENCH_BIN)/init
BENCH_KERNEL := $(BENCH_LINUX)/vmlinuz
BENCH_KMODS  := $(BENCH_LINUX)/modules/order
BENCH_INITRD := $(BENCH_LINUX)/initramfs.cpio
# The disk rows: every boot with a disk gets a fresh ext2 image of this
# tree (tools/bench/disk.py), whose directory BENCH_DISK_DIR holds the
# files the rows read cold (`bench -p`). Linux mounts the image on /mnt
# (tools/bench/rc); Metta has it as its root.
BENCH_DISK_SRC := $(BENCH_OUT)/disk-src
BENCH_DISK_DIR := bench
BENCH_DISK_STAMP := $(BENCH_OUT)/disk-src.done

.PHONY: bench bench-icount bench-files bench-deps bench-clean linux-peer-files

# The whole comparison. A Metta that cannot be built yet is not an error:
# its rows are reported as missing. Metta boots four times per measure:
# the native benchmarks, the suite's Linux binary through the runtime, the
# suite's disk rows with the disk attached, and its network rows with a
# network card (Linux runs all in one boot, with the disk and the card).
bench: bench-files
	@if $(MAKE) --no-print-directory $(BENCH_METTA_ISO) $(BENCH_METTA_POSIX_ISO) \
		$(BENCH_METTA_DISK_ISO) $(BENCH_METTA_NET_ISO); \
	then isos="--metta-iso $(BENCH_METTA_ISO) --metta-iso $(BENCH_METTA_POSIX_ISO) \
		--metta-disk-iso $(BENCH_METTA_DISK_ISO) --metta-net-iso $(BENCH_METTA_NET_ISO)"; \
	else echo "bench: the Metta ISOs could not be built; Metta rows will be n/a" >&2; isos=; fi; \
	python3 -B tools/bench/run.py --out $(BENCH_OUT) --kernel $(BENCH_KERNEL) \
		--initrd $(BENCH_INITRD) --rounds $(BENCH_ROUNDS) \
		--disk-source $(BENCH_DISK_SRC) --net \
		$(if $(BENCH_CPU),--cpu $(BENCH_CPU)) $$isos

# Metta's side: the nucleus with the native benchmarks as its first
# program (bench/metta/nbench.c, built with libmetta).
BENCH_METTA_ISO := $(BENCH_OUT)/metta-bench.iso
BENCH_NBENCH := $(BUILD)/user/bench/nbench
# The child domain's program travels inside nbench as an ELF image.
$(BUILD)/user/bench/bchild: $(BUILD)/user/bench/metta/bchild.c.o $(LIBMETTA)
	@mkdir -p $(@D)
	@$(LD) $(ULDFLAGS) -e _start -o $@ $< $(LIBMETTA)
$(BUILD)/user/bench/bchild.bin.o: $(BUILD)/user/bench/bchild
	@cd $(dir $<) && $(LD) -r -b binary -z noexecstack -o bchild.bin.o bchild
$(BENCH_NBENCH): $(BUILD)/user/bench/metta/nbench.c.o \
		$(BUILD)/user/bench/bchild.bin.o $(LIBMETTA)
	@mkdir -p $(@D)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $^
$(BENCH_METTA_ISO): $(NUCLEUS) $(BENCH_NBENCH) tools/mkiso.sh
	@echo "  ISO     $@"
	@sh tools/mkiso.sh $@ "root=nbench" $(NUCLEUS) $(BENCH_NBENCH)

# The same static suite binary Linux runs, on Metta: the whole system
# (servers, ramfs, the POSIX runtime) with it as init; /tmp is ramfs.
BENCH_METTA_POSIX_ISO := $(BENCH_OUT)/metta-posix-bench.iso
BENCH_POSIX_ROWS := file,syscall,fault,proc,pipe,unix,futex,thread
$(BENCH_OUT)/modules/bench: $(BENCH_BIN)/bench
	@mkdir -p $(@D)
	@cp $< $@
# The system's file tree with the spawn target Linux runs too (/bin/nop).
$(BENCH_OUT)/modules/root.cpio: $(BUILD)/modules/root.cpio $(BENCH_BIN)/nop
	@mkdir -p $(@D)
	@$(PYTHON) tools/mkcpio.py $@ $(BUILD)/rootfs bin/bash=$(DEBS)/bash \
		bin/nop=$(BENCH_BIN)/nop --applets bin/busybox=$(DEBS)/busybox
BENCH_POSIX_MODULES := $(filter-out $(BUILD)/modules/root.cpio,$(BOOT_MODULES)) \
	$(BENCH_OUT)/modules/root.cpio $(BENCH_OUT)/modules/bench
$(BENCH_METTA_POSIX_ISO): $(NUCLEUS) $(BENCH_POSIX_MODULES) tools/mkiso.sh
	@echo "  ISO     $@"
	@sh tools/mkiso.sh $@ "init=bench,-d,/tmp,$(BENCH_POSIX_ROWS)" $(NUCLEUS) \
		$(BENCH_POSIX_MODULES)

# The disk rows on Metta: the same system and suite binary, run on the
# disk, which Metta mounts as its root when one is attached.
BENCH_METTA_DISK_ISO := $(BENCH_OUT)/metta-disk-bench.iso
$(BENCH_METTA_DISK_ISO): $(NUCLEUS) $(BENCH_POSIX_MODULES) tools/mkiso.sh
	@echo "  ISO     $@"
	@sh tools/mkiso.sh $@ "init=bench,-D,/$(BENCH_DISK_DIR),ext2" $(NUCLEUS) \
		$(BENCH_POSIX_MODULES)

# The network rows on Metta: the same system and suite binary, with a
# network card on QEMU's user network; the runner puts the port of the
# host's peer in place of the zeros (tools/bench/run.py, NET_PLACEHOLDER).
BENCH_METTA_NET_ISO := $(BENCH_OUT)/metta-net-bench.iso
$(BENCH_METTA_NET_ISO): $(NUCLEUS) $(BENCH_POSIX_MODULES) tools/mkiso.sh
	@echo "  ISO     $@"
	@sh tools/mkiso.sh $@ "init=bench,-d,/tmp,-N,10.0.2.2:00000,net" \
		$(NUCLEUS) $(BENCH_POSIX_MODULES)

# Instructions only (one boot of each system), for a quick look.
bench-icount: BENCH_ROUNDS := 0
bench-icount: bench

bench-files: $(BENCH_PROGS) $(BENCH_KERNEL) $(BENCH_INITRD) $(BENCH_DISK_STAMP)

# What the tests' Linux peers boot (tests/multivm.py): this kernel, its
# modules and the initramfs's /init; the runner writes each initramfs.
linux-peer-files: $(BENCH_KERNEL) $(BENCH_KMODS) $(BENCH_BIN)/init

# The tree every disk image is made from (about 320 MiB of cold files).
$(BENCH_DISK_STAMP): $(BENCH_BIN)/bench
	@rm -rf $(BENCH_DISK_SRC) $@
	@echo "  PREP    $(BENCH_DISK_SRC)"
	@mkdir -p $(BENCH_DISK_SRC)
	@$(BENCH_BIN)/bench -p $(BENCH_DISK_SRC)/$(BENCH_DISK_DIR)
	@touch $@

# Runs every time but installs only what is missing (the project's own
# installer knows what bench needs: QEMU, musl-tools, busybox-static).
bench-deps:
	@sh tools/setup.sh

$(BENCH_BIN)/bench: $(BENCH_SUITE_SRC) bench/harness.h | bench-deps
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $(BENCH_SUITE_SRC)

# These two read the TSC in their very first instruction (bench/entry.c).
$(BENCH_BIN)/init $(BENCH_BIN)/tsc: $(BENCH_BIN)/%: bench/%.c bench/entry.c \
		bench/entry.h | bench-deps
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -Wl,-e,bench_entry -o $@ $< bench/entry.c

$(BENCH_BIN)/nop: bench/nop.c | bench-deps
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -s -o $@ $<

# Fetched once; delete the directory to fetch the current kernel again.
# One run of the script makes both (a kernel fetched before the disk rows
# existed has no modules: then both are fetched again, so they match).
# The script names the modules: a change to it fetches them again.
$(BENCH_KERNEL) $(BENCH_KMODS) &: tools/bench/fetch-linux.sh tools/bench/kmods.py | bench-deps
	sh tools/bench/fetch-linux.sh $(BENCH_LINUX)

$(BENCH_INITRD): $(BENCH_PROGS) $(BENCH_KMODS) tools/bench/rc \
		tools/bench/mkinitramfs.py
	@mkdir -p $(@D)
	python3 -B tools/bench/mkinitramfs.py $@ --init $(BENCH_BIN)/init \
		--rc tools/bench/rc --busybox /bin/busybox \
		--bin $(BENCH_BIN)/bench --bin $(BENCH_BIN)/tsc \
		--bin $(BENCH_BIN)/nop --modules $(dir $(BENCH_KMODS))

bench-clean:
	rm -rf $(BENCH_OUT)
