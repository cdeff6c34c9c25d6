#!/usr/bin/env python3
"""busybox's own testsuite, run inside Metta (make test-busybox).

The image: the system's file tree (build/rootfs), Debian's busybox-static
with its applet links and bash-static in /bin, as in the normal image, and
under /bbtest what busybox's `runtest` expects one directory up from its
testsuite: `busybox` (a link to /bin/busybox), the `.config` it reads to
skip the tests of what the binary lacks (made here from Debian's build
config, checked against `busybox --list`), `testsuite/` from the source
package Debian built the binary from, and `suite.sh`, init, which runs
`runtest -v` under bash and prints its results between two markers.

The same tree runs first on Linux, in a chroot (its own mount and pid
namespaces; a user namespace too when not root): what Linux reports is the
set of tests that exist, so a test that Metta never reached still counts,
as failed ("not run"). Then Metta boots it (init=/bin/bash,/bbtest/suite.sh)
and the console log is judged against tests/busybox/expected-failures:
every test that does not pass on Metta must be listed there with a reason,
and every listed test must still fail, so the list only shrinks.

Prints one line `busybox testsuite: P passed, F failed, S skipped` and
exits non-zero on an unexpected failure (a test Metta never reached, as
when the run stops early or times out, is one), a listed test that passes
or is skipped, or a Linux run that did not complete. Logs and each failing
test's output (runtest's diff or trace) are kept in build/busybox-test/.

  harness.py [--build B] [--timeout S]          the check above
  harness.py --linux                            the Linux run alone, with counts
  harness.py --regenerate [--reason TEXT]       rewrite expected-failures from a
        run: listed tests that still fail keep their reason, tests failing
        on Linux too get that reason, other new ones get TEXT.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import mkcpio  # noqa: E402
import run as system_tests  # noqa: E402
import boots  # noqa: E402

EXPECTED = os.path.join(HERE, "expected-failures")
SEPARATOR = " :: "  # between a test's name and its reason; no name has it
# A reason that starts so marks a test seen both passing and failing on
# Metta with the same code (timing under TCG): either outcome is taken,
# and the entry stays until its cause is fixed.
FLAKY = "flaky:"
TIMEOUT = 50 * 60   # seconds for one whole run, on Linux or on Metta
BEGIN, END = "BUSYBOX-SUITE BEGIN", "BUSYBOX-SUITE END"
VERDICT = re.compile(r"^(PASS|FAIL|SKIPPED|UNTESTED): (.*)$")
# The verbose preamble testing() prints before each new-style test.
PREAMBLE = "======================"
# Debian's build leaves mdev.tests out (it needs a chroot and mounts).
LEFT_OUT = ["mdev.tests"]


# ---- the image ----

def applet_symbols(src):
    """{CONFIG symbol: applet names} from the `//applet:IF_X(APPLET...(name`
    declarations in busybox's sources."""
    decl = re.compile(r"^//applet:\s*IF_(\w+)\(\s*APPLET\w*\(\s*([^,\s]+)")
    symbols = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".c"):
                continue
            with open(os.path.join(dirpath, f), errors="replace") as fh:
                for line in fh:
                    m = decl.match(line)
                    if m:
                        symbols.setdefault("CONFIG_" + m.group(1), set()).add(m.group(2))
    return symbols


def debian_config(src):
    """Debian's config of the static flavour as its rules make it: the OS
    file, then the flavour's; the first setting of a symbol wins. A list
    of (symbol, value or None for `is not set`) in order."""
    seen, out = set(), []
    setting = re.compile(r"^(?:(CONFIG_\w+)=(.*)|# (CONFIG_\w+) is not set)$")
    for part in ("os/linux", "pkg/static"):
        with open(os.path.join(src, "debian", "config", part)) as f:
            for line in f:
                m = setting.match(line.strip())
                if not m:
                    continue
                sym = m.group(1) or m.group(3)
                if sym not in seen:
                    seen.add(sym)
                    out.append((sym, m.group(2)))
    return out


