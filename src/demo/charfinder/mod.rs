//! `charfinder`: a Unicode character finder served two ways — one OS thread
//! per connection, and one event loop with a task per connection — each
//! over a line protocol (`nc 127.0.0.1 PORT`, then `cat face`) and over
//! HTTP, on 127.0.0.1 at ports the OS picks. A load generator then holds a
//! growing crowd of mostly idle clients (10 → 100 → 1000) against each
//! server in turn, and measures the server's threads, its memory per client
//! (how much the process's memory grows while only that lane is loaded:
//! see [`load::Memory`]) and how long the clients wait for their answers.
//!
//! `f` makes the handler of the load's first client sleep, blocking its thread,
//! before each answer: on the event loop every client waits; with threads,
//! only that one.
//!
//! In the app (and under `--seconds`) the servers keep serving after the
//! load, until the demo is stopped, so they can be tried by hand. The load
//! generator works on any address (see [`load::Probe`]): the third lane,
//! `py-event-loop`, is the same finder on an asyncio loop in a child
//! process (see [`python`]), loaded by the same generator after the others.

mod event_loop;
mod index;
mod load;
mod proto;
mod python;
mod service;
mod threads;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::python::PyLane;
use super::turns::{HandOver, Turn};
use super::{
    Cancelled, DemoCtx, DemoDef, DemoInfo, Knobs, LaneCtx, LaneError, LaneInfo, MetricInfo, Unit,
    column, metric,
};
use crate::i18n::Text;
use crate::tr;
use event_loop::LoopServer;
use load::{Generator, Level, Memory, Probe};
use service::Service;
use threads::ThreadServer;

const ID: &str = "charfinder";

const METRICS: &[MetricInfo] = &[
    column("clients", Unit::Count, "clients"),
    column("threads", Unit::Count, "threads"),
    column("kib_per_client", Unit::KiB, "KiB/client"),
    column("p50_ms", Unit::Ms, "p50"),
    column("p99_ms", Unit::Ms, "p99"),
    metric("slow_clients", Unit::Count),
    column("errors", Unit::Count, "errors"),
];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "The character finder under a growing crowd",
        "字符查找服务器，面对越来越多的客户端",
    ),
    lanes: &[
        LaneInfo {
            name: "threads",
            title: Text::new(
                "threads: one OS thread per connection",
                "threads：每个连接一个操作系统线程",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "event-loop",
            title: Text::new(
                "event-loop: one thread, a task per connection",
                "event-loop：一个线程，每个连接一个任务",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-event-loop",
            title: Text::new(
                "py-event-loop: asyncio.start_server, a coroutine per connection",
                "py-event-loop：asyncio.start_server，每个连接一个协程",
            ),
            metrics: METRICS,
            code: python::PY_SCRIPT.code,
        },
    ],
    failure: Some(Text::new(
        "f: one handler sleeps (a blocking call) before each answer; again: it does not",
        "f：一个处理函数在每次回答前睡眠（阻塞调用）；再按一次：不再睡眠",
    )),
};

/// The crowd and the deliberate failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Crowd {
    levels: Vec<usize>,
    hold_ms: u64,
    think_ms: u64,
    block_ms: u64,
}

impl Default for Crowd {
    fn default() -> Self {
        Crowd {
            levels: vec![10, 100, 1000],
            hold_ms: 1000,
            think_ms: 1000,
            block_ms: 0,
        }
    }
}

/// The most clients a level may ask for (two descriptors each, and a thread
/// each on the threads lane).
const MAX_CLIENTS: usize = 2000;

impl Knobs for Crowd {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "levels",
            Text::new(
                "how many clients at each step of the load, growing",
                "负载每一步的客户端数，逐步增加",
            ),
        ),
        (
            "hold_ms",
            Text::new(
                "how long each step is timed, in ms",
                "每一步计时多久（毫秒）",
            ),
        ),
        (
            "think_ms",
            Text::new(
                "each client sends a query about this often, in ms",
                "每个客户端大约每隔这么久发一次查询（毫秒）",
            ),
        ),
        (
            "block_ms",
            Text::new(
                "the handler of the load's first client sleeps this long, blocking, before each answer (0: never)",
                "负载中第一个客户端的处理函数每次回答前阻塞睡眠这么久（0：从不）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        let rising = self.levels.windows(2).all(|w| w[0] < w[1]);
        if self.levels.is_empty() || self.levels.len() > 5 || !rising {
            return Err("levels must list 1 to 5 growing numbers of clients".into());
        }
        if self.levels.iter().any(|n| !(1..=MAX_CLIENTS).contains(n)) {
            return Err(format!(
                "levels must be between 1 and {MAX_CLIENTS} clients"
            ));
        }
        if !(100..=60_000).contains(&self.hold_ms) {
            return Err("hold_ms must be between 100 and 60000".into());
        }
        if !(10..=60_000).contains(&self.think_ms) {
            return Err("think_ms must be between 10 and 60000".into());
        }
        if self.block_ms > 10_000 {
            return Err("block_ms must be at most 10000".into());
        }
        Ok(())
    }

    fn next_failure(&self) -> Option<Self> {
        let block_ms = if self.block_ms > 0 { 0 } else { 500 };
        Some(Crowd {
            block_ms,
            ..self.clone()
        })
    }
}

