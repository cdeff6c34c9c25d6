#!/bin/bash
# init of the busybox test image (tests/busybox/harness.py puts this file
# at /bbtest/suite.sh): runs busybox's own testsuite the way Debian's
# build does (debian/rules: SKIP_KNOWN_BUGS, SKIP_INTERNET_TESTS, a UTF-8
# locale, SHELL), with runtest's -v so each failure's diff or trace is
# printed, and everything on the console between two markers the host
# looks for. The same file runs on Linux in a chroot of the same tree.
#
# Each applet's test file, and each old-style test case, runs with a time
# limit (APPLET_LIMIT seconds, in a session of its own, killed whole when
# it is over): one that is too slow or hangs must not take the rest of
# the run with it. Its tests not yet reported then count as not run.
# runtest itself is unchanged; the copy it runs from (runtest.limited)
# calls `limited` for each.
exec </dev/null 2>&1
export PATH=/bin HOME=/root TERM=dumb SHELL=/bin/sh
export SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y LANG=C.UTF-8 LC_ALL=C.UTF-8
export APPLET_LIMIT=${APPLET_LIMIT:-240}
cd /bbtest/testsuite || exit 1

limited() {
	setsid "$@" &
	local pid=$!
	setsid sh -c 'sleep "$1"; echo "BUSYBOX-SUITE LIMIT $2"; kill -9 -"$3"' \
		sh "$APPLET_LIMIT" "$1" "$pid" &
	local watchdog=$!
	wait "$pid"
	local rc=$?
	# Its group (if its setsid ran yet) and itself (if not yet).
	kill -KILL -- "-$watchdog" "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
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
