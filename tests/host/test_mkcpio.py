#!/usr/bin/env python3
"""tools/mkcpio.py: bad arguments and a bad busybox are refused with a
reason and write nothing; the same inputs give the same bytes; the
manifest names each copied file with its size and CRC-32. (What the
archive holds is checked through lib/cpio by test_cpio.) Prints one
PASS/FAIL line per test, as the C host tests do."""
import os
import subprocess
import sys
import zlib

import pycheck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MKCPIO = os.path.join(ROOT, "tools", "mkcpio.py")
FAKE = os.path.join(ROOT, "tests", "host", "fake-busybox")


def mkcpio(work, *args, env=None):
    """Runs mkcpio on the tree work/tree into work/out.cpio."""
    return subprocess.run(
        [sys.executable, "-B", MKCPIO, os.path.join(work, "out.cpio"),
         os.path.join(work, "tree"), *args],
        capture_output=True, text=True, env=dict(os.environ, **(env or {})))


def refused(args, message, env=None):
    """A test: mkcpio fails, says message and leaves no archive."""
    def test(work):
        p = mkcpio(work, *args, env=env)
        out = os.path.join(work, "out.cpio")
        if p.returncode == 0:
            return "exit status 0"
        if message not in p.stderr or "Traceback" in p.stderr:
            return f"stderr {p.stderr.strip()!r} lacks {message!r}"
        if os.path.exists(out) or os.path.exists(out + ".tmp"):
            return "an archive was written"
        return None
    return test


def archives(work, *arglists):
    """The archive each argument list makes, or the first failure's text."""
    outs = []
    for args in arglists:
        p = mkcpio(work, *args)
        if p.returncode:
            return f"status {p.returncode}: {p.stderr.strip()}"
        with open(os.path.join(work, "out.cpio"), "rb") as f:
            outs.append(f.read())
    return outs


def same_bytes(work):
    args = ["bin/x=" + FAKE, "--applets", "bin/busybox=" + FAKE]
    outs = archives(work, args, args)
    if isinstance(outs, str):
        return outs
    return None if outs[0] == outs[1] else "two runs differ"


def manifest_lines(work):
    p = mkcpio(work, "opt/a=" + FAKE, "--manifest", "m")
    if p.returncode:
        return f"status {p.returncode}: {p.stderr.strip()}"
    with open(FAKE, "rb") as f:
        data = f.read()
    want = b"/opt/a %d %08x\n" % (len(data), zlib.crc32(data))
    with open(os.path.join(work, "out.cpio"), "rb") as f:
        archive = f.read()
    return None if want in archive else f"no manifest line {want!r}"


def arguments_from_file(work):
    """@FILE gives the arguments in FILE, one a line: the same archive."""
    args = ["bin/x=" + FAKE, "--link", "bin/y=x", "--applets",
            "bin/busybox=" + FAKE, "--manifest", "m"]
    listed = os.path.join(work, "args")
    with open(listed, "w") as f:
        f.write("".join(a + "\n" for a in args[:-2]))
    outs = archives(work, args, ["@" + listed] + args[-2:])
    if isinstance(outs, str):
        return outs
    return None if outs[0] == outs[1] else "the archives differ"


TESTS = {
    "arguments_from_file": arguments_from_file,
    "missing_arguments_file": refused(["@/nonexistent/args"],
                                      "No such file or directory"),
    "same_inputs_same_bytes": same_bytes,
    "manifest_size_and_crc": manifest_lines,
    "pair_without_equals": refused(["bin/x"], "expected DEST=SRC"),
    "destination_outside": refused(["../x=" + FAKE], "bad destination"),
    "destination_root": refused(["/=" + FAKE], "bad destination"),
    "link_without_target": refused(["--link", "bin/sh"], "expected DEST=TARGET"),
    "missing_source": refused(["bin/x=/nonexistent/file"], "mkcpio: no such file"),
    "not_a_directory": refused([], "is not a directory"),
    "busybox_fails": refused(["--applets", "bin/busybox=" + FAKE],
                             "cannot run", {"FAKE_FAIL": "1"}),
    "busybox_without_sh": refused(["--applets", "bin/busybox=" + FAKE],
                                  "has no sh applet", {"FAKE_APPLETS": "ls cat"}),
    "applet_name_with_slash": refused(["--applets", "bin/busybox=" + FAKE],
                                      "bad applet name",
                                      {"FAKE_APPLETS": "sh ../../etc/x"}),
}


def main():
    def prepare(name, work):
        if name != "not_a_directory":
            os.mkdir(os.path.join(work, "tree"))
    return pycheck.run(TESTS, prepare)


if __name__ == "__main__":
    sys.exit(main())