pub static DEMO: DemoDef<Crowd> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, crowd: Crowd) -> Vec<JoinHandle<()>> {
    let mut threads: Vec<JoinHandle<()>> = index::build_in_background(ID, ctx.cancel.clone())
        .into_iter()
        .collect();
    // The lanes are loaded in turn, so the memory one gains is its own, and
    // no lane's answers wait for another's work on the cores.
    let (second, third) = (Arc::new(Turn::default()), Arc::new(Turn::default()));
    let first = HandOver(second.clone());
    let (c1, c2) = (crowd.clone(), crowd.clone());
    threads.extend(spawn_lane(ID, "threads", ctx.lane(0), move |lane| {
        threads_lane(lane, c1, first)
    }));
    let then = HandOver(third.clone());
    threads.extend(spawn_async_lane(
        ID,
        "event-loop",
        ctx.lane(1),
        false,
        move |lane, _| event_loop_lane(lane, c2, second, then),
    ));
    // A handler that blocks (f) may hold the script that long, silent,
    // when it is interrupted.
    let quiet = Duration::from_millis(crowd.block_ms) + Duration::from_secs(10);
    threads.extend(
        PyLane::new(ID, "py-event-loop", &python::PY_SCRIPT, &crowd)
            .after(third)
            .quiet(quiet)
            .beside(python::LoadPython::new(crowd))
            .spawn(ctx.lane(2)),
    );
    threads
}

/// The process's resident memory, in bytes, after handing freed memory
/// back to the system (so what one lane freed is not counted for the next).
fn rss() -> Option<u64> {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only gives free heap pages back to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// The heap in use, in bytes, over every malloc arena (glibc).
fn heap() -> Option<u64> {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: mallinfo2 only reads the allocator's counters.
        let info = unsafe { libc::mallinfo2() };
        Some((info.uordblks + info.hblkhd) as u64)
    }
    #[cfg(not(target_env = "gnu"))]
    None
}

fn memory() -> Memory {
    Memory {
        resident: rss(),
        heap: heap(),
    }
}

struct ThreadsProbe(Arc<Service>);

impl Probe for ThreadsProbe {
    fn threads(&self) -> usize {
        self.0.live_threads.load(Ordering::SeqCst)
    }
    fn memory(&self) -> Memory {
        memory()
    }
}

struct LoopProbe(Arc<Service>);

impl Probe for LoopProbe {
    fn threads(&self) -> usize {
        self.0.threads_ran()
    }
    fn memory(&self) -> Memory {
        memory()
    }
}

/// How many clients the open-file limit leaves room for: the soft limit is
/// raised (within the hard one) as far as `wanted` needs; past the hard
/// limit, the clients are capped and the lane says why.
fn room_for(lane: &LaneCtx, wanted: usize) -> usize {
    let open = std::fs::read_dir("/proc/self/fd").map_or(64, |d| d.count());
    // Two descriptors per client (its end and the server's), and a margin.
    let need = (open + 2 * wanted + 64) as libc::rlim_t;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return wanted;
    }
    if lim.rlim_cur >= need {
        return wanted;
    }
    let (before, hard) = (lim.rlim_cur, lim.rlim_max);
    lim.rlim_cur = need.min(hard);
    // SAFETY: as above; a soft limit within the hard one is always allowed.
    let raised = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0;
    let now = if raised { lim.rlim_cur } else { before };
    if raised && now > before {
        lane.sink.log(tr!(
            "open-file limit raised from {before} to {now} (hard limit {hard})",
            "打开文件数上限从 {before} 提高到 {now}（硬上限 {hard}）"
        ));
    }
    if now >= need {
        return wanted;
    }
    let fit = (now as usize).saturating_sub(open + 64) / 2;
    lane.sink.log(tr!(
        "only {fit} clients: the open-file limit is {now} (hard limit {hard}), and each client needs 2",
        "只能有 {fit} 个客户端：打开文件数上限是 {now}（硬上限 {hard}），每个客户端要 2 个"
    ));
    fit
}

