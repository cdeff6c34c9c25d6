#!/bin/sh
# Install the Debian packages that the benchmark suite needs, but only those
# that are missing; quiet when everything is there. Extra "command package"
# pairs may be given as arguments (the report asks for gnuplot this way).
#   tools/bench/deps.sh [command package]...
set -eu

NEEDS="
qemu-system-x86_64 qemu-system-x86
/bin/busybox busybox-static
musl-gcc musl-tools
dpkg-deb dpkg
python3 python3
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
	case " $missing " in *" $pkg "*) continue ;; esac
	missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

echo "bench: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# apt and dpkg talk a lot; keep it and show it only when something fails.
log=$(mktemp)
if ! { $SUDO apt-get update -qq && \
	$SUDO apt-get install -y -qq --no-install-recommends $missing; } \
	>"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	echo "bench: could not install:$missing" >&2
	exit 1
fi
rm -f "$log"
