#!/bin/sh
# Makes a disk image for `make run`: an ext2 file system (no partition
# table: the whole disk is the file system, /dev/sd0/data in Metta) holding
# TREE, the boot archive's contents (tools/mkcpio.py --tree).
# usage: mkdisk.sh IMAGE TREE SIZE      (SIZE as mke2fs takes it: 512M)
set -eu
[ $# -eq 3 ] || { echo "usage: mkdisk.sh IMAGE TREE SIZE" >&2; exit 2; }
img=$1 tree=$2 size=$3
PATH=$PATH:/sbin:/usr/sbin
[ -d "$tree" ] || { echo "mkdisk.sh: no tree at $tree" >&2; exit 1; }
mkdir -p "$(dirname "$img")"
# Revision 1, 4 KiB blocks, 256-byte inodes: what Debian's mke2fs makes for
# ext2 by default, written out so another mke2fs.conf changes nothing.
mke2fs -q -F -t ext2 -b 4096 -I 256 -L metta -E root_owner=0:0 \
	-d "$tree" "$img.tmp" "$size"
mv "$img.tmp" "$img"
echo "  DISK    $img ($size, ext2)"