fn announce(lane: &LaneCtx, line: SocketAddr, http: SocketAddr) {
    lane.sink.log(tr!(
        "nc {line}, then type: cat face",
        "nc {line}，然后输入：cat face"
    ));
    lane.sink.log(tr!(
        "browser: http://{http}/?q=cat+face",
        "浏览器：http://{http}/?q=cat+face"
    ));
    lane.sink.status(tr!(
        "nc {line} · type: cat face",
        "nc {line} · 输入：cat face"
    ));
}

/// What the load tells the server it loads, and asks of it.
trait Loaded: Send + Sync {
    /// The load's first client connects next, alone (`f` blocks its handler).
    fn load_starts(&self);
    /// The load's clients are gone; later connections are people's.
    fn load_ends(&self);
    /// Connections the server could not take: errors the load cannot see.
    fn refused(&self) -> u64;
}

impl Loaded for Service {
    fn load_starts(&self) {
        Service::load_starts(self);
    }
    fn load_ends(&self) {
        Service::load_ends(self);
    }
    fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }
}

fn report_level(lane: &LaneCtx, refused: u64, level: &Level) {
    let sink = &lane.sink;
    let clients = level.clients;
    let kib = level.memory_growth.max(0) as f64 / 1024.0 / clients.max(1) as f64;
    let errors = level.errors + refused;
    sink.count("clients", clients as u64);
    sink.count("threads", level.threads as u64);
    sink.metric("kib_per_client", kib);
    sink.metric("p50_ms", level.p50_ms);
    sink.metric("p99_ms", level.p99_ms);
    sink.count("slow_clients", level.slow_clients as u64);
    sink.count("errors", errors);
    let (threads, p50, p99, slow) = (
        level.threads,
        level.p50_ms,
        level.p99_ms,
        level.slow_clients,
    );
    let connect = level.connect_ms;
    sink.log(tr!(
        "{clients} clients: threads {threads} · {kib:.1} KiB each",
        "{clients} 个客户端：线程 {threads} 个 · 每个 {kib:.1} KiB"
    ));
    sink.log(tr!(
        "  p50 {p50:.1} · p99 {p99:.1} ms · slow {slow} · errors {errors}",
        "  p50 {p50:.1} · p99 {p99:.1} 毫秒 · 慢 {slow} · 错误 {errors}"
    ));
    // Connecting is slow only when the server cannot accept in time.
    if connect >= 500.0 {
        sink.log(tr!(
            "  connecting them took {connect:.0} ms",
            "  连接它们用了 {connect:.0} 毫秒"
        ));
    }
    sink.status(tr!(
        "{clients} clients · {kib:.1} KiB each · p99 {p99:.1} ms",
        "{clients} 个客户端 · 每个 {kib:.1} KiB · p99 {p99:.1} 毫秒"
    ));
}

/// Runs the load against `addr` on a thread of its own (never on the
/// server's loop); `done` hears when it ends.
fn start_load(
    lane: &LaneCtx,
    crowd: &Crowd,
    addr: SocketAddr,
    svc: Arc<dyn Loaded>,
    probe: Box<dyn Probe + Send>,
    done: impl FnOnce(Result<(), LaneError>) + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let cap = room_for(lane, crowd.levels.iter().copied().max().unwrap_or(0));
    let mut levels: Vec<usize> = crowd.levels.iter().map(|n| (*n).min(cap)).collect();
    levels.dedup();
    let plan = load::Plan {
        levels,
        hold: Duration::from_millis(crowd.hold_ms),
        think: Duration::from_millis(crowd.think_ms),
        first_busy: crowd.block_ms > 0,
    };
    let lane = lane.clone();
    std::thread::Builder::new()
        .name(thread_name(ID, "load"))
        .spawn(move || {
            let run = || -> Result<(), LaneError> {
                let index = index::wait(&lane.cancel)?;
                let generator = Generator::new(addr, index, &lane, &plan)?;
                svc.load_starts();
                let result = generator.run(probe.as_ref(), &mut |level| {
                    report_level(&lane, svc.refused(), level)
                });
                svc.load_ends();
                result.map_err(LaneError::from)
            };
            done(run());
        })
}

