# The flags from concur's own server, at most LIMIT at a time: tasks on one
# loop with an asyncio.Semaphore (py-async), or a ThreadPoolExecutor of
# LIMIT threads (py-threads). A failure is wrapped with its flag
# (raise FetchError(cc) from exc) and counted by the kind of its cause.
#
# urllib blocks its thread: on a loop it would need asyncio.to_thread, a
# pool thread per request in flight (the thread pool again, its size a
# second limit). So py-async speaks HTTP/1.1 itself on
# asyncio.open_connection: one thread, like the Rust lane's hyper client.
import asyncio
import math
import threading
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed

import concur_lane as lane

HOST, PORT = lane.args["addr"].rsplit(":", 1)
CODES = lane.args["codes"]
LIMIT = lane.args["limit"]
LATENCY_MS = lane.args["latency_ms"]  # the server's, demo time


class FetchError(Exception):
    def __init__(self, cc: str):
        super().__init__(f"fetching flag {cc}")
        self.cc = cc


class StatusError(Exception):
    def __init__(self, status: int):
        super().__init__(f"HTTP status {status}")
        self.status = status


def path(cc: str) -> str:
    return f"/{lane.name}/flags/{cc}.svg"  # the server counts per lane name


async def http_get(target: str) -> bytes:
    """A minimal HTTP/1.1 GET: a connection of its own, closed after it."""
    reader, writer = await asyncio.open_connection(HOST, int(PORT))
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\n"
                     "Connection: close\r\n\r\n".encode())
        _, status, _ = (await reader.readline()).split(b" ", 2)
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await (reader.readexactly(length) if length is not None else reader.read())
    finally:
        writer.close()
    if int(status) >= 400:
        raise StatusError(int(status))
    return body


class Tally:
    """This lane's count of its downloads (the server keeps its own)."""

    def __init__(self):
        self.lock = threading.Lock()  # py-threads: workers count at once
        self.in_flight = self.most = self.done = self.ok = 0
        self.errors = Counter()
        self.started, self.ended = lane.now(), None

    def begin(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        lane.status("progress", done=self.done, total=len(CODES), here=self.in_flight)

    def end(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def record(self, error: FetchError | None) -> None:
        """One result, in the order they complete."""
        if error is None:
            self.ok += 1
        else:
            self.errors[kind(error.__cause__)] += 1
            lane.log(lane.same("✗ " + ": ".join(causes(error))))
        self.done += 1
        if self.done == len(CODES):
            self.ended = lane.now()
        lane.progress(self.done, len(CODES))
        lane.status("progress", done=self.done, total=len(CODES), here=self.in_flight)

    def report(self) -> None:
        wall_ms = ((self.ended or lane.now()) - self.started) * 1000
        bound_ms = math.ceil(len(CODES) / LIMIT) * LATENCY_MS  # waves of LIMIT
        lane.metric("wall_ms", wall_ms)
        lane.metric("bound_ms", bound_ms)
        lane.metric("ratio", wall_ms / bound_ms)
        lane.metric("ok", self.ok)
        for k in ("404", "500", "other"):
            lane.metric(f"errors_{k}", self.errors[k])
        lane.log("counts", ok=self.ok, e404=self.errors["404"], e500=self.errors["500"],
                 other=self.errors["other"])
        lane.log("most_here", n=self.most)
        lane.status("bound", wall=f"{wall_ms:.0f}", bound=bound_ms, ratio=f"{wall_ms / bound_ms:.2f}")


def kind(cause: BaseException | None) -> str:
    status = getattr(cause, "status", None)  # StatusError, urllib's HTTPError
    return str(status) if status in (404, 500) else "other"


def causes(exc: BaseException | None):
    while exc is not None:  # the wrapper names the flag, its cause says why
        yield str(exc) or type(exc).__name__
        exc = exc.__cause__


# ---- py-async: one loop, a Semaphore -----------------------------------------
async def download(cc: str, sem: asyncio.Semaphore, tally: Tally) -> int:
    async with sem:  # at most LIMIT of these at once
        tally.begin()
        try:
            return len(await http_get(path(cc)))
        except (OSError, EOFError, ValueError, StatusError) as exc:
            raise FetchError(cc) from exc
        finally:
            tally.end()


async def async_main() -> None:
    lane.log("async_plan", count=len(CODES), limit=LIMIT)
    lane.log("get", addr=lane.args["addr"], path=path("CC"))
    tally, sem = Tally(), asyncio.Semaphore(LIMIT)
    todo = [download(cc, sem, tally) for cc in CODES]
    for next_done in asyncio.as_completed(todo):  # as they complete
        try:
            await next_done
            tally.record(None)
        except FetchError as e:
            tally.record(e)
    tally.report()


# ---- py-threads: a pool of LIMIT threads, urllib ------------------------------
# Straight to 127.0.0.1, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch_blocking(cc: str, tally: Tally) -> int:
    tally.begin()
    try:
        with OPENER.open(f"http://{HOST}:{PORT}{path(cc)}") as response:
            return len(response.read())  # this thread waits here
    except OSError as exc:  # urllib's URLError and HTTPError are OSErrors
        raise FetchError(cc) from exc
    finally:
        tally.end()


def threads_main() -> None:
    workers = min(LIMIT, len(CODES))
    lane.log("threads_plan", count=len(CODES), workers=workers)
    lane.log("get", addr=lane.args["addr"], path=path("CC"))
    tally = Tally()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        todo = [pool.submit(fetch_blocking, cc, tally) for cc in CODES]
        for future in as_completed(todo):  # whichever thread finishes next
            tally.record(future.exception())
    tally.report()


if __name__ == "__main__":
    if lane.name == "py-threads":
        lane.run_sync(threads_main)
    else:
        lane.run(async_main(), probe=False)
