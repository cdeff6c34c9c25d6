"""The one place that says how QEMU runs the systems being compared.

Both systems boot in the same virtual machine; only the way the system is
loaded differs. Two measures:

  icount  -icount shift=0: the guest TSC advances one tick per guest
          instruction, so TSC deltas are instruction counts, the same on
          every host and every run. (With sleep=off a halted guest's clock
          jumps to its next timer, so idle waits, which only boots have,
          count one tick per virtual ns.)
  wall    plain TCG: the guest TSC follows the host's, so TSC deltas are
          time; the guest reports its TSC rate to turn them into ns.

KVM is never used for figures.
"""

import os
import select
import shlex
import subprocess
import time

QEMU = "qemu-system-x86_64"
# -cpu max offers ERMS, so Linux copies and clears pages with rep movsb /
# rep stosb, and TCG counts every iteration of a rep string instruction as
# one instruction: "max,-erms" gives rep movsq and an eighth of that count.
# The default is what the figures are published with; see bench/README.md.
CPU = "max,-erms"
ICOUNT = ["-icount", "shift=0,align=off,sleep=off"]
# The network rows' boots: with sleep=off a guest that halts to wait for
# the host's answer has its clock jump at once to its next timer, which
# for a TCP sender is its retransmission timer: Linux then retransmitted
# on most round trips (a round trip took 337 ms of guest time), and those
# retransmissions were counted. With sleep=on a halted guest's clock
# follows the host's, so its timers fire when they would on hardware;
# instructions are still counted one tick each, and the idle time is left
# out of the figures as with sleep=off (bench/net.c).
ICOUNT_REALTIME = ["-icount", "shift=0,align=off,sleep=on"]
IO = ["-display", "none", "-serial", "stdio", "-no-reboot"]

MEASURES = ("icount", "wall")

# Linux's command line: the serial console, no boot chatter, and a panic
# (say, a broken /init) ends the run at once instead of at the timeout.
LINUX_APPEND = "console=ttyS0 quiet panic=-1"


def linux_boot(kernel, initrd, append=""):
    """The options that load Linux: a bzImage and the benchmark initramfs
    (append: more of the kernel's command line, for /etc/rc)."""
    return ["-kernel", kernel, "-initrd", initrd, "-append",
            LINUX_APPEND + (" " + append if append else "")]


def metta_boot(iso):
    """The options that load Metta: its bootable ISO."""
    return ["-cdrom", iso, "-boot", "d"]  # as tools/qemu.sh boots it


def disk(image):
    """The options that attach a raw disk image as a virtio-blk device, the
    same for both systems: the modern device only (virtio 1.x, no legacy
    I/O BAR), as the first and only disk. cache=unsafe: the guest still
    sends its flushes, but the host does not fdatasync the image for them
    (it is thrown away): on a loaded host that takes milliseconds, and a
    CPU waiting that long takes timer interrupts that would be counted."""
    return ["-drive", "file=%s,if=none,id=d0,format=raw,cache=unsafe" % image,
            "-device", "virtio-blk-pci,drive=d0,disable-legacy=on"]


def net():
    """The options that give the machine a network card on QEMU's user
    network, the same for both systems: the modern virtio-net device only
    (virtio 1.x), as the first and only card. The guest is 10.0.2.15 and
    reaches the host's 127.0.0.1 as 10.0.2.2 (QEMU's slirp does the
    forwarding; nothing on the host listens on any other address)."""
    return ["-netdev", "user,id=n0",
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]


def command(measure, boot, cpu=CPU, icount=None):
    """The full QEMU command line for one measure and one system (icount:
    the -icount options, ICOUNT unless given)."""
    if measure not in MEASURES:
        raise ValueError("unknown measure " + measure)
    machine = ["-M", "pc", "-accel", "tcg", "-cpu", cpu, "-smp", "1",
               "-m", "512M"]
    return ([QEMU] + machine + ((icount or ICOUNT) if measure == "icount"
                                else [])
            + IO + boot)


def shell_line(argv):
    """argv as one line that a shell would run unchanged."""
    return " ".join(shlex.quote(a) for a in argv)


class Run:
    """What one boot printed and how it ended: "exit" (the system powered
    off or QEMU stopped by itself), "timeout", or "quiet" (the system had
    printed all it was expected to but then neither spoke nor stopped)."""

    def __init__(self, argv, output, seconds, returncode, ending):
        self.argv = argv
        self.output = output
        self.seconds = seconds
        self.returncode = returncode
        self.ending = ending

    def status(self):
        if self.ending == "timeout":
            return "timed out after %.0f s" % self.seconds
        if self.ending == "quiet":
            return "stopped after %.0f s: done but silent, no power-off" % (
                self.seconds)
        return "exit %d after %.1f s" % (self.returncode, self.seconds)


def run(argv, timeout, log_path, finished=None, quiet=15.0):
    """Boot once and return the Run: everything the serial port and QEMU
    printed (kept in log_path too). QEMU is killed at the timeout, or quiet
    seconds after its last output once finished(text) says the output is
    complete; it is never left behind."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    except OSError as e:
        return Run(argv, "cannot start %s: %s\n" % (argv[0], e), 0.0, -1,
                   "exit")
    chunks = []
    ending = "exit"
    last = start
    fd = proc.stdout.fileno()
    while True:
        now = time.monotonic()
        if now - start >= timeout:
            ending = "timeout"
            break
        if (finished and now - last >= quiet
                and finished(_text(chunks))):
            ending = "quiet"
            break
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data = os.read(fd, 65536)
            if not data:
                break           # QEMU closed its output: it is exiting
            chunks.append(data)
            last = time.monotonic()
    if ending != "exit":
        proc.kill()
    proc.stdout.close()
    proc.wait()
    seconds = time.monotonic() - start
    text = _text(chunks)
    with open(log_path, "w") as f:
        f.write("# " + shell_line(argv) + "\n" + text)
    return Run(argv, text, seconds, proc.returncode, ending)


def _text(chunks):
    return b"".join(chunks).decode("utf-8", "replace").replace("\r", "")