/// After the load: keep serving until the run is stopped, when it ends
/// only then (the app, `--seconds`); else end here.
fn after_load(lane: &LaneCtx, line: SocketAddr, http: SocketAddr) -> bool {
    if !lane.open_ended {
        return false;
    }
    lane.sink.log(tr!(
        "load done; serving on until the demo stops",
        "负载结束；继续服务，直到演示停止"
    ));
    lane.sink.status(tr!(
        "still serving: nc {line} · http://{http}/",
        "仍在服务：nc {line} · http://{http}/"
    ));
    true
}

fn wait_index(lane: &LaneCtx) -> Result<&'static index::Index, Cancelled> {
    if index::ready().is_none() {
        lane.sink.status(tr!(
            "building the index of character names…",
            "正在建立字符名称索引……"
        ));
    }
    let index = index::wait(&lane.cancel)?;
    let (chars, words, ms) = (index.chars, index.words(), index.built_in.as_millis());
    lane.sink.log(tr!(
        "index: {chars} characters, {words} words (built in {ms} ms)",
        "索引：{chars} 个字符，{words} 个词（建立用时 {ms} 毫秒）"
    ));
    Ok(index)
}

fn service(lane: &LaneCtx, crowd: &Crowd, index: &'static index::Index) -> Arc<Service> {
    let block = Duration::from_millis(crowd.block_ms);
    if !block.is_zero() {
        let ms = crowd.block_ms;
        lane.sink.log(tr!(
            "f: the handler of the load's first client sleeps {ms} ms (blocking) before each answer; that client asks again at once",
            "f：负载中第一个客户端的处理函数每次回答前阻塞睡眠 {ms} 毫秒；这个客户端一拿到回答就再问"
        ));
    }
    Arc::new(Service::new(
        index,
        block,
        lane.clock.clone(),
        lane.cancel.clone(),
        lane.sink.clone(),
    ))
}

fn threads_lane(lane: LaneCtx, crowd: Crowd, turn: HandOver) -> LaneResult {
    let index = wait_index(&lane)?;
    let svc = service(&lane, &crowd, index);
    let server = ThreadServer::start(svc.clone())?;
    announce(&lane, server.line_addr, server.http_addr);
    let (tx, rx) = crossbeam_channel::bounded(1);
    let probe = Box::new(ThreadsProbe(svc.clone()));
    let load = start_load(&lane, &crowd, server.line_addr, svc, probe, move |r| {
        let _ = tx.send(r);
    })?;
    let result = rx.recv().unwrap_or(Err(LaneError::Cancelled));
    let _ = load.join();
    result?;
    // The clients are gone; their threads end before the next lane measures.
    server.settle(&lane.cancel)?;
    drop(turn);
    if after_load(&lane, server.line_addr, server.http_addr) {
        while lane.cancel.wait_for(Duration::from_secs(3600)).is_ok() {}
        return Err(LaneError::Cancelled);
    }
    Ok(())
}

/// Joins the load thread whatever ends the lane (a stop drops the lane's
/// future): no thread outlives the demo.
struct JoinOnDrop(Option<JoinHandle<()>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            let _ = t.join();
        }
    }
}

async fn event_loop_lane(
    lane: LaneCtx,
    crowd: Crowd,
    turn: Arc<Turn>,
    then: HandOver,
) -> LaneResult {
    let index = wait_index(&lane)?;
    let svc = service(&lane, &crowd, index);
    let server = LoopServer::start(svc.clone())?;
    announce(&lane, server.line_addr, server.http_addr);
    // Wait for the turn without blocking the loop: it serves meanwhile.
    if !turn.is_done() {
        lane.sink.log(tr!(
            "waits for the threads lane: one load at a time",
            "等 threads 泳道先加负载：一次只加载一个泳道"
        ));
        while !turn.is_done() {
            lane.clock.sleep(Duration::from_millis(25)).await;
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let probe = Box::new(LoopProbe(svc.clone()));
    let load = start_load(&lane, &crowd, server.line_addr, svc, probe, move |r| {
        let _ = tx.send(r);
    })?;
    let _join = JoinOnDrop(Some(load));
    rx.await.unwrap_or(Err(LaneError::Cancelled))?;
    drop(then);
    if after_load(&lane, server.line_addr, server.http_addr) {
        std::future::pending::<()>().await;
    }
    drop(server);
    Ok(())
}

#[cfg(test)]
mod tests;
