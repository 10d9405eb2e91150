//! `flags`: many small downloads from a real local HTTP server, at most
//! `limit` at a time. The demo starts the server (hyper, 127.0.0.1, a port
//! the OS picks) and three clients that download the same flags at once:
//! one at a time, with a pool of `limit` OS threads and a blocking client,
//! and on one event loop with a `Semaphore` of `limit` permits and an async
//! client. The server measures what is in flight, per client; the total
//! time lands near its bound, ⌈count / limit⌉ × latency.
//!
//! The server tells clients apart by the first segment of the path
//! (`/{lane}/flags/{cc}.svg`), so the Python twins are two more clients of
//! the same server: `py-async` (asyncio, a `Semaphore`, HTTP/1.1 spoken on
//! `asyncio.open_connection`) and `py-threads` (a `ThreadPoolExecutor` of
//! urllib calls). They measure their own time and errors; what the server
//! saw of them (most in flight, errors served) comes from the server.

mod client;
mod plan;
mod server;

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::python::{Beside, PyLane, PyScript};
use super::{
    DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneError, LaneInfo, MetricInfo, Unit,
    column, metric,
};
use crate::i18n::{LocalText, Text};
use crate::tr;
use client::{FetchError, Kind};
use plan::{MAX_COUNT, Plan};
use server::Seen;

const ID: &str = "flags";
/// How often a lane shows what is in flight while it waits for answers.
const TICK: Duration = Duration::from_millis(50);

