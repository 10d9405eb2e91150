//! `race`: workers withdraw from one shared balance, each a check-then-update
//! (read the balance, check it covers the amount, write back the balance
//! minus the amount). OS threads without a lock lose updates; with a Mutex
//! they do not; tasks on one event loop do not either, until an `.await`
//! sits between the check and the update.
//!
//! Nothing is simulated: the unlocked threads really run at once (or are
//! really preempted), and a write really overwrites another. What the demo
//! does on purpose is widen the window between the read and the write with a
//! little real computation (`gap`), as real code does there; it does not
//! force an interleaving, it makes the scheduler's ordinary switches land
//! in the window more often.

mod withdraw;

use std::cell::Cell;
use std::collections::HashSet;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use super::cpu::thread_cpu;
use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::python::{PyLane, PyScript};
use super::{
    Cancelled, DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneError, LaneInfo,
    MetricInfo, Unit, column,
};
use crate::i18n::{LocalText, Text};
use crate::tr;

const ID: &str = "race";
const METRICS: &[MetricInfo] = &[
    column("expected", Unit::Count, "expected"),
    column("final", Unit::Count, "final"),
    column("lost_updates", Unit::Count, "lost"),
    column("threads", Unit::Count, "threads"),
];
/// What every lane shows: the very file whose functions the lanes run.
const CODE: &str = include_str!("withdraw.rs");
/// How often a lane reports its progress while its workers run.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);
/// Withdrawals between two looks at the stop signal (and progress updates).
const CHECK_EVERY: u32 = 256;

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "Check-then-update on a shared balance",
        "共享余额上的先检查后更新",
    ),
    lanes: &[
        LaneInfo {
            name: "threads-unlocked",
            title: Text::new(
                "threads-unlocked: OS threads, no lock",
                "threads-unlocked：操作系统线程，不加锁",
            ),
            metrics: METRICS,
            code: CODE,
        },
        LaneInfo {
            name: "threads-mutex",
            title: Text::new(
                "threads-mutex: OS threads, one Mutex",
                "threads-mutex：操作系统线程，一把 Mutex",
            ),
            metrics: METRICS,
            code: CODE,
        },
        LaneInfo {
            name: "coroutines",
            title: Text::new(
                "coroutines: one loop, no await inside",
                "coroutines：一个循环，中间没有 await",
            ),
            metrics: METRICS,
            code: CODE,
        },
        LaneInfo {
            name: "coroutines-await",
            title: Text::new(
                "coroutines-await: an await in the gap",
                "coroutines-await：间隙里有一个 await",
            ),
            metrics: METRICS,
            code: CODE,
        },
        LaneInfo {
            name: "py-threads-unlocked",
            title: Text::new(
                "py-threads-unlocked: threads, no lock, the GIL",
                "py-threads-unlocked：线程，不加锁，有 GIL",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-threads-lock",
            title: Text::new(
                "py-threads-lock: threads, one threading.Lock",
                "py-threads-lock：线程，一把 threading.Lock",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-coroutines",
            title: Text::new(
                "py-coroutines: asyncio tasks, no await inside",
                "py-coroutines：asyncio 任务，中间没有 await",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-coroutines-await",
            title: Text::new(
                "py-coroutines-await: asyncio.sleep(0) in the gap",
                "py-coroutines-await：间隙里有 asyncio.sleep(0)",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: None,
};

/// The account and the workers, the same in every lane.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Race {
    workers: u32,
    withdrawals: u32,
    amount: u64,
    balance: u64,
    gap_ns: u32,
}

impl Default for Race {
    fn default() -> Self {
        Race {
            workers: 4,
            withdrawals: 10_000,
            amount: 10,
            balance: 1_000_000,
            gap_ns: 1_000,
        }
    }
}

impl Knobs for Race {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "workers",
            Text::new(
                "threads (or tasks) withdrawing at once",
                "同时取款的线程（或任务）数",
            ),
        ),
        (
            "withdrawals",
            Text::new("withdrawals per worker", "每个工作者的取款次数"),
        ),
        (
            "amount",
            Text::new("the amount of one withdrawal", "每次取款的金额"),
        ),
        ("balance", Text::new("the balance at the start", "起始余额")),
        (
            "gap_ns",
            Text::new(
                "ns of real computation between the check and the update (0: none)",
                "检查与更新之间的真实计算（纳秒，0：没有）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=64).contains(&self.workers) {
            return Err("workers must be between 1 and 64".into());
        }
        if !(1..=1_000_000).contains(&self.withdrawals) {
            return Err("withdrawals must be between 1 and 1000000".into());
        }
        if u64::from(self.workers) * u64::from(self.withdrawals) > 4_000_000 {
            return Err("withdrawals: workers × withdrawals must be at most 4000000".into());
        }
        if !(1..=1_000_000_000).contains(&self.amount) {
            return Err("amount must be between 1 and 1000000000".into());
        }
        if self.balance > 1_000_000_000_000_000 {
            return Err("balance must be at most 10^18".into());
        }
        if self.gap_ns > 100_000 {
            return Err("gap_ns must be at most 100000 (0.1 ms)".into());
        }
        Ok(())
    }
}

/// How a lane guards its check-then-update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// OS threads, no lock.
    Unlocked,
    /// OS threads, one Mutex.
    Mutex,
    /// Tasks on one thread, no await between check and update.
    NoAwait,
    /// Tasks on one thread, an await between check and update.
    Await,
}

impl Guard {
    /// The function of `withdraw.rs` the lane runs, and the line of its gap.
    fn code(self) -> (&'static str, &'static str) {
        match self {
            Guard::Unlocked => ("fn unlocked(", "work(gap)"),
            Guard::Mutex => ("fn locked(", "work(gap)"),
            Guard::NoAwait => ("fn no_await(", "work(gap)"),
            Guard::Await => ("fn with_await(", "yield_now().await"),
        }
    }
}

/// The Python twins: the GIL does not make a check-then-update safe.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../../assets/python/race.py"),
    texts: &[
        (
            "plan_threads",
            Text::new(
                "{w} threads × {n} withdrawals of {amount}; gap: {steps} steps of work",
                "{w} 个线程 × 各取 {n} 次，每次 {amount}；间隙：{steps} 步计算",
            ),
        ),
        (
            "plan_tasks",
            Text::new(
                "{w} tasks, one thread × {n} withdrawals of {amount}; gap: {steps} steps",
                "{w} 个任务、一个线程 × 各取 {n} 次，每次 {amount}；间隙：{steps} 步",
            ),
        ),
        (
            "paid",
            Text::new(
                "{paid} paid; expected {expected}, found {final}",
                "付出 {paid} 笔；应剩 {expected}，实际 {final}",
            ),
        ),
        (
            "lost",
            Text::new(
                "{lost} of {paid} withdrawals lost",
                "{paid} 笔取款丢了 {lost} 笔",
            ),
        ),
        (
            "none_lost",
            Text::new("none of {paid} withdrawals lost", "{paid} 笔取款一笔没丢"),
        ),
    ],
};

pub static DEMO: DemoDef<Race> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, k: Race) -> Vec<JoinHandle<()>> {
    let (k1, k2, k3) = (k.clone(), k.clone(), k.clone());
    // The Python workers say nothing until they are all done: allow each
    // withdrawal its gap and 30 µs of interpreter, twice over.
    let per = Duration::from_nanos(u64::from(k.gap_ns) + 30_000);
    let quiet = per * k.workers * k.withdrawals * 2;
    let python = [
        "py-threads-unlocked",
        "py-threads-lock",
        "py-coroutines",
        "py-coroutines-await",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| {
        PyLane::new(ID, name, &PY_SCRIPT, &k)
            .quiet(quiet)
            .spawn(ctx.lane(4 + i))
    })
    .collect::<Vec<_>>();
    [
        spawn_lane(ID, "threads-unlocked", ctx.lane(0), move |lane| {
            thread_lane(lane, k1, Guard::Unlocked)
        }),
        spawn_lane(ID, "threads-mutex", ctx.lane(1), move |lane| {
            thread_lane(lane, k2, Guard::Mutex)
        }),
        spawn_async_lane(ID, "coroutines", ctx.lane(2), false, move |lane, _| {
            coroutine_lane(lane, k3, Guard::NoAwait)
        }),
        spawn_async_lane(
            ID,
            "coroutines-await",
            ctx.lane(3),
            false,
            move |lane, _| coroutine_lane(lane, k, Guard::Await),
        ),
    ]
    .into_iter()
    .chain(python)
    .flatten()
    .collect()
}

