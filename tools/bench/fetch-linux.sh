#!/bin/sh
# Fetch Debian's own kernel (the package that linux-image-amd64 depends on)
# and unpack only its bzImage; nothing is installed into /boot.
#   tools/bench/fetch-linux.sh DIR
# leaves DIR/vmlinuz and DIR/version (the package name and version).
set -eu

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

# Only ./boot is needed, not the hundreds of MiB of modules.
rm -rf "$dir/root"
mkdir -p "$dir/root"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" ./boot
cp "$dir"/root/boot/vmlinuz-* "$dir/vmlinuz.tmp"
mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
dpkg-deb -f "$deb" Package Version | sed 's/^[^:]*: //' | paste -sd ' ' >"$dir/version"
rm -rf "$dir/root" "$deb"
echo "bench: Linux kernel $(cat "$dir/version")" >&2
