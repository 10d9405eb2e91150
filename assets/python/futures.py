# Jobs of known durations, their results taken all at once in start order
# (py-gather) or as they finish (py-as-completed); then wait(timeout=)
# leaves some pending, one is cancelled (its cleanup runs), and a task is
# asked for its result before it is done.
import asyncio

import concur_lane as lane

DURATIONS = [ms / 1000 for ms in lane.args["durations"]]
TIMEOUT = lane.args["timeout_ms"] / 1000


async def job(n: int, seconds: float, cleaned: list) -> int:
    try:
        await asyncio.sleep(seconds)
        return n
    except asyncio.CancelledError:
        cleaned.append(n)  # cleanup runs where the job was suspended
        lane.log("job_cancelled", job=n + 1)
        raise


class Results:
    def __init__(self, started: float):
        self.started, self.order, self.first = started, [], None

    def got(self, n: int, at: float) -> None:
        self.first = at if self.first is None else self.first
        self.order.append(n)
        took = DURATIONS[n] * 1000
        lane.log("result", at=f"{at * 1000:5.0f}", job=n + 1, took=f"{took:.0f}")
        lane.knows([("results_so_far", lane.same(names(self.order, sort=False)))])


async def first_round(r: Results) -> None:
    loop = asyncio.get_running_loop()  # its clock is demo time
    coros = [job(n, s, []) for n, s in enumerate(DURATIONS)]
    if lane.name == "py-gather":
        lane.log("gather")
        for n in await asyncio.gather(*coros):  # nothing until the slowest is done
            r.got(n, loop.time() - r.started)
    else:
        lane.log("as_completed")
        for next_done in asyncio.as_completed(coros):  # whichever finishes next
            r.got(await next_done, loop.time() - r.started)


def names(jobs, sort=True) -> str:
    jobs = sorted(jobs) if sort else list(jobs)
    return "{" + ", ".join(str(n + 1) for n in jobs) + "}"


async def second_round() -> None:
    cleaned = []
    tasks = [asyncio.create_task(job(n, s, cleaned)) for n, s in enumerate(DURATIONS)]
    lane.log("round2", ms=lane.args["timeout_ms"])
    done, pending = await asyncio.wait(tasks, timeout=TIMEOUT)  # cancels nothing
    ids = {t: n for n, t in enumerate(tasks)}
    lane.log("after_timeout", ms=lane.args["timeout_ms"], done=names(ids[t] for t in done),
             pending=names(ids[t] for t in pending))
    lane.metric("done_at_timeout", len(done))
    lane.metric("pending_at_timeout", len(pending))
    if pending:
        early = min(pending, key=ids.get)
        try:
            early.result()  # not done yet: it does not wait, it raises
        except asyncio.InvalidStateError as e:
            lane.log("result_too_early", job=ids[early] + 1, error=f"InvalidStateError: {e}")
        victim = max(pending, key=lambda t: DURATIONS[ids[t]])
        lane.log("cancel_one", job=ids[victim] + 1)
        victim.cancel()
        await asyncio.gather(victim, return_exceptions=True)
        lane.metric("cancelled", int(victim.cancelled()))
    else:
        lane.metric("cancelled", 0)
    lane.metric("cleanup_ran", bool(cleaned))
    rest = [t for t in tasks if not t.done()]
    if rest:
        lane.log("cancel_rest", n=len(rest))
    for t in rest:
        t.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


async def main() -> None:
    loop = asyncio.get_running_loop()
    r = Results(loop.time())
    await first_round(r)
    first, all_done = r.first or 0.0, loop.time() - r.started
    lane.metric("first_result_ms", first * 1000)
    lane.metric("all_done_ms", all_done * 1000)
    lane.metric("in_order", r.order == sorted(r.order))
    lane.status("first_and_all", first=f"{first * 1000:.0f}", all=f"{all_done * 1000:.0f}")
    await second_round()


if __name__ == "__main__":
    lane.run(main(), probe=False)
