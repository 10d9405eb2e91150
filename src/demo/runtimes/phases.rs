//! The three phases every lane runs on its own runtime, and what they
//! measure. Only how a task is started differs between the lanes
//! (`tokio::spawn` or `spawn_local`), and which counter each may use.

use std::cell::RefCell;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::{Setup, show_code, tasks};
use crate::demo::cpu::process_cpu;
use crate::demo::{ErrorReport, LaneCtx, LaneError};
use crate::tr;

/// The ticks the ticker runs before the hog starts, and after it ends.
const SETTLE_TICKS: u32 = 5;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavour {
    CurrentThread,
    MultiThread,
    LocalSet,
}

impl Flavour {
    /// Starts a task the way this lane does: `tokio::spawn` on the two
    /// runtimes, `spawn_local` on the `LocalSet`.
    fn spawn<F>(self, f: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Flavour::LocalSet => tokio::task::spawn_local(f),
            Flavour::CurrentThread | Flavour::MultiThread => tokio::spawn(f),
        }
    }
}

/// What a lane measured.
pub struct Figures {
    /// OS threads that polled the lane's tasks.
    pub threads: u64,
    pub max_gap: Duration,
    pub ticks: u64,
    /// The hog's CPU time, in demo time.
    pub hog: Duration,
    pub counter: u64,
    pub counter_locked: Option<u64>,
    pub forced_yields: u64,
}

/// The OS threads that polled a lane's tasks, noted at every poll.
#[derive(Clone, Default)]
struct Threads(Arc<Mutex<HashSet<ThreadId>>>);

impl Threads {
    fn note(&self) {
        let id = std::thread::current().id();
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(id);
    }

    fn count(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len() as u64
    }
}

/// A task's future, watched from outside, so the shown code stays plain:
/// every poll notes its thread, and `on_pending` runs each time the future
/// returns `Pending`.
struct Watched<F, P> {
    inner: Pin<Box<F>>,
    threads: Threads,
    on_pending: P,
}

fn watched<F: Future>(inner: F, threads: &Threads) -> Watched<F, fn()> {
    watched_with(inner, threads, (|| {}) as fn())
}

fn watched_with<F: Future, P: FnMut() + Unpin>(
    inner: F,
    threads: &Threads,
    on_pending: P,
) -> Watched<F, P> {
    Watched {
        inner: Box::pin(inner),
        threads: threads.clone(),
        on_pending,
    }
}

impl<F: Future, P: FnMut() + Unpin> Future for Watched<F, P> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        this.threads.note();
        let polled = this.inner.as_mut().poll(cx);
        if polled.is_pending() {
            (this.on_pending)();
        }
        polled
    }
}

fn join_failed(e: tokio::task::JoinError) -> LaneError {
    LaneError::Failed(ErrorReport::from_error(&e))
}

async fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Result<Vec<T>, LaneError> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.map_err(join_failed)?);
    }
    Ok(out)
}

/// Runs the three phases on the runtime the caller is inside.
pub async fn run(lane: &LaneCtx, flavour: Flavour, setup: &Setup) -> Result<Figures, LaneError> {
    let threads = Threads::default();
    let (max_gap, ticks, hog) = hog_beside_ticker(lane, flavour, setup, &threads).await?;
    let (counter, counter_locked, cores) = counter(lane, flavour, setup, &threads).await?;
    let forced_yields = always_ready(lane, flavour, setup, &threads).await?;
    // Last, so the lane pane shows it under the figures it explains.
    if flavour == Flavour::MultiThread && counter == setup.tasks * setup.rounds && setup.workers > 1
    {
        explain_no_loss(lane, cores);
    }
    Ok(Figures {
        threads: threads.count(),
        max_gap,
        ticks,
        hog,
        counter,
        counter_locked,
        forced_yields,
    })
}

