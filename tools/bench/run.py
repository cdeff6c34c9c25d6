#!/usr/bin/env python3
"""Boot Linux and Metta under the same QEMU settings, collect their BENCH
lines and write the comparison (see bench/README.md).

  run.py --out DIR --kernel BZIMAGE --initrd CPIO [--metta-iso ISO]...
         [--metta-disk-iso ISO] [--disk-source DIR] [--rounds N]

Several Metta ISOs are booted one after the other for each measure and
their figures taken together (the first to give a figure wins). With
--disk-source, Linux and the Metta disk ISO boot with a disk: an ext2 image
made fresh before every such boot from that directory (disk.py).

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
    image made fresh before it (or None) and done(text, raw), which says
    whether its output looks complete."""

    def __init__(self, options, done, image=None, source=None,
                 timeout=None):
        self.image = image
        self.source = source
        self.options = options + (qemu.disk(image) if image else [])
        self.done = done
        self.timeout = timeout  # None: the system's


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
        self.ok = bool(boots)
        self.problem = None
        self.remarks = []       # what else the notes should say

    def measure(self, measure, label, out, runs):
        figures, mhz = {}, None
        for i, boot in enumerate(self.boots):
            one, m = self.measure_boot(measure, label + ("" if i == 0 else
                                                         " part %d" % (i + 1)),
                                       boot, out, runs)
            for name, value in one.items():
                figures.setdefault(name, value)
            mhz = mhz or m
        (self.icount if measure == "icount" else self.wall).append(figures)
        return mhz

    def measure_boot(self, measure, label, boot, out, runs):
        argv = qemu.command(measure, boot.options, self.cpu)
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
        if boot.image and not any(n.startswith(DISK_ROWS) for n in raw):
            self.remark_no_disk(label, run)
        elif boot.image:
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
                self.ok = False     # do not repeat a broken boot
        if measure == "wall" and raw and not mhz:
            say("%s: no TSC rate reported, times are missing" % label)
        return figures, mhz


    def remark_no_disk(self, label, run):
        """Note why a boot with a disk gave no disk figures: the suite's
        first complaint, or how the boot ended."""
        why = [line for line in run.output.splitlines()
               if line.startswith("bench: ")]
        self.remarks.append("%s: no disk figures (%s)." % (
            label, why[0][len("bench: "):] if why else run.status()))


# The disk rows' names (bench/disk.c).
DISK_ROWS = "ext2."


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
                                   if args.metta_disk_iso else [])
    isos = []
    for i, given in enumerate(given_isos):
        if os.path.exists(given):
            isos.append(os.path.join(args.out, "metta-%d.iso" % (i + 1)))
            shutil.copyfile(given, isos[-1])
    iso = isos[0] if isos else None
    src = args.disk_source

    def image(system):
        return os.path.join(args.out, system + "-disk.img") if src else None
    disk_timeout = args.disk_timeout if src else None
    linux = System("Linux", [Boot(qemu.linux_boot(args.kernel, args.initrd),
                                  linux_done, image("linux"), src,
                                  disk_timeout)],
                   args.cpu, args.linux_timeout)
    metta_boots = []
    for copy, given in zip(isos, given_isos):
        if given == args.metta_disk_iso:
            if src:
                metta_boots.append(Boot(qemu.metta_boot(copy),
                                        metta_init_done, image("metta"), src,
                                        disk_timeout))
        else:
            metta_boots.append(Boot(qemu.metta_boot(copy), metta_done))
    metta = System("Metta", metta_boots, args.cpu, args.metta_timeout)
    if not iso:
        metta.problem = "no ISO (`make iso` failed, or none was given)"
    systems = [metta, linux]
    runs = []
    mhz = {}

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
                                                 args.cpu))))

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
