"""The report: a table on the terminal, results.md, results.json and, when
there is anything to plot, a PNG of the Metta/Linux ratios."""

import json
import os
import subprocess
import sys

MISSING = "n/a"
HEADER = ["benchmark", "unit", "Metta", "Linux", "Metta/Linux"]


def number(value, unit):
    """A figure as people read it: whole instructions with separators,
    times and rates with as many decimals as they need."""
    if unit == "instructions" or abs(value) >= 1000:
        return "{:,.0f}".format(value)
    if abs(value) >= 100:
        return "{:.0f}".format(value)
    if abs(value) >= 10:
        return "{:.1f}".format(value)
    return "{:.2f}".format(value)


def cell(fig, unit):
    if fig is None:
        return MISSING
    text = number(fig.median, unit)
    spread = fig.spread()
    if spread is not None:
        text += " ±{:.1f}%".format(spread * 100)
    return text


def ratio(r):
    return MISSING if r is None else "{:.2f}".format(r)


def cells(row):
    return [row["what"], row["unit"], cell(row["metta"], row["unit"]),
            cell(row["linux"], row["unit"]), ratio(row["ratio"])]


def text_table(rows):
    """Plain columns for the terminal."""
    lines = [HEADER] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    out = []
    for n, line in enumerate(lines):
        left = line[0].ljust(widths[0]) + "  " + line[1].ljust(widths[1])
        right = "  ".join(c.rjust(w) for c, w in zip(line[2:], widths[2:]))
        out.append(left + "  " + right)
        if n == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)


def md_table(rows):
    out = ["| " + " | ".join(HEADER) + " |",
           "| --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        out.append("| " + " | ".join(cells(r)) + " |")
    return "\n".join(out)


def json_rows(rows):
    def value(fig):
        if fig is None:
            return None
        if fig.median == int(fig.median):
            return int(fig.median)
        return round(fig.median, 3)
    return [{"name": r["name"], "unit": r["unit"], "metta": value(r["metta"]),
             "linux": value(r["linux"]),
             "ratio": None if r["ratio"] is None else round(r["ratio"], 4)}
            for r in rows]


def write_json(path, rows):
    with open(path, "w") as f:
        json.dump(json_rows(rows), f, indent=1)
        f.write("\n")


def write_md(path, rows, facts, commands, runs, notes):
    """results.md: the table, then everything needed to repeat it."""
    out = ["# Metta and Linux benchmarks", ""]
    out += ["- %s: %s" % kv for kv in facts]
    out += ["", md_table(rows), ""]
    out += ["Ratios below 1 favour Metta for instructions, ns and ms; above 1"
            " for MB/s. Wall-time cells show the median of the rounds and"
            " ± half their range. n/a: the system gave no figure.",
            "Instructions are guest TSC ticks under -icount; every iteration"
            " of a rep string instruction counts as one, and boot figures"
            " also count idle waits in virtual ns (see bench/README.md).",
            ""]
    if notes:
        out += ["## Notes", ""] + ["- " + n for n in notes] + [""]
    out += ["## QEMU command lines", ""]
    for label, line in commands:
        out += ["%s:" % label, "", "```", line, "```", ""]
    out += ["## Runs", "", "| run | result | serial log |",
            "| --- | --- | --- |"]
    out += ["| %s | %s | %s |" % r for r in runs]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# Units where more is better: their ratio is turned over in the picture so
# that every bar reads the same way (left of 1: Metta better).
RATE_UNITS = ("MB/s",)
MATPLOTLIB = "/usr/lib/python3/dist-packages/matplotlib/__init__.py"
DEBIAN_PYTHON = "/usr/bin/python3"


def cost_ratio(row):
    """Metta's cost over Linux's: the ratio, turned over for a rate."""
    return 1.0 / row["ratio"] if row["unit"] in RATE_UNITS else row["ratio"]


def write_png(path, rows, setup):
    """A bar chart of the ratios with matplotlib (Debian's
    python3-matplotlib, installed when missing), one horizontal bar per row
    from 1 to the ratio on a log scale, so that 2x better and 2x worse are
    the same length, with 1.0 marked. Returns what happened."""
    data = [(r["name"] + " (" + r["unit"] + ")"
             + (", Linux/Metta" if r["unit"] in RATE_UNITS else ""),
             cost_ratio(r)) for r in rows
            if r["ratio"] is not None and r["ratio"] > 0]
    if os.path.exists(path):
        os.remove(path)
    if not data:
        return "no ratios yet, so no plot"
    if subprocess.call(["sh", setup, MATPLOTLIB, "python3-matplotlib"]) != 0:
        return "matplotlib could not be installed, so no plot"
    # A child process of Debian's own interpreter, which the package is
    # for (the runner's python3 may be another), and which sees a package
    # installed a moment ago.
    python = DEBIAN_PYTHON if os.path.exists(DEBIAN_PYTHON) else sys.executable
    status = subprocess.run([python, __file__, "--png", path],
                            input=json.dumps(data).encode()).returncode
    if status != 0 or not os.path.exists(path):
        return "matplotlib failed, so no plot"
    return "plot of the ratios in " + path


def draw_png(path, data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [label for label, _ in data]
    values = [value for _, value in data]
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.3 * len(data)))
    ys = range(len(data))
    ax.barh(ys, [v - 1 for v in values], left=1, height=0.7,
            color=["#2a7a2a" if v <= 1 else "#b03030" for v in values])
    for y, v in zip(ys, values):
        ax.text(max(v, 1) * 1.03, y, "%.2fx" % v, va="center", fontsize=8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log", base=2)
    lo, hi = min(values + [1]), max(values + [1])
    ax.set_xlim(lo / 1.5, hi * 2.5)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.axvline(1.0, color="black", linewidth=1.2)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Metta / Linux (left of 1.0: Metta better; green: at or "
                 "under Linux's cost)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--png":
    draw_png(sys.argv[2], json.load(sys.stdin))
