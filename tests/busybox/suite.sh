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
# 480: bc's file ran past 240 s on a host busy with another QEMU.
export APPLET_LIMIT=${APPLET_LIMIT:-480}
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

# Each new-style test (testing.sh's `testing`) has a limit of its own too,
# TEST_LIMIT seconds: its command runs in a background subshell that a
# watchdog kills, with every process under it, when the time is up (no
# process groups: the suite's shells have no terminal, so no job
# control); the test fails with what it printed so far and the applet's
# later tests still run. (bc's "printing of numbers" writes five million
# times: without this, it took every bc test after it down with it.)
export TEST_LIMIT=${TEST_LIMIT:-100}
sed -i 's/^  \$ECHO -ne "\$5" | eval "\$2" > actual$/  limited_eval "$5" "$2"/' \
	testing.sh
grep -q '^  limited_eval ' testing.sh ||
	echo "BUSYBOX-SUITE: testing.sh changed shape; tests run without limits"
cat >>testing.sh <<'LIMITED'

# Kills process $1 and everything under it (children first, found by
# their parent in /proc/N/stat).
limited_kill()
{
  local pid=$1 d line
  for d in /proc/[0-9]*; do
    read -r line < "$d/stat" 2>/dev/null || continue
    set -- ${line##*) }
    [ "$2" = "$pid" ] && limited_kill "${d#/proc/}"
  done
  kill -KILL "$pid" 2>/dev/null
}

limited_eval()
{
  { $ECHO -ne "$1" | eval "$2" > actual; } &
  local job=$!
  { if sleep "$TEST_LIMIT"; then
      echo "BUSYBOX-SUITE TEST LIMIT $NAME"; limited_kill $job
    fi; } </dev/null 2>/dev/null &
  local dog=$!
  wait $job
  local rc=$?
  limited_kill $dog
  wait $dog 2>/dev/null
  return $rc
}
LIMITED
echo "BUSYBOX-SUITE BEGIN"
bash ./runtest.limited -v
echo "BUSYBOX-SUITE END $?"
