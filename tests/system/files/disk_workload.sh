#!/bin/sh
# The disk workload (tests/system/disk_boots.py builds the same tree in
# Python and checks the disk against it after the boot, with debugfs):
# 1,000 files in directories three deep, a 64 MiB file, renames within and
# across directories, deletes, truncates, hard and symbolic links. Every
# file's content follows from its name, so the host can know it.
set -e
W=/work
mkdir -p $W
for a in 0 1 2 3 4 5 6 7 8 9; do
	for b in 0 1 2 3 4; do
		for c in 0 1; do
			d=$W/a$a/b$b/c$c
			mkdir -p $d
			for f in 0 1 2 3 4 5 6 7 8; do
				echo "file a$a/b$b/c$c/f$f of the disk workload" >$d/f$f
			done
			# One in ten is bigger: blocks past the direct ones.
			seq 1 $((a * 500 + b * 100 + c * 10 + 9000)) >$d/f9
		done
	done
done
echo workload-files-written
# 64 MiB: 64 chunks of 1 MiB, each headed by its number.
seq 1 200000 | head -c 1048576 >/tmp/mib
i=0
while [ $i -lt 64 ]; do
	echo "chunk $i"
	cat /tmp/mib
	i=$((i + 1))
done | head -c 67108864 >$W/big
rm /tmp/mib
echo "big-md5 $(md5sum $W/big)"
mv $W/a0/b0/c0/f0 $W/a9/b4/c1/moved0
mv $W/a0/b0/c0/f1 $W/a0/b0/c0/renamed1
mv $W/a1/b1 $W/a2/b1moved
mv -f $W/a0/b1/c0/f2 $W/a0/b1/c0/f3
rm $W/a3/b0/c0/f5 $W/a3/b1/c0/f5 $W/a3/b2/c0/f5
rm -r $W/a4/b4
truncate -s 10 $W/a5/b0/c0/f1
truncate -s 100000 $W/a5/b0/c0/f2
truncate -s 5000 $W/a5/b0/c0/f9
ln $W/a6/b0/c0/f0 $W/a7/b0/c0/hard0
ln -s ../../../a6/b0/c0/f1 $W/a7/b0/c0/sym1
ln -s /work/a6/b0/c0/this-is-a-long-target-name-that-does-not-fit-in-the-inode-itself-at-all $W/a7/b0/c0/sym2
sync
echo workload-done
