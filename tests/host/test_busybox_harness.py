#!/usr/bin/env python3
"""tests/busybox/harness.py, the judge of make test-busybox, on made-up
console logs: verdicts are read between the markers (a name seen again is
told apart), each failure keeps its own output, and the judgement fails
on an unlisted failure, a test never reached, a listed test that passes,
and a bad expectations file; regenerating keeps reasons and wants one for
each new failure; the .config follows the binary's applets. Prints one
PASS/FAIL line per test, as the C host tests do."""
import contextlib
import io
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "busybox"))
import harness  # noqa: E402
import pycheck  # noqa: E402

FAKE = os.path.join(ROOT, "tests", "host", "fake-busybox")

LOG = "\r\n".join([
    "[nucleus] boot noise", "PASS: before the marker",
    harness.BEGIN,
    harness.PREAMBLE, "echo -ne '' | cat", "PASS: cat",
    harness.PREAMBLE, "echo -ne 'a' | sed x", "sed: oops", "FAIL: sed x",
    "--- expected", "+++ actual", "-a",
    harness.PREAMBLE, "echo -ne '' | busybox", "PASS: busybox",
    "PASS: busybox",
    "SKIPPED: tar xz",
    "FAIL: ls-1-works", "+ ls -1", "ls: trace line",
    "UNTESTED: gzip-levels",
    harness.END + " 1", ""])


def parse_verdicts(work):
    results, complete, _ = harness.parse(LOG)
    want = [("cat", "PASS"), ("sed x", "FAIL"), ("busybox", "PASS"),
            ("busybox #2", "PASS"), ("tar xz", "SKIPPED"),
            ("ls-1-works", "FAIL"), ("gzip-levels", "UNTESTED")]
    if results != want:
        return f"results {results}"
    return None if complete else "not complete"


def parse_incomplete(work):
    _, complete, _ = harness.parse(LOG.split(harness.END)[0])
    if complete:
        return "a log without the end marker is complete"
    results, complete, _ = harness.parse("PASS: x\n")
    return None if not results and not complete else "read a log without markers"


def failure_output(work):
    _, _, out = harness.parse(LOG)
    if sorted(out) != ["ls-1-works", "sed x"]:
        return f"output of {sorted(out)}"
    sed, ls = out["sed x"], out["ls-1-works"]
    if "sed: oops" not in sed or "-a" not in sed or "PASS: busybox" in sed:
        return f"sed's output {sed!r}"
    if "ls: trace line" not in ls or "gzip" in ls:
        return f"ls's output {ls!r}"
    harness.keep_failures(os.path.join(work, "f"), out)
    return None if len(os.listdir(os.path.join(work, "f"))) == 2 else "files not kept"


LINUX = [("cat", "PASS"), ("sed x", "PASS"), ("gone", "PASS"), ("opt", "SKIPPED"),
         ("ran", "PASS")]
METTA = [("cat", "PASS"), ("sed x", "FAIL"), ("ran", "SKIPPED")]


def judged(expected):
    return harness.judge(harness.outcomes(METTA, LINUX), expected)


def judge_complaints(work):
    out = harness.outcomes(METTA, LINUX)
    want = {"cat": ("PASS", None), "sed x": ("FAIL", "failed"),
            "gone": ("FAIL", "not run"), "opt": ("SKIP", "not reached, skipped on Linux"),
            "ran": ("FAIL", "skipped on Metta but run on Linux")}
    if out != want:
        return f"outcomes {out}"
    problems = judged({})
    if len(problems) != 3 or not all("unexpected failure" in p for p in problems):
        return f"unlisted failures: {problems}"
    return None


def judge_listed(work):
    listed = {"sed x": "r", "gone": "r", "ran": "r"}
    if judged(listed):
        return f"all listed, yet {judged(listed)}"
    stale = judged({**listed, "cat": "r", "opt": "r", "nosuch": "r"})
    want = ["passes now: cat", "but skipped: opt", "no run knows it: nosuch"]
    if len(stale) != 3 or not all(any(w in p for p in stale) for w in want):
        return f"stale entries: {stale}"
    return None