def make_config(src, busybox):
    """The .config runtest reads: Debian's, with each applet's symbol set
    as the binary really has it (`busybox --list`); a difference is said."""
    listed = set(mkcpio.applet_names(busybox))
    symbols = applet_symbols(src)
    # An applet one of several symbols gives (sh: SH_IS_ASH or SH_IS_HUSH)
    # says nothing about each of them.
    owners = {}
    for sym, applets in symbols.items():
        for a in applets:
            owners.setdefault(a, set()).add(sym)
    symbols = {sym: {a for a in applets if owners[a] == {sym}}
               for sym, applets in symbols.items()}
    symbols = {sym: applets for sym, applets in symbols.items() if applets}
    lines = []
    for sym, value in debian_config(src):
        applets = symbols.get(sym)
        if applets is not None:
            has = bool(applets & listed)
            if has != (value == "y"):
                print(f"busybox-test: {sym} is {value or 'unset'} in Debian's "
                      f"config but the binary {'has' if has else 'lacks'} "
                      f"{' '.join(sorted(applets))}", file=sys.stderr)
            value = "y" if has else None
        lines.append(f"{sym}={value}" if value is not None else f"# {sym} is not set")
    return "\n".join(lines) + "\n"


def build_tree(build, src, tree):
    """The image's file tree in the directory tree (made afresh)."""
    debs = os.path.join(build, "debs")
    if os.path.exists(tree):
        shutil.rmtree(tree)
    shutil.copytree(os.path.join(build, "rootfs"), tree, symlinks=True)
    bindir = os.path.join(tree, "bin")
    os.makedirs(bindir, exist_ok=True)
    shutil.copy2(os.path.join(debs, "busybox"), os.path.join(bindir, "busybox"))
    shutil.copy2(os.path.join(debs, "bash"), os.path.join(bindir, "bash"))
    for name in mkcpio.applet_names(os.path.join(debs, "busybox")):
        link = os.path.join(bindir, name)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    bb = os.path.join(tree, "bbtest")
    os.makedirs(bb)
    os.symlink("/bin/busybox", os.path.join(bb, "busybox"))
    with open(os.path.join(bb, ".config"), "w") as f:
        f.write(make_config(src, os.path.join(debs, "busybox")))
    shutil.copytree(os.path.join(src, "testsuite"), os.path.join(bb, "testsuite"),
                    symlinks=True, ignore=lambda d, names: [n for n in names if n in LEFT_OUT])
    shutil.copy2(os.path.join(HERE, "suite.sh"), os.path.join(bb, "suite.sh"))


# ---- the two runs ----

def run_linux(tree, log, timeout):
    """suite.sh in a chroot of tree, with the host's /dev and a /proc of its
    own pid namespace. (status or None on timeout, output, seconds)"""
    ns = ["unshare", "--mount", "--pid", "--fork", "--kill-child"]
    if os.getuid() != 0:
        ns[1:1] = ["--user", "--map-root-user"]
    inner = ('mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && '
             'exec env -i "$2" "$1" /bin/bash /bbtest/suite.sh')
    start = time.monotonic()
    with open(log, "w") as out:
        try:
            status = subprocess.run([*ns, "sh", "-c", inner, "sh", tree,
                                     shutil.which("chroot") or "/usr/sbin/chroot"],
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            status = None
    with open(log, errors="replace") as f:
        return status, f.read(), time.monotonic() - start


def run_metta(build, work, tree, log, timeout):
    """Metta booted with tree as its root.cpio and suite.sh as init."""
    cpio = os.path.join(work, "root.cpio")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkcpio.py"), cpio, tree],
                   check=True)
    iso = os.path.join(work, "busybox-test.iso")
    cmdline = "init=/bin/bash,/bbtest/suite.sh"
    modules = [os.path.join(build, "modules", m) for m in boots.SYSTEM if m != "root.cpio"]
    subprocess.run(["sh", os.path.join(ROOT, "tools", "mkiso.sh"), iso, cmdline,
                    os.path.join(build, "nucleus", "nucleus.elf"), *modules, cpio],
                   check=True)
    boot = {"name": "busybox_suite", "smp": 2, "mem": 1024, "timeout": timeout}
    return system_tests.boot_qemu(iso, boot, log)


# ---- reading a run ----