/// `steps` of real computation (an xorshift walk) the optimiser cannot
/// remove. It stands for what real code does between reading a value and
/// writing it back; it widens that window without forcing any switch.
fn work(steps: u32) {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..steps {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x);
}

/// Steps of [`work`] per nanosecond of this thread's CPU time, so `gap_ns`
/// means the same in a debug and a release build. CPU time: a busy machine
/// slows the wall clock, not the work a core does while it runs us. The
/// fastest of a few rounds: a round that was interrupted (or, in a virtual
/// machine, had its CPU taken away) only ever looks slower.
fn steps_per_ns() -> f64 {
    // Big batches: reading a thread's CPU clock is a system call, and its
    // cost must not count as work.
    const BATCH: u32 = 20_000;
    let wall = Instant::now();
    let mut best: f64 = 0.0;
    for _ in 0..5 {
        let t0 = thread_cpu();
        let mut steps = 0u64;
        while thread_cpu() - t0 < Duration::from_millis(2)
            && wall.elapsed() < Duration::from_secs(1)
        {
            work(BATCH);
            steps += u64::from(BATCH);
        }
        let ns = (thread_cpu() - t0).as_nanos() as f64;
        best = best.max(steps as f64 / ns.max(1.0));
    }
    best
}

/// The gap's width in CPU time, measured now: the median of a few rounds.
fn gap_width(steps: u32) -> Duration {
    const TRIES: u32 = 40;
    let mut rounds: Vec<Duration> = (0..5)
        .map(|_| {
            let t0 = thread_cpu();
            for _ in 0..TRIES {
                work(steps);
            }
            (thread_cpu() - t0) / TRIES
        })
        .collect();
    rounds.sort_unstable();
    rounds[rounds.len() / 2]
}

