"""System tests of the disk: boots with a virtio-blk disk that holds an ext2
file system (made by Debian's mke2fs from the boot archive's tree, as
`make run` makes its disk), the system using it as its root; after a
boot, the host's e2fsck and debugfs judge the image.

A boot's "disk" is {"image": file name under build/tests/disks, "make":
a maker or None (None: the image an earlier boot left)}; its "after" checks
are (name, function(output, image)) pairs run on the host after the boot.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import boots

SBIN = ["/sbin", "/usr/sbin"]
WORKLOAD = "tests/system/files/disk_workload.sh"


def host_tool(name):
    for d in SBIN + os.environ.get("PATH", "").split(":"):
        if d and os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return name


def fresh_disk(size="512M", files=None):
    """A maker of a disk image: the boot archive's tree (with `files`, {path
    in the image: file of the source tree}) made into ext2 by
    tools/mkdisk.sh, the same way as `make run`'s disk."""
    def make(build, path):
        tree = os.path.join(build, "tests", "disktree-" + os.path.basename(path))
        extra = [f"{dest}={boots.ROOT_DIR}/{src}"
                 for dest, src in (files or {}).items()]
        subprocess.run([sys.executable, f"{boots.ROOT_DIR}/tools/mkcpio.py",
                        "--tree", tree, f"{build}/rootfs", *extra,
                        f"@{build}/image-programs", "--manifest",
                        "etc/image-manifest"], check=True)
        if os.path.exists(path):
            os.unlink(path)
        subprocess.run(["sh", f"{boots.ROOT_DIR}/tools/mkdisk.sh", path, tree,
                        size], check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(tree, ignore_errors=True)
    return make


def e2fsck_clean(out, image):
    """The host's e2fsck, forced and read-only, finds nothing wrong."""
    p = subprocess.run([host_tool("e2fsck"), "-fn", image],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return f"e2fsck -fn exit {p.returncode}: " + \
            " | ".join((p.stdout + p.stderr).strip().splitlines()[-6:])
    return None


# ---- the workload's tree, as the host expects it ----

def seq(n):
    return "".join(f"{i}\n" for i in range(1, n + 1)).encode()


def big_file():
    mib = seq(200000)[:1 << 20]
    data = b"".join(b"chunk %d\n" % i + mib for i in range(64))
    return data[:64 << 20]


def expected_tree():
    """{path: bytes} for the regular files, {path: target} for the links,
    {path: count} for the link counts worth checking, after the workload."""
    files = {}
    for a in range(10):
        for b in range(5):
            for c in range(2):
                d = f"/work/a{a}/b{b}/c{c}"
                for f in range(9):
                    files[f"{d}/f{f}"] = \
                        f"file a{a}/b{b}/c{c}/f{f} of the disk workload\n".encode()
                files[f"{d}/f9"] = seq(a * 500 + b * 100 + c * 10 + 9000)

    def move(old, new):
        for p in [p for p in files if p == old or p.startswith(old + "/")]:
            files[new + p[len(old):]] = files.pop(p)
    move("/work/a0/b0/c0/f0", "/work/a9/b4/c1/moved0")
    move("/work/a0/b0/c0/f1", "/work/a0/b0/c0/renamed1")
    move("/work/a1/b1", "/work/a2/b1moved")
    move("/work/a0/b1/c0/f2", "/work/a0/b1/c0/f3")
    for b in range(3):
        del files[f"/work/a3/b{b}/c0/f5"]
    for p in [p for p in files if p.startswith("/work/a4/b4/")]:
        del files[p]

    def truncate(p, n):
        files[p] = files[p][:n] + b"\0" * max(0, n - len(files[p]))
    truncate("/work/a5/b0/c0/f1", 10)
    truncate("/work/a5/b0/c0/f2", 100000)
    truncate("/work/a5/b0/c0/f9", 5000)
    files["/work/a7/b0/c0/hard0"] = files["/work/a6/b0/c0/f0"]
    files["/work/big"] = big_file()
    links = {"/work/a7/b0/c0/sym1": "../../../a6/b0/c0/f1",
             "/work/a7/b0/c0/sym2": "/work/a6/b0/c0/this-is-a-long-target-"
             "name-that-does-not-fit-in-the-inode-itself-at-all"}
    counts = {"/work/a7/b0/c0/hard0": 2, "/work/a6/b0/c0/f0": 2}
    return files, links, counts


def debugfs(image, request):
    p = subprocess.run([host_tool("debugfs"), "-R", request, image],
                       capture_output=True)
    return p.stdout.decode(errors="replace")


def workload_on_disk(out, image):
    """What debugfs reads from the image is what the workload wrote: every
    file's bytes, the links' targets and the hard links' counts, and
    nothing the workload deleted."""
    files, links, counts = expected_tree()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([host_tool("debugfs"), "-R", f"rdump /work {tmp}",
                        image], capture_output=True)
        seen = {}
        for dirpath, _, names in os.walk(os.path.join(tmp, "work")):
            for n in names:
                host = os.path.join(dirpath, n)
                seen["/" + os.path.relpath(host, tmp)] = host
        bad = []
        for p, data in sorted(files.items()):
            host = seen.get(p)
            if host is None or os.path.islink(host):
                bad.append(f"{p} missing")
                continue
            with open(host, "rb") as f:
                got = f.read()
            if got != data:
                bad.append(f"{p}: {len(got)} bytes, md5 "
                           f"{hashlib.md5(got).hexdigest()[:8]}, want "
                           f"{len(data)}, {hashlib.md5(data).hexdigest()[:8]}")
        for p, target in links.items():
            host = seen.get(p)
            if host is None or not os.path.islink(host):
                bad.append(f"{p} is no symbolic link")
            elif os.readlink(host) != target:
                bad.append(f"{p} -> {os.readlink(host)}, want {target}")
        extra = sorted(set(seen) - set(files) - set(links))
        if extra:
            bad.append(f"{len(extra)} files the workload did not leave, "
                       f"e.g. {extra[0]}")
    for p, n in counts.items():
        m = re.search(r"Links: (\d+)", debugfs(image, f"stat {p}"))
        if not m or int(m.group(1)) != n:
            bad.append(f"{p}: link count {m.group(1) if m else '?'}, want {n}")
    if bad:
        return f"{len(bad)} differences: " + "; ".join(bad[:5])
    return None


def big_read_back(out):
    """The guest read the 64 MiB file back with the content written."""
    m = re.search(r"big-md5 ([0-9a-f]{32})", out)
    want = hashlib.md5(big_file()).hexdigest()
    if not m:
        return "no big-md5 line"
    return None if m.group(1) == want else f"md5 {m.group(1)}, want {want}"


def posix_on_ext2(name, image, args, timeout, long=False):
    """A boot running posixtest ARGS in /pt on a fresh ext2 root; the host's
    e2fsck judges the disk afterwards."""
    boot = {
        "name": name,
        "cmdline": "", "smp": 2, "mem": 512,
        "system_modules": disk_system_modules(),
        "modules": {"posixtest": boots.built("modules/posixtest")},
        "disk": {"image": image, "make": fresh_disk("128M")},
        "input": "/bin/busybox mkdir -m 777 /pt\n"
                 f"posixtest {args} /pt\necho status $?\npoweroff\n",
        "timeout": timeout,
        "exit": boots.EXIT_POWEROFF,
        "tests": "POSIX",
        "checks": [("all_passed", boots.matches(r"^(msh\$ )?status 0$"))],
        "after": [("e2fsck_clean", e2fsck_clean)],
    }
    if long:
        boot["long"] = True
    return boot


def disk_system_modules():
    """The system's modules and the disk's driver (pci starts it)."""
    return list(boots.SYSTEM) + ["virtio-blk.drv"]


def boots_list():
    files, _, _ = expected_tree()
    moved = files["/work/a9/b4/c1/moved0"].decode().strip()
    return [
        {
            # ext2.srv as the root over virtio-blk and vdisk, in busybox's
            # shell: mkdir, echo >, cat, ln, ln -s, mv across directories,
            # truncate, rm, ls -l, chmod, sync, statfs, times from tod; e2fsck
            # in the guest on the mounted disk after a sync, and on the host
            # after the clean power-off, with debugfs reading what was left.
            "name": "ext2_shell",
            "cmdline": "init=/bin/sh", "smp": 2, "mem": 512,
            "system_modules": disk_system_modules(),
            "modules": {},
            "disk": {"image": "ext2-shell.img", "make": fresh_disk("64M")},
            "input": ["", "", "",
                      "echo \"old-$(cat /etc/hostname)\"\n",
                      "mkdir -p /e/a/b /e/old && echo one > /e/a/b/f && "
                      "echo \"new-$(cat /e/a/b/f)\"\n",
                      "ln /e/a/b/f /e/hard && ln -s a/b/f /e/sym && "
                      "echo \"sym-$(cat /e/sym)\" && stat -c links-%h /e/hard\n",
                      "mv /e/a/b/f /e/old/moved && echo \"moved-$(cat /e/old/moved)\"\n",
                      "echo 0123456789 > /e/t; truncate -s 4 /e/t; "
                      "echo \"cut-[$(cat /e/t)]\"\n",
                      "rm /e/hard; rm -r /e/a; ls -l /e\n",
                      "chmod 600 /e/t; stat -c mode-%a-%U /e/t\n",
                      "sync /e/t; echo sync-$?\n",
                      "stat -f -c 'fs-%T-%S' /e; ls -ld --full-time /e/t\n",
                      "echo late > /e/late; sync; echo syncall-$?\n",
                      "e2fsck -fn /dev/sd0/data; echo fsck-$?\n",
                      "poweroff\n"],
            "timeout": 300,
            "exit": boots.EXIT_POWEROFF,
            "checks": [
                ("root_is_ext2", boots.contains(
                    "root: the root file system is ext2 on sd0/data")),
                ("reads_mke2fs_files", boots.contains("old-metta")),
                ("write_and_read", boots.contains("new-one")),
                ("hard_link_count", boots.contains("links-2")),
                ("symlink_read", boots.contains("sym-one")),
                ("moved_across", boots.contains("moved-one")),
                ("truncated", boots.contains("cut-[0123]")),
                ("ls_shows_symlink", boots.matches(r"sym -> a/b/f")),
                ("chmod_kept", boots.contains("mode-600-root")),
                ("fsync", boots.contains("sync-0")),
                ("sync", boots.contains("syncall-0")),
                ("statfs_says_ext2", boots.contains("fs-ext2/ext3-4096")),
                ("times_from_tod", lambda out: None if re.search(
                    r" 20\d\d-\d\d-\d\d [\d:.]+ \S+ /e/t", out)
                 else "the file's mtime is not today's"),
                ("e2fsck_in_guest", boots.matches(r"fsck-0\r?$")),
            ],
            "after": [
                ("e2fsck_clean", e2fsck_clean),
                ("moved_on_disk", lambda out, image: None if debugfs(
                    image, "cat /e/old/moved") == "one\n" else "/e/old/moved"),
                ("late_on_disk", lambda out, image: None if debugfs(
                    image, "cat /e/late") == "late\n" else "/e/late"),
                ("truncated_on_disk", lambda out, image: None if debugfs(
                    image, "cat /e/t") == "0123" else "/e/t"),
            ],
        },
        # The POSIX suite (which passes on Linux's file systems) in /pt,
        # a directory (0777: create(5) masks by its permissions) of the
        # ext2 root, but for the tests of what ramfs alone does: its page
        # counts in statfs, shared writable mappings (P9_MEMORY: ext2's
        # objects are copies, so a writer's mapping is the runtime's
        # private copy) and raw 9P to /srv/ramfs.
        posix_on_ext2("posix_suite_ext2", "ext2-posix.img",
                      "-x fs_statfs -x mmap_shared -x shm_open -x p9_",
                      timeout=500, long=True),  # 77 s: `make test LONG=1`
        # Files read from memory on the disk's file system: ext2's copies
        # kept in step with every write (servers/ext2/pages.c), and paths
        # opened again without a call checked against its tree version
        # (runtime/opencache.c): the share_* and reopen_* tests.
        posix_on_ext2("share_ext2", "ext2-share.img",
                      "-t share_ -t reopen_", timeout=300),
        {
            # The workload, then a clean power-off; the host checks.
            "name": "disk_workload",
            "cmdline": "init=/bin/sh", "smp": 2, "mem": 512,
            "system_modules": disk_system_modules(),
            "modules": {},
            "disk": {"image": "workload.img",
                     "make": fresh_disk(files={"bin/disk-workload": WORKLOAD})},
            "input": ["", "", "mount | grep ' / '\n",
                      "sh /bin/disk-workload; echo workload-rc=$?\n",
                      "poweroff\n"],
            "timeout": 600,
            "exit": boots.EXIT_POWEROFF,
            "checks": [
                ("workload_ran", boots.matches(r"^workload-rc=0\r?$")),
                ("big_file_read_back", big_read_back),
            ],
            "after": [
                ("e2fsck_clean", e2fsck_clean),
                ("content_on_disk", workload_on_disk),
            ],
        },
        {
            # The next boot of the same disk reads what the last one wrote.
            "name": "disk_persists",
            "cmdline": "init=/bin/sh", "smp": 2, "mem": 512,
            "system_modules": disk_system_modules(),
            "modules": {},
            "disk": {"image": "workload.img", "make": None},
            "input": ["", "", "cat /work/a9/b4/c1/moved0\n",
                      "echo big-md5 $(md5sum /work/big)\n",
                      "ls /work/a2/b1moved/c1 | wc -l | sed s/^/files-/\n",
                      "echo persisted > /work/again; sync\n",
                      "head -c 4 /dev/sd0/ctl >/dev/null && echo parent-has-sd0\n",
                      "poweroff\n"],
            "timeout": 300,
            "exit": boots.EXIT_POWEROFF,
            "checks": [
                ("file_of_last_boot", boots.matches(
                    r"^" + re.escape(moved) + r"\r?$")),
                ("big_file_of_last_boot", big_read_back),
                ("directory_of_last_boot", boots.matches(r"^files-10\r?$")),
                ("parent_keeps_disk", boots.matches(r"^parent-has-sd0\r?$")),
            ],
            "after": [
                ("e2fsck_clean", e2fsck_clean),
                ("written_this_boot", lambda out, image: None if
                 debugfs(image, "cat /work/again") == "persisted\n" else
                 "/work/again is not on the disk"),
            ],
        },
    ]