def judge_flaky(work):
    """A flaky entry takes either outcome, and regeneration keeps it."""
    listed = {"sed x": "r", "gone": "r", "ran": "r", "cat": "flaky: timing"}
    if judged(listed):
        return f"flaky entry complained of: {judged(listed)}"
    path = os.path.join(work, "expected")
    with contextlib.redirect_stdout(io.StringIO()):
        harness.write_expected(path, harness.outcomes(METTA, LINUX), listed,
                               LINUX, "new: r")
    got = harness.read_expected(path)
    return None if got.get("cat") == "flaky: timing" else f"wrote {got}"


def expectations_file(work):
    path = os.path.join(work, "expected")
    with open(path, "w") as f:
        f.write("# comment\n\nsed x :: needs fork: why\na :: b :: c\n")
    got = harness.read_expected(path)
    if got != {"sed x": "needs fork: why", "a :: b": "c"}:
        return f"read {got}"
    with open(path, "a") as f:
        f.write("no reason here\n")
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            harness.read_expected(path)
    except SystemExit as e:
        return None if ":5: want NAME" in str(e) else f"said {e}"
    return "a line without a reason was taken"


def regenerate(work):
    path = os.path.join(work, "expected")
    out = harness.outcomes(METTA, LINUX)
    linux = LINUX + [("both", "FAIL")]
    out["both"] = ("FAIL", "failed")
    try:
        harness.write_expected(path, out, {}, linux, None)
        return "new failures without a reason were taken"
    except SystemExit as e:
        if "need a reason" not in str(e) or os.path.exists(path):
            return f"said {e}, or wrote the file"
    with contextlib.redirect_stdout(io.StringIO()):
        harness.write_expected(path, out, {"sed x": "kept: old", "cat": "x: y"}, linux, "new: r")
    got = harness.read_expected(path)
    want = {"sed x": "kept: old", "gone": "new: r", "ran": "new: r",
            "both": "fails on Linux too"}
    return None if got == want else f"wrote {got}"


def config_follows_binary(work):
    src = os.path.join(work, "src")
    os.makedirs(os.path.join(src, "debian", "config", "os"))
    os.makedirs(os.path.join(src, "debian", "config", "pkg"))
    os.makedirs(os.path.join(src, "shell"))
    with open(os.path.join(src, "debian", "config", "os", "linux"), "w") as f:
        f.write("# CONFIG_LS is not set\n")
    with open(os.path.join(src, "debian", "config", "pkg", "static"), "w") as f:
        f.write("CONFIG_LS=y\nCONFIG_CAT=y\nCONFIG_SH_IS_ASH=y\n"
                "# CONFIG_SH_IS_HUSH is not set\nCONFIG_FEATURE_X=y\n")
    with open(os.path.join(src, "shell", "a.c"), "w") as f:
        f.write("//applet:IF_LS(APPLET(ls, BB_DIR_BIN, BB_SUID_DROP))\n"
                "//applet:IF_CAT(APPLET_NOFORK(cat, cat, BB_DIR_BIN, BB_SUID_DROP, cat))\n"
                "//applet:IF_SH_IS_ASH(APPLET_ODDNAME(sh, ash, BB_DIR_BIN, BB_SUID_DROP, ash))\n"
                "//applet:IF_SH_IS_HUSH(APPLET_ODDNAME(sh, hush, BB_DIR_BIN, BB_SUID_DROP, hush))\n")
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        config = harness.make_config(src, FAKE)  # lists busybox sh ls bash
    want = ("CONFIG_LS=y\n# CONFIG_CAT is not set\nCONFIG_SH_IS_ASH=y\n"
            "# CONFIG_SH_IS_HUSH is not set\nCONFIG_FEATURE_X=y\n")
    if config != want:
        return f"config {config!r}"
    lines = said.getvalue().splitlines()
    if len(lines) != 2 or "CONFIG_LS" not in lines[0] or "CONFIG_CAT" not in lines[1]:
        return f"said {lines}"
    return None


TESTS = {
    "parse_verdicts": parse_verdicts,
    "parse_incomplete": parse_incomplete,
    "failure_output": failure_output,
    "judge_complaints": judge_complaints,
    "judge_listed": judge_listed,
    "judge_flaky": judge_flaky,
    "expectations_file": expectations_file,
    "regenerate": regenerate,
    "config_follows_binary": config_follows_binary,
}


def main():
    return pycheck.run(TESTS)


if __name__ == "__main__":
    sys.exit(main())
