//! `io-models`: one loopback workload (K clients x M short requests) served
//! five ways — blocking, non-blocking polling, epoll, signal-driven (SIGIO on
//! UDP) and io_uring — with every system call counted and traced.

mod servers;
pub mod sys;
pub mod workload;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::lane::{LaneResult, spawn_lane, thread_name};
use super::turns::{HandOver, Turn};
use super::{
    DemoCtx, DemoDef, DemoInfo, LaneCtx, LaneError, LaneInfo, MetricInfo, Unit, column, metric,
};
use crate::i18n::{LocalText, Text};
use crate::tr;
use sys::{Counters, Tracer};
use workload::{Load, LoadKnobs, expected, tcp_client, udp_client};

const ID: &str = "io-models";

/// The figures every model reports; the table shows the ones with a column.
macro_rules! common_metrics {
    ($($extra:expr),* $(,)?) => {
        &[
            column("syscalls", Unit::Count, "syscalls"),
            column("wasted_calls", Unit::Count, "wasted"),
            metric("wakeups", Unit::Count),
            column("threads", Unit::Count, "threads"),
            column("cpu_ms", Unit::Ms, "cpu_ms"),
            metric("wall_ms", Unit::Ms),
            metric("requests", Unit::Count),
            metric("bytes", Unit::Bytes),
            column("checksum_ok", Unit::Flag, "ok"),
            $($extra),*
        ]
    };
}
const COMMON: &[MetricInfo] = common_metrics!();

const fn lane(name: &'static str, title: Text, metrics: &'static [MetricInfo]) -> LaneInfo {
    LaneInfo {
        name,
        title,
        metrics,
        code: "",
    }
}

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new("The I/O models, live", "I/O 模型，现场运行"),
    lanes: &[
        lane(
            "blocking",
            Text::new(
                "blocking: a thread per connection",
                "blocking：每连接一个线程",
            ),
            COMMON,
        ),
        lane(
            "nonblocking",
            Text::new(
                "nonblocking: one thread polling",
                "nonblocking：一个线程轮询",
            ),
            COMMON,
        ),
        lane(
            "epoll",
            Text::new(
                "epoll: one thread in epoll_wait",
                "epoll：一个线程在 epoll_wait",
            ),
            COMMON,
        ),
        lane(
            "signal",
            Text::new(
                "signal: SIGIO on a UDP socket",
                "signal：UDP 套接字上的 SIGIO",
            ),
            common_metrics!(metric("sigio", Unit::Count)),
        ),
        lane(
            "io-uring",
            Text::new(
                "io-uring: the kernel completes I/O",
                "io-uring：由内核完成 I/O",
            ),
            common_metrics!(
                metric("submissions", Unit::Count),
                metric("completions", Unit::Count),
                metric("available", Unit::Flag),
            ),
        ),
    ],
    failure: None,
};

pub static DEMO: DemoDef<LoadKnobs> = DemoDef::new(&INFO, start);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Model {
    Blocking,
    Nonblocking,
    Epoll,
    Signal,
    IoUring,
}

const MODELS: [Model; 5] = [
    Model::Blocking,
    Model::Nonblocking,
    Model::Epoll,
    Model::Signal,
    Model::IoUring,
];

fn start(ctx: DemoCtx, knobs: LoadKnobs) -> Vec<JoinHandle<()>> {
    let load = Load::from(&knobs);
    // The models take turns, so none competes with another for the cores.
    let mut previous: Option<Arc<Turn>> = None;
    let mut threads = Vec::new();
    for (i, model) in MODELS.into_iter().enumerate() {
        let mine = Arc::new(Turn::default());
        let hand_over = HandOver(mine.clone());
        let wait_for = previous.replace(mine);
        let name = INFO.lanes[i].name;
        threads.extend(spawn_lane(ID, name, ctx.lane(i), move |lane| {
            let _turn = hand_over;
            if let Some(prev) = wait_for {
                lane.sink.waiting();
                lane.sink.log(tr!(
                    "waits its turn: one model at a time",
                    "等待轮到自己：一次只跑一个模型"
                ));
                prev.wait(&lane)?;
            }
            model_lane(lane, model, load)
        }));
    }
    threads
}

