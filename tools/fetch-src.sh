#!/bin/sh
# Fetch and unpack, unmodified, the Debian source package a fetched binary
# package was built from: the same version, so its tests are the binary's.
#   tools/fetch-src.sh OUT BINARY-VERSION-FILE
# BINARY-VERSION-FILE is what fetch-deb.sh leaves ("PACKAGE VERSION"); the
# source is asked for by the binary's Source field (dpkg-deb -f) when the
# .deb is at hand, else by the package name, at the version with a binNMU
# suffix (+bN, a rebuild of the same source) taken off. OUT is left as the
# unpacked tree (dpkg-source -x, Debian's patches applied) and
# OUT.version holds "SOURCE VERSION"; the downloaded files are removed.
set -eu

out=${1:?usage: fetch-src.sh OUT BINARY-VERSION-FILE} from=${2:?version file}
read -r binary version <"$from" || { echo "fetch-src: cannot read $from" >&2; exit 1; }
# busybox-static and busybox come from the source package busybox.
source=$(apt-cache show "$binary=$version" 2>/dev/null |
	sed -n 's/^Source: \([^ ]*\).*/\1/p' | head -n1)
[ -n "$source" ] || source=${binary%-static}
srcversion=$(echo "$version" | sed 's/+b[0-9]*$//')

work=$out.fetch
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/apt.sh"
APT_SOURCE=1 apt_download "$work" echo "$source=$srcversion" || exit 1
set -- "$work"/*.dsc
[ $# -eq 1 ] && [ -f "$1" ] || { echo "fetch-src: no single .dsc for $source" >&2; exit 1; }
dpkg-source -x "$1" "$work/tree" >/dev/null
rm -rf "$out"
echo "$source $srcversion" >"$work/tree.version"
# Moved last, so an interrupted fetch leaves no OUT and make tries again.
mv "$work/tree" "$out"
mv "$work/tree.version" "$out.version"
echo "fetch-src: $(cat "$out.version") into $out" >&2
