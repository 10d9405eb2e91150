//! `parallel`: the same jobs on one single-threaded event loop (concurrency:
//! they take turns) and on rayon's pool (parallelism: one worker per core).
//! The lanes take turns too, so they never compete for the cores.
//!
//! Work is measured as CPU time, per thread: a piece that waits for a core
//! because another program holds it gains wall time, not work. So `speedup`
//! (work ÷ wall) is the real gain, and `cores_used` (the process's CPU time
//! ÷ wall) shows how many cores the lane really got.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cpu::{cores, process_cpu, thread_cpu};
use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::python::{PyLane, PyScript};
use super::turns::{HandOver, Turn};
use super::{
    Cancelled, DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneError, LaneInfo,
    MetricInfo, Span, SpanState, Unit, column,
};
use crate::i18n::Text;
use crate::tr;

const ID: &str = "parallel";
/// Columns too: with the Python lanes there are five to compare.
const METRICS: &[MetricInfo] = &[
    column("wall_ms", Unit::Ms, "wall"),
    column("work_ms", Unit::Ms, "work"),
    column("speedup", Unit::Ratio, "speedup"),
    column("cores_used", Unit::Ratio, "cores"),
    column("threads", Unit::Count, "threads"),
];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new("Concurrency vs parallelism", "并发与并行"),
    lanes: &[
        LaneInfo {
            name: "event-loop",
            title: Text::new(
                "event-loop: one thread, jobs take turns",
                "event-loop：一个线程，任务轮流运行",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "rayon",
            title: Text::new("rayon: one worker per core", "rayon：每个核心一个工作线程"),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-event-loop",
            title: Text::new(
                "py-event-loop: asyncio tasks on one thread",
                "py-event-loop：一个线程上的 asyncio 任务",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-threads",
            title: Text::new(
                "py-threads: ThreadPoolExecutor (the GIL decides)",
                "py-threads：ThreadPoolExecutor（由 GIL 决定）",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-processes",
            title: Text::new(
                "py-processes: ProcessPoolExecutor, one process per worker",
                "py-processes：ProcessPoolExecutor，每个工作者一个进程",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: None,
};

/// The Python twins: the same plan on asyncio, threads and processes.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../assets/python/parallel.py"),
    texts: &[
        (
            "plan_py-event-loop",
            Text::new(
                "{jobs} {kind} jobs x {chunks} pieces of {ms} ms, as tasks on one loop",
                "{jobs} 个 {kind} 任务 x 每个 {chunks} 段、每段 {ms} 毫秒，作为任务跑在一个循环上",
            ),
        ),
        (
            "plan_py-threads",
            Text::new(
                "the same {jobs} jobs on a ThreadPoolExecutor of {workers} threads",
                "同样的 {jobs} 个任务，跑在有 {workers} 个线程的 ThreadPoolExecutor 上",
            ),
        ),
        (
            "plan_py-processes",
            Text::new(
                "the same {jobs} jobs on a ProcessPoolExecutor of {workers} processes",
                "同样的 {jobs} 个任务，跑在有 {workers} 个进程的 ProcessPoolExecutor 上",
            ),
        ),
        (
            "speedup",
            Text::new(
                "speedup {speedup}x · {cores} cores used",
                "加速 {speedup} 倍 · 用了 {cores} 个核心",
            ),
        ),
        (
            "gil_one_at_a_time",
            Text::new(
                "the GIL: one thread runs Python bytecode at a time",
                "GIL：同一时刻只有一个线程执行 Python 字节码",
            ),
        ),
        (
            "gil_no_rows",
            Text::new(
                "not on the timeline: under the GIL these threads hand it over every {ms} ms, finer than a row can show",
                "时间线上没有这一栏：在 GIL 下这些线程每 {ms} 毫秒交接一次，比一行能画出的更细",
            ),
        ),
        (
            "cores_busy",
            Text::new(
                "only ~{free} core(s) were free: another program held the rest",
                "只有约 {free} 个核心空闲：其余的被别的程序占着",
            ),
        ),
    ],
};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Real computation.
    Cpu,
    /// Real waits (timers).
    Io,
}

/// The jobs both lanes run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Plan {
    workload: Workload,
    jobs: u32,
    chunks: u32,
    chunk_ms: u64,
    threads: u32,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            workload: Workload::Cpu,
            jobs: (2 * cores()).max(4) as u32,
            chunks: 5,
            chunk_ms: 100,
            threads: cores() as u32,
        }
    }
}

