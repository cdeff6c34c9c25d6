#!/bin/sh
# Makes a bootable GRUB (BIOS) ISO of the nucleus and its boot modules.
# usage: mkiso.sh OUT.iso "COMMAND LINE" NUCLEUS.elf [MODULE...]
# Each module is loaded with its file name as its multiboot2 string.
set -eu
out=$1 cmdline=$2 nucleus=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/iso
mkdir -p "$root/boot/grub" "$root/boot/modules"
cp "$nucleus" "$root/boot/nucleus.elf"
{
	echo "set timeout=0"
	echo "set default=0"
	echo "menuentry Metta {"
	echo "	multiboot2 /boot/nucleus.elf $cmdline"
	for m in "$@"; do
		name=$(basename "$m")
		cp "$m" "$root/boot/modules/$name"
		echo "	module2 /boot/modules/$name $name"
	done
	echo "	boot"
	echo "}"
} > "$root/boot/grub/grub.cfg"
mkdir -p "$(dirname "$out")"
grub-mkrescue -o "$out" "$root" >"$work/log" 2>&1 || {
	cat "$work/log" >&2
	exit 1
}
