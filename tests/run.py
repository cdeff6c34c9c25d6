#!/usr/bin/env python3
"""Metta's test harness.

1. Host unit tests: every build/host-tests/test_* binary (pure modules built
   for Linux with AddressSanitizer and UBSan); each prints PASS/FAIL lines.
2. Fuzzing: every build/fuzz/fuzz_NAME libFuzzer binary runs for a bounded
   time (FUZZ_SECONDS, default 15) from the seeds in tests/fuzz/corpus/NAME;
   a crash fails it and leaves the input in build/fuzz/.
3. System tests: the boots in tests/system/boots.py, each a real ISO booted
   in QEMU under TCG with a timeout, judged from the serial output and
   QEMU's exit status. A boot with peers starts several machines together
   on one Ethernet on 127.0.0.1 (tests/multivm.py): Metta's and Linux's,
   each judged by its own expectations; the boot passes when all pass.

Prints one line per test and last `N passed, N failed`; exits non-zero on
any failure or timeout.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "system"))
import boots  # noqa: E402
import multivm  # noqa: E402

BOOT_TIMEOUT = 120  # seconds; a boot takes 1-3 s under TCG
INPUT_PAUSE = 3     # seconds between chunks of console input
# What shows that the console's reader is there: msh's ready line or a
# shell's prompt (a boot may name its own "ready" pattern).
READY = r"msh: ready|^[^\n\[]*[#$] "
READY_TIMEOUT = 30  # seconds
ISO_LOCK = threading.Lock()  # boots may share a test module's file


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def result(self, name, reason=None):
        if reason is None:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {reason}", flush=True)


def run_host_tests(build, tally):
    bindir = os.path.join(build, "host-tests")
    binaries = sorted(f for f in os.listdir(bindir) if f.startswith("test_"))
    if not binaries:
        tally.result("host", "no host test binaries built")
    for b in binaries:
        group = "host/" + b[len("test_"):]
        try:
            p = subprocess.run([os.path.join(bindir, b)], capture_output=True,
                               text=True, timeout=120)
        except subprocess.TimeoutExpired:
            tally.result(group, "timed out")
            continue
        seen = 0
        for line in p.stdout.splitlines():
            m = re.match(r"(PASS|FAIL) (\S+)(?:: (.*))?$", line)
            if m:
                seen += 1
                tally.result(f"{group}/{m.group(2)}",
                             None if m.group(1) == "PASS" else m.group(3))
        # A sanitizer report or crash ends the binary early: that fails too.
        if p.returncode != 0 and "FAIL" not in p.stdout:
            tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
            tally.result(f"{group}/exit", f"status {p.returncode}: {tail}")
        elif seen == 0:
            tally.result(group, "printed no results")


def run_fuzzers(build, tally):
    fuzzdir = os.path.join(build, "fuzz")
    if not os.path.isdir(fuzzdir):
        return
    seconds = int(os.environ.get("FUZZ_SECONDS", "15"))
    for b in sorted(f for f in os.listdir(fuzzdir) if f.startswith("fuzz_")):
        name = b[len("fuzz_"):]
        seeds = os.path.join(ROOT, "tests", "fuzz", "corpus", name)
        # New inputs go to a scratch folder so the tree's corpus stays put.
        scratch = os.path.join(fuzzdir, name + "-new")
        os.makedirs(scratch, exist_ok=True)
        cmd = [os.path.join(fuzzdir, b), f"-max_total_time={seconds}",
               "-print_final_stats=1",
               "-artifact_prefix=" + os.path.join(fuzzdir, name + "-"),
               scratch, seeds]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            tally.result(f"fuzz/{name}", "timed out")
            continue
        runs = re.search(r"stat::number_of_executed_units:\s+(\d+)",
                         p.stderr)
        if p.returncode != 0:
            crash = re.search(r"Test unit written to (\S+)", p.stderr)
            tally.result(f"fuzz/{name}", f"status {p.returncode}, input "
                         f"{crash.group(1) if crash else 'not saved'}")
        elif not runs or int(runs.group(1)) == 0:
            tally.result(f"fuzz/{name}", "ran no inputs")
        else:
            tally.result(f"fuzz/{name}", None)
            print(f"  fuzz/{name}: {runs.group(1)} inputs in {seconds} s",
                  flush=True)


def make_iso(build, boot, nucleus):
    with ISO_LOCK:
        return make_iso_unlocked(build, boot, nucleus)


def make_iso_unlocked(build, boot, nucleus):
    iso = os.path.join(build, "tests", boot["name"] + ".iso")
    modules = []
    modules_from_build = [os.path.join(build, "modules", m)
                          for m in boot.get("system_modules", [])]
    for name, make in boot.get("modules", {}).items():
        path = os.path.join(build, "tests", "modules", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        make(build, path)
        modules.append(path)
    subprocess.run(["sh", os.path.join(ROOT, "tools", "mkiso.sh"), iso,
                    boot["cmdline"], nucleus, *modules_from_build, *modules],
                   check=True)
    return iso


def monitor_session(path, steps, transcript, ready=None):
    """Talks to QEMU's monitor: (seconds to wait, command) steps, the first
    counted from when ready() returns (the shell is there); what the
    monitor answers is appended to transcript."""
    import socket
    for _ in range(100):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            break
        except OSError:
            time.sleep(0.1)
    else:
        return
    s.settimeout(0.3)
    if ready:
        ready()
    for delay, command in steps:
        time.sleep(delay)
        try:
            s.sendall(command.encode() + b"\n")
        except OSError:
            return  # the machine is gone
        time.sleep(0.2)
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                transcript.append(data.decode(errors="replace"))
        except OSError:
            pass
    s.close()


def prepare_disk(build, boot):
    """The boot's disk image (tests/system/disk_boots.py): made anew when
    the boot has a maker, else the one an earlier boot left. Its path, or
    None; raises RuntimeError when there is no image to use."""
    disk = boot.get("disk")
    if not disk:
        return None
    path = os.path.join(build, "tests", "disks", disk["image"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if disk.get("make"):
        disk["make"](build, path)
    elif not os.path.exists(path):
        raise RuntimeError(f"no image {path}: the boot that makes it did not run")
    return path


def wait_ready(log, pattern, proc):
    """Holds the first console input until the shell is there (its
    prompt), so that a slow boot does not take lines typed too early
    together with a later ^C, which throws away what was typed before it.
    Gives up after READY_TIMEOUT and types anyway."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log, errors="replace") as f:
            if re.search(pattern, f.read(), re.M):
                return
        time.sleep(0.1)


