#!/bin/sh
# Runs the nucleus fuzzer (tests/user/nfuzz.c) for CALLS calls from SEED
# on two CPUs under TCG and says whether it passed: the final line must be
# "nucleus fuzz: CALLS calls, 0 inconsistencies, 0 failures" and the root
# domain must end with status 0 (a panic or a hang ends it otherwise).
# usage: fuzz-nucleus.sh BUILD NUCLEUS CALLS SEED [LOG]
set -eu
build=$1 nucleus=$2 calls=$3 seed=$4
log=${5:-$build/fuzz/nucleus-fuzz-$seed.log}
dir=$(dirname "$0")
mkdir -p "$build/fuzz/modules" "$(dirname "$log")"
cp "$build/user/tests/nfuzz" "$build/fuzz/modules/nfuzz"
iso=$build/fuzz/nucleus-fuzz-$seed.iso
sh "$dir/mkiso.sh" "$iso" "root=nfuzz fuzz.calls=$calls fuzz.seed=$seed ${FUZZ_OPTIONS:-}" \
	"$nucleus" "$build/fuzz/modules/nfuzz"
ACCEL=tcg TESTEXIT=1 SMP=2 sh "$dir/qemu.sh" "$iso" </dev/null |
	tee "$log" | grep --line-buffered "nucleus fuzz\|check:\|PANIC\|panic" || true
if grep -q "nucleus fuzz: $calls calls, 0 inconsistencies, 0 failures" "$log" &&
	grep -q "root domain nfuzz ended with status 0" "$log"; then
	echo "fuzz-nucleus: passed ($calls calls, seed $seed; log $log)"
else
	echo "fuzz-nucleus: FAILED (seed $seed; log $log)"
	exit 1
fi
