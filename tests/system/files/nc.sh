# busybox nc both ways over 127.0.0.1 (the net_nc boot): a listener
# echoing through cat to a client, a listener sending to a client, and a
# client sending to a listener. The side that only reads keeps its input
# open a while (sleep), so that its end does not close the connection
# before the other side has sent. `nc.sh host A P`: a line to the echo
# program at A!P and what comes back (net_nc_user).
if [ "$1" = host ]; then
	echo hello-host | nc "$2" "$3"
	exit
fi
nc -l -p 7001 -e /bin/cat &
sleep 1
echo hello-through-nc | nc 127.0.0.1 7001
wait
echo "echo-done $?"
echo from-the-listener | nc -l -p 7002 &
sleep 1
sleep 2 | nc 127.0.0.1 7002
wait
sleep 2 | nc -l -p 7003 >/tmp/up &
sleep 1
echo from-the-client | nc localhost 7003
wait
echo "got $(cat /tmp/up)"
rm -f /tmp/up
