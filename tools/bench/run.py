#!/usr/bin/env python3
"""Boot Linux and Metta under the same QEMU settings, collect their BENCH
lines and write the comparison (see bench/README.md).

  run.py --out DIR --kernel BZIMAGE --initrd CPIO [--metta-iso ISO]...
         [--metta-disk-iso ISO] [--disk-source DIR] [--net]
         [--metta-net-iso ISO] [--rounds N]

Several Metta ISOs are booted one after the other for each measure and
their figures taken together (the first to give a figure wins). With
--disk-source, Linux and the Metta disk ISO boot with a disk: an ext2 image
made fresh before every such boot from that directory (disk.py). With
--net, Linux and the Metta net ISO boot with a network card on QEMU's user
network, and a peer program on the host's 127.0.0.1 (hostnet.py) answers
the network rows; the port it got reaches Linux on its command line and
Metta in its ISO's (a copy with NET_PLACEHOLDER replaced). Linux runs
them in a boot of their own; both systems' network boots count
instructions under qemu.ICOUNT_REALTIME.

First each system boots once under -icount (instructions), then both boot
N times in turn without it, A B A B (wall time). A Metta that is missing or
fails leaves its rows n/a; a failing Linux is an error.
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import time

# The sibling modules, without leaving compiled copies in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import disk      # noqa: E402
import qemu      # noqa: E402
import report    # noqa: E402
import results   # noqa: E402

# The project's installer of missing Debian packages (takes extra needs).
SETUP = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "setup.sh")


def say(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class Boot:
    """One boot a system takes per measure: its QEMU options, the disk
    image made fresh before it (or None), done(text, raw), which says
    whether its output looks complete, and the groups of rows it is there
    for ({row prefix: what}), whose absence the notes explain."""

    def __init__(self, options, done, image=None, source=None,
                 timeout=None, expects=None, icount=None):
        self.image = image
        self.source = source
        self.options = options + (qemu.disk(image) if image else [])
        self.done = done
        self.timeout = timeout  # None: the system's
        self.expects = expects or {}
        self.icount = icount  # -icount options other than qemu.ICOUNT
        self.ok = True  # False once its instruction-count boot failed


class System:
    """One side of the comparison and everything its boots gave."""

    def __init__(self, name, boots, cpu, timeout):
        self.name = name
        self.cpu = cpu
        self.boots = boots or []  # the Boots it takes for each measure
        self.boot = boots[0] if boots else None
        self.timeout = timeout
        self.icount = []        # converted results, one dict per boot
        self.wall = []
        self.ok = bool(boots)  # False: no boot of it is worth repeating
        self.problem = None
        self.remarks = []       # what else the notes should say

    def measure(self, measure, label, out, runs):
        figures, mhz = {}, None
        for i, boot in enumerate(self.boots):
            if not boot.ok:
                continue
            one, m = self.measure_boot(measure, label + ("" if i == 0 else
                                                         " part %d" % (i + 1)),
                                       boot, out, runs)
            for name, value in one.items():
                figures.setdefault(name, value)
            mhz = mhz or m
        (self.icount if measure == "icount" else self.wall).append(figures)
        return mhz

    def measure_boot(self, measure, label, boot, out, runs):
        argv = qemu.command(measure, boot.options, self.cpu, boot.icount)
        log = os.path.join(out, "logs", label.replace(" ", "-") + ".log")
        if boot.image:
            problem = disk.make_image(boot.image, boot.source)
            if problem:
                say("%s: %s" % (label, problem))
                self.problem = "%s: no disk image: %s" % (label, problem)
                self.ok = False
                return {}, None
        say("%s: booting (%s)" % (label, "instructions" if measure ==
                                  "icount" else "wall time"))
        run = qemu.run(argv, boot.timeout or self.timeout, log,
                       lambda text: boot.done(text, results.parse(text)[0]))
        raw, mhz = results.parse(run.output)
        done = boot.done(run.output, raw)
        complete = done and run.ending == "exit"
        status = run.status() + ("" if complete else ", incomplete output")
        figures = results.convert(raw, mhz, measure)
        for prefix, what in boot.expects.items():
            if not any(n.startswith(prefix) for n in raw):
                self.remark_missing(label, run, what)
        if boot.image and any(n.startswith(DISK_ROWS) for n in raw):
            damage = disk.check_image(boot.image)
            if damage:
                self.remarks.append("%s: its disk afterwards: %s" % (
                    label, damage))
        say("%s: %s, %d figure%s" % (label, status, len(figures),
                                        "" if len(figures) == 1 else "s"))
        runs.append((label, status, log))
        if not complete:
            self.problem = "%s: %s (see %s)" % (label, status, log)
            if measure == "icount" and (not done or run.ending == "timeout"):
                boot.ok = False     # do not repeat a broken boot
                self.ok = any(b.ok for b in self.boots)
        if measure == "wall" and raw and not mhz:
            say("%s: no TSC rate reported, times are missing" % label)
        return figures, mhz


    def remark_missing(self, label, run, what):
        """Note why a boot gave none of the figures it is there for: the
        suite's first complaint, or how the boot ended."""
        why = [line for line in run.output.splitlines()
               if line.startswith("bench: ")]
        self.remarks.append("%s: no %s figures, not run (%s)." % (
            label, what, why[0][len("bench: "):] if why else run.status()))


