# Metta: one build for the nucleus, its ISO, host unit tests and system tests.
#   make          build build/metta.iso
#   make run      boot it in QEMU, serial console on this terminal
#   make debug    the same, QEMU waiting for gdb on :1234
#   make test     host unit tests + system tests in QEMU
#   make test-soak  the long process storm (1,000 forks and pipelines)
#   make test-busybox  busybox's own testsuite inside Metta (tests/busybox/)
#   make bench    Metta against Linux in the same QEMU (see bench/)
# Variables: SMP=2 MEM=512M ACCEL=tcg|kvm CMDLINE="..."

METTA_VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null)
VERSION := $(METTA_VERSION)$(if $(GIT_REV),-$(GIT_REV))

BUILD := build
GEN := $(BUILD)/gen
CC := gcc
LD := ld
PYTHON := python3
SETUP := $(BUILD)/.setup-done

ARCH_DIR := nucleus/arch/x86_64
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-pic \
	-fno-pie -mno-red-zone -mcmodel=kernel -mgeneral-regs-only \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-tree-loop-distribute-patterns \
	-fno-asynchronous-unwind-tables -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Iinclude -Ilib -Inucleus/include -I$(ARCH_DIR)/include -I$(GEN) \
	-DMETTA_VERSION='"$(VERSION)"' -Wa,--noexecstack -MMD -MP
KLDFLAGS := -nostdlib -static -z max-page-size=4096 --no-warn-rwx-segments \
	-T $(ARCH_DIR)/linker.ld

