#!/usr/bin/env python3
"""Write link/startup.ld: the functions a start runs, placed together.

A start of concur runs about 900 functions (~700 KB) spread over 4 MB of
code. The kernel maps a binary's code in large pieces (64 KiB, and whole
page-cache folios of up to a few MiB on recent kernels with large
readahead), so scattered functions make most of the code resident. The
linker script this writes puts them side by side at the front of the code.

How: run the release binary under valgrind's callgrind in a pseudo-terminal
(home with a key down and up, then a lesson with a step forward and back),
collect every executed instruction address in the binary, map addresses to
symbols with `nm`, and write one input-section pattern per function, home's
first. Patterns leave out the parts of a symbol that change with the
toolchain or a dependency bump (legacy `17h<hash>E`, v0 `Cs<hash>_`,
`.llvm.<n>`), unless that would also match a lot of other code (generic
functions share a path and differ only in the hash); those stay exact.
A name that no longer exists is ignored by the linker: a stale file costs
resident memory, never correctness.

Run after a change that moves a lot of start-up code (a toolchain or
dependency bump, a new screen at start):
    cargo build --release && python3 link/startup_layout.py
Needs valgrind and nm (binutils). Stdlib-only Python 3.
"""

import collections
from bisect import bisect_right
import fcntl
import glob
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "concur")
OUT = os.path.join(ROOT, "link", "startup.ld")

# (arguments, text that says the screen is up, keys to press after it)
RUNS = [
    ([], b"Concurrency vs parallelism", [b"\x1b[B", b"\x1b[A"]),
    (["--lesson", "threads-vs-coroutines"], b"Two ways to wait", [b"\x1b[C", b"\x1b[D"]),
]
# A pattern may match this much code besides the function it was made for.
SLACK = 4096


def run_profiled(args, marker, keys, workdir):
    """Runs the binary under callgrind at 120x40; returns the profile path."""
    out = os.path.join(workdir, "callgrind.out")
    env = dict(os.environ, XDG_DATA_HOME=workdir, XDG_CONFIG_HOME=workdir, TERM="xterm-256color")
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=yes", f"--callgrind-out-file={out}", BIN, *args]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(cmd[0], cmd, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen, deadline = b"", time.time() + 120
    while marker not in seen and time.time() < deadline:
        seen = (seen + read_some(fd, 0.5))[-200_000:]
    if marker not in seen:
        os.kill(pid, 9)
        sys.exit(f"startup_layout: {marker!r} did not appear within 120 s")
    settle(fd, 2.0)  # idle work after the first frame (neighbours read ahead)
    for key in keys:
        os.write(fd, key)
        settle(fd, 1.0)
    os.write(fd, b"q")
    settle(fd, 3.0)
    os.waitpid(pid, 0)
    return out


def read_some(fd, timeout):
    ready, _, _ = select.select([fd], [], [], timeout)
    try:
        return os.read(fd, 65536) if ready else b""
    except OSError:
        return b""


def settle(fd, seconds):
    end = time.time() + seconds
    while time.time() < end:
        read_some(fd, 0.1)


def executed_addresses(profile):
    """Instruction addresses callgrind saw executed in the binary itself."""
    names, in_bin, last, addrs = {}, False, 0, set()
    spec = re.compile(r"(c?ob)=\((\d+)\)(?: (.*))?$")
    with open(profile) as f:
        for line in f:
            line = line.rstrip("\n")
            m = spec.match(line)
            if m:
                kind, ident, name = m.groups()
                if name:
                    names[ident] = name
                if kind == "ob":
                    # valgrind names code outside a binary's first text
                    # section "???" (the laid-out functions, once this file
                    # exists); the symbol lookup later keeps only our own.
                    obj = names[ident]
                    in_bin = obj == "???" or os.path.realpath(obj) == os.path.realpath(BIN)
                continue
            if not line or line[0] not in "0123456789+-*" or not in_bin:
                continue
            tok = line.split()[0]
            if tok.startswith("0x"):
                last = int(tok, 16)
            elif tok[0] == "+":
                last += int(tok[1:], 16)
            elif tok[0] == "-":
                last -= int(tok[1:], 16)
            elif tok != "*":
                continue
            addrs.add(last)
    return addrs


def functions():
    """(address, size, name) of every function symbol in the binary, sorted."""
    text = subprocess.run(["nm", "-S", "--defined-only", BIN], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW" and int(parts[1], 16) > 0:
            syms.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    return sorted(syms)


def loose(name):
    name = re.sub(r"17h[0-9a-f]{16}E", "17h*E", name)
    name = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", name)
    return re.sub(r"\.llvm\.\d+", ".llvm.*", name)


def glob_regex(pattern):
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit("startup_layout: build first (cargo build --release)")
    for tool in ("valgrind", "nm"):
        if not shutil.which(tool):
            sys.exit(f"startup_layout: needs {tool}")
    syms = functions()
    starts = [s[0] for s in syms]
    # Code size per loose pattern, to see what a pattern would drag along.
    by_loose = collections.defaultdict(int)
    for _, size, name in syms:
        by_loose[loose(name)] += size
    ordered, taken = [], set()
    with tempfile.TemporaryDirectory(prefix="concur-layout-") as work:
        for args, marker, keys in RUNS:
            hit = set()
            for addr in executed_addresses(run_profiled(args, marker, keys, work)):
                i = bisect_right(starts, addr) - 1
                if i >= 0 and addr < syms[i][0] + syms[i][1]:
                    hit.add(i)
            for i in sorted(hit):
                if i not in taken:
                    taken.add(i)
                    ordered.append(syms[i])
            for f in glob.glob(os.path.join(work, "callgrind.out*")):
                os.remove(f)
    lines, total = [], 0
    for _, size, name in ordered:
        if name in ("_start", "main", "_init", "_fini") or not re.fullmatch(r"[A-Za-z0-9_$.]+", name):
            continue
        pattern = loose(name)
        if by_loose[pattern] - size > SLACK:
            pattern = name
        total += size
        lines.append(f"    *(.text.{pattern} .text.unlikely.{pattern})")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(
            "/* Written by link/startup_layout.py: the functions a start runs (home,\n"
            f"   then a lesson), {len(lines)} of them, ~{total // 1024} KiB, placed together before\n"
            "   the rest of the code so a start maps less of the binary. build.rs passes\n"
            "   it to the linker; names that no longer exist are ignored. */\n"
            "SECTIONS\n{\n  .text.startup_path : {\n"
        )
        f.write("\n".join(dict.fromkeys(lines)))
        f.write("\n  }\n}\nINSERT BEFORE .text;\n")
    print(f"startup_layout: {len(lines)} functions, {total // 1024} KiB -> {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
