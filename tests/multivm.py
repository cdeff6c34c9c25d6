"""Several virtual machines on one Ethernet, for boots that name peers
(tests/system/boots.py, "peers"; run by tests/run.py).

The Ethernet is a hub in this process: it listens on 127.0.0.1 at a free
port, every machine's card connects to it with QEMU's socket back-end
(`-netdev socket,connect=127.0.0.1:PORT`), and each frame one machine
sends goes to all the others. Only 127.0.0.1 is listened on or connected
to; no multicast. QEMU's socket back-end frames each packet with its
length as a 4-byte big-endian number.

Machine i (0: the boot's own Metta, if it has one; then the peers in
order) has the MAC address mac(i) and, by convention, the IPv4 address
addr(i) on NET (its own script or configuration sets it: a Linux peer's
is set for it, see linux_peer.sh).
"""
import os
import socket
import struct
import subprocess
import sys
import threading

NET = "10.1.0.0/24"
PREFIX = 24


def addr(i):
    """Machine i's IPv4 address: 10.1.0.1 for the boot's own machine."""
    return f"10.1.0.{i + 1}"


def mac(i):
    """Machine i's MAC address (locally administered, QEMU's prefix)."""
    return f"52:54:00:4e:00:{i + 1:02x}"


def nic_options(port, i):
    """QEMU options for machine i's card on the hub at port: the modern
    virtio-net device only (virtio 1.x), as the first and only card."""
    return ["-netdev", f"socket,id=hub0,connect=127.0.0.1:{port}",
            "-device",
            f"virtio-net-pci,netdev=hub0,mac={mac(i)},disable-legacy=on"]


class Hub:
    """An Ethernet hub on 127.0.0.1: start() returns its port; close()
    ends it. frames counts what it forwarded (for a log line)."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        self.frames = 0

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self.port

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._carry, args=(conn,),
                             daemon=True).start()

    def _carry(self, conn):
        """Read conn's frames and send each to every other machine."""
        buf = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            while len(buf) >= 4:
                n = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                frame, buf = buf[:4 + n], buf[4 + n:]
                self._send(conn, frame)
        with self.lock:
            if conn in self.conns:
                self.conns.remove(conn)
        conn.close()

    def _send(self, source, frame):
        with self.lock:
            self.frames += 1
            for c in self.conns:
                if c is not source:
                    try:
                        c.sendall(frame)
                    except OSError:
                        pass  # that machine is gone; the rest go on

    def close(self):
        self.listener.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


# The Linux of `make bench` (bench/bench.mk): its kernel, modules and init.
LINUX_FILES = ["bench/linux/vmlinuz", "bench/linux/modules/order",
               "bench/bin/init"]


def linux_files(root, build):
    """Make the Linux peer's kernel, modules and init if missing (the
    `make bench` targets that fetch and build them). None, or what went
    wrong."""
    paths = [os.path.join(build, f) for f in LINUX_FILES]
    if all(os.path.exists(p) for p in paths):
        return None
    p = subprocess.run(["make", "-s", "-C", root, "linux-peer-files"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "make linux-peer-files failed: " + (
            p.stderr.strip().splitlines() or ["no output"])[-1]
    return None


def linux_initramfs(root, build, path, script, files=None):
    """The initramfs of a Linux peer at path: busybox with every applet,
    the modules, /etc/rc (tests/system/linux_peer.sh) and the peer's
    script as /etc/peer.sh; files: {dest in the initramfs: host path}."""
    rc = os.path.join(root, "tests", "system", "linux_peer.sh")
    script_path = path + ".sh"
    with open(script_path, "w") as f:
        f.write(script)
    argv = [sys.executable, "-B",
            os.path.join(root, "tools", "bench", "mkinitramfs.py"), path,
            "--init", os.path.join(build, "bench", "bin", "init"),
            "--rc", rc, "--busybox", "/bin/busybox", "--all-applets",
            "--modules", os.path.join(build, "bench", "linux", "modules"),
            "--file", "etc/peer.sh=" + script_path]
    for dest, src in (files or {}).items():
        argv += ["--file", f"{dest}={src}"]
    subprocess.run(argv, check=True)


def linux_command(build, initrd, i, port, mem=256):
    """The QEMU command of Linux peer i on the hub: the machine and kernel
    command line of `make bench` (tools/bench/qemu.py), plain TCG."""
    kernel = os.path.join(build, "bench", "linux", "vmlinuz")
    return (["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu",
             "max", "-smp", "1", "-m", f"{mem}M", "-display", "none",
             "-serial", "stdio", "-monitor", "none", "-no-reboot",
             "-kernel", kernel, "-initrd", initrd, "-append",
             f"console=ttyS0 quiet panic=-1 peer.addr={addr(i)}/{PREFIX}"]
            + nic_options(port, i))