def parse(text):
    """(results, complete, failure output): results is a list of (name,
    verdict) in the order printed, a name seen again suffixed ` #2`, ...;
    complete when both markers were printed; failure output maps each
    failing test to the lines around its verdict."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, l in enumerate(lines) if l.strip() == BEGIN), None)
    complete = start is not None and any(l.startswith(END) for l in lines[start:])
    if start is None:
        return [], False, {}
    results, where, count = [], [], {}
    for i in range(start + 1, len(lines)):
        m = VERDICT.match(lines[i])
        if not m:
            continue
        name = m.group(2).strip()
        count[name] = count.get(name, 0) + 1
        if count[name] > 1:
            name = f"{name} #{count[name]}"
        results.append((name, m.group(1)))
        where.append(i)
    output = {}
    for k, (name, verdict) in enumerate(results):
        if verdict != "FAIL":
            continue
        first = where[k - 1] + 1 if k else start + 1
        last = where[k + 1] if k + 1 < len(where) else len(lines)
        # The next test's preamble is its own.
        for j in range(where[k] + 1, last):
            if lines[j] == PREAMBLE:
                last = j
                break
        output[name] = "\n".join(lines[first:last]) + "\n"
    return results, complete, output


def counts(results):
    passed = sum(1 for _, v in results if v == "PASS")
    failed = sum(1 for _, v in results if v == "FAIL")
    return passed, failed, len(results) - passed - failed


def keep_failures(folder, output):
    """Each failing test's output as a file of folder (made afresh)."""
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    for n, (name, text) in enumerate(output.items(), start=1):
        safe = re.sub(r"[^\w.-]+", "_", name)[:80]
        with open(os.path.join(folder, f"{n:04d}-{safe}.txt"), "w") as f:
            f.write(f"FAIL: {name}\n\n{text}")


# ---- judging Metta against the expectations ----

def read_expected(path):
    """{name: reason} from the expectations file."""
    expected = {}
    if not os.path.exists(path):
        return expected
    with open(path) as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            name, sep, reason = line.rpartition(SEPARATOR)
            if not sep or not name or not reason.strip():
                sys.exit(f"{path}:{number}: want NAME{SEPARATOR}REASON, got {line!r}")
            expected[name] = reason.strip()
    return expected


def outcomes(metta, linux):
    """{name: (outcome on Metta, why)}, for every test either run knows:
    PASS, SKIP, or FAIL (failed, never reached, or skipped where Linux
    ran it)."""
    got = dict(metta)
    ran_on_linux = {n for n, v in linux if v in ("PASS", "FAIL")}
    out = {}
    for name in dict.fromkeys([n for n, _ in linux] + [n for n, _ in metta]):
        v = got.get(name)
        if v is None and name in ran_on_linux:
            out[name] = ("FAIL", "not run")
        elif v is None:
            # Skipping depends on the .config alone: Linux's answer holds.
            out[name] = ("SKIP", "not reached, skipped on Linux")
        elif v == "FAIL":
            out[name] = ("FAIL", "failed")
        elif v in ("SKIPPED", "UNTESTED") and name in ran_on_linux:
            out[name] = ("FAIL", f"{v.lower()} on Metta but run on Linux")
        else:
            out[name] = ("PASS" if v == "PASS" else "SKIP", None)
    return out


def judge(out, expected):
    """The complaints: failures not listed, listed tests that pass."""
    problems = []
    for name, (v, why) in out.items():
        if expected.get(name, "").startswith(FLAKY):
            continue
        if v == "FAIL" and name not in expected:
            problems.append(f"unexpected failure: {name} ({why})")
        elif v != "FAIL" and name in expected:
            problems.append(f"listed in expected-failures but {v.lower()}es now: {name}"
                            if v == "PASS" else
                            f"listed in expected-failures but skipped: {name}")
    for name in expected:
        if name not in out:
            problems.append(f"listed in expected-failures but no run knows it: {name}")
    return problems


