//! `runtimes`: the same tasks on tokio's current-thread runtime, its
//! multi-thread runtime and a `LocalSet`. Each lane builds its own runtime
//! on its own OS thread; the lanes take turns, so none competes with another
//! for the cores.
//!
//! Three phases per lane: a CPU hog beside a ticker (the hog starves the
//! ticker where one thread runs every task), a counter many tasks update
//! (exact without a lock only on one thread, and only with no `.await`
//! between the read and the write), and a channel that is always ready
//! (tokio's cooperative budget still makes its consumer yield).

mod phases;
// Shown in the code pane, narrow enough for a lane at 100 columns.
#[rustfmt::skip]
mod tasks;

use std::hint::black_box;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cpu::thread_cpu;
use super::lane::{LaneResult, spawn_lane, thread_name};
use super::turns::{HandOver, Turn};
use super::{Cancel, DemoCtx, DemoDef, DemoInfo, Knobs, LaneCtx, LaneError, LaneInfo, MetricInfo};
use super::{Unit, column, metric};
use crate::i18n::Text;
use crate::tr;
use phases::{Figures, Flavour};

const ID: &str = "runtimes";
/// What every lane shows: the file its tasks are compiled from.
const TASKS_CODE: &str = include_str!("tasks.rs");

/// How long a multi-thread runtime may take to stop its workers. A worker
/// inside the hog notices a stop within about a millisecond of work; the
/// bound is for a machine so busy that the worker waits for a core.
const SHUTDOWN: Duration = Duration::from_secs(1);

/// Updates per task with an `.await` inside each (key `f`).
const FAILURE_ROUNDS: u64 = 10_000;

/// The figures every lane reports; the table shows the ones with a column.
macro_rules! lane_metrics {
    ($($extra:expr),* $(,)?) => {
        &[
            column("threads", Unit::Count, "threads"),
            column("ticker_max_gap_ms", Unit::Ms, "gap_ms"),
            column("ticks", Unit::Count, "ticks"),
            metric("hog_ms", Unit::Ms),
            column("counter_final", Unit::Count, "counter"),
            column("counter_expected", Unit::Count, "expected"),
            column("forced_yields", Unit::Count, "yields"),
            $($extra),*
        ]
    };
}
const ONE_THREAD: &[MetricInfo] = lane_metrics!();
const MULTI_THREAD: &[MetricInfo] = lane_metrics!(column("counter_locked", Unit::Count, "locked"));

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "The same tasks on three tokio runtimes",
        "同样的任务，三种 tokio 运行时",
    ),
    lanes: &[
        LaneInfo {
            name: "current-thread",
            title: Text::new(
                "current-thread: one thread runs every task",
                "current-thread：一个线程运行所有任务",
            ),
            metrics: ONE_THREAD,
            code: TASKS_CODE,
        },
        LaneInfo {
            name: "multi-thread",
            title: Text::new(
                "multi-thread: tasks on a pool of workers",
                "multi-thread：任务跑在一组工作线程上",
            ),
            metrics: MULTI_THREAD,
            code: TASKS_CODE,
        },
        LaneInfo {
            name: "local-set",
            title: Text::new(
                "local-set: one thread, spawn_local (!Send ok)",
                "local-set：一个线程，spawn_local（可用 !Send）",
            ),
            metrics: ONE_THREAD,
            code: TASKS_CODE,
        },
    ],
    failure: Some(Text::new(
        "demo failure: an .await between the counter's read and write, 10,000 rounds (updates lost on every runtime) → none",
        "演示故障：在计数器的读与写之间加一个 .await，每个任务 10,000 次（每种运行时都会丢失更新）→ 无",
    )),
};

/// What the lanes run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setup {
    hog_ms: u64,
    tick_ms: u64,
    workers: usize,
    tasks: u64,
    rounds: u64,
    items: u64,
    await_inside: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            hog_ms: 500,
            tick_ms: 10,
            workers: 2,
            tasks: 8,
            rounds: 100_000,
            items: 20_000,
            await_inside: false,
        }
    }
}

