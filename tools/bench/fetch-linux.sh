#!/bin/sh
# Fetch Debian's own kernel (the package that linux-image-amd64 depends on)
# and unpack only its bzImage and the few modules the disk and network
# benchmarks and the tests' Linux peers need; nothing is installed into
# /boot or /lib/modules.
#   tools/bench/fetch-linux.sh DIR
# leaves DIR/vmlinuz, DIR/version (the package name and version) and
# DIR/modules/ (the modules and DIR/modules/order, see kmods.py).
set -eu

# The modules a disk needs that Debian builds as modules (its config has
# VIRTIO, VIRTIO_PCI, VIRTIO_BLK, EXT4 with EXT4_USE_FOR_EXT2, JBD2,
# FS_MBCACHE, CRC16, CRYPTO_CRC32C =m); their dependencies come along.
# ext4 asks the crypto API for "crc32c" at every mount, even of ext2 (a
# soft dependency, which no modinfo "depends" names), so that is listed.
# The network: virtio_net (NET_FAILOVER, FAILOVER =m come along), and for
# the tests' Linux peer, v9fs (9P_FS, NET_9P =m; netfs and fscache come
# along). 9p over TCP is 9pnet_fd (NET_9P_FD), which the kernel asks for by
# the alias "9p-tcp" at mount time: no dependency names it, so it is listed.
MODULES="virtio_pci virtio_blk crc32c_generic ext4 virtio_net 9pnet_fd 9p"

dir=${1:?usage: fetch-linux.sh DIR}
mkdir -p "$dir"

# The name of the real kernel package behind the meta package.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' |
		head -n 1
}

. "$(dirname "$0")/../apt.sh"
rm -f "$dir"/linux-image-*.deb
apt_download "$dir" kernel_package ||
	{ echo "bench: cannot download the kernel behind linux-image-amd64" >&2; exit 1; }
deb=$(ls "$dir"/linux-image-*.deb)

# Of the package: ./boot, and of its hundreds of MiB of modules the few above.
rm -rf "$dir/root"
mkdir -p "$dir/root"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" ./boot
cp "$dir"/root/boot/vmlinuz-* "$dir/vmlinuz.tmp"
python3 -B "$(dirname "$0")/kmods.py" "$deb" "$dir/modules.tmp" $MODULES
rm -rf "$dir/modules"
mv "$dir/modules.tmp" "$dir/modules"
mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
dpkg-deb -f "$deb" Package Version | sed 's/^[^:]*: //' | paste -sd ' ' >"$dir/version"
rm -rf "$dir/root" "$deb"
echo "bench: Linux kernel $(cat "$dir/version")" >&2