/// What every withdrawal of a lane does.
#[derive(Debug, Clone, Copy)]
struct Plan {
    withdrawals: u32,
    amount: u64,
    /// Steps of [`work`] in the gap.
    steps: u32,
}

/// Shows the lane's function with its gap line marked, sizes the gap, and
/// says how wide it came out.
fn introduce(lane: &LaneCtx, k: &Race, guard: Guard) -> Plan {
    let (function, gap_line) = guard.code();
    let line = CODE
        .lines()
        .position(|l| l.contains(function))
        .and_then(|f| {
            CODE.lines()
                .enumerate()
                .skip(f)
                .find(|(_, l)| l.contains(gap_line))
        })
        .map(|(i, _)| i);
    if let Some(line) = line {
        lane.sink.code_line(line);
    }
    let (w, n, amount, balance) = (k.workers, k.withdrawals, k.amount, k.balance);
    lane.sink.log(match guard {
        Guard::Unlocked | Guard::Mutex => tr!(
            "{w} threads × {n} withdrawals of {amount}",
            "{w} 个线程 × 各取 {n} 次，每次 {amount}"
        ),
        Guard::NoAwait | Guard::Await => tr!(
            "{w} tasks, one thread × {n} withdrawals of {amount}",
            "{w} 个任务、一个线程 × 各取 {n} 次，每次 {amount}"
        ),
    });
    lane.sink.log(tr!(
        "balance at the start: {balance}",
        "起始余额：{balance}"
    ));
    let steps = if k.gap_ns == 0 {
        0
    } else {
        (f64::from(k.gap_ns) * steps_per_ns()).round().max(1.0) as u32
    };
    let ns = gap_width(steps).as_nanos();
    lane.sink.log(tr!(
        "gap: {ns} ns of computation (measured)",
        "间隙：{ns} 纳秒的计算（实测）"
    ));
    Plan {
        withdrawals: k.withdrawals,
        amount: k.amount,
        steps,
    }
}

