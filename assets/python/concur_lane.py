"""concur's side of a Python lane (lane protocol 1, docs/python-lanes.md).

A lane script imports this module as `lane`. It reports what the script
measures as JSON lines on stdout, keeps demo time (slow motion, pause) from
the records concur writes on stdin, and runs asyncio on a loop whose clock
is that demo time, with a lag probe beside the script's own tasks.
"""

import asyncio
import json
import os
import platform
import selectors
import signal
import sys
import sysconfig
import threading
import time
import traceback

PROTOCOL = 1
args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
name = args.get("lane", "py-lane")
_declared = set(args.get("metrics", ()))
_script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
_out = threading.Lock()


def _send(**msg):
    data = (json.dumps(msg, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    with _out:  # one whole line at a time, whichever thread sends
        while data:
            data = data[os.write(1, data):]


# ---- demo time ---------------------------------------------------------------


class _Clock:
    """Demo time: from monotonic `wall_ns` on, `demo_ns` plus the time since,
    times `scale` (0 while paused). concur writes a new record on stdin
    before it continues a paused lane or changes its speed."""

    def __init__(self):
        self.rec = (time.monotonic_ns(), 0, 1.0)
        self._buf = b""
        self._lock = threading.Lock()
        self._fed = False
        self._pid = 0

    def start(self):
        os.set_blocking(0, False)
        self._fed, self._pid = True, os.getpid()
        self.poll()

    def poll(self):
        # Only the lane process reads the feed: a pool's forked workers
        # share the module's state but not its stdin.
        if not self._fed or self._pid != os.getpid():
            return
        if not self._lock.acquire(blocking=False):
            return
        try:
            while True:
                try:
                    chunk = os.read(0, 4096)
                except BlockingIOError:
                    break
                if not chunk:  # concur is gone: so is this lane
                    self._fed = False
                    os.killpg(os.getpgid(0), signal.SIGKILL)
                self._buf += chunk
            *records, self._buf = self._buf.split(b"\n")
            for r in records:
                if r.strip():
                    d = json.loads(r)
                    if "event" in d:  # concur tells the script something
                        _heard[d["event"]] = _heard.get(d["event"], 0) + 1
                    else:
                        self.rec = (d["wall_ns"], d["demo_ns"], d["scale"])
        finally:
            self._lock.release()

    def at(self, mono_ns):
        wall_ns, demo_ns, scale = self.rec
        return (demo_ns + (mono_ns - wall_ns) * scale) / 1e9


_clock = _Clock()
_heard = {}


def heard(event):
    """How many times concur has told this script `event` (on its stdin)."""
    _clock.poll()
    return _heard.get(event, 0)


def now():
    """Demo seconds: slow motion runs it slower, a pause stops it."""
    _clock.poll()
    return _clock.at(time.monotonic_ns())


def demo_at(mono_ns):
    """Demo seconds at a `time.monotonic_ns()` reading (a worker's, say)."""
    return _clock.at(mono_ns)


def scale():
    return _clock.rec[2] or 1.0


def wall(seconds):
    """Demo seconds as wall seconds at the current speed (for timeouts)."""
    return seconds / scale()


def to_demo(wall_seconds):
    return wall_seconds * scale()


def sleep(seconds):
    """time.sleep() in demo time: holds the calling thread."""
    end = now() + seconds
    while (left := end - now()) > 0:
        time.sleep(min(wall(left), 0.05))


class DemoSelector(selectors.DefaultSelector):
    """The loop's timeouts are demo seconds; the kernel waits in wall seconds."""

    def select(self, timeout=None):
        return super().select(None if timeout is None else wall(timeout))


class DemoLoop(asyncio.SelectorEventLoop):
    """asyncio's event loop with demo time as its clock: sleep, call_later,
    wait(timeout=) and timeout() all follow slow motion and pause."""

    def __init__(self):
        super().__init__(DemoSelector())

    def time(self):
        return now()


# ---- what the lane reports -----------------------------------------------------


class same(str):
    """A text shown as it is in both languages (code, an error message)."""


def _text(text, kw):
    return str(text) if isinstance(text, same) else {"key": text, "args": kw}


def _caller_line():
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename != _script:
        f = f.f_back
    return f.f_lineno if f is not None else None


def log(text, **kw):
    """A log line: `text` is a key of the lane's table (translated), or same(..)."""
    line = _caller_line()
    _send(t="log", text=_text(text, kw), **({"line": line} if line else {}))


def at():
    """Moves the code pane to the statement after this call."""
    line = _caller_line()
    if line:
        _send(t="line", n=line)


def point_at(fn, text):
    """Marks the first line of function `fn` that contains `text`."""
    import inspect

    lines, first = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            _send(t="line", n=first + i)
            return


def status(text, **kw):
    _send(t="status", text=_text(text, kw))


def metric(metric_name, value):
    if metric_name not in _declared:
        raise ValueError(f"{name} does not declare the metric {metric_name!r}")
    _send(t="metric", name=metric_name, value=float(value))


def frame(n):
    _send(t="frame", n=n)


def progress(done, total):
    _send(t="progress", done=done, total=total)


def span(thread, label, job, start, end, state="running"):
    """Work on one thread, for the timeline; start and end in demo seconds."""
    _send(t="span", thread=thread, label=label, job=job, start=start, end=end, state=state)


def serving(protocol, sockname):
    """The script serves `protocol` at `sockname` (host, port): concur loads it."""
    host, port = sockname[:2]
    _send(t="serving", name=protocol, addr=f"{host}:{port}")


def knows(pairs):
    """What the job holds now: (name, value) texts."""
    _send(t="knows", pairs=[[_text(k, {}), _text(v, {})] for k, v in pairs])


def chain(exc):
    """An exception and its causes (__cause__, else __context__), as text."""
    out = []
    while exc is not None:
        out.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return out


def percentile(values, p):
    """Nearest-rank percentile (0 when empty), as the Rust lanes compute it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = -(-p * len(ordered) // 100)
    return ordered[min(max(int(rank), 1), len(ordered)) - 1]


# ---- the loop-lag probe ----------------------------------------------------------

PROBE = 0.005  # asks to wake every 5 ms of demo time
REPORT = 0.05
_lags = []


async def _probe():
    """A timer-driven probe: how late does a 5 ms timer fire? A free loop
    fires it on time; a loop held by a blocking call, late by that call."""
    loop = asyncio.get_running_loop()
    window, last, best = 0.0, loop.time(), 0.0
    while True:
        target = loop.time() + PROBE
        await asyncio.sleep(PROBE)
        t = loop.time()
        lag = max(0.0, t - target) * 1000
        _lags.append(lag)
        window = max(window, lag)
        if t - last >= REPORT:
            _send(t="lag", ms=round(window, 3))
            if window > best and "max_lag_ms" in _declared:
                best = window
                metric("max_lag_ms", best)
            window, last = 0.0, t


def lag_count():
    return len(_lags)


def lag_max(since=0):
    return max(_lags[since:], default=0.0)


def _report_lag():
    if "max_lag_ms" in _declared:
        metric("max_lag_ms", lag_max())
    if "p99_lag_ms" in _declared:
        metric("p99_lag_ms", percentile(_lags, 99))


# ---- running a lane --------------------------------------------------------------


def _start():
    _clock.start()
    os.environ["CONCUR_LANE_PID"] = str(os.getpid())
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    _send(
        t="hello",
        v=PROTOCOL,
        implementation=platform.python_implementation(),
        version=platform.python_version(),
        gil=gil,
        free_threaded=bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    )


def _failed(exc):
    traceback.print_exception(exc)
    text = chain(exc)
    _send(t="failed", message=text[0], chain=text[1:])
    sys.exit(1)


def run(main, probe=True):
    """asyncio.run(main) on a DemoLoop, with the lag probe; concur's stop
    (SIGTERM) cancels the main task, so `finally` and `with` clean up."""
    _start()

    async def lane_main():
        loop = asyncio.get_running_loop()
        loop.add_reader(0, _clock.poll)
        loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        prober = asyncio.create_task(_probe()) if probe else None
        try:
            await main
        finally:
            if prober is not None:
                prober.cancel()
        if probe:
            _report_lag()

    try:
        with asyncio.Runner(loop_factory=DemoLoop) as runner:
            runner.run(lane_main())
    except asyncio.CancelledError:
        sys.exit(128 + signal.SIGTERM)
    except Exception as exc:
        _failed(exc)
    _send(t="done")


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def run_sync(main):
    """Runs main() (a thread lane); concur's stop raises SystemExit in the
    main thread, so `finally` blocks run."""
    _start()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except Exception as exc:
        _failed(exc)
    _send(t="done")


def worker_init():
    """A process pool's initializer: the worker dies with the lane process
    (Linux's parent-death signal) and ends at once on SIGTERM."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "set_wakeup_fd"):
        signal.set_wakeup_fd(-1)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    lane_pid = int(os.environ.get("CONCUR_LANE_PID", "0"))
    try:
        os.kill(lane_pid, 0)  # the lane died before prctl: nobody would tell us
    except OSError:
        os._exit(1)
