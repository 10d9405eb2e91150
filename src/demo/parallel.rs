//! `parallel`: the same jobs on one single-threaded event loop (concurrency:
//! they take turns) and on rayon's pool (parallelism: one worker per core).
//! The lanes take turns too, so they never compete for the cores.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::turns::{HandOver, Turn};
use super::{
    Cancelled, Demo, DemoCtx, DemoInfo, ErrorReport, LaneCtx, LaneError, LaneInfo, ParamInfo, Span,
    SpanState, Unit,
};

const ID: &str = "parallel";
const METRICS: &[&str] = &["wall_ms", "work_ms", "speedup", "threads"];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: "Concurrency vs parallelism",
    title_zh: "并发与并行",
    lanes: &[
        LaneInfo {
            name: "event-loop",
            title: "event-loop: one thread, jobs take turns",
            title_zh: "event-loop：一个线程，任务轮流运行",
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "rayon",
            title: "rayon: one worker per core",
            title_zh: "rayon：每个核心一个工作线程",
            metrics: METRICS,
            code: "",
        },
    ],
    params: &[
        ParamInfo {
            name: "workload",
            help: "cpu (real computation) or io (real waits)",
            default: "cpu",
        },
        ParamInfo {
            name: "jobs",
            help: "how many jobs (default: 2 per core, at least 4)",
            default: "2 x cores",
        },
        ParamInfo {
            name: "chunks",
            help: "pieces per job; the event loop switches jobs between pieces",
            default: "5",
        },
        ParamInfo {
            name: "chunk_ms",
            help: "length of one piece, in ms",
            default: "100",
        },
    ],
};

pub struct ParallelDemo;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Workload {
    Cpu,
    Io,
}

#[derive(Clone, Copy)]
struct Plan {
    workload: Workload,
    jobs: usize,
    chunks: usize,
    chunk: Duration,
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Plan {
    fn of(lane: &LaneCtx) -> Plan {
        let p = &lane.params;
        Plan {
            workload: if p.str_or("workload", "cpu") == "io" {
                Workload::Io
            } else {
                Workload::Cpu
            },
            jobs: p.u64_or("jobs", (2 * cores()).max(4) as u64).clamp(1, 64) as usize,
            chunks: p.u64_or("chunks", 5).clamp(1, 50) as usize,
            chunk: Duration::from_millis(p.u64_or("chunk_ms", 100).clamp(1, 2000)),
        }
    }
}

impl Demo for ParallelDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        let turn = Arc::new(Turn::default());
        let first = HandOver(turn.clone());
        vec![
            spawn_async_lane(
                ID,
                "event-loop",
                ctx.lane(0),
                false,
                move |lane, _| async move {
                    let _turn = first;
                    event_loop_lane(lane).await
                },
            ),
            spawn_lane(ID, "rayon", ctx.lane(1), move |lane| {
                lane.sink
                    .log("waits for the event loop: lanes take turns on the cores");
                turn.wait(&lane)?;
                rayon_lane(lane)
            }),
        ]
    }
}

