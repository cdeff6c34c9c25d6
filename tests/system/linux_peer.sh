#!/bin/sh
# /etc/rc of a Linux peer in a multi-VM boot (tests/run.py, "peers" in
# tests/system/boots.py): the kernel and modules of `make bench`, busybox
# with every applet. Mounts the usual file systems, loads the modules
# (virtio-net, v9fs with 9P over TCP, virtio-blk, ext4), gives eth0 the
# address on the kernel's command line (peer.addr=A/PREFIX), runs the
# peer's own script /etc/peer.sh and powers off. The runner reads:
#   PEER-UP A/PREFIX       eth0 is up at that address
#   PEER-END status=N      the script's exit status
PATH=/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o size=128m tmpfs /tmp
mount -t devtmpfs devtmpfs /dev

for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || echo "peer: cannot load $m"
done

addr=$(sed -n 's/.*peer\.addr=\([^ ]*\).*/\1/p' /proc/cmdline)
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -e /sys/class/net/eth0 ] && break
	sleep 1
done
ip link set lo up
if [ -n "$addr" ] && ip addr add "$addr" dev eth0 && ip link set eth0 up; then
	echo "PEER-UP $addr"
else
	echo "peer: cannot give eth0 the address '$addr'"
fi

cd /tmp
sh /etc/peer.sh
echo "PEER-END status=$?"
poweroff -f