/// Runs `server` while K clients load it; the clients' checksum.
fn with_clients(
    addr: SocketAddr,
    udp: bool,
    load: Load,
    lane: &LaneCtx,
    server: impl FnOnce() -> LaneResult,
) -> Result<u64, LaneError> {
    let gone = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..load.clients)
        .map(|c| {
            let (lane, gone) = (lane.clone(), gone.clone());
            std::thread::Builder::new()
                .name(thread_name(ID, &format!("client-{c}")))
                .spawn(move || {
                    if udp {
                        udp_client(addr, c, load, &lane, &gone)
                    } else {
                        tcp_client(addr, c, load, &lane, &gone)
                    }
                })
        })
        .collect();
    let served = server();
    gone.store(true, Ordering::SeqCst);
    let mut sum = 0u64;
    for c in clients.into_iter().flatten() {
        sum = sum.wrapping_add(c.join().ok().and_then(Result::ok).unwrap_or(0));
    }
    served.map(|()| sum)
}

fn model_lane(lane: LaneCtx, model: Model, load: Load) -> LaneResult {
    let counters = Counters::default();
    let tracer = Tracer::default();
    let (c, t) = (&counters, &tracer);
    let started = lane.clock.now();
    let (clients, requests) = (load.clients, load.requests);
    lane.sink.log(tr!(
        "{clients} clients x {requests} requests on 127.0.0.1",
        "{clients} 个客户端 x 每个 {requests} 个请求，在 127.0.0.1 上"
    ));
    let checksum = match model {
        Model::Signal => {
            let sock = UdpSocket::bind("127.0.0.1:0")?;
            let addr = sock.local_addr()?;
            with_clients(addr, true, load, &lane, || {
                servers::signal(sock, load, &lane, c, t)
            })?
        }
        _ => {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            if model == Model::IoUring {
                // Ask for a ring before any client connects: it may be refused.
                if let Err(e) = io_uring::IoUring::new(4) {
                    lane.sink
                        .log(LocalText::same(format!("io_uring_setup(4) = -1: {e}")));
                    lane.sink.status(tr!(
                        "io_uring is not available here: {e}",
                        "这里用不了 io_uring：{e}"
                    ));
                    lane.sink.flag("available", false);
                    return Ok(());
                }
                lane.sink.flag("available", true);
            }
            with_clients(addr, false, load, &lane, || match model {
                Model::Blocking => servers::blocking(listener, load, &lane, c, t),
                Model::Nonblocking => servers::nonblocking(listener, load, &lane, c, t),
                Model::Epoll => servers::epoll(listener, load, &lane, c, t),
                _ => servers::io_uring(listener, load, &lane, c, t),
            })?
        }
    };
    let ok = checksum == expected(load.clients, load.requests);
    let get = |a: &std::sync::atomic::AtomicU64| c.get(a);
    lane.sink.count("syscalls", get(&c.syscalls));
    lane.sink.count("wasted_calls", get(&c.wasted));
    lane.sink.count("wakeups", get(&c.wakeups));
    lane.sink.count("threads", get(&c.threads));
    lane.sink.metric("cpu_ms", get(&c.cpu_ns) as f64 / 1e6);
    lane.sink
        .ms("wall_ms", lane.clock.now().saturating_sub(started));
    lane.sink.count("requests", get(&c.requests));
    lane.sink.metric("bytes", get(&c.bytes) as f64);
    lane.sink.flag("checksum_ok", ok);
    match model {
        Model::Signal => lane.sink.count("sigio", get(&c.sigio)),
        Model::IoUring => {
            lane.sink.count("submissions", get(&c.submissions));
            lane.sink.count("completions", get(&c.completions));
        }
        _ => {}
    }
    let calls = get(&c.syscalls).max(1);
    let (requests, threads) = (get(&c.requests), get(&c.threads));
    let wasted = 100.0 * get(&c.wasted) as f64 / calls as f64;
    let mut status = tr!(
        "{requests} requests · {threads} thread(s) · {wasted:.0}% of {calls} calls wasted",
        "{requests} 个请求 · {threads} 个线程 · {calls} 次调用中 {wasted:.0}% 白费"
    );
    if !ok {
        status.en.push_str(" · CHECKSUM MISMATCH");
        status.zh.push_str(" · 校验和不符");
    }
    lane.sink.status(status);
    Ok(())
}
