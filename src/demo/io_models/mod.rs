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
use super::{Cancelled, Demo, DemoCtx, DemoInfo, LaneCtx, LaneInfo, ParamInfo, Unit};
use sys::{Counters, Tracer};
use workload::{Load, expected, tcp_client, udp_client};

const ID: &str = "io-models";
const COMMON: &[&str] = &[
    "syscalls",
    "wasted_calls",
    "wakeups",
    "threads",
    "cpu_ms",
    "wall_ms",
    "requests",
    "bytes",
    "checksum_ok",
];

const fn lane(
    name: &'static str,
    title: &'static str,
    title_zh: &'static str,
    metrics: &'static [&'static str],
) -> LaneInfo {
    LaneInfo {
        name,
        title,
        title_zh,
        metrics,
        code: "",
    }
}

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: "The I/O models, live",
    title_zh: "I/O 模型，现场运行",
    lanes: &[
        lane(
            "blocking",
            "blocking: a thread per connection",
            "blocking：每连接一个线程",
            COMMON,
        ),
        lane(
            "nonblocking",
            "nonblocking: one thread polling",
            "nonblocking：一个线程轮询",
            COMMON,
        ),
        lane(
            "epoll",
            "epoll: one thread in epoll_wait",
            "epoll：一个线程在 epoll_wait",
            COMMON,
        ),
        lane(
            "signal",
            "signal: SIGIO on a UDP socket",
            "signal：UDP 套接字上的 SIGIO",
            &[
                "syscalls",
                "wasted_calls",
                "wakeups",
                "threads",
                "cpu_ms",
                "wall_ms",
                "requests",
                "bytes",
                "checksum_ok",
                "sigio",
            ],
        ),
        lane(
            "io-uring",
            "io-uring: the kernel completes I/O",
            "io-uring：由内核完成 I/O",
            &[
                "syscalls",
                "wasted_calls",
                "wakeups",
                "threads",
                "cpu_ms",
                "wall_ms",
                "requests",
                "bytes",
                "checksum_ok",
                "submissions",
                "completions",
                "available",
            ],
        ),
    ],
    params: &[
        ParamInfo {
            name: "clients",
            help: "client connections (K)",
            default: "8",
        },
        ParamInfo {
            name: "requests",
            help: "requests per client (M)",
            default: "50",
        },
        ParamInfo {
            name: "think_ms",
            help: "a client's pause between requests, in ms",
            default: "10",
        },
    ],
};

pub struct IoModelsDemo;

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

impl Demo for IoModelsDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        // The models take turns, so none competes with another for the cores.
        let mut previous: Option<Arc<Turn>> = None;
        let mut threads = Vec::new();
        for (i, model) in MODELS.into_iter().enumerate() {
            let mine = Arc::new(Turn::default());
            let hand_over = HandOver(mine.clone());
            let wait_for = previous.replace(mine);
            let name = INFO.lanes[i].name;
            threads.push(spawn_lane(ID, name, ctx.lane(i), move |lane| {
                let _turn = hand_over;
                if let Some(prev) = wait_for {
                    lane.sink.log("waits its turn: one model at a time");
                    prev.wait(&lane)?;
                }
                model_lane(lane, model)
            }));
        }
        threads
    }
}

/// Runs `server` while K clients load it; the clients' checksum.
fn with_clients(
    addr: SocketAddr,
    udp: bool,
    load: Load,
    lane: &LaneCtx,
    server: impl FnOnce() -> Result<(), Cancelled>,
) -> Result<u64, Cancelled> {
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

fn model_lane(lane: LaneCtx, model: Model) -> LaneResult {
    let load = Load::of(&lane);
    let counters = Counters::default();
    let tracer = Tracer::default();
    let (c, t) = (&counters, &tracer);
    let started = lane.clock.now();
    lane.sink.log(format!(
        "{} clients x {} requests on 127.0.0.1",
        load.clients, load.requests
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
                    lane.sink.log(format!("io_uring_setup(4) = -1: {e}"));
                    lane.sink
                        .status(format!("io_uring is not available here: {e}"));
                    lane.sink.metric("available", 0.0, Unit::Flag);
                    return Ok(());
                }
                lane.sink.metric("available", 1.0, Unit::Flag);
            }
            let mut refused = None;
            let sum = with_clients(addr, false, load, &lane, || match model {
                Model::Blocking => servers::blocking(listener, load, &lane, c, t),
                Model::Nonblocking => servers::nonblocking(listener, load, &lane, c, t),
                Model::Epoll => servers::epoll(listener, load, &lane, c, t),
                _ => match servers::io_uring(listener, load, &lane, c, t)? {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        refused = Some(e);
                        Ok(())
                    }
                },
            })?;
            if let Some(e) = refused {
                lane.sink.log(e.clone());
                lane.sink.status(format!("io_uring failed: {e}"));
            }
            sum
        }
    };
    let ok = checksum == expected(load.clients, load.requests);
    let get = |a: &std::sync::atomic::AtomicU64| c.get(a);
    lane.sink.count("syscalls", get(&c.syscalls));
    lane.sink.count("wasted_calls", get(&c.wasted));
    lane.sink.count("wakeups", get(&c.wakeups));
    lane.sink.count("threads", get(&c.threads));
    lane.sink
        .metric("cpu_ms", get(&c.cpu_ns) as f64 / 1e6, Unit::Ms);
    lane.sink
        .ms("wall_ms", lane.clock.now().saturating_sub(started));
    lane.sink.count("requests", get(&c.requests));
    lane.sink.metric("bytes", get(&c.bytes) as f64, Unit::Bytes);
    lane.sink
        .metric("checksum_ok", if ok { 1.0 } else { 0.0 }, Unit::Flag);
    match model {
        Model::Signal => lane.sink.count("sigio", get(&c.sigio)),
        Model::IoUring => {
            lane.sink.count("submissions", get(&c.submissions));
            lane.sink.count("completions", get(&c.completions));
        }
        _ => {}
    }
    let calls = get(&c.syscalls).max(1);
    lane.sink.status(format!(
        "{} requests · {} thread{} · {:.0}% of {} calls wasted{}",
        get(&c.requests),
        get(&c.threads),
        if get(&c.threads) == 1 { "" } else { "s" },
        100.0 * get(&c.wasted) as f64 / calls as f64,
        calls,
        if ok { "" } else { " · CHECKSUM MISMATCH" }
    ));
    Ok(())
}
