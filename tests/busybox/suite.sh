#!/bin/bash
# init of the busybox test image (tests/busybox/run.py puts this file at
# /bbtest/suite.sh): runs busybox's own testsuite the way Debian's build
# does (debian/rules: SKIP_KNOWN_BUGS, SKIP_INTERNET_TESTS, a UTF-8 locale,
# SHELL), with runtest's -v so each failure's diff or trace is printed,
# and everything on the console between two markers the host looks for.
# The same file runs on Linux in a chroot of the same tree.
exec </dev/null 2>&1
export PATH=/bin HOME=/root TERM=dumb SHELL=/bin/sh
export SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y LANG=C.UTF-8 LC_ALL=C.UTF-8
cd /bbtest/testsuite || exit 1
echo "BUSYBOX-SUITE BEGIN"
bash ./runtest -v
echo "BUSYBOX-SUITE END $?"