impl Knobs for Setup {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "hog_ms",
            Text::new(
                "the hog's work, in ms of CPU time (no .await inside)",
                "hog 的计算量（CPU 时间，毫秒；中间没有 .await）",
            ),
        ),
        (
            "tick_ms",
            Text::new(
                "how often the ticker wants to run, in ms",
                "计时器希望多久运行一次（毫秒）",
            ),
        ),
        (
            "workers",
            Text::new(
                "worker threads of the multi-thread runtime (1 starves the ticker too)",
                "multi-thread 运行时的工作线程数（设为 1 时计时器同样被饿死）",
            ),
        ),
        (
            "tasks",
            Text::new(
                "how many tasks update the counter",
                "有多少个任务更新计数器",
            ),
        ),
        (
            "rounds",
            Text::new("updates per task", "每个任务的更新次数"),
        ),
        (
            "items",
            Text::new(
                "items put in the channel before its consumer starts",
                "消费者开始之前放进通道的条目数",
            ),
        ),
        (
            "await_inside",
            Text::new(
                "an .await between the counter's read and its write",
                "在计数器的读与写之间加一个 .await",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.tick_ms) {
            return Err("tick_ms must be between 1 and 100".into());
        }
        if !(20..=10_000).contains(&self.hog_ms) || self.hog_ms < 5 * self.tick_ms {
            return Err("hog_ms must be between 20 and 10000, and at least 5 times tick_ms".into());
        }
        if !(1..=16).contains(&self.workers) {
            return Err("workers must be between 1 and 16".into());
        }
        if !(2..=64).contains(&self.tasks) {
            return Err("tasks must be between 2 and 64".into());
        }
        if !(1..=1_000_000).contains(&self.rounds) {
            return Err("rounds must be between 1 and 1000000".into());
        }
        if !(1..=2_000_000).contains(&self.items) {
            return Err("items must be between 1 and 2000000".into());
        }
        Ok(())
    }

    fn next_failure(&self) -> Option<Self> {
        // Every update then waits a turn of the scheduler: fewer of them
        // keep the run as short as the clean one.
        let rounds = if self.await_inside {
            Setup::default().rounds
        } else {
            self.rounds.min(FAILURE_ROUNDS)
        };
        Some(Setup {
            await_inside: !self.await_inside,
            rounds,
            ..self.clone()
        })
    }
}

impl Setup {
    fn hog(&self) -> Duration {
        Duration::from_millis(self.hog_ms)
    }

    fn tick(&self) -> Duration {
        Duration::from_millis(self.tick_ms)
    }
}

pub static DEMO: DemoDef<Setup> = DemoDef::new(&INFO, start);

const FLAVOURS: [Flavour; 3] = [
    Flavour::CurrentThread,
    Flavour::MultiThread,
    Flavour::LocalSet,
];

fn start(ctx: DemoCtx, setup: Setup) -> Vec<JoinHandle<()>> {
    // The lanes take turns: a hog on one lane must not take a core from
    // the ticker of another.
    let mut previous: Option<Arc<Turn>> = None;
    let mut threads = Vec::new();
    for (i, flavour) in FLAVOURS.into_iter().enumerate() {
        let mine = Arc::new(Turn::default());
        let hand_over = HandOver(mine.clone());
        let wait_for = previous.replace(mine);
        let setup = setup.clone();
        threads.extend(spawn_lane(
            ID,
            INFO.lanes[i].name,
            ctx.lane(i),
            move |lane| {
                let _turn = hand_over;
                if let Some(prev) = wait_for {
                    lane.sink.waiting();
                    lane.sink.log(tr!(
                        "waits its turn: one runtime at a time",
                        "等待轮到自己：一次只跑一种运行时"
                    ));
                    prev.wait(&lane)?;
                }
                run_lane(lane, flavour, &setup)
            },
        ));
    }
    threads
}

