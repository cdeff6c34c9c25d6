#!/usr/bin/env python3
"""Write a cpio "newc" archive (the format lib/cpio reads and ramfs loads).

usage: mkcpio.py OUT DIR [DEST=SRC ...] [--link DEST=TARGET ...]
                 [--applets DEST=BUSYBOX ...] [--manifest DEST] [--tree]
                 [@FILE ...]

The archive holds the tree under DIR (directories, regular files and
symbolic links; other kinds are skipped) plus:
  DEST=SRC               the host file SRC as DEST (its parent directories
                         are added when missing);
  --link DEST=TARGET     a symbolic link DEST whose target is TARGET;
  --applets DEST=BUSYBOX the host file BUSYBOX as DEST, and beside it a
                         symbolic link to it for each applet name that
                         `BUSYBOX --list` prints (run here, on the build
                         host), except names already taken by another
                         entry; busybox must have an `sh` applet;
  --manifest DEST        a file listing each host file added with DEST=SRC
                         or --applets as a line "/DEST SIZE CRC32" (the
                         size in decimal, zlib's CRC-32 in 8 hex digits),
                         so a test inside the system can check them;
  @FILE                  the arguments in FILE, one a line (the build
                         keeps the image's programs so, for the system
                         tests' own archives).
A symbolic link is stored as newc does: mode 0120777, its target as the
data. Modes come from the files; uid and gid are 0 and every mtime is
SOURCE_DATE_EPOCH (default 0), and entries are sorted with each directory
before its contents, so the same inputs always give the same bytes.

With --tree, OUT is a directory (made anew) that gets the same entries as
files, directories and links instead of an archive: the disk image's
contents (mke2fs -d), so that the disk and the boot archive hold the same
system.
"""
import argparse
import os
import stat
import subprocess
import sys
import zlib

LINK_MODE = stat.S_IFLNK | 0o777


