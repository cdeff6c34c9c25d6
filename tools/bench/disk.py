"""The disk both systems run the disk benchmarks on (the "ext2.*" rows).

Every boot that has a disk gets an image made fresh just before it, by the
same command for both systems, from the same source directory: that
directory holds the files the benchmarks read cold (written by
`bench -p`, see bench/disk.c), so on both systems nothing of them is in any
cache when the benchmark starts. The image stays after the boot, for a
look with e2fsck or debugfs.
"""

import os
import shutil
import subprocess

# Room for the cold files (5 x 64 MiB), the written 64 MiB file, the
# cached-read file and the small files, with margin.
SIZE = "512M"
# ext2 with 4 KiB blocks and mke2fs's other defaults for ext2 (Debian's
# mke2fs.conf: sparse_super, large_file, filetype, resize_inode, dir_index,
# ext_attr). -d copies a directory tree into the new file system.
MKE2FS_OPTIONS = ["-q", "-F", "-t", "ext2", "-b", "4096"]


def mke2fs():
    """mke2fs, which a user's PATH may lack (it lives in /sbin)."""
    return (shutil.which("mke2fs")
            or shutil.which("mke2fs", path="/usr/sbin:/sbin") or "mke2fs")


def make_image(path, source):
    """Make a fresh ext2 image at path holding the tree source. Returns
    None, or what went wrong."""
    if os.path.exists(path):
        os.remove(path)
    argv = [mke2fs()] + MKE2FS_OPTIONS + ["-d", source, path, SIZE]
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        return "cannot run mke2fs: %s" % e
    if done.returncode != 0:
        return "%s failed: %s" % (" ".join(argv), done.stderr.strip())
    return None