def write_expected(path, out, expected, linux, reason):
    """The expectations file from a run, grouped by reason."""
    linux_verdict = dict(linux)
    entries, missing = {}, []
    for name, (v, why) in out.items():
        if expected.get(name, "").startswith(FLAKY):
            entries[name] = expected[name]
            continue
        if v != "FAIL":
            continue
        if name in expected:
            entries[name] = expected[name]
        elif linux_verdict.get(name) == "FAIL":
            entries[name] = "fails on Linux too"
        elif reason:
            entries[name] = reason
        else:
            missing.append(name)
    if missing:
        sys.exit(f"busybox-test: {len(missing)} new failures need a reason "
                 f"(--reason TEXT), e.g. {missing[0]!r}")
    for name in entries:
        if SEPARATOR in name:
            sys.exit(f"busybox-test: test name {name!r} holds {SEPARATOR!r}")
    with open(path, "w") as f:
        f.write("# busybox's testsuite on Metta (make test-busybox, tests/busybox/harness.py):\n"
                "# the tests expected not to pass, a line each: the name runtest prints,\n"
                f"# '{SEPARATOR.strip()}', and why. Made by harness.py --regenerate (make\n"
                "# test-busybox BUSYBOX_ARGS=--regenerate); a test that passes must leave\n"
                "# the list. Grouped by what a reason says before its first colon.\n")
        # A group is what a reason says before its first colon.
        group = {n: why.split(":")[0] for n, why in entries.items()}
        for g in sorted(set(group.values())):
            f.write(f"\n# {g}\n")
            for name in sorted((n for n in entries if group[n] == g),
                               key=lambda n: (entries[n], n)):
                f.write(f"{name}{SEPARATOR}{entries[name]}\n")
    print(f"busybox-test: wrote {len(entries)} entries to {path}")


# ---- main ----

SHOWN = 40  # problems printed; all of them go to a file


def report_problems(problems, path):
    with open(path, "w") as f:
        f.writelines(p + "\n" for p in problems)
    for p in problems[:SHOWN]:
        print(f"busybox-test: {p}", file=sys.stderr)
    if len(problems) > SHOWN:
        print(f"busybox-test: ... {len(problems) - SHOWN} more (all in {path})",
              file=sys.stderr)

def one_run(what, status, text, secs, work, results_of):
    """Reads a run's log; its results, or exits when it said nothing."""
    results, complete, output = parse(text)
    keep_failures(os.path.join(work, f"{what}-failures"), output)
    p, f, s = counts(results)
    state = "complete" if complete else (
        "timed out" if status is None else f"incomplete, exit status {status}")
    print(f"busybox-test: {what}: {p} passed, {f} failed, {s} skipped, "
          f"{state}, {secs:.0f} s (log: {os.path.join(work, what + '.log')})",
          flush=True)
    results_of[what] = results
    return complete


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--timeout", type=int, default=TIMEOUT,
                    help="seconds for each run (default %(default)s)")
    ap.add_argument("--linux", action="store_true", help="run on Linux only")
    ap.add_argument("--regenerate", action="store_true",
                    help="rewrite tests/busybox/expected-failures from this run")
    ap.add_argument("--reason", help="reason of new failures when regenerating")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    work = os.path.join(build, "busybox-test")
    os.makedirs(work, exist_ok=True)
    src = os.path.join(build, "src", "busybox")
    tree = os.path.join(work, "root")
    results = {}

    build_tree(build, src, tree)
    if not args.linux:
        # Packed before the Linux run writes into the tree.
        metta_tree = tree + "-metta"
        if os.path.exists(metta_tree):
            shutil.rmtree(metta_tree)
        shutil.copytree(tree, metta_tree, symlinks=True)
    linux_ok = one_run("linux", *run_linux(tree, os.path.join(work, "linux.log"),
                                           args.timeout), work, results)
    if args.linux:
        p, f, s = counts(results["linux"])
        print(f"busybox testsuite on Linux: {p} passed, {f} failed, {s} skipped")
        return 0 if linux_ok else 1
    if not linux_ok:
        print("busybox-test: the Linux run did not complete: the harness is broken",
              file=sys.stderr)
        return 1
    status, text, secs = run_metta(build, work, metta_tree,
                                   os.path.join(work, "metta.log"), args.timeout)
    complete = one_run("metta", status, text, secs, work, results)
    out = outcomes(results["metta"], results["linux"])
    expected = read_expected(EXPECTED)
    if args.regenerate:
        write_expected(EXPECTED, out, expected, results["linux"], args.reason)
        expected = read_expected(EXPECTED)
    problems = judge(out, expected)
    if not complete:
        # Not an error by itself: every test it did not reach is a failure
        # above, which the expectations must list.
        print("busybox-test: the run on Metta did not complete (no end marker"
              + (f", timed out after {args.timeout} s)" if status is None else ")"),
              file=sys.stderr)
    report_problems(problems, os.path.join(work, "problems.txt"))
    p = sum(1 for v, _ in out.values() if v == "PASS")
    f = sum(1 for v, _ in out.values() if v == "FAIL")
    s = len(out) - p - f
    print(f"busybox testsuite: {p} passed, {f} failed, {s} skipped")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
