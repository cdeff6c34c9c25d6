"""The report: a table on the terminal, results.md, results.json and, when
there is anything to plot, a PNG of the Metta/Linux ratios."""

import json
import os
import subprocess

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


def write_png(path, rows, setup):
    """A bar chart of the ratios with gnuplot, installed when missing.
    Returns a message saying what happened."""
    data = [(r["name"] + " (" + r["unit"] + ")", r["ratio"]) for r in rows
            if r["ratio"] is not None and r["ratio"] > 0]
    if os.path.exists(path):
        os.remove(path)
    if not data:
        return "no ratios yet, so no plot"
    if subprocess.call(["sh", setup, "gnuplot", "gnuplot-nox"]) != 0:
        return "gnuplot could not be installed, so no plot"
    dat = path + ".dat"
    with open(dat, "w") as f:
        for label, value in data:
            f.write('"%s" %g\n' % (label, value))
    # One horizontal bar per row from 1 to the ratio, on a log scale so
    # that 2x better and 2x worse are the same length.
    script = "\n".join([
        "set terminal png noenhanced size 1000,%d" % (120 + 24 * len(data)),
        "set output '%s'" % path,
        "set title 'Metta / Linux  (left of 1: Metta better, except MB/s)'",
        "set style fill solid 0.6",
        "set logscale x 2",
        "set yrange [%d:-1]" % len(data),
        "set format x '%g'",
        "set grid xtics",
        "set key off",
        "set arrow from 1, graph 0 to 1, graph 1 nohead",
        "plot '%s' using 2:0:($2<1?$2:1):($2>1?$2:1):($0-0.35):($0+0.35):"
        "yticlabels(1) with boxxyerror" % dat,
    ])
    status = subprocess.run(["gnuplot"], input=script.encode()).returncode
    os.remove(dat)
    if status != 0 or not os.path.exists(path):
        return "gnuplot failed, so no plot"
    return "plot of the ratios in " + path