/// Phase 1: a ticker runs; a hog computes without an `.await`. The
/// ticker's longest gap, its ticks, and the hog's CPU time (demo time).
async fn hog_beside_ticker(
    lane: &LaneCtx,
    flavour: Flavour,
    setup: &Setup,
    threads: &Threads,
) -> Result<(Duration, u64, Duration), LaneError> {
    let seen: Arc<Mutex<(Duration, u64)>> = Arc::default();
    let on_tick = {
        let (seen, sink) = (seen.clone(), lane.sink.clone());
        move |gap: Duration| {
            let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
            s.0 = s.0.max(gap);
            s.1 += 1;
            sink.frame(s.1);
        }
    };
    show_code(lane, "fn ticker(", "clock.sleep(tick)");
    let tick = setup.tick();
    let ticker = flavour.spawn(watched(
        tasks::ticker(lane.clock.clone(), tick, on_tick),
        threads,
    ));
    lane.clock.sleep(tick * SETTLE_TICKS).await;
    let hog_ms = setup.hog_ms;
    lane.sink.log(tr!(
        "hog: computes for {hog_ms} ms of CPU time, no .await",
        "hog：计算 {hog_ms} 毫秒 CPU 时间，中间没有 .await"
    ));
    show_code(lane, "fn hog(", "compute_for");
    // Slow motion stretches the work, so the figures stay those of 1x.
    let scale = lane.clock.scale().max(0.01);
    let hog = flavour.spawn(watched(
        tasks::hog(setup.hog().div_f64(scale), lane.cancel.clone()),
        threads,
    ));
    let started = lane.clock.now();
    let hog = hog.await.map_err(join_failed)?.mul_f64(scale);
    let wall = lane.clock.now().saturating_sub(started);
    if wall > hog.mul_f64(1.5) {
        // Say it, so a long gap is not read as the hog's length.
        let (wall, cpu) = (wall.as_millis(), hog.as_millis());
        lane.sink.log(tr!(
            "the hog took {wall} ms on the wall for {cpu} ms of CPU: other programs shared its core",
            "hog 用 {cpu} 毫秒 CPU 花了 {wall} 毫秒墙钟时间：别的程序分走了它的核心"
        ));
    }
    show_code(lane, "fn ticker(", "on_tick(");
    lane.clock.sleep(tick * SETTLE_TICKS).await;
    ticker.abort();
    let _ = ticker.await;
    let (max_gap, ticks) = *seen.lock().unwrap_or_else(|e| e.into_inner());
    let gap = max_gap.as_millis();
    lane.sink.log(tr!(
        "ticker: {ticks} ticks, longest gap {gap} ms",
        "计时器：{ticks} 次，最长间隔 {gap} 毫秒"
    ));
    Ok((max_gap, ticks, hog))
}

/// Phase 2: `tasks` tasks add 1 to one counter `rounds` times each. The
/// unlocked counter (the lane's own kind), on multi-thread the locked one,
/// and the cores the process used while the unlocked one ran.
async fn counter(
    lane: &LaneCtx,
    flavour: Flavour,
    setup: &Setup,
    threads: &Threads,
) -> Result<(u64, Option<u64>, f64), LaneError> {
    let (n_tasks, rounds, inside) = (setup.tasks, setup.rounds, setup.await_inside);
    let expected = n_tasks * rounds;
    lane.sink.log(if inside {
        tr!(
            "{n_tasks} tasks x {rounds}: read, .await, write",
            "{n_tasks} 个任务 x {rounds} 次：读、.await、写"
        )
    } else {
        tr!(
            "{n_tasks} tasks x {rounds}: read, then write, no lock",
            "{n_tasks} 个任务 x {rounds} 次：先读后写，不加锁"
        )
    });
    let (unlocked, cores) = unlocked_counter(lane, flavour, setup, threads).await?;
    log_counter(lane, unlocked, expected, false);
    if flavour != Flavour::MultiThread {
        return Ok((unlocked, None, cores));
    }
    show_code(lane, "fn add_locked(", "// read");
    let n = Arc::new(tokio::sync::Mutex::new(0u64));
    let handles = (0..n_tasks)
        .map(|_| {
            let add = tasks::add_locked(n.clone(), rounds, inside);
            flavour.spawn(watched(add, threads))
        })
        .collect();
    join_all(handles).await?;
    let locked = *n.lock().await;
    log_counter(lane, locked, expected, true);
    Ok((unlocked, Some(locked), cores))
}

