#!/bin/sh
# Signals to itself with busybox sh's kill built-in (tests/system/boots.py,
# signal_defaults): $1 names the case.
case "$1" in
usr1) kill -USR1 $$; echo survived ;;
chld) kill -CHLD $$; echo chld-ignored ;;
trap) trap 'echo trapped' USR2; kill -USR2 $$; echo after-trap ;;
bash) trap 'echo bash-trapped' TERM; kill -TERM $$; echo bash-after-trap ;;
esrch) kill -TERM 99999 ;;
esac
