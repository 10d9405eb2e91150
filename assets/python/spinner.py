# A spinner while a slow call runs: a thread with an Event (py-thread),
# an asyncio task cancelled at its await (py-asyncio). Both get 42.
import asyncio
import itertools
import threading

import concur_lane as lane

CALL = lane.args["call_ms"] / 1000  # seconds (demo time)
FRAME = lane.args["frame_ms"] / 1000


class Frames:
    def __init__(self):
        self.ticks, self.late, self.cleanup_ran = 0, [], False


# ---- py-thread: threading + Event -------------------------------------------
def spin(done: threading.Event, frames: Frames) -> None:
    t0 = lane.now()
    for n in itertools.count():
        target = t0 + n * FRAME
        # A thread cannot be stopped from outside: it looks at the Event.
        if done.wait(lane.wall(target - lane.now())):
            lane.log("thread_saw_flag")
            return
        frames.late.append(lane.now() - target)
        lane.frame(n)
        frames.ticks = n + 1


def slow_function() -> int:
    lane.sleep(CALL)  # time.sleep(CALL): holds this thread
    return 42


def thread_main() -> None:
    started = lane.now()
    done, frames = threading.Event(), Frames()
    spinner = threading.Thread(target=spin, args=(done, frames))
    lane.log("start_thread")
    spinner.start()
    try:
        lane.log("slow_call", ms=lane.args["call_ms"])
        answer = slow_function()
    finally:
        lane.log("set_and_join")
        done.set()
        spinner.join()
    report(answer, frames, started)


# ---- py-asyncio: a task, cancelled at its await -----------------------------
async def spin_task(frames: Frames) -> None:
    loop = asyncio.get_running_loop()  # its clock is demo time
    t0 = loop.time()
    try:
        for n in itertools.count():
            target = t0 + n * FRAME
            await asyncio.sleep(target - loop.time())
            frames.late.append(loop.time() - target)
            lane.frame(n)
            frames.ticks = n + 1
    except asyncio.CancelledError:
        frames.cleanup_ran = True
        lane.log("task_cleanup")
        raise


async def slow_coroutine() -> int:
    await asyncio.sleep(CALL)  # the loop is free meanwhile
    return 42


async def asyncio_main() -> None:
    started = lane.now()
    frames = Frames()
    spinner = asyncio.create_task(spin_task(frames))
    lane.log("created_task")
    lane.log("await_slow", ms=lane.args["call_ms"])
    answer = await slow_coroutine()
    lane.log("cancel_task")
    spinner.cancel()
    await asyncio.gather(spinner, return_exceptions=True)
    if spinner.cancelled():
        lane.log("task_reports_cancelled")
    report(answer, frames, started)
    lane.metric("cleanup_ran", frames.cleanup_ran)


def report(answer: int, frames: Frames, started: float) -> None:
    lane.status("answer", answer=answer)
    lane.metric("answer", answer)
    lane.metric("ticks", frames.ticks)
    lane.metric("elapsed_ms", (lane.now() - started) * 1000)
    lane.metric("jitter_p99_ms", lane.percentile(frames.late, 99) * 1000)


if __name__ == "__main__":
    if lane.name == "py-thread":
        lane.run_sync(thread_main)
    else:
        lane.run(asyncio_main())
