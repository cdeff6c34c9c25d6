"""Reading benchmark output and turning it into the figures of the report.

A system reports results as lines anywhere in its serial output:
    BENCH name=<id> unit=<unit> value=<n> [more key=value...]
unit "tsc" is raw time stamp counter ticks, converted here according to
the measure; any other unit is taken as it stands. A tsc line may carry
elapsed=<n>: then value is busy ticks (the CPU's idle time left out, which
under -icount makes them instructions) and elapsed the ticks including the
waits, which the wall-time measure reports instead (a network round trip). Metta's banner line
"boot: <ms> ms from reset to banner (tsc <N>)" gives boot.banner, and
"tsc: <MHz> MHz" its TSC rate.
"""

import re
import statistics

BENCH_RE = re.compile(r"BENCH name=(\S+) unit=(\S+) value=([0-9.eE+-]+)(.*)")
ELAPSED_RE = re.compile(r" elapsed=([0-9]+)")
BANNER_RE = re.compile(
    r"boot: ([0-9.]+) ms from reset to banner \(tsc ([0-9]+)\)")
TSC_MHZ_RE = re.compile(r"tsc: ([0-9.]+) MHz")

MIB = 1 << 20

# The rows of the report, in order: (id, description, kind). kind says what
# a TSC figure becomes in the wall measure: "boot" (ms since reset), "op"
# (ns per operation) or a byte count (MB/s). Names that a system prints and
# that are not listed here are added after these, as "op" rows.
ROWS = [
    ("boot.banner", "boot: reset to first banner (Metta only)", "boot"),
    ("boot.first_user", "boot: reset to first user instruction", "boot"),
    ("boot.shell", "boot: reset to shell prompt", "boot"),
    ("syscall.null", "null system call (getppid)", "op"),
    ("nucleus.null", "nucleus null call (Metta only)", "op"),
    ("pipe.rtt", "pipe round trip, 1 byte", "op"),
    ("futex.rtt", "futex round trip, two threads", "op"),
    ("unix.rtt", "unix stream socket round trip, 1 byte", "op"),
    ("yield.pair", "sched_yield pair, two processes", "op"),
    ("portal.rtt0", "portal round trip, 0 B (Metta only)", "op"),
    ("portal.rtt4k", "portal round trip, 4 KiB (Metta only)", "op"),
    ("thread.switch", "thread switch by yield (Metta only)", "op"),
    ("event.wake", "event wake-up (Metta only)", "op"),
    ("fault.anon", "anonymous page fault", "op"),
    ("fault.pager", "fault to user pager and back (Metta only)", "op"),
    ("proc.fork", "fork + _exit + waitpid", "op"),
    ("proc.spawn", "posix_spawn + waitpid", "op"),
    ("proc.exec", "fork + execve + waitpid", "op"),
    ("thread.create", "pthread_create + pthread_join", "op"),
    ("file.read4k", "open + read 4 KiB + close", "op"),
    ("file.pread4k", "pread 4 KiB, file open", "op"),
    ("file.read1m.4k", "read 1 MiB in 4 KiB reads", MIB),
    ("file.read1m.64k", "read 1 MiB in 64 KiB reads", MIB),
    ("net.tcp.rtt1", "TCP round trip, 1 byte, with the host", "op"),
    ("net.tcp.stream", "TCP stream to the host, per KiB", 1024),
]
KIND = {r[0]: r[2] for r in ROWS}


def parse(text):
    """The raw results in one boot's output: ({name: (unit, value)}, MHz or
    None). A later line for the same name wins. A line's elapsed ticks
    are kept as NAME + ELAPSED."""
    raw = {}
    mhz = None
    for m in BENCH_RE.finditer(text):
        name, unit, value = m.group(1), m.group(2), float(m.group(3))
        if name == "tsc.mhz":
            mhz = value
            continue
        raw[name] = (unit, value)
        raw.pop(name + ELAPSED, None)
        e = ELAPSED_RE.search(m.group(4))
        if e and unit == "tsc":
            raw[name + ELAPSED] = (unit, float(e.group(1)))
    m = BANNER_RE.search(text)
    if m and "boot.banner" not in raw:
        raw["boot.banner"] = ("tsc", float(m.group(2)))
        raw["boot.banner.ms"] = ("ms", float(m.group(1)))
    m = TSC_MHZ_RE.search(text)
    if m and mhz is None:
        mhz = float(m.group(1))
    return raw, mhz


# The key suffix of a row's elapsed ticks in parse's results.
ELAPSED = "@elapsed"


def convert(raw, mhz, measure):
    """{name: (unit, value)} in the units of the report for one measure.
    Under icount TSC ticks are instructions; in wall time they become ms,
    ns or MB/s by the row's kind, which needs the TSC rate. A row with
    elapsed ticks reports its busy ticks under icount (instructions) and
    its elapsed ones in wall time."""
    out = {}
    for name, (unit, value) in raw.items():
        if name == "boot.banner.ms" or name.endswith(ELAPSED):
            continue
        if measure == "wall" and name + ELAPSED in raw:
            value = raw[name + ELAPSED][1]
        if unit != "tsc":
            out[name] = (unit, value)
        elif measure == "icount":
            out[name] = ("instructions", value)
        elif mhz and value > 0:
            kind = KIND.get(name, "op")
            if kind == "boot":
                out[name] = ("ms", value / (mhz * 1000.0))
            elif kind == "op":
                out[name] = ("ns", value * 1000.0 / mhz)
            else:
                out[name] = ("MB/s", kind * mhz / value)
    # Without a TSC rate Metta's own millisecond figure still tells the boot.
    if (measure == "wall" and "boot.banner" not in out
            and "boot.banner.ms" in raw):
        out["boot.banner"] = raw["boot.banner.ms"]
    return out


class Figure:
    """One cell: the median of a side's runs and their spread."""

    def __init__(self, values):
        self.values = values
        self.median = statistics.median(values)

    def spread(self):
        """Half the range of the runs relative to the median, or None."""
        if len(self.values) < 2 or self.median == 0:
            return None
        return (max(self.values) - min(self.values)) / 2 / abs(self.median)


def combine(runs):
    """Merge one side's converted runs: {(name, unit): Figure}."""
    cells = {}
    for figures in runs:
        for name, (unit, value) in figures.items():
            cells.setdefault((name, unit), []).append(value)
    return {k: Figure(v) for k, v in cells.items()}


def row_unit(name, measure):
    """The unit a row has in a measure when no side reported it."""
    if measure == "icount":
        return "instructions"
    kind = KIND.get(name, "op")
    return {"boot": "ms", "op": "ns"}.get(kind, "MB/s")


def table(measure, metta, linux):
    """The rows of one measure: dicts with name, what, unit, metta, linux
    (Figure or None) and ratio (or None). Every catalogue row appears, with
    missing figures as None; unknown names follow in the order seen."""
    names = [r[0] for r in ROWS]
    what = {r[0]: r[1] for r in ROWS}
    for side in (metta, linux):
        for name, _ in side:
            if name not in names:
                names.append(name)
    rows = []
    for name in names:
        units = {u for side in (metta, linux) for (n, u) in side
                 if n == name} or {row_unit(name, measure)}
        for unit in sorted(units):
            m = metta.get((name, unit))
            lx = linux.get((name, unit))
            ratio = None
            if m and lx and lx.median:
                ratio = m.median / lx.median
            rows.append({"name": name, "what": what.get(name, name),
                         "unit": unit, "metta": m, "linux": lx,
                         "ratio": ratio})
    return rows