# Every source linked into the nucleus: its own, the shared libraries it
# uses, and the in-nucleus self-tests.
NUCLEUS_SRC := $(wildcard nucleus/*.c) $(wildcard $(ARCH_DIR)/*.c) \
	$(wildcard $(ARCH_DIR)/*.S) lib/fmt/fmt.c lib/status/status.c \
	lib/string/string.c lib/string/arch/x86_64/copy.S lib/elf/elf.c lib/elf/stack.c \
	$(wildcard tests/nucleus/*.c)
NUCLEUS_OBJ := $(patsubst %,$(BUILD)/nucleus/%.o,$(NUCLEUS_SRC))
NUCLEUS := $(BUILD)/nucleus/nucleus.elf
ISO := $(BUILD)/metta.iso

.PHONY: all iso run disk debug test test-soak test-busybox host-tests fuzz fuzz-nucleus clean setup format FORCE
all: iso
iso: $(ISO)

$(SETUP): tools/setup.sh
	@mkdir -p $(BUILD)
	@sh tools/setup.sh
	@touch $@
setup: $(SETUP)

# Call numbers, the nucleus's call table and libmetta's stubs all come from
# include/metta/syscalls.def.
SYSCALL_GEN := $(GEN)/metta/syscall_numbers.h $(GEN)/metta/syscall_stubs.h \
	$(GEN)/nucleus/syscall_table.h
$(SYSCALL_GEN) &: include/metta/syscalls.def tools/gensyscalls.py
	@$(PYTHON) tools/gensyscalls.py include/metta/syscalls.def $(GEN)

$(BUILD)/nucleus/%.c.o: %.c $(SETUP) Makefile | $(SYSCALL_GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/nucleus/%.S.o: %.S $(SETUP) Makefile | $(SYSCALL_GEN)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

# Two links: the second carries a symbol table made from the first, for
# symbolised backtraces. The table sits after the text, so no text address
# moves; the last step checks that.
$(BUILD)/nucleus/ksyms0.c: tools/ksyms.py
	@mkdir -p $(dir $@)
	@$(PYTHON) tools/ksyms.py - $@
$(BUILD)/nucleus/pass1.elf: $(NUCLEUS_OBJ) $(BUILD)/nucleus/ksyms0.c.o $(ARCH_DIR)/linker.ld
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(NUCLEUS_OBJ) $(BUILD)/nucleus/ksyms0.c.o
$(BUILD)/nucleus/ksyms.c: $(BUILD)/nucleus/pass1.elf tools/ksyms.py
	@nm -n $< > $(BUILD)/nucleus/pass1.syms
	@$(PYTHON) tools/ksyms.py $(BUILD)/nucleus/pass1.syms $@
$(BUILD)/nucleus/ksyms0.c.o $(BUILD)/nucleus/ksyms.c.o: %.c.o: %.c
	@$(CC) $(KCFLAGS) -c $< -o $@
$(NUCLEUS): $(BUILD)/nucleus/pass1.elf $(BUILD)/nucleus/ksyms.c.o
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(NUCLEUS_OBJ) $(BUILD)/nucleus/ksyms.c.o
	@nm -n $@ > $(BUILD)/nucleus/nucleus.syms
	@$(PYTHON) tools/ksyms.py $(BUILD)/nucleus/nucleus.syms $(BUILD)/nucleus/ksyms.check.c
	@cmp -s $(BUILD)/nucleus/ksyms.c $(BUILD)/nucleus/ksyms.check.c || \
		{ echo "ksyms: text moved between links" >&2; rm -f $@; exit 1; }

# The ISO for `make run`: the nucleus and the boot modules (the root
# nester, the servers as NAME.srv and the native commands).
SERVERS := names log cons tod random ramfs pipe pci vdisk ext2 net proc import
# Device drivers (modules NAME.drv), started by the pci server.
DRIVERS := virtio-blk virtio-net
COMMANDS := msh names log domains kill poweroff srvstat
# Commands for the Linux personality: C built with musl-gcc -static.
POSIX_COMMANDS := ns bind mount srv
# `make run` boots into Debian's busybox sh as init (init=msh for the
# native shell; tests give their own command lines).
CMDLINE ?= init=/bin/sh
# The command line is kept in a file that changes only when CMDLINE does,
# so `make run CMDLINE=...` remakes the ISO exactly when needed.
BOOT_MODULES := $(BUILD)/modules/root $(patsubst %,$(BUILD)/modules/%.srv,$(SERVERS)) \
	$(patsubst %,$(BUILD)/modules/%.drv,$(DRIVERS)) \
	$(patsubst %,$(BUILD)/modules/%,$(COMMANDS) $(POSIX_COMMANDS)) \
	$(BUILD)/modules/runtime $(BUILD)/modules/root.cpio
CMDLINE_FILE := $(BUILD)/cmdline
$(CMDLINE_FILE): FORCE
	@mkdir -p $(BUILD)
	@echo '$(CMDLINE)' | cmp -s - $@ || echo '$(CMDLINE)' > $@
FORCE:
$(ISO): $(NUCLEUS) tools/mkiso.sh $(BOOT_MODULES) $(CMDLINE_FILE)
	@echo "  ISO     $@"
	@sh tools/mkiso.sh $@ "$(CMDLINE)" $(NUCLEUS) $(BOOT_MODULES)

# `make run` attaches a disk: $(DISK), made on the first run (an ext2 file
# system holding what the boot archive holds) and kept between runs, so
# what a user writes outside /tmp is there at the next run. DISK=path picks
# another image (made there when missing); DISK=none boots without a disk
# (files then live in ramfs alone).
DISK ?= $(BUILD)/disk.img
DISK_SIZE ?= 512M
DISK_TREE := $(BUILD)/disktree
# It also gets a network card on QEMU's user network (NET=none: none);
# HOSTFWD=HOSTPORT:GUESTPORT[,...] forwards 127.0.0.1:HOSTPORT of the host
# to the guest (tools/qemu.sh).
NET ?= user
HOSTFWD ?=
run: $(ISO) $(if $(filter none,$(DISK)),,disk)
	@DISK="$(filter-out none,$(DISK))" NET="$(NET)" HOSTFWD="$(HOSTFWD)" \
		sh tools/qemu.sh $(ISO)

disk: $(BUILD)/modules/root.cpio
	@if [ ! -e "$(DISK)" ]; then \
		$(PYTHON) tools/mkcpio.py --tree $(DISK_TREE) $(BUILD)/rootfs \
			@$(BUILD)/image-programs --manifest etc/image-manifest && \
		sh tools/mkdisk.sh "$(DISK)" $(DISK_TREE) $(DISK_SIZE); fi

debug: $(ISO)
	@echo "QEMU waits for gdb: gdb $(NUCLEUS) -ex 'target remote :1234'"
	@DEBUG=1 sh tools/qemu.sh $(ISO)

# Native user programs: freestanding C with libmetta (and lib/fmt,
# lib/string), linked static at the usual 0x400000.
UCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-pic \
	-fno-tree-loop-distribute-patterns \
	-fno-pie -Wall -Wextra -Werror -Wstrict-prototypes \
	-Iinclude -Ilib -Ilib/libmetta -I$(GEN) -MMD -MP
ULDFLAGS := -static -nostdlib -z max-page-size=4096 -z noexecstack
LIBMETTA_SRC := $(wildcard lib/libmetta/*.c) lib/server/server.c \
	$(wildcard lib/libmetta/arch/x86_64/*.S) lib/fmt/fmt.c \
	lib/string/string.c lib/string/arch/x86_64/copy.S lib/status/status.c \
	lib/elf/elf.c lib/elf/stack.c
LIBMETTA_OBJ := $(patsubst %,$(BUILD)/user/%.o,$(LIBMETTA_SRC))
LIBMETTA := $(BUILD)/user/libmetta.a
# 9P: the codec, the server and client libraries, the portal transport.
LIB9P_SRC := $(wildcard lib/9p/*.c) lib/cpio/cpio.c
LIB9P_OBJ := $(patsubst %,$(BUILD)/user/%.o,$(LIB9P_SRC))
LIB9P := $(BUILD)/user/lib9p.a
# SHA-256 from Debian's mbedTLS (lib/auth), its source package fetched at
# build time into $(BUILD)/src/mbedtls at the version lib/auth/mbedtls.version
# names; built unmodified with lib/auth/mbedtls_config.h.
MBEDTLS := $(BUILD)/src/mbedtls
MBEDTLS_STAMP := $(MBEDTLS).version
$(MBEDTLS_STAMP): tools/fetch-src.sh lib/auth/mbedtls.version | $(SETUP)
	@echo "  FETCH   $(MBEDTLS)"
	@sh tools/fetch-src.sh $(MBEDTLS) lib/auth/mbedtls.version
MBEDTLS_SRC := $(MBEDTLS)/library/sha256.c $(MBEDTLS)/library/platform_util.c
$(MBEDTLS_SRC): $(MBEDTLS_STAMP)
MBEDTLS_CFLAGS := -I$(MBEDTLS)/include -DMBEDTLS_CONFIG_FILE='"auth/mbedtls_config.h"'
AUTH_SRC := $(wildcard lib/auth/*.c) $(MBEDTLS_SRC)

USER_TESTS := nfuzz ntest ncap nipc nfast nreply n9pheld nfork ndomain nsmp nsync ndev ndma nserv nproc ufault ndrv nnet nnetfs
USER_TEST_BINS := $(patsubst %,$(BUILD)/user/tests/%,$(USER_TESTS))

$(BUILD)/user/%.c.o: %.c $(SETUP) Makefile | $(SYSCALL_GEN)
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	@$(CC) $(UCFLAGS) -c $< -o $@
$(BUILD)/user/%.S.o: %.S $(SETUP) Makefile | $(SYSCALL_GEN)
	@mkdir -p $(dir $@)
	@echo "  UAS     $<"
	@$(CC) $(UCFLAGS) -c $< -o $@
# The driver skeleton and the virtio library, linked into every driver.
LIBDRIVER_SRC := $(wildcard lib/driver/*.c) $(wildcard lib/virtio/*.c)
LIBDRIVER_OBJ := $(patsubst %,$(BUILD)/user/%.o,$(LIBDRIVER_SRC))
LIBDRIVER := $(BUILD)/user/libdriver.a
$(LIBDRIVER): $(LIBDRIVER_OBJ)
	@rm -f $@
	@ar rcs $@ $^
$(LIBMETTA): $(LIBMETTA_OBJ)
	@rm -f $@
	@ar rcs $@ $^
$(LIB9P): $(LIB9P_OBJ)
	@rm -f $@
	@ar rcs $@ $^
$(BUILD)/user/tests/%: $(BUILD)/user/tests/user/%.c.o $(LIBMETTA)
	@mkdir -p $(dir $@)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $< $(LIBMETTA)

# n9pheld serves and uses 9P itself; ndrv, a stand-in driver, serves it;
# nnet uses virtio-net's, nnetfs net's.
$(BUILD)/user/tests/n9pheld $(BUILD)/user/tests/ndrv $(BUILD)/user/tests/nnet \
		$(BUILD)/user/tests/nnetfs: $(BUILD)/user/tests/%: \
		$(BUILD)/user/tests/user/%.c.o $(LIB9P) $(LIBMETTA)
	@mkdir -p $(dir $@)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $^

# The tests' stand-in block driver (tests/user/ramblk.c), a 9P server.
$(BUILD)/user/tests/ramblk: $(BUILD)/user/tests/user/ramblk.c.o $(LIB9P) $(LIBMETTA)
	@mkdir -p $(dir $@)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $^

# The net server links lwIP: Debian's source package, fetched at build
# time into $(LWIP) (the version servers/net/lwip/VERSION names, so our
# patches fit it) and patched with servers/net/lwip/patches/*.patch, each
# saying why. lwIP and the server see lwipopts.h and arch/cc.h of
# servers/net/lwip, and its libc/ shim for <string.h> (lib/string).
LWIP := $(BUILD)/src/lwip
LWIP_STAMP := $(LWIP).patched
LWIP_PATCHES := $(sort $(wildcard servers/net/lwip/patches/*.patch))
$(LWIP_STAMP): tools/fetch-src.sh servers/net/lwip/VERSION $(LWIP_PATCHES) | $(SETUP)
	@echo "  FETCH   $(LWIP)"
	@sh tools/fetch-src.sh $(LWIP) servers/net/lwip/VERSION
	@for p in $(LWIP_PATCHES); do patch -s -p1 -d $(LWIP) < $$p || exit 1; done
	@touch $@
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c \
	core/mem.c core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c \
	core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c \
	core/udp.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c \
	core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	netif/ethernet.c
LWIP_SRC := $(addprefix $(LWIP)/src/,$(LWIP_FILES))
LWIP_OBJ := $(patsubst %,$(BUILD)/user/%.o,$(LWIP_SRC))
NET_OBJ := $(patsubst %,$(BUILD)/user/%.o,$(wildcard servers/net/*.c))
$(LWIP_SRC): $(LWIP_STAMP)
$(LWIP_OBJ) $(NET_OBJ): $(LWIP_STAMP)
$(LWIP_OBJ) $(NET_OBJ): UCFLAGS += -Iservers/net/lwip -Iservers/net/lwip/libc \
	-I$(LWIP)/src/include
# lwIP's own code is not ours to keep warning-free.
$(LWIP_OBJ): UCFLAGS += -Wno-error -Wno-unused-parameter -Wno-sign-compare
server_libs_net := $(LWIP_OBJ)

# The first user space: the root nester, the servers (modules NAME.srv)
# and the native commands, each a static program built with libmetta.
# ext2 links lib/ext2 too (a server's own libraries: server_libs_NAME).
server_libs_ext2 := $(patsubst %,$(BUILD)/user/%.o,$(wildcard lib/ext2/*.c))
define server_module
$(BUILD)/modules/$(1)$(2): $(patsubst %,$(BUILD)/user/%.o,$(wildcard servers/$(1)/*.c)) $(server_libs_$(1)) $(LIB9P) $(LIBMETTA)
	@mkdir -p $$(@D)
	@echo "  ULD     $$@"
	@$(LD) $(ULDFLAGS) -e _start -o $$@ $$^
endef
$(foreach s,$(SERVERS),$(eval $(call server_module,$(s),.srv)))
define driver_module
$(BUILD)/modules/$(1).drv: $(patsubst %,$(BUILD)/user/%.o,$(wildcard drivers/$(1)/*.c)) $(LIBDRIVER) $(LIB9P) $(LIBMETTA)
	@mkdir -p $$(@D)
	@echo "  ULD     $$@"
	@$(LD) $(ULDFLAGS) -e _start -o $$@ $$^
endef
$(foreach d,$(DRIVERS),$(eval $(call driver_module,$(d))))
$(eval $(call server_module,root,))
$(BUILD)/modules/%: $(BUILD)/user/commands/%.c.o $(LIBMETTA)
	@mkdir -p $(@D)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $< $(LIBMETTA)

# The POSIX runtime: a native image at a fixed address (under 2 GiB, for
# the small code model its libraries are built with), loaded beside every
# Linux program, whose break may grow up to it (runtime/README.md). Its
# Linux call numbers, names and dispatch table come from musl's header
# and runtime/calls.def.
RUNTIME_SRC := $(wildcard runtime/*.c) runtime/arch/x86_64/entry.S
RUNTIME_OBJ := $(patsubst %,$(BUILD)/user/%.o,$(RUNTIME_SRC))
# No vector registers in the libraries: the POSIX runtime links them and
# must leave a Linux program's registers as a system call would.
$(LIBMETTA_OBJ) $(LIB9P_OBJ) $(RUNTIME_OBJ): UCFLAGS += -mgeneral-regs-only
MUSL_SYSCALL_H := /usr/include/x86_64-linux-musl/bits/syscall.h
RUNTIME_GEN := $(GEN)/runtime/linux_calls.h $(GEN)/runtime/linux_names.h \
	$(GEN)/runtime/call_handlers.h $(GEN)/runtime/call_table.h
$(RUNTIME_GEN) &: tools/linuxnames.py runtime/calls.def $(SETUP)
	@$(PYTHON) tools/linuxnames.py $(MUSL_SYSCALL_H) runtime/calls.def $(GEN)
$(RUNTIME_OBJ): | $(RUNTIME_GEN)
$(BUILD)/modules/runtime: $(RUNTIME_OBJ) $(LIB9P) $(LIBMETTA)
	@mkdir -p $(@D)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -Ttext-segment=0x70000000 -e _start -o $@ $^

# Linux programs: static musl binaries, run with the runtime.
MUSL_CFLAGS := -static -O2 -g -Wall -Wextra -Werror
$(BUILD)/modules/%: commands/posix/%.c $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) -o $@ $<
# exportfs (and import) link the 9P codec, lib/auth and mbedTLS's SHA-256;
# the same sources make a host build of exportfs for the host tests.
NET_POSIX_SRC := commands/posix/netio.c lib/9p/9p.c lib/9p/errstr.c $(AUTH_SRC)
EXPORT_SRC := commands/posix/exportfs.c commands/posix/exportsrv.c $(NET_POSIX_SRC)
NET_POSIX_CFLAGS := -Iinclude -Ilib $(MBEDTLS_CFLAGS)
$(BUILD)/modules/exportfs: $(EXPORT_SRC) $(wildcard commands/posix/*.h) $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) $(NET_POSIX_CFLAGS) -o $@ $(EXPORT_SRC)
IMPORT_SRC := commands/posix/import.c $(NET_POSIX_SRC)
$(BUILD)/modules/import: $(IMPORT_SRC) $(wildcard commands/posix/*.h) $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) $(NET_POSIX_CFLAGS) -o $@ $(IMPORT_SRC)
$(BUILD)/host-tests/exportfs: $(EXPORT_SRC) $(wildcard commands/posix/*.h) $(SETUP)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(CC) $(HOST_CFLAGS) $(MBEDTLS_CFLAGS) -o $@ $(EXPORT_SRC) lib/status/status.c
$(BUILD)/modules/posixtest: $(wildcard tests/posix/*.c tests/posix/*.h) $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) -pthread -o $@ $(filter %.c,$^)

# The system tests' memory program (tests/system/boots.py).
$(BUILD)/modules/memtouch: tests/system/files/memtouch.c $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) -o $@ $<

# exportfs's client in the system tests (tests/system/boots.py).
EXPTEST_SRC := tests/system/files/exptest.c lib/9p/client.c $(NET_POSIX_SRC)
$(BUILD)/modules/exptest: $(EXPTEST_SRC) $(wildcard commands/posix/*.h) $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) $(NET_POSIX_CFLAGS) -Icommands/posix -o $@ $(EXPTEST_SRC)

# The disk fault-injection workload (tests/system/boots.py).
$(BUILD)/modules/diskfault: tests/system/files/diskfault.c $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) -o $@ $<

# The net server's system test program (tests/system/boots.py).
$(BUILD)/modules/nettest: tests/system/files/nettest.c $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) -pthread -o $@ $<

# The virtio-blk driver's system test program (tests/system/boots.py).
$(BUILD)/modules/blktest: tests/system/files/blktest.c $(SETUP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $@"
	@musl-gcc $(MUSL_CFLAGS) -pthread -o $@ $<

# A static glibc program, built by the host's gcc: glibc's start-up on
# the runtime (tests/glibc).
$(BUILD)/modules/glibctest: tests/glibc/hello.c $(SETUP)
	@mkdir -p $(@D)
	@echo "  GLIBCC  $@"
	@$(CC) -static -O2 -g -Wall -Wextra -Werror -o $@ $<

# The POSIX suite's threads tests alone, built with glibc's pthreads.
$(BUILD)/modules/glibcthreads: tests/posix/posixtest.c tests/posix/t_thread.c \
		tests/posix/t_enospc.c tests/posix/posixtest.h $(SETUP)
	@mkdir -p $(@D)
	@echo "  GLIBCC  $@"
	@$(CC) -static -O2 -g -Wall -Wextra -Werror -pthread -DPT_THREADS_ONLY \
		-o $@ $(filter %.c,$^)

# Debian's own static busybox, bash, zsh and e2fsck, fetched at build
# time from the machine's apt sources (never kept in the tree): deb_NAME is
# the package and the file in it that becomes $(DEBS)/NAME. Fetched once;
# only a new fetch script fetches again.
DEBS := $(BUILD)/debs
deb_busybox := busybox-static bin/busybox
deb_bash := bash-static bin/bash-static
deb_zsh := zsh-static bin/zsh-static
deb_e2fsck := e2fsck-static sbin/e2fsck.static
DEB_FILES := $(patsubst %,$(DEBS)/%,busybox bash zsh e2fsck)
$(DEBS)/%: tools/fetch-deb.sh | $(SETUP)
	@echo "  FETCH   $@"
	@sh tools/fetch-deb.sh $@ $(deb_$*)

# busybox's own testsuite, run inside Metta (tests/busybox/harness.py),
# comes from the source package Debian built that busybox from, fetched
# with apt-get source once into $(BUILD)/src/busybox (its .version file
# marks a finished fetch).
BUSYBOX_SRC := $(BUILD)/src/busybox.version
$(BUSYBOX_SRC): tools/fetch-src.sh $(DEBS)/busybox | $(SETUP)
	@echo "  FETCH   $(@:.version=)"
	@sh tools/fetch-src.sh $(@:.version=) $(DEBS)/busybox.version

# ramfs's first contents: the tree's rootfs/ folder, the mount points and
# root's home (empty folders git does not keep), and the programs
# (IMAGE_PROGRAMS: busybox with its applets as symbolic links, bash and
# zsh in /bin, e2fsck in /sbin, each also under its name in the package;
# our exportfs and import in /bin),
# with a manifest of them (name, size, CRC-32) for the POSIX suite's image
# tests, as a newc archive. The programs' arguments go to mkcpio.py in
# $(BUILD)/image-programs, which the system tests' own archives use too.
IMAGE_PROGRAMS := bin/bash=$(abspath $(DEBS))/bash \
	bin/zsh=$(abspath $(DEBS))/zsh sbin/e2fsck=$(abspath $(DEBS))/e2fsck \
	bin/exportfs=$(abspath $(BUILD))/modules/exportfs \
	bin/import=$(abspath $(BUILD))/modules/import \
	--link bin/zsh-static=zsh --link sbin/e2fsck.static=e2fsck \
	--applets bin/busybox=$(abspath $(DEBS))/busybox
$(BUILD)/modules/root.cpio: tools/mkcpio.py $(shell find rootfs -type f 2>/dev/null) \
		$(DEB_FILES) $(BUILD)/modules/exportfs $(BUILD)/modules/import Makefile
	@mkdir -p $(@D)
	@echo "  CPIO    $@"
	@rm -rf $(BUILD)/rootfs && cp -r rootfs $(BUILD)/rootfs
	@cd $(BUILD)/rootfs && mkdir -p dev/shm proc srv net tmp bin root && \
		chmod 1777 tmp dev/shm && chmod 700 root
	@printf '%s\n' $(IMAGE_PROGRAMS) >$(BUILD)/image-programs
	@$(PYTHON) tools/mkcpio.py $@ $(BUILD)/rootfs @$(BUILD)/image-programs \
		--manifest etc/image-manifest

# ndomain, ndev and ndma carry the child program's image inside them, nfork the
# forker's (programs they spawn: _binary_NAME_start/_end).
EMBEDDED := child forker fuzzer
$(patsubst %,$(BUILD)/user/tests/%,$(EMBEDDED)): $(BUILD)/user/tests/%: \
		$(BUILD)/user/tests/user/%.c.o $(LIBMETTA)
	@$(LD) $(ULDFLAGS) -e _start -o $@ $< $(LIBMETTA)
$(BUILD)/user/tests/%.bin.o: $(BUILD)/user/tests/%
	@cd $(dir $<) && $(LD) -r -b binary -z noexecstack -o $*.bin.o $*
$(BUILD)/user/tests/ndomain $(BUILD)/user/tests/ndev $(BUILD)/user/tests/ndma: \
		$(BUILD)/user/tests/%: \
		$(BUILD)/user/tests/user/%.c.o $(BUILD)/user/tests/child.bin.o $(LIBMETTA)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $^
$(BUILD)/user/tests/nfuzz: $(BUILD)/user/tests/user/nfuzz.c.o \
		$(BUILD)/user/tests/fuzzer.bin.o $(LIBMETTA)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $^
$(BUILD)/user/tests/nfork: $(BUILD)/user/tests/user/nfork.c.o \
		$(BUILD)/user/tests/forker.bin.o $(LIBMETTA)
	@echo "  ULD     $@"
	@$(LD) $(ULDFLAGS) -e _start -o $@ $^

# Host unit tests: pure modules built for Linux with sanitizers.
HOST_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Iinclude -Ilib -Inucleus/include -I$(ARCH_DIR)/include -Itests/host
HOST_TESTS := auth export relay fmt pmm kmem multiboot2 acpi ksyms cmdline status elf runqueue cap 9p 9p_fid 9p_srv ramfs cpio pipe tty virtq driver vdisk_part ext2 ext2srv netparse frames
host_src_fmt := lib/fmt/fmt.c
host_src_pmm := nucleus/pmm.c
host_src_kmem := nucleus/kmem.c nucleus/quota.c
host_src_multiboot2 := $(ARCH_DIR)/multiboot2.c
host_src_acpi := $(ARCH_DIR)/acpi.c
host_src_ksyms := nucleus/ksyms.c
host_src_cmdline := nucleus/cmdline.c
host_src_status :=
host_src_elf := lib/elf/elf.c lib/elf/stack.c
host_src_runqueue := nucleus/runqueue.c
host_src_cap := nucleus/cap.c
host_src_9p := lib/9p/9p.c
host_src_auth := $(AUTH_SRC)
host_cflags_auth := $(MBEDTLS_CFLAGS)
host_src_export := lib/9p/9p.c lib/9p/errstr.c lib/9p/client.c commands/posix/netio.c $(AUTH_SRC)
host_cflags_export := $(MBEDTLS_CFLAGS) -DEXPORT_BIN='"$(abspath $(BUILD))/host-tests/exportfs"'
$(BUILD)/host-tests/test_export: $(BUILD)/host-tests/exportfs
host_src_relay := servers/import/relay.c commands/posix/exportsrv.c \
	commands/posix/netio.c lib/9p/9p.c lib/9p/errstr.c
host_cflags_relay := $(MBEDTLS_CFLAGS)
host_src_9p_fid := lib/9p/fid.c
host_src_9p_srv := lib/9p/9p.c lib/9p/fid.c lib/9p/srv.c lib/9p/errstr.c \
	lib/9p/synth.c lib/9p/client.c servers/ramfs/tree.c lib/cpio/cpio.c
host_src_ramfs := lib/9p/9p.c lib/9p/fid.c lib/9p/srv.c lib/9p/errstr.c \
	servers/ramfs/tree.c lib/cpio/cpio.c
host_src_cpio := lib/cpio/cpio.c
host_src_pipe := lib/9p/9p.c lib/9p/fid.c lib/9p/srv.c lib/9p/errstr.c \
	servers/pipe/pipe.c lib/string/string.c
host_src_tty := servers/cons/tty.c lib/fmt/fmt.c lib/string/string.c
host_src_vdisk_part := servers/vdisk/part.c
host_src_netparse := servers/net/parse.c
host_src_virtq := lib/virtio/virtq.c
host_src_driver := lib/driver/queue.c lib/driver/pool.c lib/driver/ctl.c
host_src_frames := drivers/virtio-net/frames.c
host_cflags_frames := -Idrivers
# virtio-net's transmit side against a fake device.
HOST_TESTS += tx
host_src_tx := drivers/virtio-net/tx.c lib/virtio/virtq.c lib/driver/queue.c
host_cflags_tx := -Idrivers
host_src_ext2 := $(wildcard lib/ext2/*.c) lib/9p/errstr.c lib/fmt/fmt.c
host_src_ext2srv := $(host_src_ext2) servers/ext2/ops.c lib/9p/9p.c
HOST_BINS := $(patsubst %,$(BUILD)/host-tests/test_%,$(HOST_TESTS)) \
	$(BUILD)/host-tests/test_mkcpio $(BUILD)/host-tests/test_busybox_harness

$(BUILD)/host-tests/test_%: tests/host/test_%.c $(wildcard tests/host/*.h) $(SETUP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(CC) $(HOST_CFLAGS) $(host_cflags_$*) -o $@ $< $(host_src_$*) lib/status/status.c

# tools/mkcpio.py: its errors (a Python test), and an archive it made with
# a stand-in busybox, which test_cpio reads through lib/cpio.
MKCPIO_SAMPLE := $(BUILD)/host-tests/mkcpio-sample.cpio
$(MKCPIO_SAMPLE): tools/mkcpio.py tests/host/fake-busybox
	@rm -rf $@.d && mkdir -p $@.d/bin
	@echo 'taken by a file' > $@.d/bin/bash
	@$(PYTHON) tools/mkcpio.py $@ $@.d --link etc/rc=/bin/sh \
		--applets bin/busybox=tests/host/fake-busybox --manifest etc/image-manifest
host_cflags_cpio := -DMKCPIO_SAMPLE='"$(MKCPIO_SAMPLE)"'
$(BUILD)/host-tests/test_cpio: $(MKCPIO_SAMPLE)
# Python tests run as host tests: a script that runs the test's file.
$(BUILD)/host-tests/test_mkcpio: tools/mkcpio.py tests/host/fake-busybox
$(BUILD)/host-tests/test_busybox_harness: tests/busybox/harness.py tests/run.py \
	tools/mkcpio.py tests/host/fake-busybox
$(BUILD)/host-tests/test_%: tests/host/test_%.py tests/host/pycheck.py
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec $(PYTHON) -B %s\n' "$(abspath $<)" > $@
	@chmod +x $@

# Each test also depends on the sources it is built from.
$(foreach t,$(HOST_TESTS),$(eval $(BUILD)/host-tests/test_$(t): $(host_src_$(t)) lib/status/status.c))

host-tests: $(HOST_BINS)

# libFuzzer targets (clang): tests/fuzz/fuzz_NAME.c with the sources in
# fuzz_src_NAME; the harness runs each for FUZZ_SECONDS from its corpus.
FUZZ_TARGETS := 9p
fuzz_src_9p := lib/9p/9p.c
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -Iinclude -Ilib

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(SETUP)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@clang $(FUZZ_CFLAGS) -o $@ $< $(fuzz_src_$*)
$(foreach t,$(FUZZ_TARGETS),$(eval $(BUILD)/fuzz/fuzz_$(t): $(fuzz_src_$(t))))

# The nucleus fuzzer for longer than make test's 10^6 calls:
# make fuzz-nucleus CALLS=100000000 SEED=7 (tests/user/nfuzz.c; the log in
# build/fuzz/). Fails on a panic, a hang or an inconsistency.
CALLS ?= 1000000
SEED ?= 1
fuzz-nucleus: $(NUCLEUS) $(BUILD)/user/tests/nfuzz
	@sh tools/fuzz-nucleus.sh $(BUILD) $(NUCLEUS) $(CALLS) $(SEED)

# Fuzz longer than make test does: make fuzz FUZZ_SECONDS=600
fuzz: $(FUZZ_BINS)
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) $(PYTHON) tests/run.py \
		--build $(BUILD) --only fuzz

# Test ISOs are made by the harness (one per command line) from these.
test: $(NUCLEUS) $(HOST_BINS) $(FUZZ_BINS) $(USER_TEST_BINS) $(BOOT_MODULES) \
		$(BUILD)/modules/posixtest $(BUILD)/modules/glibctest \
		$(BUILD)/modules/memtouch $(BUILD)/modules/blktest \
		$(BUILD)/modules/nettest \
		$(BUILD)/modules/diskfault $(BUILD)/user/tests/ramblk \
		$(BUILD)/modules/glibcthreads $(BUILD)/modules/exptest
	@$(if $(SOAK),METTA_SOAK=1 )$(if $(LONG),METTA_LONG=1 )$(PYTHON) tests/run.py --build $(BUILD) $(if $(ONLY),--only $(ONLY))

# The long runs: 1,000 forks and 1,000 pipelines of three processes, and
# nothing left behind in any server or quota (about 10 minutes); the disk
# driver crashed 1,000 times under the fsync workload (SOAK=1 does the
# same: make test SOAK=1).
test-soak: $(NUCLEUS) $(BOOT_MODULES) $(BUILD)/modules/diskfault $(BUILD)/user/tests/ramblk
	@METTA_SOAK=1 $(PYTHON) tests/run.py --build $(BUILD) --only system \
		--boot _soak
# busybox's testsuite: on Linux (a chroot of the same tree), then on Metta,
# judged against tests/busybox/expected-failures. BUSYBOX_ARGS passes
# options (e.g. --linux, --regenerate --reason TEXT).
test-busybox: $(NUCLEUS) $(BOOT_MODULES) $(BUSYBOX_SRC)
	@$(PYTHON) tests/busybox/harness.py --build $(BUILD) $(BUSYBOX_ARGS)

# Keep intermediate objects (user program objects would be deleted).
.SECONDARY:

-include bench/bench.mk

# Formats C sources with the tree's .clang-format.
FORMAT_FILES := $(wildcard nucleus/*.[ch] nucleus/include/*.h \
	$(ARCH_DIR)/*.c $(ARCH_DIR)/include/arch/*.h lib/*/*.[ch] \
	include/metta/*.h tests/nucleus/*.c tests/host/*.[ch] tests/fuzz/*.c)
format:
	clang-format -i $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)

-include $(NUCLEUS_OBJ:.o=.d) $(LIBMETTA_OBJ:.o=.d) $(LIB9P_OBJ:.o=.d) \
	$(RUNTIME_OBJ:.o=.d)
# Every other user object's (servers, commands, tests): a header change
# rebuilds what includes it.
-include $(shell find $(BUILD)/user -name '*.d' 2>/dev/null)
