# Jobs of known durations, one of which fails when its time is up, waited
# for three ways: gather (py-gather: the error at once, the rest run on),
# TaskGroup (py-taskgroup: the rest cancelled, then the error), and
# gather(return_exceptions=True) (py-return-exceptions: the error among
# the results, once all have ended).
import asyncio

import concur_lane as lane

DURATIONS = [ms / 1000 for ms in lane.args["durations"]]
FAIL = lane.args["fail_job"]  # 1-based


class JobFailed(Exception):
    pass


class Tally:
    def __init__(self, loop):
        self.loop, self.t0 = loop, loop.time()
        self.first_error, self.cleanups = None, 0

    def ms(self) -> str:
        return f"{(self.loop.time() - self.t0) * 1000:5.0f}"


async def job(n: int, seconds: float, tally: Tally) -> int:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        tally.cleanups += 1  # cleanup runs where the job was suspended
        lane.log("cancelled", at=tally.ms(), job=n)
        raise
    if n == FAIL:
        lane.log("raises", at=tally.ms(), job=n)
        raise JobFailed(f"job {n} failed")
    lane.log("finished", at=tally.ms(), job=n)
    return n


async def with_gather(tasks: list, tally: Tally) -> None:
    try:
        await asyncio.gather(*tasks)
    except JobFailed:
        tally.first_error = tally.loop.time()
        left = sum(not t.done() for t in tasks)
        lane.log("gather_raises", at=tally.ms(), left=left)
    await asyncio.wait(tasks)  # nobody cancelled them: they run on


async def with_taskgroup(tally: Tally) -> list:
    tasks = []
    try:
        async with asyncio.TaskGroup() as tg:
            for n, s in enumerate(DURATIONS, 1):
                tasks.append(tg.create_task(job(n, s, tally)))
    except* JobFailed:  # only once every sibling has ended
        tally.first_error = tally.loop.time()
        lane.log("group_raises", at=tally.ms())
    return tasks


async def with_return_exceptions(tasks: list, tally: Tally) -> None:
    results = await asyncio.gather(*tasks, return_exceptions=True)
    tally.first_error = tally.loop.time()
    errors = sum(isinstance(r, JobFailed) for r in results)
    lane.log("results_in", at=tally.ms(), errors=errors)


async def main() -> None:
    tally = Tally(asyncio.get_running_loop())
    lane.log("plan_" + lane.name, n=len(DURATIONS), fail=FAIL)
    if lane.name == "py-taskgroup":
        tasks = await with_taskgroup(tally)
    else:
        tasks = [asyncio.create_task(job(n, s, tally)) for n, s in enumerate(DURATIONS, 1)]
        if lane.name == "py-gather":
            await with_gather(tasks, tally)
        else:
            await with_return_exceptions(tasks, tally)
    all_done = tally.loop.time() - tally.t0
    cancelled = sum(t.cancelled() for t in tasks)
    finished = sum(t.done() and not t.cancelled() and t.exception() is None for t in tasks)
    first_error = (tally.first_error or tally.loop.time()) - tally.t0
    lane.metric("first_error_ms", first_error * 1000)
    lane.metric("all_done_ms", all_done * 1000)
    lane.metric("siblings_cancelled", cancelled)
    lane.metric("siblings_finished", finished)
    lane.metric("cleanup_ran", cancelled > 0 and tally.cleanups == cancelled)
    lane.status("summary", err=f"{first_error * 1000:.0f}", all=f"{all_done * 1000:.0f}")


if __name__ == "__main__":
    lane.run(main(), probe=False)