const METRICS: &[MetricInfo] = &[
    column("wall_ms", Unit::Ms, "wall"),
    column("bound_ms", Unit::Ms, "bound"),
    column("ratio", Unit::Ratio, "ratio"),
    column("max_in_flight", Unit::Count, "in flight"),
    column("ok", Unit::Count, "ok"),
    column("errors_404", Unit::Count, "404"),
    column("errors_500", Unit::Count, "500"),
    metric("errors_other", Unit::Count),
    metric("served_404", Unit::Count),
    metric("served_500", Unit::Count),
];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "Flags: many downloads, at most N at a time",
        "国旗：许多下载，同时最多 N 个",
    ),
    lanes: &[
        LaneInfo {
            name: "sequential",
            title: Text::new("sequential: one at a time", "sequential：一次一个"),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "threads",
            title: Text::new(
                "threads: a thread pool, blocking client",
                "threads：线程池，阻塞式客户端",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "async",
            title: Text::new(
                "async: one event loop, a Semaphore",
                "async：一个事件循环，一个 Semaphore",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-async",
            title: Text::new(
                "py-async: asyncio, a Semaphore, HTTP on open_connection",
                "py-async：asyncio、Semaphore，在 open_connection 上讲 HTTP",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-threads",
            title: Text::new(
                "py-threads: ThreadPoolExecutor, urllib",
                "py-threads：ThreadPoolExecutor，urllib",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: Some(Text::new(
        "f: a fifth of the flags fail (seeded 404s and 500s); again: none",
        "f：五分之一的国旗下载失败（按种子固定的 404 和 500）；再按一次：不失败",
    )),
};

/// The Python twins: asyncio with a Semaphore, and a pool of urllib threads.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../../assets/python/flags.py"),
    texts: &[
        (
            "async_plan",
            Text::new(
                "{count} tasks, one loop, asyncio.Semaphore({limit}), HTTP/1.1 on open_connection",
                "{count} 个任务，一个事件循环，asyncio.Semaphore({limit})，在 open_connection 上讲 HTTP/1.1",
            ),
        ),
        (
            "threads_plan",
            Text::new(
                "{count} flags, ThreadPoolExecutor of {workers} threads, urllib (blocking)",
                "{count} 面国旗，{workers} 个线程的 ThreadPoolExecutor，urllib（阻塞式）",
            ),
        ),
        (
            "get",
            Text::new(
                "each: GET http://{addr}{path}",
                "每个：GET http://{addr}{path}",
            ),
        ),
        (
            "progress",
            Text::new(
                "{done}/{total} · in flight here: {here}",
                "{done}/{total} · 本端在途：{here}",
            ),
        ),
        (
            "counts",
            Text::new(
                "{ok} ok · 404 × {e404} · 500 × {e500} · other × {other}",
                "成功 {ok} · 404 × {e404} · 500 × {e500} · 其他 × {other}",
            ),
        ),
        (
            "most_here",
            Text::new(
                "most in flight at once, counted here: {n}",
                "同时在途最多（本端计数）：{n}",
            ),
        ),
        (
            "bound",
            Text::new(
                "{wall} ms, bound {bound} ms: {ratio}x",
                "用时 {wall} 毫秒，下界 {bound} 毫秒：{ratio} 倍",
            ),
        ),
    ],
};

/// The downloads and the server's behaviour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Downloads {
    count: u32,
    latency_ms: u64,
    limit: u32,
    error_rate: f64,
    seed: u64,
    drip: bool,
}

impl Default for Downloads {
    fn default() -> Self {
        Downloads {
            count: 20,
            latency_ms: 200,
            limit: 5,
            error_rate: 0.0,
            seed: 7,
            drip: false,
        }
    }
}

impl Knobs for Downloads {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "count",
            Text::new("how many flags to download", "要下载多少面国旗"),
        ),
        (
            "latency_ms",
            Text::new(
                "how long the server takes to answer each request, in ms",
                "服务器回答每个请求要多久（毫秒）",
            ),
        ),
        (
            "limit",
            Text::new(
                "at most this many downloads at a time (threads and async lanes)",
                "同时最多这么多个下载（threads 和 async 泳道）",
            ),
        ),
        (
            "error_rate",
            Text::new(
                "share of the flags that fail, half 404 and half 500 (0 to 1)",
                "下载失败的国旗所占比例，一半 404 一半 500（0 到 1）",
            ),
        ),
        (
            "seed",
            Text::new(
                "which flags fail (the same seed, the same flags)",
                "哪些国旗失败（同一个种子，同一批国旗）",
            ),
        ),
        (
            "drip",
            Text::new(
                "slow drip: the server sends each flag in pieces spread over the latency",
                "慢滴模式：服务器把每面国旗分成几段，在延迟时间内陆续发送",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_COUNT).contains(&self.count) {
            return Err(format!("count must be between 1 and {MAX_COUNT}"));
        }
        if !(10..=10_000).contains(&self.latency_ms) {
            return Err("latency_ms must be between 10 and 10000".into());
        }
        if !(1..=100).contains(&self.limit) {
            return Err("limit must be between 1 and 100".into());
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err("error_rate must be between 0 and 1".into());
        }
        Ok(())
    }

    fn next_failure(&self) -> Option<Self> {
        let error_rate = if self.error_rate > 0.0 { 0.0 } else { 0.2 };
        Some(Downloads {
            error_rate,
            ..self.clone()
        })
    }
}

impl Downloads {
    fn plan(&self) -> Plan {
        Plan::new(
            self.count,
            self.latency_ms,
            self.error_rate,
            self.seed,
            self.drip,
        )
    }
}

pub static DEMO: DemoDef<Downloads> = DemoDef::new(&INFO, start);

/// Stops the server when the last lane that uses it is gone.
struct LastOut {
    left: Arc<AtomicUsize>,
    stop: CancellationToken,
}

impl Drop for LastOut {
    fn drop(&mut self) {
        if self.left.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.stop.cancel();
        }
    }
}

/// What a lane needs of the server.
#[derive(Clone)]
struct Target {
    addr: std::net::SocketAddr,
    state: Arc<server::State>,
}

/// The two blocking lanes: one at a time, or a pool of threads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Sequential,
    Threads,
}