/// What a lane's workers did.
struct Tally {
    paid: u64,
    final_balance: u64,
    threads: usize,
}

fn report(lane: &LaneCtx, k: &Race, guard: Guard, t: &Tally) {
    // The balance the paid withdrawals leave; negative if more was paid out
    // than there was.
    let expected = i128::from(k.balance) - i128::from(t.paid) * i128::from(k.amount);
    let lost = (i128::from(t.final_balance) - expected) / i128::from(k.amount);
    lane.sink.metric("expected", expected as f64);
    lane.sink.metric("final", t.final_balance as f64);
    lane.sink.metric("lost_updates", lost as f64);
    lane.sink.count("threads", t.threads as u64);
    let (paid, fin) = (t.paid, t.final_balance);
    lane.sink.log(tr!(
        "{paid} paid; expected {expected}, found {fin}",
        "付出 {paid} 笔；应剩 {expected}，实际 {fin}"
    ));
    lane.sink.status(if lost > 0 {
        tr!(
            "{lost} of {paid} withdrawals lost",
            "{paid} 笔取款丢了 {lost} 笔"
        )
    } else {
        tr!("exact: all {paid} debited", "分毫不差：{paid} 笔全部扣款")
    });
    lane.sink.log(why(guard, lost > 0));
}

/// Why the lane came out as it did.
fn why(guard: Guard, lost: bool) -> LocalText {
    match (guard, lost) {
        (Guard::Unlocked, true) => tr!(
            "stale writes undid other threads' writes",
            "过时的写覆盖了其他线程的写"
        ),
        (Guard::Unlocked, false) => tr!(
            "none lost this run; the race is still there",
            "这次没丢，但竞争依然存在"
        ),
        (Guard::Mutex, false) => tr!(
            "the lock kept the others out of the gap",
            "锁把其他线程挡在间隙之外"
        ),
        (Guard::NoAwait, false) => tr!(
            "no await in the gap: no other task ran there",
            "间隙里没有 await：没有别的任务插进来"
        ),
        (Guard::Await, true) => tr!(
            "at the await, others read the same balance",
            "在 await 处，别的任务读到了同一个余额"
        ),
        (Guard::Await, false) => tr!(
            "one worker: nobody else to run at the await",
            "只有一个工作者：await 处没有别人可运行"
        ),
        (Guard::Mutex | Guard::NoAwait, true) => tr!(
            "lost where none should be: please report it",
            "不该丢的地方丢了：请报告这个问题"
        ),
    }
}

/// The balance the thread lanes share.
enum Shared {
    Unlocked(AtomicU64),
    Locked(Mutex<u64>),
}

impl Shared {
    fn withdraw(&self, p: Plan) -> bool {
        match self {
            Shared::Unlocked(b) => withdraw::unlocked(b, p.amount, p.steps),
            Shared::Locked(b) => withdraw::locked(b, p.amount, p.steps),
        }
    }