/// Iterations of [`burn`] per millisecond on this machine, measured.
fn calibrate() -> f64 {
    let start = Instant::now();
    let mut iters = 0u64;
    while start.elapsed() < Duration::from_millis(15) {
        black_box(burn(20_000, iters));
        iters += 20_000;
    }
    iters as f64 / (start.elapsed().as_secs_f64() * 1000.0)
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
#[derive(Default)]
struct Tally {
    work: Mutex<Duration>,
    threads: Mutex<Vec<String>>,
    jobs_done: AtomicUsize,
}

impl Tally {
    fn add(&self, d: Duration, thread: &str) {
        *self.work.lock().unwrap_or_else(|e| e.into_inner()) += d;
        let mut t = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        if !t.iter().any(|x| x == thread) {
            t.push(thread.to_string());
        }
    }

    fn report(&self, lane: &LaneCtx, wall: Duration) {
        let work = *self.work.lock().unwrap_or_else(|e| e.into_inner());
        let threads = self.threads.lock().unwrap_or_else(|e| e.into_inner()).len();
        let speedup = work.as_secs_f64() / wall.as_secs_f64().max(1e-9);
        lane.sink.ms("wall_ms", wall);
        lane.sink.ms("work_ms", work);
        lane.sink.metric("speedup", speedup, Unit::Ratio);
        lane.sink.count("threads", threads as u64);
        let plural = if threads == 1 { "" } else { "s" };
        lane.sink
            .status(format!("speedup {speedup:.2}x on {threads} thread{plural}"));
    }
}

/// One piece of real computation, `plan.chunk` of demo time long (so slow
/// motion stretches it), drawn on the timeline.
fn compute_piece(lane: &LaneCtx, rate: f64, plan: Plan, job: usize, chunk: usize) {
    let t0 = lane.clock.now();
    let iters = (rate * plan.chunk.as_secs_f64() * 1000.0 / lane.clock.scale().max(0.01)) as u64;
    black_box(burn(iters, (job * 1000 + chunk) as u64));
    span(lane, job, chunk, t0, SpanState::Running);
}

fn span(lane: &LaneCtx, job: usize, chunk: usize, start: Duration, state: SpanState) {
    lane.sink.span(Span {
        thread: current_thread(),
        label: format!("job {} piece {}", job + 1, chunk + 1),
        job,
        start,
        end: lane.clock.now(),
        state,
    });
}

async fn event_loop_lane(lane: LaneCtx) -> LaneResult {
    let plan = Plan::of(&lane);
    let rate = (plan.workload == Workload::Cpu).then(calibrate);
    lane.sink.log(format!(
        "{} {} jobs x {} pieces of {} ms, as tasks on one loop",
        plan.jobs,
        if plan.workload == Workload::Cpu {
            "cpu"
        } else {
            "io"
        },
        plan.chunks,
        plan.chunk.as_millis(),
    ));
    let tally = Arc::new(Tally::default());
    let started = lane.clock.now();
    let mut set = tokio::task::JoinSet::new();
    for job in 0..plan.jobs {
        let (lane, tally) = (lane.clone(), tally.clone());
        set.spawn_local(async move {
            for chunk in 0..plan.chunks {
                let t0 = lane.clock.now();
                match rate {
                    Some(rate) => {
                        compute_piece(&lane, rate, plan, job, chunk);
                        tally.add(lane.clock.now() - t0, &current_thread());
                        // Give the loop back between pieces, so jobs interleave.
                        tokio::task::yield_now().await;
                    }
                    None => {
                        lane.clock.sleep(plan.chunk).await;
                        span(&lane, job, chunk, t0, SpanState::Waiting);
                        tally.add(lane.clock.now() - t0, &current_thread());
                    }
                }
            }
            let done = tally.jobs_done.fetch_add(1, Ordering::SeqCst) + 1;
            lane.sink.progress(done as u64, plan.jobs as u64);
        });
    }
    while set.join_next().await.is_some() {}
    tally.report(&lane, lane.clock.now() - started);
    Ok(())
}

fn rayon_lane(lane: LaneCtx) -> LaneResult {
    let plan = Plan::of(&lane);
    let workers = cores();
    let rate = (plan.workload == Workload::Cpu).then(calibrate);
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
    lane.sink.log(format!(
        "the same {} jobs on a rayon pool of {workers} workers",
        plan.jobs
    ));
    let tally = Tally::default();
    let started = lane.clock.now();
    let result: Result<(), Cancelled> = pool.install(|| {
        (0..plan.jobs).into_par_iter().try_for_each(|job| {
            for chunk in 0..plan.chunks {
                lane.cancel.check()?;
                let t0 = lane.clock.now();
                match rate {
                    Some(rate) => compute_piece(&lane, rate, plan, job, chunk),
                    None => {
                        // A worker that waits is a worker that does nothing else.
                        lane.clock.sleep_blocking(plan.chunk, &lane.cancel)?;
                        span(&lane, job, chunk, t0, SpanState::Blocked);
                    }
                }
                tally.add(lane.clock.now() - t0, &current_thread());
            }
            let done = tally.jobs_done.fetch_add(1, Ordering::SeqCst) + 1;
            lane.sink.progress(done as u64, plan.jobs as u64);
            Ok(())
        })
    });
    let wall = lane.clock.now() - started;
    drop(pool);
    let (lock, cv) = &*alive;
    let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    let _ = cv.wait_timeout_while(guard, Duration::from_secs(5), |n| *n > 0);
    result?;
    tally.report(&lane, wall);
    Ok(())
}
