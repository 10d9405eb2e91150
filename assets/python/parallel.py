# The same jobs three ways: tasks on one event loop (py-event-loop), a
# ThreadPoolExecutor (py-threads), a ProcessPoolExecutor (py-processes).
# Work is CPU time per thread (time.thread_time), as in the Rust lanes.
import asyncio
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import concur_lane as lane

JOBS, CHUNKS = lane.args["jobs"], lane.args["chunks"]
CHUNK = lane.args["chunk_ms"] / 1000  # seconds of CPU time (demo time)
WORKERS = lane.args["threads"]
CPU = lane.args["workload"] == "cpu"
GIL = getattr(sys, "_is_gil_enabled", lambda: True)()
# Under the GIL a pool's threads hand it over every few ms while they
# compute: far finer than a timeline row, where their pieces would look
# side by side, as if parallel. Those pieces are left off the timeline.
DRAWN = not (lane.name == "py-threads" and CPU and GIL)


def burn(cpu_seconds: float) -> None:
    """Real computation, until this thread has used `cpu_seconds` of CPU."""
    x, end = 1, time.thread_time() + cpu_seconds
    while time.thread_time() < end:
        for _ in range(2000):
            x ^= (x << 13) & 0xFFFF_FFFF_FFFF_FFFF
            x ^= x >> 7
            x ^= (x << 17) & 0xFFFF_FFFF_FFFF_FFFF


def piece(seconds: float) -> tuple:
    """One piece of a job, on whichever thread or process runs it: who ran
    it, when (monotonic ns), the CPU time it used, and its process's."""
    t0, cpu0 = time.monotonic_ns(), time.thread_time()
    if CPU:
        burn(seconds)
    else:
        time.sleep(seconds)  # a worker that waits does nothing else
    who = threading.current_thread().name
    if lane.name == "py-processes":
        who = f"py-proc-{os.getpid()}"
    return who, t0, time.monotonic_ns(), time.thread_time() - cpu0, time.process_time()


class Tally:
    def __init__(self):
        self.work, self.workers, self.jobs_done = 0.0, set(), 0
        self.start, self.real0, self.cpu0 = lane.now(), time.perf_counter(), time.process_time()
        self.worker_cpu = {}  # a pool process's own CPU time, by process

    def add(self, result: tuple, job: int, chunk: int, state: str) -> None:
        who, t0, t1, cpu, process_cpu = result
        # The piece on the timeline beside the Rust lanes' (same demo clock).
        if DRAWN:
            lane.span(who, f"{job + 1}.{chunk + 1}", job, lane.demo_at(t0), lane.demo_at(t1), state)
        if lane.name == "py-processes":
            self.worker_cpu[who] = max(process_cpu, self.worker_cpu.get(who, 0.0))
        wall = lane.to_demo((t1 - t0) / 1e9)
        self.work += lane.to_demo(cpu) if CPU else wall
        self.workers.add(who)

    def job_done(self) -> None:
        self.jobs_done += 1
        lane.progress(self.jobs_done, JOBS)


async def on_the_loop(tally: Tally) -> None:
    async def job(n: int) -> None:
        for c in range(CHUNKS):
            if CPU:
                tally.add(piece(lane.wall(CHUNK)), n, c, "running")  # the loop's thread computes
                await asyncio.sleep(0)  # give the loop back: jobs take turns
            else:
                t0 = time.monotonic_ns()
                await asyncio.sleep(CHUNK)  # waits overlap on one thread
                tally.add(("py-loop", t0, time.monotonic_ns(), 0.0, 0.0), n, c, "waiting")
        tally.job_done()

    threading.current_thread().name = "py-loop"
    await asyncio.gather(*(job(n) for n in range(JOBS)))


async def in_a_pool(pool, tally: Tally) -> None:
    loop = asyncio.get_running_loop()

    # A pool thread or process that sleeps is blocked in it, as in Rust.
    state = "running" if CPU else "blocked"

    async def job(n: int) -> None:
        for c in range(CHUNKS):
            result = await loop.run_in_executor(pool, piece, lane.wall(CHUNK))
            tally.add(result, n, c, state)
        tally.job_done()

    await asyncio.gather(*(job(n) for n in range(JOBS)))


async def main() -> None:
    kind = "cpu" if CPU else "io"
    lane.log("plan_" + lane.name, jobs=JOBS, kind=kind, chunks=CHUNKS, ms=lane.args["chunk_ms"], workers=WORKERS)
    if not DRAWN:
        lane.log("gil_no_rows", ms=f"{sys.getswitchinterval() * 1000:g}")
    tally = Tally()
    if lane.name == "py-event-loop":
        await on_the_loop(tally)
    elif lane.name == "py-threads":
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="py-thread") as pool:
            await in_a_pool(pool, tally)
    else:
        with ProcessPoolExecutor(WORKERS, initializer=lane.worker_init) as pool:
            await in_a_pool(pool, tally)
    report(tally)


def report(tally: Tally) -> None:
    wall = lane.now() - tally.start
    # This process's CPU time and its pool processes' (whatever started them).
    cpu = time.process_time() - tally.cpu0 + sum(tally.worker_cpu.values())
    cores_used = cpu / (time.perf_counter() - tally.real0)
    speedup = tally.work / max(wall, 1e-9)
    lane.metric("wall_ms", wall * 1000)
    lane.metric("work_ms", tally.work * 1000)
    lane.metric("speedup", speedup)
    lane.metric("cores_used", cores_used)
    lane.metric("threads", len(tally.workers))
    lane.status("speedup", speedup=f"{speedup:.2f}", cores=f"{cores_used:.1f}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wanted = min(len(tally.workers), cores or 1)
    if CPU and wanted > 1 and cores_used < wanted - 0.5:
        if lane.name == "py-threads" and GIL:
            lane.log("gil_one_at_a_time")
        else:
            lane.log("cores_busy", free=f"{max(round(cores_used), 1)}")


if __name__ == "__main__":
    lane.run(main(), probe=False)
