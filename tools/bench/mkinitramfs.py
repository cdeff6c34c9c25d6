#!/usr/bin/env python3
"""Write the Linux benchmark initramfs as an uncompressed newc cpio archive.

Writing the archive ourselves lets it hold /dev/console as a real device
node (no mknod, no root needed) so the kernel can give /init its console.
Uncompressed, because under TCG decompression would only add boot time
that has nothing to do with Linux itself.

  mkinitramfs.py OUT --init BIN --rc SCRIPT --busybox BIN [--bin FILE]...
                [--modules DIR] [--all-applets] [--file DEST=SRC]...

DIR holds kernel modules and the file "order" naming them in load order
(tools/bench/kmods.py); they go to /lib/modules with that file, and the
init script loads them. --all-applets links every applet the busybox
offers (the tests' Linux peers run scripts, tests/run.py), not only the
few the benchmark's script uses; --file adds any file at /DEST.
"""

import argparse
import os
import stat
import subprocess
import sys

# busybox applets the init script uses, as links in /bin.
APPLETS = ["sh", "mount", "umount", "poweroff", "cat", "echo", "ls", "sleep",
           "insmod", "mkdir", "sync", "sed", "ip", "tr"]


class Cpio:
    """A newc ("070701") archive with fixed owners and times, so that the
    same inputs always give the same bytes."""

    def __init__(self, out):
        self.out = out
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out.write(hdr + name_b)
        self._pad(len(hdr) + len(name_b))
        self.out.write(data)
        self._pad(len(data))

    def _pad(self, n):
        self.out.write(b"\0" * (-n % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o755):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def close(self):
        self._entry("TRAILER!!!", 0)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--init", required=True, help="the /init program")
    ap.add_argument("--rc", required=True, help="the script /init runs")
    ap.add_argument("--busybox", required=True, help="a static busybox")
    ap.add_argument("--bin", action="append", default=[],
                    help="a program to put in /bin (repeatable)")
    ap.add_argument("--modules", help="kernel modules and their order file")
    ap.add_argument("--all-applets", action="store_true",
                    help="link every applet of the busybox in /bin")
    ap.add_argument("--file", action="append", default=[],
                    help="DEST=SRC: the file SRC at /DEST (repeatable)")
    args = ap.parse_args()
    applets = APPLETS
    if args.all_applets:
        listed = subprocess.run([args.busybox, "--list"], capture_output=True,
                                text=True, check=True).stdout.split()
        applets = sorted(set(listed) - {"busybox"})

    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        a = Cpio(f)
        for d in ["bin", "dev", "etc", "proc", "sys", "tmp", "mnt", "lib",
                  "lib/modules"]:
            a.dir(d)
        a.chardev("dev/console", 5, 1)
        a.chardev("dev/null", 1, 3, 0o666)
        a.file("init", read(args.init))
        a.file("etc/rc", read(args.rc))
        a.file("bin/busybox", read(args.busybox))
        for applet in applets:
            a.symlink("bin/" + applet, "busybox")
        for path in args.bin:
            a.file("bin/" + os.path.basename(path), read(path))
        if args.modules:
            order = read(os.path.join(args.modules, "order"))
            a.file("lib/modules/order", order, 0o644)
            for name in order.decode().split():
                a.file("lib/modules/%s.ko" % name,
                       read(os.path.join(args.modules, name + ".ko")), 0o644)
        for spec in args.file:
            dest, src = spec.split("=", 1)
            a.file(dest.lstrip("/"), read(src))
        a.close()
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
