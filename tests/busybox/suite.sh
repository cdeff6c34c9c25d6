#!/bin/bash
# init of the busybox test image (tests/busybox/harness.py puts this file
# at /bbtest/suite.sh): runs busybox's own testsuite the way Debian's
# build does (debian/rules: SKIP_KNOWN_BUGS, SKIP_INTERNET_TESTS, a UTF-8
# locale, SHELL), with runtest's -v so each failure's diff or trace is
# printed, and everything on the console between two markers the host
# looks for. The same file runs on Linux in a chroot of the same tree.
#
# Each applet's test file, and each old-style test case, runs with a time
# limit (APPLET_LIMIT seconds: busybox's timeout, in a session of its own
# whose other processes are killed when it is over): one that is too slow
# or hangs must not take the rest of the run with it. Its tests not yet
# reported then count as not run. Nothing is killed when a test ends in
# time (a killed process keeps its open files' references, see the
# runtime's README). runtest itself is unchanged; the copy it runs from
# (runtest.limited) calls `limited` for each.
exec </dev/null 2>&1
export PATH=/bin HOME=/root TERM=dumb SHELL=/bin/sh
export SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y LANG=C.UTF-8 LC_ALL=C.UTF-8
export APPLET_LIMIT=${APPLET_LIMIT:-240}
cd /bbtest/testsuite || exit 1

limited() {
	local pidfile=/tmp/limited.$$
	timeout -s KILL "$APPLET_LIMIT" \
		setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"
	local rc=$?
	if [ $rc = 137 ] && [ -s "$pidfile" ]; then
		echo "BUSYBOX-SUITE LIMIT $*"
		kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null
	fi
	rm -f "$pidfile"
	return $rc
}
export -f limited
sed -e 's|^\t\t\t"$tsdir/$applet.tests"$|\t\t\tlimited "$tsdir/$applet.tests"|' \
	-e 's|^\t\tsh -x -e "$testcase"|\t\tlimited sh -x -e "$testcase"|' \
	runtest >runtest.limited
grep -c '^[[:space:]]*limited ' runtest.limited | grep -qx 2 ||
	echo "BUSYBOX-SUITE: runtest changed shape; tests run without limits"
echo "BUSYBOX-SUITE BEGIN"
bash ./runtest.limited -v
echo "BUSYBOX-SUITE END $?"
