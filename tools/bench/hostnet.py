#!/usr/bin/env python3
"""The host's end of the network benchmarks (bench/net.c): a TCP server
on 127.0.0.1 only, which a guest on QEMU's user network reaches as
10.0.2.2 (no other address of the host is ever listened on).

  hostnet.py [--port P]

prints `port N` (the port it listens on; 0 or none: a free one) on its
first line and serves until its standard input closes. Each connection's
first byte chooses its kind:
  'e'  echo: every byte that arrives is sent back at once;
  's'  sink: batches of an 8-byte big-endian count N and N bytes, each
       answered with one byte 'k' once all N are in.
"""

import argparse
import socket
import sys
import threading

HOST = "127.0.0.1"


def recv_exact(conn, n):
    """n bytes from conn, or None if it closes first."""
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            return None
        data += more
    return data


def echo(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def sink(conn):
    buf = bytearray(1 << 20)
    while True:
        head = recv_exact(conn, 8)
        if head is None:
            return
        left = int.from_bytes(head, "big")
        while left > 0:
            n = conn.recv_into(buf, min(left, len(buf)))
            if n == 0:
                return
            left -= n
        conn.sendall(b"k")


KINDS = {b"e": echo, b"s": sink}


def serve(conn):
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        kind = recv_exact(conn, 1)
        if kind in KINDS:
            KINDS[kind](conn)
        elif kind is not None:
            print("hostnet: unknown kind %r" % kind, file=sys.stderr)
    except OSError as e:
        print("hostnet: %s" % e, file=sys.stderr)
    finally:
        conn.close()


def accept_loop(listener):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, args.port))
    listener.listen(16)
    print("port %d" % listener.getsockname()[1], flush=True)
    threading.Thread(target=accept_loop, args=(listener,),
                     daemon=True).start()
    sys.stdin.read()  # serve until the runner closes our input
    listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
