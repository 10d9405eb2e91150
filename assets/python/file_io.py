# Large file writes and reads from a coroutine: called straight from it
# (py-blocking: the loop's only thread waits for the disk) or handed to
# a worker thread with asyncio.to_thread (py-to-thread: the loop is free).
import asyncio
import os
import select
import time
import zlib

import concur_lane as lane

MB = lane.args["file_mb"]
FILES = lane.args["files"]
FRAME = 0.1  # the spinner's frame, seconds
BLOCK = 1 << 20


def write_file(path: str, seed: int) -> int:
    block = bytearray(os.urandom(BLOCK))
    crc = 0
    with open(path, "wb") as f:
        for i in range(MB):
            block[:8] = (seed * 1_000_003 + i).to_bytes(8, "little")
            crc = zlib.crc32(block, crc)
            f.write(block)
        f.flush()
        os.fsync(f.fileno())  # on the disk, not only in the cache
        if hasattr(os, "posix_fadvise"):  # forget the cached pages: reading back is real I/O
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return crc


def read_file(path: str) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(BLOCK):
            crc = zlib.crc32(chunk, crc)
    return crc


async def call(fn, *args):
    if lane.name == "py-to-thread":
        return await asyncio.to_thread(fn, *args)  # a worker thread waits
    return fn(*args)  # the loop's own thread waits: nothing else runs


def epoll_a_regular_file(path: str) -> None:
    if not hasattr(select, "epoll"):
        return lane.log("no_epoll")
    ep = select.epoll()
    try:
        with open(path, "rb") as f:
            ep.register(f.fileno(), select.EPOLLIN)
        lane.log(lane.same("epoll.register(regular file) = ok (unexpected)"))
    except PermissionError:  # EPERM: a file is always "ready"
        lane.log("epoll_refuses")
        lane.log(lane.same("epoll.register(regular file) → EPERM"))
        lane.metric("epoll_file_eperm", True)
    finally:
        ep.close()


async def spin(ticks: list) -> None:
    # Frames a blocked loop could not draw are lost, not drawn late.
    while True:
        lane.frame(len(ticks))
        ticks.append(lane.now())
        await asyncio.sleep(FRAME)


async def main() -> None:
    ticks = []
    spinner = asyncio.create_task(spin(ticks))
    started, longest = lane.now(), 0.0
    lane.log("plan_" + lane.name, files=FILES, mb=MB)
    await asyncio.sleep(0.15)  # a moment of free loop first
    for i in range(FILES):
        path = os.path.join(lane.args["tmp"], f"file-{i}.bin")
        for write in (True, False):
            before, t0 = lane.lag_count(), time.perf_counter()
            lane.at()
            await (call(write_file, path, i) if write else call(read_file, path))
            took = lane.to_demo(time.perf_counter() - t0) * 1000
            longest = max(longest, took)
            await asyncio.sleep(0.012)  # let the probe wake once
            lag = lane.lag_max(before)
            what = "write_lag" if write else "read_lag"
            lane.log(what, n=i + 1, call=f"{took:.0f}", lag=f"{lag:.0f}")
            lane.progress(2 * i + (1 if write else 2), 2 * FILES)
    if lane.name == "py-blocking":  # last: why the loop cannot wait on a file
        epoll_a_regular_file(os.path.join(lane.args["tmp"], "file-0.bin"))
    spinner.cancel()
    elapsed = lane.now() - started
    expected = int(elapsed // FRAME) + 1
    lane.metric("spinner_ticks", len(ticks))
    lane.metric("expected_ticks", expected)
    lane.metric("longest_call_ms", longest)
    lane.metric("bytes_written", MB * BLOCK * FILES)
    lane.status("drew", got=len(ticks), expected=expected)


if __name__ == "__main__":
    lane.run(main())