# The disk rows' and the network rows' names (bench/disk.c, bench/net.c).
DISK_ROWS = "ext2."
NET_ROWS = "net."
# What the Metta net ISO's command line has where the host peer's address
# goes (bench/bench.mk): the same length as any 10.0.2.2:PORT with the
# port in five digits (the suite reads them as decimal).
NET_PLACEHOLDER = b"10.0.2.2:00000"
NET_TIMEOUT = 300  # s, for a boot that runs the network rows


def start_peer():
    """Start the host's peer (hostnet.py) on 127.0.0.1: (process, port)."""
    proc = subprocess.Popen([sys.executable, "-B", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "hostnet.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "port":
        proc.kill()
        raise SystemExit("bench: the host's network peer did not start")
    return proc, int(line[1])


def patch_net_iso(path, port):
    """Put the peer's address into a copy of the Metta net ISO, in place
    of NET_PLACEHOLDER (in its GRUB configuration, plain in the ISO's file
    system). None, or what went wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if data.count(NET_PLACEHOLDER) != 1:
        return "%s holds %s %d times, not once" % (
            path, NET_PLACEHOLDER.decode(), data.count(NET_PLACEHOLDER))
    with open(path, "wb") as f:
        f.write(data.replace(NET_PLACEHOLDER, b"10.0.2.2:%05d" % port))
    return None


def linux_done(text, raw):
    """The suite ran to its end (the init script prints this)."""
    return "BENCH-END status=0" in text


def metta_done(text, raw):
    """The banner is there and, if Metta started the suite, it ended."""
    return "boot.banner" in raw and ("BENCH-START" not in text
                                     or "BENCH-END" in text)


def metta_init_done(text, raw):
    """The suite, run as init, ended: proc says so before powering off
    (the disk rows can be silent for long, so the banner is not enough)."""
    return "boot.banner" in raw and "init ended with status" in text


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def qemu_version():
    try:
        out = subprocess.run([qemu.QEMU, "--version"], capture_output=True,
                             text=True).stdout
        return out.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def read_first_line(path, default):
    try:
        with open(path) as f:
            return f.readline().strip() or default
    except OSError:
        return default


def measure_all(systems, args, runs, mhz):
    """Each system once under icount, then args.rounds wall-time rounds,
    the systems in turn; the TSC rates of the wall-time runs into mhz."""
    for s in systems:
        if s.ok:
            s.measure("icount", s.name.lower() + " icount", args.out, runs)
    for n in range(1, args.rounds + 1):
        for s in systems:
            if s.ok:
                m = s.measure("wall", "%s wall %d" % (s.name.lower(), n),
                              args.out, runs)
                if m:
                    mhz.setdefault(s.name, []).append(m)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--metta-iso", action="append", default=[])
    ap.add_argument("--metta-disk-iso",
                    help="a Metta ISO that runs the disk rows on the disk")
    ap.add_argument("--disk-source",
                    help="the tree each fresh disk image is made from")
    ap.add_argument("--net", action="store_true",
                    help="run the network rows (a card and the host peer)")
    ap.add_argument("--metta-net-iso",
                    help="a Metta ISO that runs the network rows")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu", default=qemu.CPU,
                    help="QEMU -cpu model for both systems (default %(default)s)")
    ap.add_argument("--linux-timeout", type=float, default=240)
    ap.add_argument("--metta-timeout", type=float, default=120)
    ap.add_argument("--disk-timeout", type=float, default=480,
                    help="for a boot with a disk (either system)")
    args = ap.parse_args()

    start = time.monotonic()
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    notes = []

    # Boot a copy, so that every Metta run is of the same image even if
    # the ISO is rebuilt meanwhile.
    given_isos = args.metta_iso + ([args.metta_disk_iso]
                                   if args.metta_disk_iso else []) + (
        [args.metta_net_iso] if args.metta_net_iso and args.net else [])
    isos = []
    for i, given in enumerate(given_isos):
        if os.path.exists(given):
            isos.append(os.path.join(args.out, "metta-%d.iso" % (i + 1)))
            shutil.copyfile(given, isos[-1])
    iso = isos[0] if isos else None
    src = args.disk_source
    peer, append, net_options = None, "", []
    if args.net:
        peer, port = start_peer()
        append = "bench.net=10.0.2.2:%d" % port
        net_options = qemu.net()
        say("the host's network peer listens on 127.0.0.1:%d" % port)

    def image(system):
        return os.path.join(args.out, system + "-disk.img") if src else None
    disk_timeout = args.disk_timeout if src else None
    linux_boots = [Boot(qemu.linux_boot(args.kernel, args.initrd),
                        linux_done, image("linux"), src, disk_timeout,
                        {DISK_ROWS: "disk"} if src else None)]
    if args.net:
        # Only the network rows (bench.only), under ICOUNT_REALTIME.
        linux_boots.append(Boot(qemu.linux_boot(
            args.kernel, args.initrd, append + " bench.only=net")
            + net_options, linux_done, timeout=NET_TIMEOUT,
            expects={NET_ROWS: "network"}, icount=qemu.ICOUNT_REALTIME))
    linux = System("Linux", linux_boots, args.cpu, args.linux_timeout)
    metta_boots = []
    for copy, given in zip(isos, given_isos):
        if given == args.metta_disk_iso:
            if src:
                metta_boots.append(Boot(qemu.metta_boot(copy),
                                        metta_init_done, image("metta"), src,
                                        disk_timeout, {DISK_ROWS: "disk"}))
        elif given == args.metta_net_iso:
            problem = patch_net_iso(copy, port)
            if problem:
                notes.append("Metta: network rows not run: " + problem)
            else:
                metta_boots.append(Boot(qemu.metta_boot(copy) + net_options,
                                        metta_init_done, timeout=NET_TIMEOUT,
                                        expects={NET_ROWS: "network"},
                                        icount=qemu.ICOUNT_REALTIME))
        else:
            metta_boots.append(Boot(qemu.metta_boot(copy), metta_done))
    metta = System("Metta", metta_boots, args.cpu, args.metta_timeout)
    if not iso:
        metta.problem = "no ISO (`make iso` failed, or none was given)"
    systems = [metta, linux]
    runs = []
    mhz = {}

    try:
        measure_all(systems, args, runs, mhz)
    finally:
        if peer:
            peer.stdin.close()
            peer.wait()

    rows = []
    measures = [m for m in qemu.MEASURES if m == "icount" or args.rounds > 0]
    for measure in measures:
        rows += results.table(measure,
                              results.combine(getattr(metta, measure)),
                              results.combine(getattr(linux, measure)))

    for s in systems:
        if s.problem:
            notes.append("%s: %s; its rows are n/a where it gave no"
                         " figure." % (s.name, s.problem))
        notes += ["%s: %s" % (s.name, r) for r in s.remarks]
    for name, values in mhz.items():
        notes.append("%s TSC rate in the wall-time runs: %s MHz." % (
            name, ", ".join("%.1f" % v for v in values)))

    elapsed = time.monotonic() - start
    facts = [
        ("date", datetime.datetime.now(datetime.timezone.utc)
         .strftime("%Y-%m-%d %H:%M UTC")),
        ("host CPU", host_cpu()),
        ("QEMU", qemu_version()),
        ("Linux", read_first_line(os.path.join(
            os.path.dirname(args.kernel), "version"), args.kernel)
         + ", kernel command line `%s`" % qemu.LINUX_APPEND),
        ("Metta", "; ".join("%s (a copy of %s)" % (c, g) for c, g in
                            zip(isos, given_isos)) if isos
         else "not booted"),
        ("disk", "a fresh ext2 image for every boot with a disk: `%s`"
         % " ".join(disk.command("IMG", src)) if src else "none"),
        ("network", "QEMU's user network (`%s`); the host's peer "
         "(tools/bench/hostnet.py) on 127.0.0.1, reached as 10.0.2.2"
         % " ".join(qemu.net()) if args.net else "none"),
        ("measures", "instructions: one boot each under -icount; wall time:"
         " %d rounds, Metta and Linux in turn" % args.rounds),
        ("each figure", "median of 11 batches inside one boot (the 64 MiB"
         " disk rows 3, create1000.fsync 9)"),
        ("run time", "%.0f s for all boots" % elapsed),
    ]
    commands = []
    for measure in measures:
        for s in (metta, linux):
            for i, boot in enumerate(s.boots or [Boot(
                    qemu.metta_boot("build/metta.iso"), metta_done)]):
                commands.append(("%s, %s%s%s" % (
                    s.name, measure, " (part %d)" % (i + 1) if i else "",
                    "" if s.boot else " (not run)"),
                    qemu.shell_line(qemu.command(measure, boot.options,
                                                 args.cpu, boot.icount))))

    md = os.path.join(args.out, "results.md")
    js = os.path.join(args.out, "results.json")
    png = os.path.join(args.out, "ratios.png")
    report.write_md(md, rows, facts, commands, runs, notes)
    report.write_json(js, rows)
    plot = report.write_png(png, rows, SETUP)

    print()
    print(report.text_table(rows))
    print()
    for n in notes:
        print("note: " + n)
    print("bench: %s, %s; %s; %.0f s" % (md, js, plot, elapsed))
    if not linux.ok or linux.problem:
        say("the Linux side failed: " + (linux.problem or "no figures"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
