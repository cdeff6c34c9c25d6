#!/bin/sh
# Fetch one file, unmodified, out of a Debian binary package: the package
# is downloaded with apt-get (not installed) and unpacked with dpkg-deb.
#   tools/fetch-deb.sh OUT PACKAGE PATH
# leaves the package's ./PATH as OUT and "PACKAGE VERSION" in OUT.version;
# the .deb and the rest of the package are removed again.
set -eu

out=${1:?usage: fetch-deb.sh OUT PACKAGE PATH} pkg=${2:?package} path=${3:?path}
dir=$(dirname "$out")
work=$out.fetch
mkdir -p "$dir"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/apt.sh"
apt_download "$work" echo "$pkg" || exit 1
set -- "$work"/*.deb
[ $# -eq 1 ] && [ -f "$1" ] || { echo "fetch-deb: no single .deb for $pkg" >&2; exit 1; }
deb=$1

dpkg-deb -x "$deb" "$work/root"
[ -f "$work/root/$path" ] || { echo "fetch-deb: $pkg has no file $path" >&2; exit 1; }
dpkg-deb -f "$deb" Package Version | sed 's/^[^:]*: //' | paste -sd ' ' >"$out.version"
# Dated now, not by the package, so make sees it newer than its inputs;
# moved last, so an interrupted fetch leaves no OUT and make tries again.
touch "$work/root/$path"
mv "$work/root/$path" "$out"
echo "fetch-deb: $(cat "$out.version"): $path ($(wc -c <"$out") bytes)" >&2