def prompts(log, pattern):
    """How many prompts (lines the ready pattern matches) log holds."""
    with open(log, errors="replace") as f:
        return len(re.findall(pattern, f.read(), re.M))


def type_input(p, log, chunks, boot):
    """Types the boot's console input: the first chunk once the shell is
    there, each later one INPUT_PAUSE seconds after the last. A "paced"
    boot (a list of shell commands, each ending at a prompt) instead types
    a chunk only once a prompt has come since the last one was typed (at
    most READY_TIMEOUT later), so that a loaded machine running a command
    longer than the pause never gets the next line's echo in the middle of
    its output ("paced" may be the prompt's pattern, READY by default).
    Empty chunks are pauses."""
    pattern = boot.get("ready", READY)
    paced = boot.get("paced", False)
    prompt = paced if isinstance(paced, str) else pattern
    waited, seen = False, 0
    for i, chunk in enumerate(chunks):
        if i:
            time.sleep(INPUT_PAUSE)  # lets the last chunk's program start
        if chunk and not waited:
            wait_ready(log, pattern, p)
            waited = True
        elif chunk and paced:
            deadline = time.monotonic() + READY_TIMEOUT
            while (prompts(log, prompt) <= seen and p.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.1)
        if chunk:
            seen = prompts(log, prompt)
        p.stdin.write(chunk.encode())
        p.stdin.flush()