impl Knobs for Plan {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "workload",
            Text::new(
                "cpu (real computation) or io (real waits)",
                "cpu（真实计算）或 io（真实等待）",
            ),
        ),
        (
            "jobs",
            Text::new(
                "how many jobs (default: 2 per core, at least 4)",
                "任务数（默认每核 2 个，至少 4 个）",
            ),
        ),
        (
            "chunks",
            Text::new(
                "pieces per job; the event loop switches jobs between pieces",
                "每个任务分几段；事件循环在段与段之间切换任务",
            ),
        ),
        (
            "chunk_ms",
            Text::new(
                "work in one piece, in ms of CPU time",
                "每段的工作量（CPU 时间，毫秒）",
            ),
        ),
        (
            "threads",
            Text::new(
                "rayon's pool size (default: one per core; 1 shows parallelism failing)",
                "rayon 线程池大小（默认每核一个；设为 1 可看到并行失效）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=64).contains(&self.jobs) {
            return Err("jobs must be between 1 and 64".into());
        }
        if !(1..=50).contains(&self.chunks) {
            return Err("chunks must be between 1 and 50".into());
        }
        if !(1..=2000).contains(&self.chunk_ms) {
            return Err("chunk_ms must be between 1 and 2000".into());
        }
        if !(1..=64).contains(&self.threads) {
            return Err("threads must be between 1 and 64".into());
        }
        Ok(())
    }
}

impl Plan {
    fn chunk(&self) -> Duration {
        Duration::from_millis(self.chunk_ms)
    }

    fn cpu(&self) -> bool {
        self.workload == Workload::Cpu
    }
}

pub static DEMO: DemoDef<Plan> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, plan: Plan) -> Vec<JoinHandle<()>> {
    let turn = Arc::new(Turn::default());
    let first = HandOver(turn.clone());
    // Then the Python lanes, one after the other, each after the one before.
    let turns: Vec<Arc<Turn>> = (0..3).map(|_| Arc::default()).collect();
    let after_rayon = HandOver(turns[0].clone());
    // A Python lane may be silent while its pieces compute: allow all of
    // its work four times over (a loaded machine gives it a fraction of a core).
    let quiet = plan.chunk() * plan.jobs * plan.chunks * 4;
    let python: Vec<_> = ["py-event-loop", "py-threads", "py-processes"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let lane = PyLane::new(ID, name, &PY_SCRIPT, &plan)
                .quiet(quiet)
                .after(turns[i].clone());
            let lane = match turns.get(i + 1) {
                Some(next) => lane.then(HandOver(next.clone())),
                None => lane,
            };
            lane.spawn(ctx.lane(2 + i))
        })
        .collect();
    // Both lanes do the same work: the rate is measured once, by the lane
    // that goes first, and read by the second after its turn begins.
    let rate: Arc<OnceLock<f64>> = Arc::default();
    let (p1, r1) = (plan.clone(), rate.clone());
    [
        spawn_async_lane(
            ID,
            "event-loop",
            ctx.lane(0),
            false,
            move |lane, _| async move {
                let _turn = first;
                event_loop_lane(lane, p1, r1).await
            },
        ),
        spawn_lane(ID, "rayon", ctx.lane(1), move |lane| {
            lane.sink.waiting();
            lane.sink.log(tr!(
                "waits for the event loop: lanes take turns on the cores",
                "等待事件循环：两个泳道轮流使用 CPU 核心"
            ));
            turn.wait(&lane)?;
            let _next = after_rayon;
            rayon_lane(lane, plan, &rate)
        }),
    ]
    .into_iter()
    .chain(python)
    .flatten()
    .collect()
}