/// Builds the lane's own runtime on this thread, runs the phases on it and
/// shuts it down, within a bound, whatever happened.
fn run_lane(lane: LaneCtx, flavour: Flavour, setup: &Setup) -> LaneResult {
    let rt = match flavour {
        Flavour::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(setup.workers)
            .thread_name(thread_name(ID, "mt-worker"))
            .enable_time()
            .build()?,
        Flavour::CurrentThread | Flavour::LocalSet => tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?,
    };
    let cancel = lane.cancel.clone();
    let work = async {
        tokio::select! {
            _ = cancel.cancelled() => Err(LaneError::Cancelled),
            r = phases::run(&lane, flavour, setup) => r,
        }
    };
    let result = match flavour {
        Flavour::LocalSet => {
            let local = tokio::task::LocalSet::new();
            let result = local.block_on(&rt, work);
            // Its tasks are dropped here, while the runtime still exists.
            drop(local);
            result
        }
        Flavour::CurrentThread | Flavour::MultiThread => rt.block_on(work),
    };
    rt.shutdown_timeout(SHUTDOWN);
    let figures = result?;
    report(&lane, flavour, setup, &figures);
    Ok(())
}

fn report(lane: &LaneCtx, flavour: Flavour, setup: &Setup, f: &Figures) {
    let sink = &lane.sink;
    sink.count("threads", f.threads);
    sink.ms("ticker_max_gap_ms", f.max_gap);
    sink.count("ticks", f.ticks);
    sink.ms("hog_ms", f.hog);
    sink.count("counter_expected", setup.tasks * setup.rounds);
    sink.count("counter_final", f.counter);
    if let Some(locked) = f.counter_locked {
        sink.count("counter_locked", locked);
    }
    sink.count("forced_yields", f.forced_yields);
    let (gap, threads) = (f.max_gap.as_millis(), f.threads);
    let (counter, expected) = (f.counter, setup.tasks * setup.rounds);
    let yields = f.forced_yields;
    sink.status(tr!(
        "{threads} thread(s) · longest gap {gap} ms · counter {counter}/{expected} · {yields} forced yields",
        "{threads} 个线程 · 最长间隔 {gap} 毫秒 · 计数 {counter}/{expected} · 被迫让出 {yields} 次"
    ));
    if flavour == Flavour::MultiThread && f.threads < 2 && setup.workers > 1 {
        lane.sink.log(tr!(
            "only one worker ever ran a task: the machine gave this runtime one core",
            "只有一个工作线程运行过任务：机器只给了这个运行时一个核心"
        ));
    }
}

/// Real computation, `cpu` of this thread's CPU time (CPU time: a busy
/// machine makes it take longer on the wall, never less work), stopping
/// early on `stop`; the CPU time it used.
pub(crate) fn compute_for(cpu: Duration, stop: &Cancel) -> Duration {
    let start = thread_cpu();
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    while thread_cpu().saturating_sub(start) < cpu && !stop.is_cancelled() {
        // An xorshift walk the optimiser cannot skip; a few tens of
        // microseconds between two looks at the clock and the stop flag.
        for _ in 0..4096 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        black_box(x);
    }
    thread_cpu().saturating_sub(start)
}

/// The first line of the shown code containing `pattern`, after line `from`.
fn line_of(from: usize, pattern: &str) -> Option<usize> {
    TASKS_CODE
        .lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(pattern))
        .map(|(i, _)| i)
}

