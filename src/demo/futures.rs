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

use super::lane::{LaneResult, spawn_async_lane};
use super::{Demo, DemoCtx, DemoInfo, LaneCtx, LaneInfo, ParamInfo, Unit};

const ID: &str = "futures";
const METRICS: &[&str] = &[
    "first_result_ms",
    "all_done_ms",
    "in_order",
    "done_at_timeout",
    "pending_at_timeout",
    "cancelled",
    "cleanup_ran",
];
const DEFAULT_DURATIONS: &str = "800,300,1200,500,200,1000,700,400";

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: "Futures and tasks: in start order, as they finish",
    title_zh: "期物与任务：按启动顺序，按完成顺序",
    lanes: &[
        LaneInfo {
            name: "submission-order",
            title: "submission-order: await in start order (gather, join_all)",
            title_zh: "submission-order：按启动顺序 await（gather、join_all）",
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "completion-order",
            title: "completion-order: as they finish (as_completed, JoinSet)",
            title_zh: "completion-order：按完成顺序（as_completed、JoinSet）",
            metrics: METRICS,
            code: "",
        },
    ],
    params: &[
        ParamInfo {
            name: "durations",
            help: "the eight jobs' durations in ms, comma-separated",
            default: DEFAULT_DURATIONS,
        },
        ParamInfo {
            name: "timeout_ms",
            help: "the timeout of the second round (done/pending)",
            default: "600",
        },
    ],
};

pub struct FuturesDemo;

impl Demo for FuturesDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        vec![
            spawn_async_lane(ID, "submission-order", ctx.lane(0), false, |lane, _| {
                futures_lane(lane, false)
            }),
            spawn_async_lane(ID, "completion-order", ctx.lane(1), false, |lane, _| {
                futures_lane(lane, true)
            }),
        ]
    }
}

pub fn durations(lane: &LaneCtx) -> Vec<Duration> {
    let text = lane.params.str_or("durations", DEFAULT_DURATIONS);
    let parsed: Vec<Duration> = text
        .split(',')
        .filter_map(|s| s.trim().parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms.min(60_000)))
        .collect();
    if parsed.is_empty() {
        DEFAULT_DURATIONS
            .split(',')
            .filter_map(|s| s.parse().ok())
            .map(Duration::from_millis)
            .collect()
    } else {
        parsed
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn list(jobs: &[usize]) -> String {
    let names: Vec<String> = jobs.iter().map(|j| (j + 1).to_string()).collect();
    format!("{{{}}}", names.join(", "))
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
            self.lane.sink.log(format!(
                "job {}: cancelled at its await, cleanup ran",
                self.job + 1
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

async fn futures_lane(lane: LaneCtx, completion: bool) -> LaneResult {
    let durs = durations(&lane);
    let started = lane.clock.now();
    let unused = Arc::new(AtomicBool::new(false));
    // Round 1: the results, in start order or as they finish.
    let mut order = Vec::new();
    let mut first = None;
    let got = |order: &mut Vec<usize>, first: &mut Option<Duration>, n: usize| {
        let at = lane.clock.now() - started;
        first.get_or_insert(at);
        order.push(n);
        lane.sink.log(format!(
            "{:>5.0} ms: job {} ({:.0} ms)",
            ms(at),
            n + 1,
            ms(durs[n])
        ));
        lane.sink
            .knows(vec![("results so far".into(), list(order))]);
    };
    if completion {
        lane.sink
            .log("JoinSet::join_next(): whichever finishes next");
        let mut set = JoinSet::new();
        for (n, d) in durs.iter().enumerate() {
            set.spawn_local(job(lane.clone(), n, *d, unused.clone(), None));
        }
        while let Some(Ok(n)) = set.join_next().await {
            got(&mut order, &mut first, n);
        }
    } else {
        lane.sink.log("await each handle in the order started");
        let handles: Vec<_> = durs
            .iter()
            .enumerate()
            .map(|(n, d)| tokio::task::spawn_local(job(lane.clone(), n, *d, unused.clone(), None)))
            .collect();
        for h in handles {
            let Ok(n) = h.await else { continue };
            got(&mut order, &mut first, n);
        }
    }
    let all = lane.clock.now() - started;
    let in_order = order.windows(2).all(|w| w[0] < w[1]);
    lane.sink.ms("first_result_ms", first.unwrap_or_default());
    lane.sink.ms("all_done_ms", all);
    lane.sink
        .metric("in_order", if in_order { 1.0 } else { 0.0 }, Unit::Flag);
    lane.sink.status(format!(
        "first result at {:.0} ms, all at {:.0} ms",
        ms(first.unwrap_or_default()),
        ms(all)
    ));

    // Round 2: a timeout leaves some pending; one is cancelled.
    let timeout = Duration::from_millis(lane.params.u64_or("timeout_ms", 600));
    lane.sink.log(format!(
        "round 2: the same jobs, wait at most {} ms",
        timeout.as_millis()
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
    lane.sink.log(format!(
        "after {} ms: done {}, pending {}",
        timeout.as_millis(),
        list(&done),
        list(&pending)
    ));
    lane.sink.count("done_at_timeout", done.len() as u64);
    lane.sink.count("pending_at_timeout", pending.len() as u64);
    let mut knows = vec![
        ("done".to_string(), list(&done)),
        ("pending".to_string(), list(&pending)),
    ];
    // Asking an unfinished future for its result does not wait.
    if let Some(&p) = pending.first() {
        let answer = match results[p].try_recv() {
            Err(oneshot::error::TryRecvError::Empty) => {
                "Empty (asyncio: InvalidStateError)".to_string()
            }
            other => format!("{other:?}"),
        };
        lane.sink.log(format!(
            "job {}: try_recv() before it is done → {answer}",
            p + 1
        ));
        knows.push((format!("job {} result?", p + 1), answer));
    }
    // Cancel one pending job (the longest) and see its cleanup run.
    let mut cancelled = 0;
    if let Some(&victim) = pending.iter().max_by_key(|n| durs[**n]) {
        lane.sink.log(format!("cancel job {} (abort)", victim + 1));
        aborts[victim].abort();
        while let Some(joined) = set.join_next().await {
            if let Err(e) = joined
                && e.is_cancelled()
            {
                cancelled += 1;
                break;
            }
        }
        knows.push(("cancelled".into(), format!("job {}", victim + 1)));
    }
    lane.sink.knows(knows);
    lane.sink.count("cancelled", cancelled);
    lane.sink.metric(
        "cleanup_ran",
        if cleaned.load(Ordering::SeqCst) {
            1.0
        } else {
            0.0
        },
        Unit::Flag,
    );
    // The rest are not needed: stop them too.
    set.abort_all();
    while set.join_next().await.is_some() {}
    Ok(())
}
