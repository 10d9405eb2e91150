//! `executor`: how an event loop works, one step at a time. Three small
//! tasks (user coroutine → library coroutine → leaf future) run on a tiny
//! executor written out here, stepped by hand (`n`; `.` plays), and on
//! tokio's current-thread runtime at full speed, each poll recorded.

pub mod hand;
mod tasks;
mod traced;

use std::cell::Cell;
use std::future::Future;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::lane::{LaneResult, spawn_async_lane, spawn_lane};
use super::{DemoCtx, DemoDef, DemoInfo, Knobs, LaneCtx, LaneInfo, Span, SpanState, Unit, metric};
use crate::i18n::{LocalText, Text};
use crate::tr;
use hand::{HandEnv, HandExec};
use tasks::{Boxed, Env};
use traced::PollCount;

const ID: &str = "executor";

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: true,
    title: Text::new("An event loop, one step at a time", "事件循环，一步一步来"),
    lanes: &[
        LaneInfo {
            name: "by-hand",
            title: Text::new(
                "by-hand: a tiny executor (n: one step, .: play)",
                "by-hand：一个小执行器（n：走一步，.：播放）",
            ),
            metrics: &[
                metric("polls", Unit::Count),
                metric("wakes", Unit::Count),
                metric("timer_fires", Unit::Count),
                metric("tasks_done", Unit::Count),
                metric("elapsed_ms", Unit::Ms),
                metric("steps", Unit::Count),
                metric("lazy_polls", Unit::Count),
            ],
            code: "",
        },
        LaneInfo {
            name: "tokio",
            title: Text::new(
                "tokio: the same tasks, full speed",
                "tokio：同样的任务，全速运行",
            ),
            metrics: &[
                metric("polls", Unit::Count),
                metric("wakes", Unit::Count),
                metric("timer_fires", Unit::Count),
                metric("tasks_done", Unit::Count),
                metric("elapsed_ms", Unit::Ms),
                metric("lazy_polls", Unit::Count),
            ],
            code: "",
        },
    ],
    failure: None,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pace {
    step_ms: u64,
}

impl Default for Pace {
    fn default() -> Self {
        Pace { step_ms: 600 }
    }
}

impl Knobs for Pace {
    const HELP: &'static [(&'static str, Text)] = &[(
        "step_ms",
        Text::new(
            "while playing (.): time between two steps, in ms",
            "播放（.）时两步之间的时间（毫秒）",
        ),
    )];

    fn validate(&self) -> Result<(), String> {
        if self.step_ms > 10_000 {
            return Err("step_ms must be at most 10000".into());
        }
        Ok(())
    }
}

pub static DEMO: DemoDef<Pace> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, pace: Pace) -> Vec<JoinHandle<()>> {
    [
        spawn_lane(ID, "by-hand", ctx.lane(0), move |lane| {
            by_hand_lane(lane, pace)
        }),
        spawn_async_lane(ID, "tokio", ctx.lane(1), false, |lane, _| tokio_lane(lane)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Steps the hand executor takes at most: its three tasks need 11, so this
/// only bounds a bug, never a run.
const MAX_STEPS: u64 = 200;

fn by_hand_lane(lane: LaneCtx, pace: Pace) -> LaneResult {
    let (a, b) = std::os::unix::net::UnixStream::pair()?;
    b.set_nonblocking(true)?;
    let env = Rc::new(HandEnv {
        read_fd: b.as_raw_fd(),
        write_fd: a.as_raw_fd(),
        said: Default::default(),
    });
    let dyn_env: Rc<dyn Env> = env.clone();
    // Created, and never awaited or spawned: it will do nothing. Its
    // counter sees every poll it gets, so the 0 below is measured.
    let lazy = PollCount::new(tasks::lazy(&dyn_env));
    let mut exec = HandExec::new(tasks::tasks(&dyn_env));
    let delay = Duration::from_millis(if lane.interactive { pace.step_ms } else { 0 });
    if lane.interactive {
        lane.sink.log(tr!(
            "paused: press n for one step, . to play",
            "已暂停：按 n 走一步，按 . 播放"
        ));
    }
    lane.sink.log(tr!(
        "3 tasks in the ready queue; ticker() #2 never awaited",
        "就绪队列里有 3 个任务；ticker() #2 从未被 await"
    ));
    let lazy_polls = lazy.polls();
    let never = (
        tr!("never awaited", "从未 await"),
        tr!(
            "ticker() #2: {} polls",
            "ticker() #2：被 poll {} 次",
            lazy_polls.get()
        ),
    );
    while exec.steps < MAX_STEPS {
        lane.cancel.check()?;
        if lane.interactive {
            // Paused: wait for n (one step) or . (play, one step per delay).
            let stepping = lane.clock.wait_unpaused(&lane.cancel)?;
            if !stepping && exec.steps > 0 {
                lane.clock.sleep_blocking(delay, &lane.cancel)?;
            }
        }
        let Some(info) = exec.step() else { break };
        let (n, what) = (exec.steps, &info.what);
        lane.sink.log(tr!("{n:>2}. {what}", "{n:>2}. {what}"; what));
        for said in env.said.borrow_mut().drain(..) {
            lane.sink.log(LocalText::same(format!("    {said}")));
        }
        let mut view = exec.view(&info);
        view.push(never.clone());
        lane.sink.knows(view);
        lane.sink.progress(exec.tasks_done, exec.tasks.len() as u64);
    }
    for t in &exec.tasks {
        log_counts(&lane, t.name, t.polls, t.suspensions);
    }
    log_lazy(&lane, lazy_polls.get());
    lane.sink.count("polls", exec.polls);
    lane.sink.count("wakes", exec.wakes());
    lane.sink.count("timer_fires", exec.timer_fires);
    lane.sink.count("tasks_done", exec.tasks_done);
    // The executor's own clock: its timers jump it forward.
    lane.sink.metric("elapsed_ms", exec.now_ms() as f64);
    lane.sink.count("steps", exec.steps);
    lane.sink.count("lazy_polls", lazy_polls.get());
    let (steps, polls, wakes, timers) = (exec.steps, exec.polls, exec.wakes(), exec.timer_fires);
    lane.sink.status(tr!(
        "{steps} steps: {polls} polls, {wakes} wakes, {timers} timers",
        "{steps} 步：{polls} 次 poll，{wakes} 次唤醒，{timers} 个定时器"
    ));
    drop(lazy);
    Ok(())
}

fn log_counts(lane: &LaneCtx, name: &str, polls: u64, suspensions: u64) {
    let s = if suspensions == 1 { "" } else { "s" };
    lane.sink.log(tr!(
        "{name}: {polls} polls, {suspensions} suspension{s}",
        "{name}：{polls} 次 poll，{suspensions} 次挂起"
    ));
}

fn log_lazy(lane: &LaneCtx, polls: u64) {
    lane.sink.log(tr!(
        "ticker() #2: {polls} polls (created, never awaited)",
        "ticker() #2：{polls} 次 poll（创建了，但从未 await）"
    ));
}

// ---- tokio ---------------------------------------------------------------

struct TokioEnv {
    read: Rc<tokio::net::UnixStream>,
    write: Rc<tokio::net::UnixStream>,
    timer_fires: Rc<Cell<u64>>,
    lane: LaneCtx,
}

impl Env for TokioEnv {
    fn sleep(&self, ms: u64) -> Boxed<()> {
        let fires = self.timer_fires.clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            fires.set(fires.get() + 1);
        })
    }

    fn readable(&self) -> Boxed<Vec<u8>> {
        let read = self.read.clone();
        Box::pin(async move {
            let mut buf = [0u8; 64];
            loop {
                if read.readable().await.is_err() {
                    return Vec::new();
                }
                match read.try_read(&mut buf) {
                    Ok(n) => return buf[..n].to_vec(),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(_) => return Vec::new(),
                }
            }
        })
    }

    fn send(&self, bytes: &[u8]) {
        let _ = self.write.try_write(bytes);
    }

    fn say(&self, text: String) {
        self.lane.sink.log(LocalText::same(format!("    {text}")));
    }
}

struct CountingWaker {
    inner: Waker,
    wakes: Arc<AtomicU64>,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.inner.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.inner.wake_by_ref();
    }
}