/// Iterations of [`burn`] per millisecond of this thread's CPU time. CPU
/// time, not wall time: a busy machine slows the clock on the wall, not the
/// work a core does while it runs us.
fn calibrate() -> f64 {
    let (wall, cpu0) = (Instant::now(), thread_cpu());
    let mut iters = 0u64;
    while thread_cpu() - cpu0 < Duration::from_millis(20) && wall.elapsed() < Duration::from_secs(2)
    {
        black_box(burn(20_000, iters));
        iters += 20_000;
    }
    let cpu_ms = (thread_cpu() - cpu0).as_secs_f64() * 1000.0;
    iters as f64 / cpu_ms.max(1e-3)
}

/// Real computation the optimiser cannot skip: an xorshift walk.
fn burn(iters: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

fn current_thread() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string()
}

/// What a lane measured, summed over its jobs.
struct Tally {
    work: Mutex<Duration>,
    threads: Mutex<Vec<String>>,
    jobs_done: AtomicUsize,
    started: Instant,
    started_demo: Duration,
    cpu_at_start: Duration,
}

impl Tally {
    fn new(lane: &LaneCtx) -> Tally {
        Tally {
            work: Mutex::default(),
            threads: Mutex::default(),
            jobs_done: AtomicUsize::new(0),
            started: Instant::now(),
            started_demo: lane.clock.now(),
            cpu_at_start: process_cpu(),
        }
    }

    fn add(&self, d: Duration, thread: &str) {
        *self.work.lock().unwrap_or_else(|e| e.into_inner()) += d;
        let mut t = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        if !t.iter().any(|x| x == thread) {
            t.push(thread.to_string());
        }
    }

    fn job_done(&self, lane: &LaneCtx, plan: &Plan) {
        let done = self.jobs_done.fetch_add(1, Ordering::SeqCst) + 1;
        lane.sink.progress(done as u64, u64::from(plan.jobs));
    }

    fn report(&self, lane: &LaneCtx, plan: &Plan) {
        let wall = lane.clock.now().saturating_sub(self.started_demo);
        let real = self.started.elapsed().as_secs_f64().max(1e-9);
        let cores_used = (process_cpu() - self.cpu_at_start).as_secs_f64() / real;
        let work = *self.work.lock().unwrap_or_else(|e| e.into_inner());
        let threads = self.threads.lock().unwrap_or_else(|e| e.into_inner()).len();
        let speedup = work.as_secs_f64() / wall.as_secs_f64().max(1e-9);
        lane.sink.ms("wall_ms", wall);
        lane.sink.ms("work_ms", work);
        lane.sink.metric("speedup", speedup);
        lane.sink.metric("cores_used", cores_used);
        lane.sink.count("threads", threads as u64);
        lane.sink.status(tr!(
            "speedup {speedup:.2}x · {cores_used:.1} cores used",
            "加速 {speedup:.2} 倍 · 用了 {cores_used:.1} 个核心"
        ));
        // More threads than cores that really ran them: say the machine was
        // busy, so nobody reads a missing speedup as a law of nature.
        let wanted = threads.min(cores()) as f64;
        if plan.cpu() && threads > 1 && cores_used < wanted - 0.5 {
            let free = cores_used.round().max(1.0);
            lane.sink.log(tr!(
                "only ~{free:.0} core(s) were free: another program held the rest",
                "只有约 {free:.0} 个核心空闲：其余的被别的程序占着"
            ));
        }
    }
}

/// One piece of real computation, `plan.chunk` of CPU time in demo time (so
/// slow motion stretches it), drawn on the timeline; returns the work done,
/// in demo time.
fn compute_piece(lane: &LaneCtx, rate: f64, plan: &Plan, job: usize, chunk: usize) -> Duration {
    let (t0, cpu0) = (lane.clock.now(), thread_cpu());
    let scale = lane.clock.scale().max(0.01);
    let iters = (rate * plan.chunk().as_secs_f64() * 1000.0 / scale) as u64;
    black_box(burn(iters, (job * 1000 + chunk) as u64));
    span(lane, job, chunk, t0, SpanState::Running);
    (thread_cpu() - cpu0).mul_f64(scale)
}

