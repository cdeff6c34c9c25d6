# Fetching Debian packages with apt, for scripts that source this file.
#   apt_download DIR COMMAND [ARG...]
# downloads (does not install) the package whose name COMMAND prints into
# DIR: a binary package, or with APT_SOURCE=1 a source package's files
# (its .dsc and tarballs; COMMAND may print NAME=VERSION). A fresh machine has no package lists and an old one may name a
# version the archive no longer has: then the lists are updated once and
# the name asked for again. Returns non-zero, having said so, on failure.

apt_fetch_once() {
	apt_name=$("$@") && [ -n "$apt_name" ] || return 1
	# apt's download sandbox user may not write DIR; this is a plain fetch.
	if [ "${APT_SOURCE:-0}" = 1 ]; then
		set -- source --download-only
	else
		set -- download
	fi
	(cd "$apt_dir" && apt-get "$@" -qq -o APT::Sandbox::User=root \
		"$apt_name" >&2)
}

apt_download() {
	apt_dir=$1
	shift
	apt_fetch_once "$@" && return 0
	apt_sudo=""
	[ "$(id -u)" -ne 0 ] && apt_sudo=sudo
	$apt_sudo apt-get update -qq >&2
	apt_fetch_once "$@" && return 0
	echo "apt: cannot download ${apt_name:-the package} ($*)" >&2
	return 1
}
