#!/usr/bin/env python3
"""Unpack from a Debian kernel package only the modules asked for and the
modules they depend on, with the order to load them in.

  kmods.py DEB OUTDIR MODULE...

leaves OUTDIR/NAME.ko for each module to load and OUTDIR/order, their
names one a line, every module after those it depends on. A module built
into the kernel (modules.builtin) needs nothing. The package has no
modules.dep (depmod writes it at install time), so the dependencies are
read where depmod reads them: the "depends=" entry of each module's
.modinfo section. Two passes over the package: one to read every
module's dependencies, one to unpack those needed.
"""

import os
import shutil
import struct
import subprocess
import sys
import tarfile


def package_data(deb):
    """A pipe from which the package's data tarball can be read."""
    return subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb],
                            stdout=subprocess.PIPE)


def modinfo(data):
    """The key=value strings of an ELF64 module's .modinfo section."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not an ELF64 module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    names = sections[shstrndx][4]
    for name, _, _, _, off, size in sections:
        end = data.index(b"\0", names + name)
        if data[names + name:end] == b".modinfo":
            return dict(s.decode().split("=", 1)
                        for s in data[off:off + size].split(b"\0")
                        if b"=" in s)
    return {}


def scan(deb):
    """One pass over the package: {module: (path, [dependencies])}, the
    built-in module names and the kernel release."""
    modules, builtin, release = {}, set(), None
    pipe = package_data(deb)
    with tarfile.open(fileobj=pipe.stdout, mode="r|") as tar:
        for m in tar:
            parts = m.name.split("/")
            if parts[:3] != [".", "lib", "modules"] or not m.isfile():
                continue
            release = parts[3]
            data = tar.extractfile(m).read()
            if m.name.endswith(".ko"):
                deps = modinfo(data).get("depends", "")
                modules[norm(parts[-1][:-3])] = (
                    m.name, [norm(d) for d in deps.split(",") if d])
            elif parts[-1] == "modules.builtin":
                builtin = {norm(os.path.basename(line)[:-3])
                           for line in data.decode().split()}
    if pipe.wait() != 0:
        raise SystemExit("kmods: dpkg-deb cannot read " + deb)
    return modules, builtin, release


def load_order(modules, builtin, wanted):
    """The modules to load for wanted, each after its dependencies."""
    order = []

    def visit(name):
        if name in order or name in builtin:
            return
        if name not in modules:
            raise SystemExit("kmods: no module " + name)
        for d in modules[name][1]:
            visit(d)
        order.append(name)
    for name in wanted:
        visit(norm(name))
    return order


def extract(deb, paths, out):
    """Copy the package's files at paths (module paths) into out, flat."""
    want = {p: os.path.basename(p) for p in paths}
    pipe = package_data(deb)
    with tarfile.open(fileobj=pipe.stdout, mode="r|") as tar:
        for m in tar:
            if m.name in want:
                with open(os.path.join(out, want[m.name]), "wb") as f:
                    f.write(tar.extractfile(m).read())
    pipe.wait()


def norm(name):
    return name.replace("-", "_")


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    deb, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    modules, builtin, release = scan(deb)
    order = load_order(modules, builtin, wanted)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    extract(deb, [modules[n][0] for n in order], out)
    names = [os.path.basename(modules[n][0])[:-3] for n in order]
    missing = [n for n in names if not os.path.exists(
        os.path.join(out, n + ".ko"))]
    if missing:
        raise SystemExit("kmods: could not unpack " + " ".join(missing))
    with open(os.path.join(out, "order"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    print("kmods: %s: %s" % (release, " ".join(names)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