/// The counter without a lock: `Rc<RefCell>` on the `LocalSet` (the only
/// lane whose tasks may hold it), an `Arc` elsewhere. Its final value, and
/// the cores the process used meanwhile (CPU time over wall time).
async fn unlocked_counter(
    lane: &LaneCtx,
    flavour: Flavour,
    setup: &Setup,
    threads: &Threads,
) -> Result<(u64, f64), LaneError> {
    let (n_tasks, rounds, inside) = (setup.tasks, setup.rounds, setup.await_inside);
    let (wall, cpu) = (Instant::now(), process_cpu());
    let got = if flavour == Flavour::LocalSet {
        show_code(lane, "fn add_local(", "// read");
        let n = Rc::new(RefCell::new(0u64));
        let handles = (0..n_tasks)
            .map(|_| {
                let add = tasks::add_local(n.clone(), rounds, inside);
                tokio::task::spawn_local(watched(add, threads))
            })
            .collect();
        join_all(handles).await?;
        *n.borrow()
    } else {
        show_code(lane, "fn add_unlocked(", "// read");
        let n = Arc::new(AtomicU64::new(0));
        let handles = (0..n_tasks)
            .map(|_| {
                let add = tasks::add_unlocked(n.clone(), rounds, inside);
                flavour.spawn(watched(add, threads))
            })
            .collect();
        join_all(handles).await?;
        n.load(Ordering::SeqCst)
    };
    let cores =
        process_cpu().saturating_sub(cpu).as_secs_f64() / wall.elapsed().as_secs_f64().max(1e-9);
    Ok((got, cores))
}

fn log_counter(lane: &LaneCtx, got: u64, expected: u64, locked: bool) {
    let lost = expected.saturating_sub(got);
    lane.sink.log(match (locked, lost) {
        (false, 0) => tr!(
            "counter {got} of {expected}: exact",
            "计数 {got}/{expected}：一个不差"
        ),
        (false, _) => tr!(
            "counter {got} of {expected}: {lost} updates lost",
            "计数 {got}/{expected}：丢了 {lost} 次更新"
        ),
        (true, 0) => tr!(
            "with the lock: {got} of {expected}, exact",
            "加锁后：{got}/{expected}，一个不差"
        ),
        (true, _) => tr!(
            "with the lock: {got} of {expected}, {lost} lost",
            "加锁后：{got}/{expected}，丢了 {lost} 次"
        ),
    });
}

/// Worker threads lose updates only when two of them run the update at the
/// same instant. The cores the process got while they ran (measured: CPU
/// time over wall time) say whether they could have.
fn explain_no_loss(lane: &LaneCtx, cores: f64) {
    lane.sink.log(if cores < 1.5 {
        tr!(
            "none lost this time: the workers used only {cores:.1} cores between them (a busy machine, or too few rounds), so they seldom ran at the same instant; press r to run again",
            "这次一个也没丢：工作线程一共只用了 {cores:.1} 个核心（机器很忙，或轮数太少），很少在同一时刻运行；按 r 再跑一次"
        )
    } else {
        tr!(
            "none lost this time, though the workers ran side by side ({cores:.1} cores): updates are lost only when two updates collide; press r to run again",
            "这次一个也没丢，尽管工作线程并排运行（{cores:.1} 个核心）：只有两次更新撞在一起时才会丢失；按 r 再跑一次"
        )
    });
}

/// Phase 3: a consumer drains a channel filled in advance. How often its
/// poll returned `Pending` while data was waiting: the yields tokio's
/// cooperative budget forced on it.
async fn always_ready(
    lane: &LaneCtx,
    flavour: Flavour,
    setup: &Setup,
    threads: &Threads,
) -> Result<u64, LaneError> {
    let items = setup.items;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..items {
        // Up to 2 million sends without an .await: look at the stop now and then.
        if i % 65_536 == 0 {
            lane.cancel.check()?;
        }
        // Cannot fail: the receiver is right here.
        let _ = tx.send(i);
    }
    drop(tx);
    let got = Arc::new(AtomicU64::new(0));
    let forced = Arc::new(AtomicU64::new(0));
    let on_pending = {
        let (got, forced) = (got.clone(), forced.clone());
        // Every item was sent before the consumer started: a Pending
        // before the last one was received had data waiting.
        move || {
            if got.load(Ordering::SeqCst) < items {
                forced.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    show_code(lane, "fn drain(", "rx.recv().await");
    let consumer = flavour.spawn(watched_with(
        tasks::drain(rx, got.clone()),
        threads,
        on_pending,
    ));
    consumer.await.map_err(join_failed)?;
    let (received, forced) = (got.load(Ordering::SeqCst), forced.load(Ordering::SeqCst));
    let every = received / forced.max(1);
    lane.sink.log(if forced > 0 {
        tr!(
            "{received} items: recv() said Pending {forced} times with data waiting (1 per ~{every})",
            "{received} 个条目：有数据时 recv() 仍返回 Pending {forced} 次（约每 {every} 个一次）"
        )
    } else {
        tr!(
            "{received} items: recv() never returned Pending",
            "{received} 个条目：recv() 从未返回 Pending"
        )
    });
    Ok(forced)
}
