"""The disk both systems run the disk benchmarks on (the "ext2.*" rows).

Every boot that has a disk gets an image made fresh just before it, by the
same command for both systems and the one that makes `make run`'s disk
(tools/mkdisk.sh: ext2, 4 KiB blocks), from the same source tree: that
tree holds the files the benchmarks read cold (written by `bench -p`, see
bench/disk.c), so on both systems nothing of them is in any cache when
the benchmark starts. The image stays after the boot, for a look with
e2fsck or debugfs.
"""

import os
import shutil
import subprocess

# Room for the cold files (5 x 64 MiB), the written 64 MiB file, the
# cached-read file and the small files, with margin.
SIZE = "512M"
MKDISK = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mkdisk.sh")


def command(path, source):
    """The command that makes the image at path from the tree source."""
    return ["sh", MKDISK, path, source, SIZE]


def make_image(path, source):
    """Make a fresh ext2 image at path holding the tree source. Returns
    None, or what went wrong."""
    if os.path.exists(path):
        os.remove(path)
    argv = command(path, source)
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        return "cannot run %s: %s" % (argv[0], e)
    if done.returncode != 0:
        return "%s failed: %s" % (" ".join(argv), done.stderr.strip())
    return None


def check_image(path):
    """e2fsck -fn on the image a boot left: None if clean, else what it
    said (its last lines). The benchmarks test nothing, but a system that
    leaves its disk damaged should be seen in the report."""
    argv = [shutil.which("e2fsck") or shutil.which(
        "e2fsck", path="/usr/sbin:/sbin") or "e2fsck", "-fn", path]
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        return "cannot run e2fsck: %s" % e
    if done.returncode == 0:
        return None
    lines = (done.stdout + done.stderr).strip().splitlines()
    return "e2fsck -fn exit %d: %s" % (done.returncode,
                                        " / ".join(lines[-3:]))