fn start(ctx: DemoCtx, k: Downloads) -> Vec<JoinHandle<()>> {
    let stop = CancellationToken::new();
    let left = Arc::new(AtomicUsize::new(INFO.lanes.len()));
    let started = server::start(
        ID,
        k.plan(),
        ctx.clock.clone(),
        ctx.cancel.clone(),
        stop.clone(),
    );
    let (target, server_thread) = match started {
        Ok(s) => (
            Ok(Target {
                addr: s.addr,
                state: s.state,
            }),
            Some(s.thread),
        ),
        Err(e) => (Err(ErrorReport::from_error(&e)), None),
    };
    let mut threads: Vec<JoinHandle<()>> = server_thread.into_iter().collect();
    for (i, lane) in INFO.lanes.iter().enumerate() {
        let last = LastOut {
            left: left.clone(),
            stop: stop.clone(),
        };
        let (target, k) = (target.clone(), k.clone());
        let (name, ctx) = (lane.name, ctx.lane(i));
        let handle = match (name, target) {
            (_, Err(e)) => spawn_lane(ID, name, ctx, move |_| {
                let _last = last;
                Err(LaneError::Failed(e))
            }),
            ("async", Ok(target)) => spawn_async_lane(ID, name, ctx, false, move |lane, _| {
                let _last = last;
                async_lane(lane, name, target, k)
            }),
            (_, Ok(target)) if lane.is_python() => python_lane(name, ctx, target, k, last),
            (_, Ok(target)) => {
                let style = if name == "sequential" {
                    Style::Sequential
                } else {
                    Style::Threads
                };
                spawn_lane(ID, name, ctx, move |lane| {
                    let _last = last;
                    blocking_lane(lane, name, target, k, style)
                })
            }
        };
        threads.extend(handle);
    }
    threads
}

/// What a Python lane is given: the knobs, where the server is, and the
/// flags to fetch (the same plan as every lane's).
#[derive(Serialize)]
struct PyArgs {
    #[serde(flatten)]
    knobs: Downloads,
    addr: String,
    codes: Vec<String>,
}

fn python_lane(
    name: &'static str,
    ctx: LaneCtx,
    target: Target,
    k: Downloads,
    last: LastOut,
) -> Option<JoinHandle<()>> {
    let args = PyArgs {
        addr: target.addr.to_string(),
        codes: k.plan().codes,
        knobs: k.clone(),
    };
    // A healthy script says something at least once per answer.
    let quiet = Duration::from_millis(k.latency_ms * 2) + Duration::from_secs(5);
    let server_side = ServerSide {
        seen: target.state.seen(name),
        _last: last,
    };
    PyLane::new(ID, name, &PY_SCRIPT, &args)
        .quiet(quiet)
        .beside(server_side)
        .spawn(ctx)
}

/// What the server saw of a Python lane, reported once its script is done;
/// the server stops when the last lane, this one included, is out.
struct ServerSide {
    seen: Arc<Seen>,
    _last: LastOut,
}

impl Beside for ServerSide {
    fn done(&mut self, lane: &LaneCtx) -> LaneResult {
        let seen = &self.seen;
        let (most, s404, s500) = (seen.max_in_flight(), seen.served(404), seen.served(500));
        lane.sink.count("max_in_flight", most);
        lane.sink.count("served_404", s404);
        lane.sink.count("served_500", s500);
        lane.sink.log(tr!(
            "the server saw at most {most} of this lane's requests at once; it sent 404 × {s404}, 500 × {s500}",
            "服务器端：本泳道的请求同时最多 {most} 个；它送出 404 × {s404}、500 × {s500}"
        ));
        Ok(())
    }
}

/// One lane's count of its downloads, and what it shows as they go.
struct Tally {
    lane: LaneCtx,
    /// The lane's name: how the server tells its requests apart.
    name: &'static str,
    seen: Arc<Seen>,
    total: u64,
    done: AtomicU64,
    ok: AtomicU64,
    by_kind: [AtomicU64; 3],
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    started: Duration,
    /// When the last result came in (demo time): the wall time ends there,
    /// not when the lane has also stopped its helpers.
    ended: std::sync::Mutex<Option<Duration>>,
}

fn kind_index(k: Kind) -> usize {
    match k {
        Kind::NotFound => 0,
        Kind::ServerError => 1,
        Kind::Other => 2,
    }
}

impl Tally {
    fn new(lane: LaneCtx, name: &'static str, target: &Target, total: usize) -> Self {
        let seen = target.state.seen(name);
        Tally {
            name,
            started: lane.clock.now(),
            lane,
            seen,
            total: total as u64,
            done: AtomicU64::new(0),
            ok: AtomicU64::new(0),
            by_kind: Default::default(),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            ended: std::sync::Mutex::new(None),
        }
    }

