#!/bin/sh
# Install the Debian packages that building, running and testing Metta need,
# but only those that are missing, and make sure apt knows Debian's source
# packages (a deb-src entry), which the build fetches busybox's source from.
# Safe to run again and again: when all is present it does nothing and
# prints nothing.
# usage: setup.sh [COMMAND-OR-FILE PACKAGE]...   (extra needs, e.g. of bench)
set -eu

# command-or-file  package
NEEDS="
qemu-system-x86_64 qemu-system-x86
grub-mkrescue grub-common
/usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin
xorriso xorriso
mformat mtools
musl-gcc musl-tools
/bin/busybox busybox-static
gcc gcc
/usr/lib/x86_64-linux-gnu/libc.a libc6-dev
make make
dpkg-deb dpkg
apt-get apt
python3 python3
nm binutils
clang clang
/sbin/mke2fs e2fsprogs
/sbin/debugfs e2fsprogs
/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev
"

missing=""
set -- $NEEDS "$@"
while [ $# -ge 2 ]; do
	what=$1 pkg=$2
	shift 2
	case $what in
	/*) [ -e "$what" ] && continue ;;
	*) command -v "$what" >/dev/null 2>&1 && continue ;;
	esac
	missing="$missing $pkg"
done

# Is any deb-src entry there, in the one-line format (.list) or in
# deb822 (.sources, "Types: deb deb-src")? Files apt ignores do not count.
have_deb_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list ||
		grep -Eqis '^Types:.*[[:space:]]deb-src([[:space:]]|$)' \
			/etc/apt/sources.list.d/*.sources
}

# Debian 12's own archive: the source of the packages the image holds.
DEB_SRC_FILE=/etc/apt/sources.list.d/debian-src.list
DEB_SRC_LINE="deb-src http://deb.debian.org/debian bookworm main"

need_src=""
have_deb_src || need_src=1
[ -z "$missing" ] && [ -z "$need_src" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if [ -n "$need_src" ]; then
	echo "setup: adding Debian's source packages to apt ($DEB_SRC_FILE)" >&2
	echo "$DEB_SRC_LINE" | $SUDO tee "$DEB_SRC_FILE" >/dev/null
fi
$SUDO apt-get update -qq >&2
[ -z "$missing" ] && exit 0
echo "setup: installing Debian packages:$missing" >&2
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
