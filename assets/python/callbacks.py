# One three-step job (config, data, report), as a chain of call_later
# callbacks (py-callbacks) and as one coroutine (py-async). Step
# `fail_step` fails; a callback can forget to check its error.
import asyncio

import concur_lane as lane

FAIL = lane.args["fail_step"]
FORGET = lane.args["forget_check"]  # "no", "crash" or "silent"
TIMEOUT = lane.args["timeout_ms"] / 1000
WAITS = {1: 0.4, 2: 0.6, 3: 0.4}
ERRORS = {1: "config server: connection refused", 2: "HTTP 503 Service Unavailable", 3: "disk full"}
steps, lost = set(), []


class ServiceError(Exception):
    pass


# ---- py-callbacks: each step registers the next ---------------------------
def service(step: int, value, callback) -> None:
    """Answers later, from the loop: callback(error, value)."""
    steps.add(step)
    error = ServiceError(ERRORS[step]) if step == FAIL else None
    asyncio.get_running_loop().call_later(WAITS[step], callback, error, None if error else value)


def job(done) -> None:
    def got_config(err, config):
        if err:
            return done(err, None)

        def got_data(err, data):  # step 3 needs config: the closure carries it
            if err:
                return done(err, None)
            service(3, data["rows"] * 16, done)

        def got_data_unchecked(err, data):
            rows = data["rows"]  # forgot to check err: TypeError, in the loop
            service(3, rows * 16, done)

        def got_data_silently(err, data):
            if not err:
                service(3, data["rows"] * 16, done)
            # No else: an error stops here, without a word.

        pick = {"no": got_data, "crash": got_data_unchecked, "silent": got_data_silently}
        lane.log("fetch_data")
        service(2, {"rows": 245}, pick[FORGET])

    lane.log("fetch_config")
    service(1, {"source": "flags.csv"}, got_config)


def exception_handler(loop, context) -> None:
    lost.append(context)
    lane.log("loop_exception")
    lane.log(lane.same(f"  {context.get('exception')!r}"))
    loop.default_exception_handler(context)  # logs it to stderr, then goes on


async def callbacks_main() -> None:
    started, loop = lane.now(), asyncio.get_running_loop()
    loop.set_exception_handler(exception_handler)
    finished = loop.create_future()
    job(lambda err, saved: finished.set_result((err, saved)))
    lane.log("job_returned")
    try:  # whoever started the job waits for done(), as run_until_complete would
        err, saved = await asyncio.wait_for(finished, TIMEOUT)
    except TimeoutError:
        lane.log("hung", ms=lane.args["timeout_ms"])
        lane.log("lost_in_log" if lost else "dropped_silently")
        lane.status("hung_status")
        return report(None, None, started, timed_out=True)
    report(err, saved, started, timed_out=False)


# ---- py-async: one coroutine, try/except and raise ... from ---------------
class ReportError(Exception):
    pass


async def fetch(step: int, value):
    steps.add(step)
    await asyncio.sleep(WAITS[step])
    if step == FAIL:
        raise ServiceError(ERRORS[step])
    return value


async def job_async() -> int:
    try:
        lane.log("await_config")
        config = await fetch(1, {"source": "flags.csv"})
    except ServiceError as e:
        raise ReportError("reading the config") from e
    try:
        lane.log("await_data", source=config["source"])
        data = await fetch(2, {"rows": 245})
    except ServiceError as e:
        raise ReportError(f"fetching {config['source']}") from e
    try:
        lane.log("await_save")
        return await fetch(3, data["rows"] * 16)
    except ServiceError as e:
        raise ReportError("saving the report") from e


async def daily_report() -> int:
    try:
        return await job_async()
    except ReportError as e:
        raise ReportError("making the daily report") from e


async def async_main() -> None:
    started = lane.now()
    try:
        saved = await daily_report()
    except ReportError as err:
        for i, text in enumerate(lane.chain(err)):
            lane.log(lane.same(("error: " if i == 0 else "  caused by: ") + text))
        return report(err, None, started)
    report(None, saved, started)


def report(err, saved, started, timed_out=None) -> None:
    depth = len(lane.chain(err)) if err else 0  # messages in its __cause__ chain
    if saved is not None:
        lane.status("saved", bytes=saved)
    elif err is not None and lane.name == "py-callbacks":
        lane.log("error_value", error=str(err))
        lane.log("which_step")
        lane.status("error_status", error=str(err))
    elif err is not None:
        lane.status(lane.same("error: " + ": ".join(lane.chain(err))))
    lane.metric("completed", saved is not None)
    lane.metric("steps_run", max(steps, default=0))
    lane.metric("error_reported", depth > 0)
    lane.metric("error_context_depth", depth)
    lane.metric("elapsed_ms", (lane.now() - started) * 1000)
    lane.metric("saved", saved is not None)
    if timed_out is not None:
        lane.metric("lost_exceptions", len(lost))
        lane.metric("timed_out", timed_out)


if __name__ == "__main__":
    lane.run(callbacks_main() if lane.name == "py-callbacks" else async_main(), probe=False)