    /// A request leaves the client (counted here, as the server counts its own).
    fn begin(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.show();
    }

    /// Its answer has been read, whatever it was.
    fn end(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn show(&self) {
        let (done, total) = (self.done.load(Ordering::SeqCst), self.total);
        let server = self.seen.in_flight();
        let client = self.in_flight.load(Ordering::SeqCst);
        self.lane.sink.status(tr!(
            "{done}/{total} · in flight: server {server}, here {client}",
            "{done}/{total} · 在途：服务器端 {server}，本端 {client}"
        ));
    }

    /// One result, in the order they complete.
    fn record(&self, result: Result<usize, FetchError>) {
        match result {
            Ok(_) => {
                self.ok.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                self.by_kind[kind_index(e.kind())].fetch_add(1, Ordering::SeqCst);
                // The wrapper names the flag, the cause says what happened.
                let report = ErrorReport::from_error(&e);
                self.lane.sink.log(LocalText::same(format!("✗ {report}")));
            }
        }
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if done == self.total {
            let now = self.lane.clock.now();
            *self.ended.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
        }
        self.lane.sink.progress(done, self.total);
        self.show();
    }

    fn report(&self, bound: Duration) {
        let sink = &self.lane.sink;
        let ended = *self.ended.lock().unwrap_or_else(|e| e.into_inner());
        let wall = ended
            .unwrap_or_else(|| self.lane.clock.now())
            .saturating_sub(self.started);
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        let ratio = wall.as_secs_f64() / bound.as_secs_f64().max(1e-9);
        sink.ms("wall_ms", wall);
        sink.ms("bound_ms", bound);
        sink.metric("ratio", ratio);
        sink.count("max_in_flight", self.seen.max_in_flight());
        sink.count("ok", get(&self.ok));
        sink.count("errors_404", get(&self.by_kind[0]));
        sink.count("errors_500", get(&self.by_kind[1]));
        sink.count("errors_other", get(&self.by_kind[2]));
        sink.count("served_404", self.seen.served(404));
        sink.count("served_500", self.seen.served(500));
        let (ok, e404, e500, other) = (
            get(&self.ok),
            get(&self.by_kind[0]),
            get(&self.by_kind[1]),
            get(&self.by_kind[2]),
        );
        let (s404, s500) = (self.seen.served(404), self.seen.served(500));
        sink.log(tr!(
            "{ok} ok · 404 × {e404} · 500 × {e500} · other × {other}",
            "成功 {ok} · 404 × {e404} · 500 × {e500} · 其他 × {other}"
        ));
        sink.log(tr!(
            "the server sent 404 × {s404}, 500 × {s500}",
            "服务器送出 404 × {s404}、500 × {s500}"
        ));
        let (server, client) = (self.seen.max_in_flight(), get(&self.max_in_flight));
        sink.log(tr!(
            "most in flight at once: server {server}, here {client}",
            "同时在途最多：服务器端 {server}，本端 {client}"
        ));
        let (w, b) = (wall.as_secs_f64() * 1000.0, bound.as_secs_f64() * 1000.0);
        sink.status(tr!(
            "{w:.0} ms, bound {b:.0} ms: {ratio:.2}x",
            "用时 {w:.0} 毫秒，下界 {b:.0} 毫秒：{ratio:.2} 倍"
        ));
    }
}

/// The time the downloads cannot beat: waves of `limit`, each one latency long.
fn bound(k: &Downloads, limit: u32) -> Duration {
    let waves = k.count.div_ceil(limit.max(1));
    Duration::from_millis(k.latency_ms) * waves
}

fn blocking_lane(
    lane: LaneCtx,
    name: &'static str,
    target: Target,
    k: Downloads,
    style: Style,
) -> LaneResult {
    let plan = k.plan();
    let workers = if style == Style::Sequential {
        1
    } else {
        (k.limit as usize).min(plan.codes.len())
    };
    let (count, latency) = (plan.codes.len(), k.latency_ms);
    lane.sink.log(match style {
        Style::Sequential => tr!(
            "{count} flags, one at a time, blocking client (ureq)",
            "{count} 面国旗，一次一个，阻塞式客户端（ureq）"
        ),
        _ => tr!(
            "{count} flags, {workers} OS threads, blocking client (ureq)",
            "{count} 面国旗，{workers} 个操作系统线程，阻塞式客户端（ureq）"
        ),
    });
    if style == Style::Sequential {
        let addr = target.addr;
        lane.sink.log(tr!(
            "server: http://{addr}/ (hyper, own thread)",
            "服务器：http://{addr}/（hyper，独立线程）"
        ));
        lane.sink.log(tr!(
            "each {latency} ms: GET /{name}/flags/CC.svg",
            "每个 {latency} 毫秒：GET /{name}/flags/CC.svg"
        ));
    }
    let tally = Tally::new(lane.clone(), name, &target, count);
    fetch_on_threads(&tally, &plan.codes, workers, target.addr);
    lane.cancel.check()?;
    let limit = if style == Style::Sequential {
        1
    } else {
        k.limit
    };
    tally.report(bound(&k, limit));
    Ok(())
}

/// Every flag, on `workers` OS threads that each take the next one until
/// none is left; results are recorded as they complete.
fn fetch_on_threads(tally: &Tally, codes: &[String], workers: usize, addr: std::net::SocketAddr) {
    let lane = &tally.lane;
    let agent = client::agent(workers);
    let next = AtomicUsize::new(0);
    let (tx, rx) = crossbeam_channel::unbounded();
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for w in 0..workers {
            let (tx, agent, next) = (tx.clone(), agent.clone(), &next);
            let work = move || {
                while lane.cancel.check().is_ok() {
                    let Some(cc) = codes.get(next.fetch_add(1, Ordering::SeqCst)) else {
                        break;
                    };
                    tally.begin();
                    let result = client::fetch_blocking(&agent, addr, tally.name, cc);
                    tally.end();
                    if tx.send(result).is_err() {
                        break;
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name(thread_name(ID, &format!("worker-{w}")))
                .spawn_scoped(scope, work);
            if let Err(e) = spawned {
                lane.sink.log(tr!(
                    "could not start worker {w}: {e}",
                    "无法启动工作线程 {w}：{e}"
                ));
            }
        }
        drop(tx);
        // The server's count changes while every worker is blocked in a
        // request: a ticker shows it as it is.
        let ticker = std::thread::Builder::new()
            .name(thread_name(ID, "ticker"))
            .spawn_scoped(scope, || {
                while !finished.load(Ordering::SeqCst) && lane.cancel.wait_for(TICK).is_ok() {
                    tally.show();
                }
            });
        // As completed: whichever worker finishes next.
        for result in rx.iter() {
            if lane.cancel.is_cancelled() {
                continue;
            }
            tally.record(result);
        }
        finished.store(true, Ordering::SeqCst);
        drop(ticker);
    });
}

async fn async_lane(lane: LaneCtx, name: &'static str, target: Target, k: Downloads) -> LaneResult {
    let plan = k.plan();
    let (count, limit) = (plan.codes.len(), k.limit);
    lane.sink.log(tr!(
        "{count} tasks, one loop, Semaphore({limit}), hyper client",
        "{count} 个任务，一个事件循环，Semaphore({limit})，hyper 客户端"
    ));
    let tally = Rc::new(Tally::new(lane.clone(), name, &target, count));
    let sem = Arc::new(Semaphore::new(limit as usize));
    let mut set = tokio::task::JoinSet::new();
    for cc in plan.codes {
        let (sem, tally, addr) = (sem.clone(), tally.clone(), target.addr);
        set.spawn_local(async move {
            // Held until the answer has been read; given back on drop.
            let _permit = sem.acquire_owned().await;
            tally.begin();
            let result = client::fetch_async(addr, tally.name, &cc).await;
            tally.end();
            result
        });
    }
    let ticker = {
        let tally = tally.clone();
        tokio::task::spawn_local(async move {
            loop {
                tally.lane.clock.sleep(TICK).await;
                tally.show();
            }
        })
    };
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(result) => tally.record(result),
            Err(e) => lane.sink.log(LocalText::same(format!("✗ {e}"))),
        }
    }
    ticker.abort();
    tally.report(bound(&k, limit));
    Ok(())
}

#[cfg(test)]
mod tests;
