//! `futures`: eight jobs of known durations, their results taken in the
//! order the jobs were started and in the order they finish; then a timeout
//! that leaves some pending, one pending job cancelled (its cleanup runs),
//! and a future asked for its result before it is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use serde::{Deserialize, Serialize};

use super::lane::{LaneResult, spawn_async_lane};
use super::python::{PyLane, PyScript};
use super::{
    DemoCtx, DemoDef, DemoInfo, Knobs, LaneCtx, LaneInfo, MetricInfo, Unit, column, metric,
};
use crate::i18n::{LocalText, Text};
use crate::tr;

const ID: &str = "futures";
const METRICS: &[MetricInfo] = &[
    column("first_result_ms", Unit::Ms, "first"),
    column("all_done_ms", Unit::Ms, "all"),
    column("in_order", Unit::Flag, "in order"),
    column("done_at_timeout", Unit::Count, "done"),
    column("pending_at_timeout", Unit::Count, "pending"),
    metric("cancelled", Unit::Count),
    metric("cleanup_ran", Unit::Flag),
];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "Futures and tasks: in start order, as they finish",
        "期物与任务：按启动顺序，按完成顺序",
    ),
    lanes: &[
        LaneInfo {
            name: "submission-order",
            title: Text::new(
                "submission-order: await in start order (gather, join_all)",
                "submission-order：按启动顺序 await（gather、join_all）",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "completion-order",
            title: Text::new(
                "completion-order: as they finish (as_completed, JoinSet)",
                "completion-order：按完成顺序（as_completed、JoinSet）",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-gather",
            title: Text::new(
                "py-gather: asyncio.gather, all results in start order",
                "py-gather：asyncio.gather，全部结果按启动顺序",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-as-completed",
            title: Text::new(
                "py-as-completed: asyncio.as_completed, as they finish",
                "py-as-completed：asyncio.as_completed，按完成顺序",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: None,
};

/// The asyncio twins: gather and as_completed, then wait(timeout=) and cancel.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../assets/python/futures.py"),
    texts: &[
        (
            "job_cancelled",
            Text::new(
                "job {job}: CancelledError at its await, cleanup ran",
                "任务 {job}：在 await 处收到 CancelledError，清理代码已运行",
            ),
        ),
        (
            "gather",
            Text::new(
                "await asyncio.gather(...): every result at once, in start order",
                "await asyncio.gather(...)：所有结果一起到，按启动顺序",
            ),
        ),
        (
            "as_completed",
            Text::new(
                "asyncio.as_completed(...): whichever finishes next",
                "asyncio.as_completed(...)：谁先完成就先拿谁",
            ),
        ),
        (
            "result",
            Text::new(
                "{at} ms: job {job} ({took} ms)",
                "{at} 毫秒：任务 {job}（{took} 毫秒）",
            ),
        ),
        ("results_so_far", Text::new("results so far", "目前的结果")),
        (
            "round2",
            Text::new(
                "round 2: the same jobs, asyncio.wait(timeout={ms} ms)",
                "第 2 轮：同样的任务，asyncio.wait(timeout={ms} 毫秒)",
            ),
        ),
        (
            "after_timeout",
            Text::new(
                "after {ms} ms: done {done}, pending {pending} (nothing cancelled yet)",
                "{ms} 毫秒后：已完成 {done}，未完成 {pending}（还没有取消任何任务）",
            ),
        ),
        (
            "result_too_early",
            Text::new(
                "job {job}: .result() before it is done → {error}",
                "任务 {job}：完成之前调用 .result() → {error}",
            ),
        ),
        (
            "cancel_one",
            Text::new(
                "cancel job {job} (task.cancel()): only this one, by hand",
                "取消任务 {job}（task.cancel()）：只取消这一个，亲手取消",
            ),
        ),
        (
            "cancel_rest",
            Text::new(
                "the demo ends: cancel the {n} still pending",
                "演示结束：取消剩下的 {n} 个未完成任务",
            ),
        ),
        (
            "first_and_all",
            Text::new(
                "first result at {first} ms, all at {all} ms",
                "第一个结果在 {first} 毫秒，全部在 {all} 毫秒",
            ),
        ),
    ],
};

/// The jobs and the second round's timeout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Jobs {
    durations: Vec<u64>,
    timeout_ms: u64,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            durations: vec![800, 300, 1200, 500, 200, 1000, 700, 400],
            timeout_ms: 600,
        }
    }
}

impl Knobs for Jobs {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "durations",
            Text::new("the jobs' durations in ms", "各个任务的时长（毫秒）"),
        ),
        (
            "timeout_ms",
            Text::new(
                "the timeout of the second round (done/pending)",
                "第二轮的超时（完成/未完成）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if self.durations.is_empty() || self.durations.len() > 16 {
            return Err("durations must list 1 to 16 jobs".into());
        }
        if self.durations.iter().any(|d| *d > 60_000) || self.timeout_ms > 60_000 {
            return Err("durations and timeout_ms must be at most 60000 ms".into());
        }
        Ok(())
    }
}