/// Wraps a task: counts its polls and wakes, draws each poll on the timeline.
struct Recorder {
    name: &'static str,
    job: usize,
    inner: Boxed<()>,
    lane: LaneCtx,
    polls: Rc<Cell<u64>>,
    pending: Rc<Cell<u64>>,
    wakes: Arc<AtomicU64>,
    /// The tokio lane runs at full speed, whatever the demo clock does:
    /// its polls are placed in wall time.
    t0: Instant,
}

impl Future for Recorder {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let start = self.t0.elapsed();
        let waker = Waker::from(Arc::new(CountingWaker {
            inner: cx.waker().clone(),
            wakes: self.wakes.clone(),
        }));
        let mut inner_cx = Context::from_waker(&waker);
        let out = self.inner.as_mut().poll(&mut inner_cx);
        self.polls.set(self.polls.get() + 1);
        if out.is_pending() {
            self.pending.set(self.pending.get() + 1);
        }
        self.lane.sink.span(Span {
            thread: std::thread::current().name().unwrap_or("tokio").to_string(),
            label: format!("poll {}", self.name),
            job: self.job,
            start,
            end: self.t0.elapsed(),
            state: SpanState::Running,
        });
        let verdict = if out.is_ready() { "Ready" } else { "Pending" };
        self.lane
            .sink
            .log(LocalText::same(format!("poll {} → {verdict}", self.name)));
        out
    }
}

async fn tokio_lane(lane: LaneCtx) -> LaneResult {
    let (a, b) = tokio::net::UnixStream::pair()?;
    let fires = Rc::new(Cell::new(0));
    let env: Rc<dyn Env> = Rc::new(TokioEnv {
        read: Rc::new(b),
        write: Rc::new(a),
        timer_fires: fires.clone(),
        lane: lane.clone(),
    });
    let lazy = PollCount::new(tasks::lazy(&env));
    let t0 = Instant::now();
    let wakes = Arc::new(AtomicU64::new(0));
    let mut counts = Vec::new();
    let mut set = tokio::task::JoinSet::new();
    for (job, (name, fut)) in tasks::tasks(&env).into_iter().enumerate() {
        let (polls, pending) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        counts.push((name, polls.clone(), pending.clone()));
        set.spawn_local(Recorder {
            name,
            job,
            inner: fut,
            lane: lane.clone(),
            polls,
            pending,
            wakes: wakes.clone(),
            t0,
        });
    }
    let mut done = 0;
    while let Some(r) = set.join_next().await {
        done += u64::from(r.is_ok());
    }
    let mut polls = 0;
    for (name, p, s) in &counts {
        polls += p.get();
        log_counts(&lane, name, p.get(), s.get());
    }
    log_lazy(&lane, lazy.polls().get());
    lane.sink.count("polls", polls);
    lane.sink.count("wakes", wakes.load(Ordering::Relaxed));
    lane.sink.count("timer_fires", fires.get());
    lane.sink.count("tasks_done", done);
    lane.sink.ms("elapsed_ms", t0.elapsed());
    lane.sink.count("lazy_polls", lazy.polls().get());
    lane.sink.status(tr!(
        "{done} tasks done: {polls} polls",
        "{done} 个任务完成：{polls} 次 poll"
    ));
    Ok(())
}
