# Workers withdraw from one shared balance, each a check-then-update:
# threads without a lock (py-threads-unlocked), with a Lock
# (py-threads-lock), tasks on one loop with no await between the check
# and the update (py-coroutines), and with one (py-coroutines-await).
import asyncio
import threading
import time

import concur_lane as lane

WORKERS, N = lane.args["workers"], lane.args["withdrawals"]
AMOUNT, START = lane.args["amount"], lane.args["balance"]


class Account:
    def __init__(self):
        self.balance, self.paid, self.threads = START, 0, set()
        self.lock = threading.Lock()


def work(steps: int) -> None:
    """Real computation between the read and the write (a fee, a log line)."""
    x = 1
    for _ in range(steps):
        x = (x * 48271) % 2147483647


def unlocked(acct: Account, steps: int) -> bool:
    seen = acct.balance
    if seen >= AMOUNT:
        work(steps)  # the GIL may pass to another thread here
        acct.balance = seen - AMOUNT
        return True
    return False


def locked(acct: Account, steps: int) -> bool:
    with acct.lock:  # held from the check to the update
        seen = acct.balance
        if seen >= AMOUNT:
            work(steps)
            acct.balance = seen - AMOUNT
            return True
        return False


async def no_await(acct: Account, steps: int) -> bool:
    seen = acct.balance
    if seen >= AMOUNT:
        work(steps)  # no await: no other task can run here
        acct.balance = seen - AMOUNT
        return True
    return False


async def with_await(acct: Account, steps: int) -> bool:
    seen = acct.balance
    if seen >= AMOUNT:
        work(steps)
        await asyncio.sleep(0)  # the other tasks run here
        acct.balance = seen - AMOUNT
        return True
    return False


def thread_worker(acct: Account, withdraw, steps: int) -> None:
    paid = sum(withdraw(acct, steps) for _ in range(N))
    with acct.lock:
        acct.paid += paid
        acct.threads.add(threading.current_thread())


async def task_worker(acct: Account, withdraw, steps: int) -> None:
    for _ in range(N):
        # Not `acct.paid += await ...`: that reads paid before the await.
        if await withdraw(acct, steps):
            acct.paid += 1
    acct.threads.add(threading.current_thread())


# The line each lane's code pane marks: where another worker may cut in.
GAP_LINE = {unlocked: "work(steps)", locked: "work(steps)", no_await: "work(steps)",
            with_await: "asyncio.sleep(0)"}


def gap_steps() -> int:
    """Steps of work() in gap_ns of this thread's CPU time, measured now."""
    if lane.args["gap_ns"] == 0:
        return 0
    t0 = time.thread_time_ns()
    work(100_000)
    ns_per_step = (time.thread_time_ns() - t0) / 100_000
    return max(1, round(lane.args["gap_ns"] / ns_per_step))


def main_threads() -> None:
    acct, steps = Account(), gap_steps()
    withdraw = unlocked if lane.name == "py-threads-unlocked" else locked
    lane.log("plan_threads", w=WORKERS, n=N, amount=AMOUNT, steps=steps)
    lane.point_at(withdraw, GAP_LINE[withdraw])
    workers = [threading.Thread(target=thread_worker, args=(acct, withdraw, steps)) for _ in range(WORKERS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    report(acct)
    lane.point_at(withdraw, GAP_LINE[withdraw])


async def main_tasks() -> None:
    acct, steps = Account(), gap_steps()
    withdraw = no_await if lane.name == "py-coroutines" else with_await
    lane.log("plan_tasks", w=WORKERS, n=N, amount=AMOUNT, steps=steps)
    lane.point_at(withdraw, GAP_LINE[withdraw])
    async with asyncio.TaskGroup() as tg:
        for _ in range(WORKERS):
            tg.create_task(task_worker(acct, withdraw, steps))
    report(acct)
    lane.point_at(withdraw, GAP_LINE[withdraw])


def report(acct: Account) -> None:
    expected = START - acct.paid * AMOUNT
    lost = (acct.balance - expected) // AMOUNT
    lane.metric("expected", expected)
    lane.metric("final", acct.balance)
    lane.metric("lost_updates", lost)
    lane.metric("threads", len(acct.threads))
    lane.log("paid", paid=acct.paid, expected=expected, final=acct.balance)
    if lost > 0:
        lane.status("lost", lost=lost, paid=acct.paid)
    else:
        lane.status("none_lost", paid=acct.paid)


if __name__ == "__main__":
    if lane.name.startswith("py-threads"):
        lane.run_sync(main_threads)
    else:
        lane.run(main_tasks(), probe=False)
