# Processes come and go: $1 forks of a subshell that exits 3 (its status
# checked), then $1 pipelines of three processes, the first reading a
# file in small reads (the runtime reads it from ramfs's pages).
n=$1
i=0
while [ $i -lt $n ]; do
	(exit 3)
	[ $? = 3 ] || { echo "storm: subshell status $?"; exit 1; }
	i=$((i + 1))
done
echo forks-done
i=0
while [ $i -lt $n ]; do
	c=$(dd if=/bin/storm.sh bs=16 count=8 2>/dev/null | cat | wc -c)
	[ "$c" = 128 ] || { echo "storm: pipeline gave '$c'"; exit 1; }
	i=$((i + 1))
done
echo pipes-done