def wait_process(p, timeout, stop=None):
    """p's exit status, or None if it ran past timeout seconds or stop
    (a threading.Event) was set: then it is killed, with its group."""
    end = time.monotonic() + timeout
    while True:
        try:
            return p.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if time.monotonic() >= end or (stop and stop.is_set()):
                os.killpg(p.pid, 9)
                p.wait()
                return None


def boot_qemu(iso, boot, log, disk=None, net=None, stop=None):
    """Boot iso as boot says: (QEMU's status or None at the timeout, the
    serial output, seconds). net: QEMU options of a network card (a
    multi-VM boot's); stop: an Event that ends the machine early."""
    # A machine on a multi-VM Ethernet has that card alone (NET=none).
    env = dict(os.environ, ACCEL="tcg", TESTEXIT="1",
               SMP=str(boot.get("smp", 2)), MEM=f"{boot.get('mem', 512)}M",
               ICOUNT="1" if boot.get("icount") else "0", DISK=disk or "",
               NET="none" if net else boot.get("net", ""))
    start = time.monotonic()
    extra, transcript, helper = list(net or []), [], None
    for device in boot.get("devices", ()):
        extra += ["-device", device]
    if boot.get("monitor"):
        sock = log + ".monitor"
        if os.path.exists(sock):
            os.unlink(sock)
        extra += ["-monitor", f"unix:{sock},server,nowait"]
        helper = threading.Thread(target=monitor_session,
                                  args=(sock, boot["monitor"], transcript,
                                        lambda: wait_ready(log, boot.get("ready", READY), p)))
    # A host-side program the guest talks to (boot key "host": an object
    # with start(), giving {name: value} put into the input's {name}s,
    # and stop()); it binds 127.0.0.1 only.
    host = boot.get("host")
    values = host.start() if host else {}
    env["HOSTFWD"] = values.pop("hostfwd", "")
    with open(log, "w") as out:
        # Console input, if any, is typed at the serial port; its end
        # reaches the console as ^D (tools/qemu.sh).
        p = subprocess.Popen(["sh", os.path.join(ROOT, "tools", "qemu.sh"), iso, *extra],
                             stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        if helper:
            helper.start()
        chunks = boot.get("input", "")
        chunks = [chunks] if isinstance(chunks, str) else chunks
        for name, value in values.items():
            chunks = [c.replace("{" + name + "}", str(value)) for c in chunks]
        type_input(p, log, chunks, boot)
        p.stdin.close()
        status = wait_process(p, boot.get("timeout", BOOT_TIMEOUT), stop)
    if helper:
        helper.join()
    if host:
        host.stop()
    with open(log, errors="replace") as f:
        text = f.read().replace("\r\n", "\n")
    if transcript:
        text += "\n--- monitor ---\n" + "".join(transcript)
        with open(log, "a") as f:
            f.write("\n--- monitor ---\n" + "".join(transcript))
    return status, text, time.monotonic() - start


def judge_tests(name, prefix, out, tally):
    """Tests that report themselves: `PREFIX BEGIN n`, `PREFIX PASS x`,
    `PREFIX FAIL x: why`, `PREFIX END`, possibly after a `[domain] ` tag."""
    # Console output (a prompt, an echo) may share the line: no ^ anchor.
    tag = r"(?:\[[\w.-]+\] )?" + prefix
    begin = re.search(tag + r" BEGIN (\d+)$", out, re.M)
    results = re.findall(tag + r" (PASS|FAIL) (\w+)(?:: (.*))?$", out, re.M)
    for verdict, test, why in results:
        tally.result(f"{name}/{test}", None if verdict == "PASS" else why)
    if not begin:
        tally.result(f"{name}/tests_ran", f"no {prefix} BEGIN line")
    elif int(begin.group(1)) != len(results) or not re.search(tag + " END", out, re.M):
        tally.result(f"{name}/tests_complete",
                     f"{len(results)} of {begin.group(1)} reported")


def judge_boot(name, boot, status, out, secs, log, tally, disk=None):
    """Tally one machine's results: its exit status, self-reported tests
    and checks. A machine that serves (a multi-VM boot's peer with
    "serves") is stopped once the others end: its status is not judged."""
    timeout = boot.get("timeout", BOOT_TIMEOUT)
    if boot.get("serves"):
        tally.result(f"{name}/boot ({secs:.1f} s)")
    elif status is None:
        tally.result(f"{name}/boot", f"timed out after {timeout} s (log: {log})")
    elif status != boot["exit"]:
        tally.result(f"{name}/boot", f"QEMU exit status {status}, want "
                     f"{boot['exit']} (log: {log})")
    else:
        tally.result(f"{name}/boot ({secs:.1f} s)")
    if boot.get("tests"):
        judge_tests(name, boot["tests"], out, tally)
    for check, fn in boot.get("checks", []):
        tally.result(f"{name}/{check}", fn(out))
    for check, fn in boot.get("after", []):
        tally.result(f"{name}/{check}", fn(out, disk))


def linux_ended(out):
    """A Linux peer's script ended with status 0 (linux_peer.sh)."""
    m = re.search(r"PEER-END status=(\d+)", out)
    if not m:
        return "its script did not end (no PEER-END line)"
    return None if m.group(1) == "0" else f"its script ended with status {m.group(1)}"


def linux_up(out):
    """A Linux peer's card came up at its address (linux_peer.sh)."""
    return None if "PEER-UP " in out else "eth0 did not come up (no PEER-UP line)"


def run_linux(build, spec, index, port, log, stop):
    """Boot Linux peer spec as machine index on the hub at port: (status,
    output, seconds)."""
    initrd = log[:-len(".log")] + ".cpio"
    files = {dest: os.path.join(build, src)
             for dest, src in spec.get("files", {}).items()}
    multivm.linux_initramfs(ROOT, build, initrd, spec["script"], files)
    argv = multivm.linux_command(build, initrd, index, port,
                                 spec.get("mem", 256))
    start = time.monotonic()
    with open(log, "w") as out:
        out.write("# " + shlex.join(argv) + "\n")
        out.flush()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        status = wait_process(p, spec.get("timeout", BOOT_TIMEOUT), stop)
    with open(log, errors="replace") as f:
        text = f.read().replace("\r\n", "\n")
    return status, text, time.monotonic() - start


def serving_timeout(spec, longest):
    """spec, with the timeout longest if it serves and names none."""
    if spec.get("serves") and "timeout" not in spec:
        return dict(spec, timeout=longest)
    return spec


def run_network_boot(build, boot, nucleus, tally):
    """A boot with peers: the boot's own Metta (if it has a "cmdline") and
    each peer, all at once on one hub; each judged on its own. Machines
    that serve are stopped when all the others have ended (and, unless
    they say otherwise, given as long as the longest of the others)."""
    logdir = os.path.join(build, "tests")
    longest = max(m.get("timeout", BOOT_TIMEOUT) for m in
                  [boot, *boot["peers"]] if not m.get("serves"))
    boot = serving_timeout(boot, longest)
    problem = None
    if any(p.get("kind") == "linux" for p in boot["peers"]):
        problem = multivm.linux_files(ROOT, build)
    if problem:
        tally.result(f"system/{boot['name']}/linux", problem)
        return
    hub = multivm.Hub()
    port = hub.start()
    machines = []  # (name, spec, function to run it)
    stop = threading.Event()
    if "cmdline" in boot:
        iso = make_iso(build, boot, nucleus)
        log = os.path.join(logdir, boot["name"] + ".log")
        machines.append((boot["name"], boot, log, lambda log=log, iso=iso, i=0:
                         boot_qemu(iso, boot, log, None,
                                   multivm.nic_options(port, i), stop)))
    for i, peer in enumerate(boot["peers"], start=len(machines)):
        peer = serving_timeout(peer, longest)
        name = f"{boot['name']}-{peer['name']}"
        log = os.path.join(logdir, name + ".log")
        if peer.get("kind") == "linux":
            # A server is stopped, so its script never ends by itself.
            ended = [] if peer.get("serves") else [("script", linux_ended)]
            peer = dict(peer, exit=0, checks=[("up", linux_up)] + ended
                        + peer.get("checks", []))
            run = (lambda log=log, peer=peer, i=i:
                   run_linux(build, peer, i, port, log, stop))
        else:
            iso = make_iso(build, dict(peer, name=name), nucleus)
            run = (lambda log=log, peer=peer, iso=iso, i=i:
                   boot_qemu(iso, peer, log, None,
                             multivm.nic_options(port, i), stop))
        machines.append((name, peer, log, run))
    results = {}

    def go(m):
        results[m[0]] = m[3]()
    threads = [threading.Thread(target=go, args=(m,)) for m in machines]
    for t in threads:
        t.start()
    for t, m in zip(threads, machines):
        if not m[1].get("serves"):
            t.join()
    stop.set()  # the machines that serve have nobody left to serve
    for t in threads:
        t.join()
    hub.close()
    print(f"  system/{boot['name']}: {len(machines)} machines, hub on "
          f"127.0.0.1:{port} carried {hub.frames} frames", flush=True)
    for name, spec, log, _ in machines:
        status, out, secs = results[name]
        judge_boot("system/" + name, spec, status, out, secs, log, tally)


def run_boot(build, boot, nucleus, tally):
    """One boot (or one boot of several machines): its ISO, its disk,
    QEMU, and the verdicts."""
    if boot.get("peers"):
        run_network_boot(build, boot, nucleus, tally)
        return
    name = "system/" + boot["name"]
    try:
        iso = make_iso(build, boot, nucleus)
    except subprocess.CalledProcessError as e:
        tally.result(f"{name}/iso", f"mkiso.sh failed with status {e.returncode}")
        return
    log = os.path.join(build, "tests", boot["name"] + ".log")
    try:
        disk = prepare_disk(build, boot)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        tally.result(f"{name}/disk", f"no disk image: {e}")
        return
    status, out, secs = boot_qemu(iso, boot, log, disk)
    judge_boot(name, boot, status, out, secs, log, tally, disk)


def boot_groups(selected):
    """Boots that must run one after another, in their order: those that
    share a disk image (one makes it, the next reads what it left).
    Every other boot is a group of its own."""
    groups, by_image = [], {}
    for boot in selected:
        image = (boot.get("disk") or {}).get("image")
        if image in by_image:
            by_image[image].append(boot)
            continue
        group = [boot]
        groups.append(group)
        if image:
            by_image[image] = group
    return groups


class BootTally:
    """One boot's verdicts, kept until the boot ends so that boots
    running side by side print their lines together."""
    def __init__(self):
        self.lines = []

    def result(self, name, reason=None):
        self.lines.append((name, reason))


def run_system_tests(build, tally, nucleus, only=None, jobs=1):
    """The boots, JOBS at a time (each QEMU is one process; under TCG a
    boot mostly runs one vCPU, so two cores take two boots)."""
    os.makedirs(os.path.join(build, "tests"), exist_ok=True)
    selected = [b for b in boots.BOOTS
                if not only or any(o in b["name"] for o in only)]
    groups = boot_groups(selected)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not groups:
                    return
                group = groups.pop(0)
            for boot in group:
                mine = BootTally()
                try:
                    run_boot(build, boot, nucleus, mine)
                except Exception as e:  # a harness error fails the boot
                    mine.result(f"system/{boot['name']}/harness",
                                f"{type(e).__name__}: {e}")
                with lock:
                    for name, reason in mine.lines:
                        tally.result(name, reason)

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", choices=["host", "fuzz", "system"])
    ap.add_argument("--boot", action="append",
                    help="only the system boots whose name contains this")
    ap.add_argument("--jobs", type=int,
                    default=int(os.environ.get("TEST_JOBS", "2")),
                    help="boots run side by side (TEST_JOBS, default 2)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    nucleus = os.path.join(build, "nucleus", "nucleus.elf")
    tally = Tally()
    if args.only in (None, "host"):
        run_host_tests(build, tally)
    if args.only in (None, "fuzz"):
        run_fuzzers(build, tally)
    if args.only in (None, "system"):
        run_system_tests(build, tally, nucleus, args.boot, args.jobs)
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
