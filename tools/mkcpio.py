#!/usr/bin/env python3
"""Write a cpio "newc" archive (the format lib/cpio reads and ramfs loads).

usage: mkcpio.py OUT DIR [DEST=SRC ...]

The archive holds the tree under DIR (directories and regular files; other
kinds are skipped) plus each host file SRC as DEST inside the archive (its
parent directories are added when missing). Modes come from the files;
uid and gid are 0 and every mtime is SOURCE_DATE_EPOCH (default 0), and
entries are sorted with each directory before its contents, so the same
inputs always give the same bytes.
"""
import os
import stat
import sys


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


def collect(root):
    """{archive path: (mode, host path or None)} for the tree under root."""
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
    return entries


def add_extra(entries, dest, src):
    dest = os.path.normpath(dest.strip("/"))
    if dest.startswith("..") or dest == ".":
        sys.exit("mkcpio: bad destination %r" % dest)
    parent = os.path.dirname(dest)
    while parent:
        entries.setdefault(parent, (stat.S_IFDIR | 0o755, None))
        parent = os.path.dirname(parent)
    st = os.stat(src)
    entries[dest] = (stat.S_IFREG | stat.S_IMODE(st.st_mode), src)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    out, root = argv[1], argv[2]
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    entries = collect(root)
    for pair in argv[3:]:
        dest, sep, src = pair.partition("=")
        if not sep or not dest or not src:
            sys.exit("mkcpio: expected DEST=SRC, got %r" % pair)
        add_extra(entries, dest, src)
    blob = [entry(1, ".", stat.S_IFDIR | 0o755, b"", mtime)]
    # Sorting by components puts a directory right before its contents.
    for ino, path in enumerate(sorted(entries, key=lambda p: p.split("/")),
                               start=2):
        mode, host = entries[path]
        data = b""
        if host is not None:
            with open(host, "rb") as f:
                data = f.read()
        blob.append(entry(ino, path, mode, data, mtime))
    blob.append(entry(0, "TRAILER!!!", 0, b"", 0))
    data = b"".join(blob)
    data += b"\0" * (-len(data) % 512)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
