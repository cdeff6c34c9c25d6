#!/bin/sh
# Boots a Metta ISO in QEMU with the serial console on stdio.
# usage: qemu.sh ISO [extra QEMU arguments...]
# Environment:
#   SMP=2  MEM=512M      CPUs and memory
#   ACCEL=tcg|kvm        default: kvm only where /dev/kvm is hardware-backed
#                        (kvm_intel/kvm_amd), else TCG; tests force tcg
#   ICOUNT=1             -icount shift=0: the TSC counts guest instructions
#   DEBUG=1              wait for gdb on :1234 (-s -S)
#   TESTEXIT=1           add isa-debug-exit (port 0xf4) for test results
#   DISK=image.img       attach a raw disk image as a virtio-blk device
#                        (modern PCI transport only: virtio 1.x)
#   NET=user             a virtio-net card (virtio 1.x) on QEMU's user
#                        network: the guest is 10.0.2.15, the host's
#                        127.0.0.1 is 10.0.2.2, DNS 10.0.2.3 (make run's
#                        default); empty or none: no card
#   HOSTFWD=H:G[,H:G]    with NET=user: TCP to 127.0.0.1:H on the host
#                        reaches port G of the guest (bound to 127.0.0.1
#                        only, never another address)
set -eu
iso=$1
shift
smp=${SMP:-2}
mem=${MEM:-512M}

hardware_kvm() {
	[ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }
}

accel=${ACCEL:-}
if [ -z "$accel" ]; then
	if hardware_kvm; then accel=kvm; else accel=tcg; fi
fi
case $accel in
kvm) cpu=host ;;
tcg) cpu=max ;;
*) echo "qemu.sh: ACCEL must be tcg or kvm" >&2; exit 2 ;;
esac

set -- -M pc -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem" \
	-cdrom "$iso" -boot d -display none -no-reboot "$@"
[ "${ICOUNT:-0}" = 1 ] && set -- "$@" -icount shift=0,align=off,sleep=off
[ "${DEBUG:-0}" = 1 ] && set -- "$@" -s -S
[ -n "${DISK:-}" ] && set -- "$@" \
	-drive "file=$DISK,if=none,id=disk0,format=raw,cache=writeback" \
	-device virtio-blk-pci,drive=disk0,disable-legacy=on
# The user network's forwards: each H:G, both port numbers, else refused.
hostfwds() {
	old_ifs=$IFS
	IFS=,
	for fwd in ${HOSTFWD:-}; do
		case $fwd in
		*[!0-9:]* | :* | *: | *:*:* | [!0-9]* | *[!0-9]) ;;
		*:*) printf ',hostfwd=tcp:127.0.0.1:%s-:%s' "${fwd%%:*}" "${fwd#*:}"
		     continue ;;
		esac
		echo "qemu.sh: HOSTFWD takes HOSTPORT:GUESTPORT[,...], not '$fwd'" >&2
		exit 2
	done
	IFS=$old_ifs
}
case ${NET:-} in
"" | none) ;;
user) fwds=$(hostfwds) || exit 2
      set -- "$@" -netdev "user,id=net0$fwds" \
	      -device virtio-net-pci,netdev=net0,disable-legacy=on ;;
*) echo "qemu.sh: NET must be user or none" >&2; exit 2 ;;
esac
[ "${TESTEXIT:-0}" = 1 ] && set -- "$@" -device isa-debug-exit,iobase=0xf4,iosize=0x04
# A terminal gets QEMU's monitor too (Ctrl-A X quits). Other input (a
# pipe, a file) is the serial console alone, so scripts can drive it, and
# its end reaches the console as ^D (end of input): the shell then ends
# and the machine powers off, as a shell reading a script would.
if [ -t 0 ]; then
	exec qemu-system-x86_64 "$@" -serial mon:stdio
fi
case " $* " in
*" -monitor "*) ;; # the caller brought its own monitor
*) set -- "$@" -monitor none ;;
esac
{ cat; printf '\004'; } | qemu-system-x86_64 "$@" -serial stdio