/// How a lane collects its results in round 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Await each handle in the order the jobs were started.
    Start,
    /// Take whichever finishes next.
    Completion,
}

pub static DEMO: DemoDef<Jobs> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, jobs: Jobs) -> Vec<JoinHandle<()>> {
    let j2 = jobs.clone();
    // gather says nothing until its slowest job is done.
    let longest = jobs.durations.iter().max().copied().unwrap_or(0) + jobs.timeout_ms;
    let quiet = Duration::from_millis(longest * 2);
    [
        PyLane::new(ID, "py-gather", &PY_SCRIPT, &jobs)
            .quiet(quiet)
            .spawn(ctx.lane(2)),
        PyLane::new(ID, "py-as-completed", &PY_SCRIPT, &jobs)
            .quiet(quiet)
            .spawn(ctx.lane(3)),
        spawn_async_lane(ID, "submission-order", ctx.lane(0), false, |lane, _| {
            futures_lane(lane, jobs, Order::Start)
        }),
        spawn_async_lane(ID, "completion-order", ctx.lane(1), false, |lane, _| {
            futures_lane(lane, j2, Order::Completion)
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn list(jobs: &[usize]) -> LocalText {
    let names: Vec<String> = jobs.iter().map(|j| (j + 1).to_string()).collect();
    LocalText::same(format!("{{{}}}", names.join(", ")))
}

/// Runs when a job's future is dropped before it finished: its cleanup.
struct Cleanup {
    job: usize,
    lane: LaneCtx,
    finished: bool,
    ran: Arc<AtomicBool>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.finished {
            self.ran.store(true, Ordering::SeqCst);
            let n = self.job + 1;
            self.lane.sink.log(tr!(
                "job {n}: cancelled at its await, cleanup ran",
                "任务 {n}：在 await 处被取消，清理代码已运行"
            ));
        }
    }
}

async fn job(
    lane: LaneCtx,
    n: usize,
    d: Duration,
    ran: Arc<AtomicBool>,
    tx: Option<oneshot::Sender<usize>>,
) -> usize {
    let mut cleanup = Cleanup {
        job: n,
        lane: lane.clone(),
        finished: false,
        ran,
    };
    lane.clock.sleep(d).await;
    cleanup.finished = true;
    if let Some(tx) = tx {
        let _ = tx.send(n);
    }
    n
}

/// Round 1's results as they arrive, and when the first came.
struct Results<'a> {
    lane: &'a LaneCtx,
    durs: &'a [Duration],
    started: Duration,
    order: Vec<usize>,
    first: Option<Duration>,
}

impl Results<'_> {
    fn got(&mut self, n: usize) {
        let at = self.lane.clock.now() - self.started;
        self.first.get_or_insert(at);
        self.order.push(n);
        let (at, job, took) = (ms(at), n + 1, ms(self.durs[n]));
        self.lane.sink.log(tr!(
            "{at:>5.0} ms: job {job} ({took:.0} ms)",
            "{at:>5.0} 毫秒：任务 {job}（{took:.0} 毫秒）"
        ));
        self.lane.sink.knows(vec![(
            tr!("results so far", "目前的结果"),
            list(&self.order),
        )]);
    }
}

async fn round_in_start_order(results: &mut Results<'_>) {
    let lane = results.lane;
    lane.sink.log(tr!(
        "await each handle in the order started",
        "按启动顺序逐个 await 句柄"
    ));
    let unused = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = results
        .durs
        .iter()
        .enumerate()
        .map(|(n, d)| tokio::task::spawn_local(job(lane.clone(), n, *d, unused.clone(), None)))
        .collect();
    for h in handles {
        let Ok(n) = h.await else { continue };
        results.got(n);
    }
}

async fn round_as_completed(results: &mut Results<'_>) {
    let lane = results.lane;
    lane.sink.log(tr!(
        "JoinSet::join_next(): whichever finishes next",
        "JoinSet::join_next()：谁先完成就先拿谁"
    ));
    let unused = Arc::new(AtomicBool::new(false));
    let mut set = JoinSet::new();
    for (n, d) in results.durs.iter().enumerate() {
        set.spawn_local(job(lane.clone(), n, *d, unused.clone(), None));
    }
    while let Some(Ok(n)) = set.join_next().await {
        results.got(n);
    }
}

async fn futures_lane(lane: LaneCtx, jobs: Jobs, order: Order) -> LaneResult {
    let durs: Vec<Duration> = jobs
        .durations
        .iter()
        .map(|ms| Duration::from_millis(*ms))
        .collect();
    let started = lane.clock.now();
    let mut results = Results {
        lane: &lane,
        durs: &durs,
        started,
        order: Vec::new(),
        first: None,
    };
    match order {
        Order::Start => round_in_start_order(&mut results).await,
        Order::Completion => round_as_completed(&mut results).await,
    }
    let all = lane.clock.now() - started;
    let first = results.first.unwrap_or_default();
    let in_order = results.order.windows(2).all(|w| w[0] < w[1]);
    lane.sink.ms("first_result_ms", first);
    lane.sink.ms("all_done_ms", all);
    lane.sink.flag("in_order", in_order);
    let (first, all) = (ms(first), ms(all));
    lane.sink.status(tr!(
        "first result at {first:.0} ms, all at {all:.0} ms",
        "第一个结果在 {first:.0} 毫秒，全部在 {all:.0} 毫秒"
    ));
    timeout_and_cancel(&lane, &durs, Duration::from_millis(jobs.timeout_ms)).await;
    Ok(())
}

/// Asking an unfinished future for its result does not wait: what job `p`
/// answers before it is done.
fn ask_too_early(
    lane: &LaneCtx,
    p: usize,
    result: &mut oneshot::Receiver<usize>,
) -> (LocalText, LocalText) {
    let answer = match result.try_recv() {
        Err(oneshot::error::TryRecvError::Empty) => {
            LocalText::same("Empty (asyncio: InvalidStateError)")
        }
        other => LocalText::same(format!("{other:?}")),
    };
    let job = p + 1;
    lane.sink.log(tr!(
        "job {job}: try_recv() before it is done → {}",
        "任务 {job}：完成之前调用 try_recv() → {}",
        answer.en
    ));
    (tr!("job {job} result?", "任务 {job} 的结果？"), answer)
}

/// Waits until the aborted job reports its cancellation: 1, or 0 if it
/// finished first.
async fn joined_cancelled(set: &mut JoinSet<usize>) -> u64 {
    while let Some(joined) = set.join_next().await {
        if let Err(e) = joined
            && e.is_cancelled()
        {
            return 1;
        }
    }
    0
}

/// Rounds 2 and 3, the same in both lanes: a timeout leaves some jobs
/// pending, one pending job is cancelled by hand, and the rest are aborted
/// when their JoinSet is dropped.
async fn timeout_and_cancel(lane: &LaneCtx, durs: &[Duration], timeout: Duration) {
    let limit = timeout.as_millis();
    lane.sink.log(tr!(
        "round 2: the same jobs, wait at most {limit} ms",
        "第 2 轮：同样的任务，最多等 {limit} 毫秒"
    ));
    let cleaned = Arc::new(AtomicBool::new(false));
    let mut set = JoinSet::new();
    let mut aborts = Vec::new();
    let mut results = Vec::new();
    for (n, d) in durs.iter().enumerate() {
        let (tx, rx) = oneshot::channel();
        aborts.push(set.spawn_local(job(lane.clone(), n, *d, cleaned.clone(), Some(tx))));
        results.push(rx);
    }
    let round = lane.clock.now();
    let mut done = Vec::new();
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok(n)) => done.push(n),
                Some(Err(_)) => {}
                None => break,
            },
            _ = lane.clock.sleep_until(round + timeout) => break,
        }
    }
    let pending: Vec<usize> = (0..durs.len()).filter(|n| !done.contains(n)).collect();
    let (d, p) = (list(&done), list(&pending));
    lane.sink.log(tr!(
        "after {limit} ms: done {}, pending {} (nothing cancelled yet)",
        "{limit} 毫秒后：已完成 {}，未完成 {}（还没有取消任何任务）",
        d.en,
        p.en
    ));
    lane.sink.count("done_at_timeout", done.len() as u64);
    lane.sink.count("pending_at_timeout", pending.len() as u64);
    let mut knows = vec![(tr!("done", "已完成"), d), (tr!("pending", "未完成"), p)];
    if let Some(&p) = pending.first() {
        knows.push(ask_too_early(lane, p, &mut results[p]));
    }
    // Cancel one pending job (the longest) and see its cleanup run.
    let mut cancelled = 0;
    if let Some(&victim) = pending.iter().max_by_key(|n| durs[**n]) {
        let job = victim + 1;
        lane.sink.log(tr!(
            "cancel job {job} (abort): only this one, by hand",
            "取消任务 {job}（abort）：只取消这一个，亲手取消"
        ));
        aborts[victim].abort();
        cancelled = joined_cancelled(&mut set).await;
        knows.push((tr!("cancelled", "已取消"), tr!("job {job}", "任务 {job}")));
    }
    lane.sink.knows(knows);
    lane.sink.count("cancelled", cancelled);
    lane.sink
        .flag("cleanup_ran", cleaned.load(Ordering::SeqCst));
    let left = set.len();
    if left > 0 {
        lane.sink.log(tr!(
            "the demo ends: dropping the JoinSet aborts the {left} still pending",
            "演示结束：丢弃 JoinSet 会中止剩下的 {left} 个未完成任务"
        ));
    }
    set.abort_all();
    while set.join_next().await.is_some() {}
}