def header(ino, mode, size, namesize, mtime):
    fields = [ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, mtime, size,
              0, 0, 0, 0, namesize, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * (-n % 4)


def entry(ino, name, mode, data, mtime):
    nameb = name.encode() + b"\0"
    out = header(ino, mode, len(data), len(nameb), mtime) + nameb
    out += pad4(len(out))
    return out + data + pad4(len(data))


# Each entry of the archive is {archive path: (mode, source)}, the source
# None for a directory, a host path (str) for a file to copy, or the data
# itself (bytes) for a link's target or a generated file.

def collect(root):
    """The entries of the tree under root."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for name in dirnames + filenames:
            host = os.path.join(dirpath, name)
            st = os.lstat(host)
            path = os.path.normpath(os.path.join(rel, name))
            if stat.S_ISDIR(st.st_mode):
                entries[path] = (stat.S_IFDIR | stat.S_IMODE(st.st_mode), None)
            elif stat.S_ISREG(st.st_mode):
                entries[path] = (stat.S_IFREG | stat.S_IMODE(st.st_mode), host)
            elif stat.S_ISLNK(st.st_mode):
                entries[path] = (LINK_MODE, os.fsencode(os.readlink(host)))
    return entries


def archive_path(dest):
    """dest as a path inside the archive, or exit when it leaves it."""
    path = os.path.normpath(dest.strip("/"))
    if not dest.strip("/") or path == "." or path.split("/")[0] == "..":
        sys.exit("mkcpio: bad destination %r" % dest)
    return path


def add(entries, dest, mode, source):
    """Adds one entry and any missing parent directories; its path."""
    path = archive_path(dest)
    parent = os.path.dirname(path)
    while parent:
        entries.setdefault(parent, (stat.S_IFDIR | 0o755, None))
        parent = os.path.dirname(parent)
    entries[path] = (mode, source)
    return path


def add_file(entries, dest, src):
    if not os.path.isfile(src):
        sys.exit("mkcpio: no such file: %s" % src)
    st = os.stat(src)
    return add(entries, dest, stat.S_IFREG | stat.S_IMODE(st.st_mode), src)


def pair(text, what):
    """DEST and the other half of DEST=..., or exit."""
    dest, sep, other = text.partition("=")
    if not sep or not dest or not other:
        sys.exit("mkcpio: expected DEST=%s, got %r" % (what, text))
    return dest, other


def applet_names(busybox):
    """What `busybox --list` prints, one name a line; exits on trouble.
    It runs as argv[0] "busybox" whatever the file is called (busybox picks
    the applet by argv[0])."""
    try:
        out = subprocess.run(["busybox", "--list"], executable=busybox,
                             capture_output=True, check=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as e:
        sys.exit("mkcpio: cannot run %s --list: %s" % (busybox, e))
    names = out.decode().split()
    for name in names:
        if "/" in name or name in (".", ".."):
            sys.exit("mkcpio: %s lists a bad applet name %r" % (busybox, name))
    if "sh" not in names:
        sys.exit("mkcpio: %s has no sh applet" % busybox)
    return names


def add_applets(entries, dest, busybox):
    """busybox as dest and a link beside it per applet not yet taken."""
    path = add_file(entries, dest, busybox)
    folder, target = os.path.dirname(path), os.path.basename(path)
    skipped = []
    for name in applet_names(busybox):
        link = os.path.join(folder, name)
        if link == path:  # busybox lists itself
            continue
        if link in entries:
            skipped.append(name)
            continue
        entries[link] = (LINK_MODE, target.encode())
    if skipped:
        print("mkcpio: applets left out, their names taken in /%s: %s" %
              (folder, " ".join(sorted(skipped))), file=sys.stderr)
    return path


def manifest(entries, paths):
    lines = []
    for path in sorted(p for p in paths if isinstance(entries[p][1], str)):
        with open(entries[path][1], "rb") as f:
            data = f.read()
        lines.append("/%s %d %08x\n" % (path, len(data), zlib.crc32(data)))
    return "".join(lines).encode()


def parse(argv):
    ap = argparse.ArgumentParser(prog="mkcpio.py", fromfile_prefix_chars="@")
    ap.add_argument("out")
    ap.add_argument("root")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--link", action="append", default=[])
    ap.add_argument("--applets", action="append", default=[])
    ap.add_argument("--manifest")
    ap.add_argument("--tree", action="store_true")
    return ap.parse_args(argv[1:])


def build(args):
    """The entries the arguments ask for."""
    if not os.path.isdir(args.root):
        sys.exit("mkcpio: %s is not a directory" % args.root)
    entries = collect(args.root)
    copied = [add_file(entries, *pair(f, "SRC")) for f in args.files]
    for link in args.link:
        dest, target = pair(link, "TARGET")
        add(entries, dest, LINK_MODE, target.encode())
    # Applets last: only names nothing else has taken become links.
    for applets in args.applets:
        copied.append(add_applets(entries, *pair(applets, "BUSYBOX")))
    if args.manifest:
        add(entries, args.manifest, stat.S_IFREG | 0o644,
            manifest(entries, copied))
    return entries


def source_data(source):
    """An entry's data: a link's target or generated bytes, or a file's."""
    if isinstance(source, str):
        with open(source, "rb") as f:
            return f.read()
    return source or b""


def write_tree(out, entries, mtime):
    """The entries as a directory tree under out (made anew)."""
    import shutil
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    ordered = sorted(entries, key=lambda p: p.split("/"))
    for path in ordered:
        mode, source = entries[path]
        host = os.path.join(out, path)
        if stat.S_ISDIR(mode):
            os.makedirs(host, exist_ok=True)
        elif stat.S_ISLNK(mode):
            os.symlink(os.fsdecode(source), host)
        else:
            with open(host, "wb") as f:
                f.write(source_data(source))
    # Modes and times last: a directory's own mode may forbid writing in it.
    for path in reversed(ordered):
        mode, _ = entries[path]
        host = os.path.join(out, path)
        if not stat.S_ISLNK(mode):
            os.chmod(host, stat.S_IMODE(mode))
        os.utime(host, (mtime, mtime), follow_symlinks=False)
    os.chmod(out, 0o755)
    os.utime(out, (mtime, mtime))


def main(argv):
    args = parse(argv)
    entries = build(args)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    if args.tree:
        write_tree(args.out, entries, mtime)
        return
    blob = [entry(1, ".", stat.S_IFDIR | 0o755, b"", mtime)]
    # Sorting by components puts a directory right before its contents.
    for ino, path in enumerate(sorted(entries, key=lambda p: p.split("/")),
                               start=2):
        mode, source = entries[path]
        blob.append(entry(ino, path, mode, source_data(source), mtime))
    blob.append(entry(0, "TRAILER!!!", 0, b"", 0))
    data = b"".join(blob)
    data += b"\0" * (-len(data) % 512)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main(sys.argv)