fn span(lane: &LaneCtx, job: usize, chunk: usize, start: Duration, state: SpanState) {
    lane.sink.span(Span {
        thread: current_thread(),
        label: format!("{}.{}", job + 1, chunk + 1),
        job,
        start,
        end: lane.clock.now(),
        state,
    });
}

fn describe(plan: &Plan) -> (u32, &'static str, u32, u64) {
    let kind = if plan.cpu() { "cpu" } else { "io" };
    (plan.jobs, kind, plan.chunks, plan.chunk_ms)
}

async fn event_loop_lane(lane: LaneCtx, plan: Plan, rate: Arc<OnceLock<f64>>) -> LaneResult {
    let rate = plan.cpu().then(|| *rate.get_or_init(calibrate));
    let (jobs, kind, chunks, ms) = describe(&plan);
    lane.sink.log(tr!(
        "{jobs} {kind} jobs x {chunks} pieces of {ms} ms, as tasks on one loop",
        "{jobs} 个 {kind} 任务 x 每个 {chunks} 段、每段 {ms} 毫秒，作为任务跑在一个循环上"
    ));
    let tally = Arc::new(Tally::new(&lane));
    let mut set = tokio::task::JoinSet::new();
    for job in 0..plan.jobs as usize {
        let (lane, tally, plan) = (lane.clone(), tally.clone(), plan.clone());
        set.spawn_local(async move {
            for chunk in 0..plan.chunks as usize {
                let t0 = lane.clock.now();
                match rate {
                    Some(rate) => {
                        let work = compute_piece(&lane, rate, &plan, job, chunk);
                        tally.add(work, &current_thread());
                        // Give the loop back between pieces, so jobs interleave.
                        tokio::task::yield_now().await;
                    }
                    None => {
                        lane.clock.sleep(plan.chunk()).await;
                        span(&lane, job, chunk, t0, SpanState::Waiting);
                        tally.add(lane.clock.now() - t0, &current_thread());
                    }
                }
            }
            tally.job_done(&lane, &plan);
        });
    }
    while set.join_next().await.is_some() {}
    tally.report(&lane, &plan);
    Ok(())
}

fn rayon_lane(lane: LaneCtx, plan: Plan, rate: &OnceLock<f64>) -> LaneResult {
    let workers = plan.threads as usize;
    let rate = plan.cpu().then(|| *rate.get_or_init(calibrate));
    // Count the workers out, so none outlives the demo.
    let alive = Arc::new((Mutex::new(0usize), Condvar::new()));
    let (a1, a2) = (alive.clone(), alive.clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| thread_name(ID, &format!("rayon-{i}")))
        .start_handler(move |_| *a1.0.lock().unwrap_or_else(|e| e.into_inner()) += 1)
        .exit_handler(move |_| {
            *a2.0.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
            a2.1.notify_all();
        })
        .build()
        .map_err(|e| LaneError::Failed(ErrorReport::from_error(&e)))?;
    let jobs = plan.jobs;
    lane.sink.log(tr!(
        "the same {jobs} jobs on a rayon pool of {workers} workers",
        "同样的 {jobs} 个任务，跑在有 {workers} 个工作线程的 rayon 池上"
    ));
    let tally = Tally::new(&lane);
    let result: Result<(), Cancelled> = pool.install(|| {
        (0..plan.jobs as usize).into_par_iter().try_for_each(|job| {
            for chunk in 0..plan.chunks as usize {
                lane.cancel.check()?;
                let t0 = lane.clock.now();
                let work = match rate {
                    Some(rate) => compute_piece(&lane, rate, &plan, job, chunk),
                    None => {
                        // A worker that waits is a worker that does nothing else.
                        lane.clock.sleep_blocking(plan.chunk(), &lane.cancel)?;
                        span(&lane, job, chunk, t0, SpanState::Blocked);
                        lane.clock.now() - t0
                    }
                };
                tally.add(work, &current_thread());
            }
            tally.job_done(&lane, &plan);
            Ok(())
        })
    });
    if result.is_ok() {
        tally.report(&lane, &plan);
    }
    drop(pool);
    let (lock, cv) = &*alive;
    let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    let _ = cv.wait_timeout_while(guard, Duration::from_secs(5), |n| *n > 0);
    result?;
    Ok(())
}
