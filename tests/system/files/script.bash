#!/bin/bash
# A bash script (tests/system/boots.py, debian_programs_shells): functions
# with locals, here-documents, traps on a signal and on exit, wait -n for
# the first of two background jobs, a pipeline through paste and bc,
# command substitution, an associative array, [[ ]] patterns, and process
# substitution (/dev/fd/N names, which the runtime answers).
greet() { local who=$1; echo "hello-$who"; }
greet world
cat <<END
heredoc-$((6 * 7))
END
trap 'echo trapped-exit' EXIT
trap 'echo got-usr1' USR1
kill -USR1 $$
sleep 2 &
(sleep 0.2; exit 5) &
wait -n
echo "waitn-$?"
wait
for i in 1 2 3; do echo $i; done | paste -sd+ | bc | sed 's/^/sum-/'
x=$(for i in a b c; do printf %s $i; done)
echo "sub-$x"
declare -A m=([k]=v)
echo "assoc-${m[k]}"
[[ abc == a* ]] && echo glob-ok
diff <(echo a) <(echo a) && echo procsub-same
while read -r l; do echo "procsub-line-$l"; done < <(printf '1\n2\n')
echo to-stderr >/dev/stderr