/// Points the lane's code pane at the first line containing `pattern` after
/// the line holding `after`.
fn show_code(lane: &LaneCtx, after: &str, pattern: &str) {
    let found = line_of(0, after).and_then(|from| line_of(from, pattern));
    // A renamed line in the shown code would silently freeze the pane.
    debug_assert!(found.is_some(), "{after:?} / {pattern:?} not in tasks.rs");
    if let Some(line) = found {
        lane.sink.code_line(line);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Instant;

    use super::*;
    use crate::demo::{
        Demo, DemoRun, EventKind, HeadlessOptions, LaneState, Outcome, Params, Watched,
        run_headless,
    };

    /// One test at a time: each counts this demo's threads, and each wants
    /// the cores for its own lanes.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn run(params: &[(&str, &str)]) -> Outcome {
        let mut p = Params::new();
        for (k, v) in params {
            p.set(*k, v);
        }
        let out = run_headless(&DEMO, p, HeadlessOptions::default(), |_, _| {})
            .expect("valid parameters");
        assert!(out.completed && out.clean_stop);
        for lane in &out.view.lanes {
            assert_eq!(
                lane.state,
                LaneState::Done,
                "{}: {:?}",
                lane.name(),
                lane.error
            );
        }
        out
    }

    fn figure(out: &Outcome, lane: &str, metric: &str) -> f64 {
        out.view
            .lane(lane)
            .and_then(|l| l.metric(metric))
            .unwrap_or_else(|| panic!("{lane}.{metric} was not reported"))
    }

    /// This demo's threads still alive (Linux names, cut to 15 bytes).
    fn our_threads() -> Vec<String> {
        std::fs::read_dir("/proc/self/task")
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
                    .map(|n| n.trim().to_string())
                    .filter(|n| n.starts_with("demo:runtimes"))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn the_hog_starves_the_ticker_only_where_one_thread_runs_every_task() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let out = run(&[("hog_ms", "300"), ("rounds", "1000"), ("items", "1000")]);
        for lane in ["current-thread", "local-set"] {
            let (gap, hog) = (
                figure(&out, lane, "ticker_max_gap_ms"),
                figure(&out, lane, "hog_ms"),
            );
            // The ticker cannot run while the hog holds the only thread.
            assert!(gap >= 0.9 * hog, "{lane}: gap {gap} ms, hog {hog} ms");
            assert!(hog >= 290.0, "{lane}: hog {hog} ms");
            assert_eq!(figure(&out, lane, "threads"), 1.0, "{lane}");
        }
        let (gap, hog) = (
            figure(&out, "multi-thread", "ticker_max_gap_ms"),
            figure(&out, "multi-thread", "hog_ms"),
        );
        // The other worker keeps ticking; the margin is for a busy machine.
        assert!(gap < 0.5 * hog, "multi-thread: gap {gap} ms, hog {hog} ms");
        let threads = figure(&out, "multi-thread", "threads");
        assert!(threads == 2.0, "multi-thread: {threads} threads");
        // Ticks stop during the hog on one thread, not on the pool.
        assert!(
            figure(&out, "multi-thread", "ticks") > figure(&out, "current-thread", "ticks"),
            "ticks"
        );
    }

    #[test]
    fn counters_are_exact_on_one_thread_and_with_the_lock() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let out = run(&[("hog_ms", "50"), ("rounds", "20000"), ("items", "100")]);
        for lane in ["current-thread", "multi-thread", "local-set"] {
            assert_eq!(figure(&out, lane, "counter_expected"), 160_000.0, "{lane}");
        }
        for lane in ["current-thread", "local-set"] {
            assert_eq!(figure(&out, lane, "counter_final"), 160_000.0, "{lane}");
        }
        assert_eq!(figure(&out, "multi-thread", "counter_locked"), 160_000.0);
        // Whether two workers collided this time depends on the machine;
        // never more than were made.
        assert!(figure(&out, "multi-thread", "counter_final") <= 160_000.0);
    }

    #[test]
    fn an_await_between_read_and_write_loses_updates_on_every_runtime() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let out = run(&[
            ("hog_ms", "50"),
            ("rounds", "1000"),
            ("items", "100"),
            ("await_inside", "true"),
        ]);
        for lane in ["current-thread", "multi-thread", "local-set"] {
            let got = figure(&out, lane, "counter_final");
            assert!(got < 8000.0, "{lane}: {got} of 8000");
        }
        // The lock held across the .await keeps it exact.
        assert_eq!(figure(&out, "multi-thread", "counter_locked"), 8000.0);
    }

    #[test]
    fn only_an_always_ready_channel_longer_than_the_budget_is_made_to_yield() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        // tokio's budget is an internal figure (128 today): far below 20,000
        // and above 50, which is all this test relies on.
        let long = run(&[("hog_ms", "50"), ("rounds", "100"), ("items", "20000")]);
        let short = run(&[("hog_ms", "50"), ("rounds", "100"), ("items", "50")]);
        for lane in ["current-thread", "multi-thread", "local-set"] {
            let forced = figure(&long, lane, "forced_yields");
            assert!((10.0..=2000.0).contains(&forced), "{lane}: {forced}");
            assert_eq!(figure(&short, lane, "forced_yields"), 0.0, "{lane}");
        }
    }

    /// Starts the demo and waits for lane `lane`'s hog to be running.
    fn start_until_hog(lane: usize) -> DemoRun {
        let (senders, stream) = crate::demo::channels();
        let params = Params::new().with("hog_ms", "600").with("rounds", "100");
        let run = DemoRun::start(&DEMO, &params, 1.0, senders, Watched::Headless)
            .expect("valid parameters");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "lane {lane}'s hog never started");
            let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(50)) else {
                continue;
            };
            if ev.lane == lane && matches!(&ev.kind, EventKind::Log(t) if t.en.starts_with("hog:"))
            {
                break;
            }
        }
        // Well inside the 600 ms of work.
        std::thread::sleep(Duration::from_millis(100));
        run
    }

    #[test]
    fn a_stop_during_the_hog_ends_every_thread_promptly() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        // Lane 0: the hog holds the lane's own thread; lane 1: a worker.
        for lane in [0, 1] {
            let run = start_until_hog(lane);
            assert!(!our_threads().is_empty());
            let stop = Instant::now();
            assert!(run.stop_and_wait(Duration::from_secs(10)), "lane {lane}");
            let took = stop.elapsed();
            // ~100 ms is the aim; the margin is for a loaded machine.
            assert!(took < Duration::from_secs(2), "lane {lane}: {took:?}");
            let left = our_threads();
            assert!(left.is_empty(), "lane {lane}: threads left: {left:?}");
        }
    }

    #[test]
    fn bad_parameters_are_refused_with_a_reason() {
        for (k, v) in [
            ("workers", "0"),
            ("hog_ms", "5"),
            ("tick_ms", "0"),
            ("tasks", "1"),
            ("items", "0"),
        ] {
            let err = DEMO.check(&Params::new().with(k, v)).unwrap_err();
            assert!(err.message.contains(k), "{k}: {}", err.message);
        }
        assert!(DEMO.check(&Params::new().with("hog_ms", "40")).is_err());
    }

    #[test]
    fn f_puts_an_await_inside_with_fewer_rounds_and_back() {
        let clean = Setup::default();
        let failing = clean.next_failure().expect("f does something");
        assert!(failing.await_inside);
        assert_eq!(failing.rounds, FAILURE_ROUNDS);
        let back = failing.next_failure().expect("f again");
        assert!(!back.await_inside);
        assert_eq!(back.rounds, clean.rounds);
        // The help text names the figure.
        let text = INFO.failure.map(|t| t.get(crate::i18n::Lang::En));
        assert!(FAILURE_ROUNDS == 10_000 && text.is_some_and(|t| t.contains("10,000")));
    }

    #[test]
    fn the_shown_code_holds_every_line_the_lanes_point_at() {
        for (after, pattern) in [
            ("fn ticker(", "clock.sleep(tick)"),
            ("fn ticker(", "on_tick("),
            ("fn hog(", "compute_for"),
            ("fn add_unlocked(", "// read"),
            ("fn add_local(", "// read"),
            ("fn add_locked(", "// read"),
            ("fn drain(", "rx.recv().await"),
        ] {
            assert!(
                line_of(0, after)
                    .and_then(|f| line_of(f, pattern))
                    .is_some(),
                "{after} {pattern}"
            );
        }
        // Narrow enough for a lane pane at 100 columns.
        for (i, l) in TASKS_CODE.lines().enumerate() {
            assert!(l.chars().count() <= 43, "tasks.rs:{}: {l}", i + 1);
        }
    }
}