    fn get(&self) -> u64 {
        match self {
            Shared::Unlocked(b) => b.load(Ordering::SeqCst),
            Shared::Locked(b) => *b.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

/// Lets the workers start together (so they overlap, as concurrent requests
/// do), and stops them.
#[derive(Default)]
struct Gate {
    go: AtomicBool,
    stop: AtomicBool,
}

impl Gate {
    fn stopped(&self, lane: &LaneCtx) -> bool {
        self.stop.load(Ordering::Relaxed) || lane.cancel.is_cancelled()
    }
}

/// One worker thread: its withdrawals, then how many it paid and who it was.
fn worker(
    lane: &LaneCtx,
    p: Plan,
    shared: &Shared,
    gate: &Gate,
    done: &AtomicU64,
) -> Result<(u64, ThreadId), Cancelled> {
    while !gate.go.load(Ordering::Acquire) {
        if gate.stopped(lane) {
            return Err(Cancelled);
        }
        std::thread::yield_now();
    }
    let mut paid = 0;
    for i in 0..p.withdrawals {
        if i % CHECK_EVERY == 0 {
            if gate.stopped(lane) {
                return Err(Cancelled);
            }
            done.store(u64::from(i), Ordering::Relaxed);
        }
        paid += u64::from(shared.withdraw(p));
    }
    done.store(u64::from(p.withdrawals), Ordering::Relaxed);
    Ok((paid, std::thread::current().id()))
}

fn thread_lane(lane: LaneCtx, k: Race, guard: Guard) -> LaneResult {
    let plan = introduce(&lane, &k, guard);
    let shared = match guard {
        Guard::Unlocked => Shared::Unlocked(AtomicU64::new(k.balance)),
        _ => Shared::Locked(Mutex::new(k.balance)),
    };
    let gate = Gate::default();
    let done: Vec<AtomicU64> = (0..k.workers).map(|_| AtomicU64::new(0)).collect();
    let total = u64::from(k.workers) * u64::from(k.withdrawals);
    let role = if guard == Guard::Unlocked {
        "unlocked"
    } else {
        "mutex"
    };
    let results = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (w, slot) in done.iter().enumerate() {
            let (lane, shared, gate) = (&lane, &shared, &gate);
            let spawned = std::thread::Builder::new()
                .name(thread_name(ID, &format!("{role}-{}", w + 1)))
                .spawn_scoped(s, move || worker(lane, plan, shared, gate, slot));
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    // The ones already started must not wait for `go` forever.
                    gate.stop.store(true, Ordering::SeqCst);
                    return Err(LaneError::from(e));
                }
            }
        }
        gate.go.store(true, Ordering::Release);
        while !handles.iter().all(|h| h.is_finished()) {
            // The workers see the stop signal themselves.
            if lane.cancel.wait_for(PROGRESS_EVERY).is_err() {
                break;
            }
            let now: u64 = done.iter().map(|d| d.load(Ordering::Relaxed)).sum();
            lane.sink.progress(now, total);
        }
        Ok(handles.into_iter().map(|h| h.join()).collect::<Vec<_>>())
    })?;
    let mut paid = 0;
    let mut threads = HashSet::new();
    for r in results {
        match r {
            Ok(Ok((p, id))) => {
                paid += p;
                threads.insert(id);
            }
            Ok(Err(Cancelled)) => return Err(LaneError::Cancelled),
            Err(_) => {
                return Err(LaneError::Failed(ErrorReport::msg(
                    "a worker thread panicked",
                )));
            }
        }
    }
    lane.sink.progress(total, total);
    let tally = Tally {
        paid,
        final_balance: shared.get(),
        threads: threads.len(),
    };
    report(&lane, &k, guard, &tally);
    Ok(())
}

/// One task: its withdrawals, then how many it paid and which thread ran it.
async fn task(
    p: Plan,
    guard: Guard,
    balance: Rc<Cell<u64>>,
    done: Rc<Cell<u64>>,
) -> (u64, ThreadId) {
    let mut paid = 0;
    for _ in 0..p.withdrawals {
        let ok = match guard {
            Guard::Await => withdraw::with_await(&balance, p.amount, p.steps).await,
            _ => withdraw::no_await(&balance, p.amount, p.steps).await,
        };
        paid += u64::from(ok);
        done.set(done.get() + 1);
        // Hand the loop to the other tasks between two withdrawals, so the
        // tasks really take turns (and the lane sees a stop at once).
        tokio::task::yield_now().await;
    }
    (paid, std::thread::current().id())
}

