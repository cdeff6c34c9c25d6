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

import shlex
import subprocess
import time

QEMU = "qemu-system-x86_64"
# -cpu max offers ERMS, so Linux copies and clears pages with rep movsb /
# rep stosb, and TCG counts every iteration of a rep string instruction as
# one instruction: "max,-erms" gives rep movsq and an eighth of that count.
# The default is what the figures are published with; see bench/README.md.
CPU = "max"
ICOUNT = ["-icount", "shift=0,align=off,sleep=off"]
IO = ["-display", "none", "-serial", "stdio", "-no-reboot"]

MEASURES = ("icount", "wall")

# Linux's command line: the serial console, no boot chatter, and a panic
# (say, a broken /init) ends the run at once instead of at the timeout.
LINUX_APPEND = "console=ttyS0 quiet panic=-1"


def linux_boot(kernel, initrd):
    """The options that load Linux: a bzImage and the benchmark initramfs."""
    return ["-kernel", kernel, "-initrd", initrd, "-append", LINUX_APPEND]


def metta_boot(iso):
    """The options that load Metta: its bootable ISO."""
    return ["-cdrom", iso]


def command(measure, boot, cpu=CPU):
    """The full QEMU command line for one measure and one system."""
    if measure not in MEASURES:
        raise ValueError("unknown measure " + measure)
    machine = ["-M", "pc", "-accel", "tcg", "-cpu", cpu, "-smp", "1",
               "-m", "512M"]
    return ([QEMU] + machine + (ICOUNT if measure == "icount" else [])
            + IO + boot)


def shell_line(argv):
    """argv as one line that a shell would run unchanged."""
    return " ".join(shlex.quote(a) for a in argv)


class Run:
    """What one boot printed and how it ended."""

    def __init__(self, argv, output, seconds, returncode, timed_out):
        self.argv = argv
        self.output = output
        self.seconds = seconds
        self.returncode = returncode
        self.timed_out = timed_out

    def status(self):
        if self.timed_out:
            return "timed out after %.0f s" % self.seconds
        return "exit %d after %.1f s" % (self.returncode, self.seconds)


def run(argv, timeout, log_path):
    """Boot once: run argv under a timeout, keep everything the serial port
    and QEMU printed (also in log_path), never leave QEMU behind."""
    start = time.monotonic()
    timed_out = False
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    except OSError as e:
        return Run(argv, "cannot start %s: %s\n" % (argv[0], e), 0.0, -1,
                   False)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, _ = proc.communicate()
    seconds = time.monotonic() - start
    text = out.decode("utf-8", "replace").replace("\r", "")
    with open(log_path, "w") as f:
        f.write("# " + shell_line(argv) + "\n" + text)
    return Run(argv, text, seconds, proc.returncode, timed_out)
