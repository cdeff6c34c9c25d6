#!/usr/bin/env python3
"""Where one call's instructions go: boots an ISO in QEMU (qemu.CPU, one
CPU) stopped at its start, lets gdb run it to the Nth entry of a user
function, then single-steps until that function returns, naming every
instruction's function from the ELF files' symbols. Prints the count per
function (with -s, in the order they ran: runs of one function).

    python3 tools/bench/itrace.py build/bench/metta-bench.iso \\
        --nucleus build/nucleus/nucleus.elf \\
        --user build/user/bench/nbench --user build/user/bench/bchild \\
        --function round_trip_0 --entry 3

User programs share addresses: the first address space (CR3) seen is the
first --user file, the next the second, and so on; a Linux program and
the runtime share one (--user build/bench/bin/bench,build/modules/runtime,
and --within small_batch --entry 2 for bench's file.read4k open). This is how
docs/nucleus.md's breakdown of a portal round trip was counted; its total
agrees with `make bench`'s figure under -icount (which adds the measuring
loop's share).
"""
import argparse
import bisect
import collections
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

KERNEL_HALF = 0xffff800000000000
STEPS_MAX = 40000

GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("target remote :%(port)d")
if %(within)d:
    gdb.execute("hbreak *%(within)d")
    gdb.execute("continue")
    gdb.execute("delete")
gdb.execute("hbreak *%(start)d")
for _ in range(%(entry)d):
    gdb.execute("continue")
gdb.execute("delete")
ret = int(gdb.parse_and_eval("*(unsigned long *)$rsp"))
with open(%(out)r, "w") as out:
    for _ in range(%(steps)d):
        pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
        out.write("%%x %%x\n" %% (pc, int(gdb.parse_and_eval("$cr3"))))
        if pc == ret:
            break
        gdb.execute("stepi", to_string=True)
gdb.execute("kill")
'''


def symbols(elves):
    """Sorted (address, name) of the functions of elves, a comma-separated
    list of ELF files sharing one address space (a Linux program and the
    runtime); with more than one, names carry their file's name."""
    syms = []
    files = elves.split(",")
    for elf in files:
        out = subprocess.run(["nm", "-n", elf], capture_output=True,
                             text=True, check=True).stdout
        tag = os.path.basename(elf) + ":" if len(files) > 1 else ""
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), tag + parts[2]))
    return sorted(syms)


def name_of(syms, pc):
    i = bisect.bisect_right([a for a, _ in syms], pc) - 1
    return syms[i][1] if i >= 0 else "?"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trace(iso, start, entry, within=0):
    """[(pc, cr3)] of one call, from its entry to its return."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "trace")
        script = os.path.join(tmp, "trace.py")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT % {"port": port, "start": start, "entry": entry, "within": within,
                                  "out": out, "steps": STEPS_MAX})
        vm = subprocess.Popen(
            [qemu.QEMU, "-M", "pc", "-accel", "tcg", "-cpu", qemu.CPU,
             "-smp", "1", "-m", "512M", *qemu.ICOUNT, "-display", "none",
             "-serial", "null", "-no-reboot", "-cdrom", iso, "-boot", "d",
             "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1)
            subprocess.run(["gdb", "-batch", "-nx", "-x", script],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=600)
        finally:
            vm.kill()
            vm.wait()
        with open(out) as f:
            return [tuple(int(x, 16) for x in line.split()) for line in f]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("iso")
    ap.add_argument("--nucleus", required=True)
    ap.add_argument("--user", action="append", required=True)
    ap.add_argument("--function", required=True, help="in the first --user")
    ap.add_argument("--entry", type=int, default=3,
                    help="which entry of it to follow (default 3)")
    ap.add_argument("--within", help="a function of the first --user "
                    "entered first: entries of --function are counted from "
                    "there")
    ap.add_argument("-s", "--sequence", action="store_true")
    args = ap.parse_args()
    users = [symbols(u) for u in args.user]
    by_name = dict((n.split(":")[-1], a) for a, n in reversed(users[0]))
    start = by_name[args.function]
    within = by_name[args.within] if args.within else 0
    nucleus = symbols(args.nucleus)
    spaces, counts, runs = [], collections.Counter(), []
    steps = trace(args.iso, start, args.entry, within)
    for pc, cr3 in steps:
        if pc >= KERNEL_HALF:
            name = "nucleus:" + name_of(nucleus, pc)
        else:
            if cr3 not in spaces:
                spaces.append(cr3)
            i = min(spaces.index(cr3), len(users) - 1)
            name = name_of(users[i], pc)
            if ":" not in name:
                name = f"{os.path.basename(args.user[i])}:{name}"
        counts[name] += 1
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    for name, n in (runs if args.sequence else counts.most_common()):
        print(f"{n:6d}  {name}")
    print(f"{len(steps):6d}  in all")


if __name__ == "__main__":
    main()