async fn coroutine_lane(lane: LaneCtx, k: Race, guard: Guard) -> LaneResult {
    let plan = introduce(&lane, &k, guard);
    // Rc and Cell: the compiler allows them only because every task stays
    // on this one thread (spawn_local).
    let balance = Rc::new(Cell::new(k.balance));
    let done = Rc::new(Cell::new(0u64));
    let total = u64::from(k.workers) * u64::from(k.withdrawals);
    let mut set = JoinSet::new();
    for _ in 0..k.workers {
        set.spawn_local(task(plan, guard, balance.clone(), done.clone()));
    }
    let mut paid = 0;
    let mut threads = HashSet::new();
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok((p, id))) => {
                    paid += p;
                    threads.insert(id);
                }
                Some(Err(e)) => {
                    return Err(LaneError::Failed(ErrorReport::from_error(&e)));
                }
                None => break,
            },
            _ = lane.clock.sleep(PROGRESS_EVERY) => lane.sink.progress(done.get(), total),
        }
    }
    lane.sink.progress(total, total);
    let tally = Tally {
        paid,
        final_balance: balance.get(),
        threads: threads.len(),
    };
    report(&lane, &k, guard, &tally);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{LaneState, Outcome, Params};

    fn run(params: Params, seconds: f64) -> Outcome {
        crate::demo::run_for(&DEMO, params, seconds)
    }

    use crate::demo::done_figure as fig;

    #[test]
    fn only_the_lock_and_the_await_free_coroutines_are_exact() {
        // The unlocked race is real, so a run may miss it: try a few times.
        // Every run, though, the Mutex and the await-free coroutines must be
        // exact and the awaiting coroutines must lose updates.
        let mut unlocked_lost = Vec::new();
        for _ in 0..5 {
            let out = run(Params::new(), 60.0);
            assert!(out.completed && out.clean_stop);
            reports_what_it_declares(&out);
            for lane in ["threads-mutex", "coroutines"] {
                assert_eq!(fig(&out, lane, "lost_updates"), 0.0, "{lane}");
                assert_eq!(fig(&out, lane, "final"), fig(&out, lane, "expected"));
            }
            // 4 tasks take turns at the await: most writes undo others'.
            let lost = fig(&out, "coroutines-await", "lost_updates");
            assert!(lost >= 10_000.0, "coroutines-await lost only {lost}");
            assert_eq!(fig(&out, "coroutines", "threads"), 1.0);
            assert_eq!(fig(&out, "coroutines-await", "threads"), 1.0);
            assert_eq!(fig(&out, "threads-unlocked", "threads"), 4.0);
            assert_eq!(fig(&out, "threads-mutex", "threads"), 4.0);
            let lost = fig(&out, "threads-unlocked", "lost_updates");
            unlocked_lost.push(lost);
            if lost > 0.0 {
                break;
            }
        }
        assert!(
            unlocked_lost.iter().any(|l| *l > 0.0),
            "unlocked threads lost no update in {} runs",
            unlocked_lost.len()
        );
    }

    #[test]
    fn figures_follow_the_parameters() {
        // 2 workers want 10 × 10 = 200 from 50: only 5 withdrawals can pass
        // the check. Exact lanes pay exactly those; the awaiting tasks both
        // pass every check before either writes, and pay out more than there was.
        let p = Params::new()
            .with("workers", "2")
            .with("withdrawals", "10")
            .with("amount", "10")
            .with("balance", "50")
            .with("gap_ns", "0");
        let out = run(p, 60.0);
        for lane in ["threads-mutex", "coroutines"] {
            assert_eq!(fig(&out, lane, "expected"), 0.0, "{lane}");
            assert_eq!(fig(&out, lane, "final"), 0.0, "{lane}");
        }
        assert_eq!(fig(&out, "threads-mutex", "threads"), 2.0);
        reports_what_it_declares(&out);
        assert!(fig(&out, "coroutines-await", "expected") < 0.0);
        assert!(fig(&out, "coroutines-await", "lost_updates") > 0.0);
        // One worker alone cannot race with anybody, await or not.
        let out = run(Params::new().with("workers", "1"), 60.0);
        for lane in ["threads-unlocked", "coroutines-await"] {
            assert_eq!(fig(&out, lane, "lost_updates"), 0.0, "{lane}");
            assert_eq!(fig(&out, lane, "threads"), 1.0, "{lane}");
            assert_eq!(fig(&out, lane, "expected"), 900_000.0, "{lane}");
        }
    }

    /// Every lane reports every metric it declares, and nothing else.
    fn reports_what_it_declares(out: &Outcome) {
        for (lane, info) in out.view.lanes.iter().zip(INFO.lanes) {
            let mut got: Vec<&str> = lane.metrics.iter().map(|m| m.name).collect();
            let mut want: Vec<&str> = info.metrics.iter().map(|m| m.name).collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{}", info.name);
        }
    }

    #[test]
    fn stops_at_once_when_cancelled() {
        // Far more work than the time allowed: every lane is cut short.
        let p = Params::new()
            .with("workers", "4")
            .with("withdrawals", "1000000")
            .with("gap_ns", "2000");
        let out = run(p, 0.3);
        assert!(!out.completed);
        assert!(out.clean_stop, "a lane thread outlived the stop");
        // Generous for a loaded machine: the lanes look every 256 withdrawals.
        assert!(out.wall < Duration::from_secs(3), "{:?}", out.wall);
        for lane in &out.view.lanes {
            assert_ne!(lane.state, LaneState::Done, "{}", lane.name());
        }
    }

    /// Which choices of a lesson's predict question hold on this run.
    fn holding(out: &Outcome, lesson: &str, id: &str) -> Vec<usize> {
        use crate::quiz::Kind;
        let catalog = crate::lesson::Catalog::builtin();
        let quiz = catalog
            .find(lesson)
            .and_then(|set| set.quiz(crate::i18n::Lang::En))
            .expect("the lesson has a quiz");
        let q = quiz.questions.iter().find(|q| q.id == id).expect(id);
        let Kind::Predict { demo, when, params } = &q.kind else {
            panic!("{id} is not a predict question");
        };
        assert_eq!((demo.as_str(), params.is_empty()), (ID, true), "{id}");
        (0..when.len())
            .filter(|i| when[*i].eval(&out.view) == Some(true))
            .collect()
    }

    #[test]
    fn lesson_4_predict_questions_grade_on_what_the_demo_measures() {
        const L4: &str = "threads-vs-coroutines";
        // The second choice is the truth; the unlocked race may be missed
        // in one run, never in five.
        let mut picks = Vec::new();
        for _ in 0..5 {
            let out = run(Params::new(), 60.0);
            assert_eq!(holding(&out, L4, "race-await"), [1]);
            picks = holding(&out, L4, "race-threads-tasks");
            if picks == [1] {
                break;
            }
        }
        assert_eq!(picks, [1]);
    }

    #[test]
    fn every_lane_points_at_a_line_of_its_own_function() {
        for guard in [Guard::Unlocked, Guard::Mutex, Guard::NoAwait, Guard::Await] {
            let (function, gap) = guard.code();
            let f = CODE.lines().position(|l| l.contains(function));
            let g = f.and_then(|f| CODE.lines().skip(f).position(|l| l.contains(gap)));
            assert!(g.is_some_and(|g| g < 8), "{guard:?}");
        }
    }
}
