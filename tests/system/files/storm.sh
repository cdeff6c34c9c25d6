# Processes come and go: $1 forks of a subshell that exits 3 (its status
# checked), then $1 pipelines of three processes.
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
	c=$(echo x | cat | wc -c)
	[ "$c" = 2 ] || { echo "storm: pipeline gave '$c'"; exit 1; }
	i=$((i + 1))
done
echo pipes-done
