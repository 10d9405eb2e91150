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

use super::lane::{LaneResult, spawn_async_lane, spawn_lane};
use super::{Demo, DemoCtx, DemoInfo, LaneCtx, LaneInfo, ParamInfo, Span, SpanState, Unit};
use hand::{HandEnv, HandExec};
use tasks::{Boxed, Env};

const ID: &str = "executor";

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: true,
    title: "An event loop, one step at a time",
    title_zh: "事件循环，一步一步来",
    lanes: &[
        LaneInfo {
            name: "by-hand",
            title: "by-hand: a tiny executor (n: one step, .: play)",
            title_zh: "by-hand：一个小执行器（n：走一步，.：播放）",
            metrics: &[
                "polls",
                "wakes",
                "timer_fires",
                "tasks_done",
                "elapsed_ms",
                "steps",
                "lazy_polls",
            ],
            code: "",
        },
        LaneInfo {
            name: "tokio",
            title: "tokio: the same tasks, full speed",
            title_zh: "tokio：同样的任务，全速运行",
            metrics: &[
                "polls",
                "wakes",
                "timer_fires",
                "tasks_done",
                "elapsed_ms",
                "lazy_polls",
            ],
            code: "",
        },
    ],
    params: &[ParamInfo {
        name: "step_ms",
        help: "while playing (.): time between two steps, in ms",
        default: "600",
    }],
};

pub struct ExecutorDemo;

impl Demo for ExecutorDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        vec![
            spawn_lane(ID, "by-hand", ctx.lane(0), by_hand_lane),
            spawn_async_lane(ID, "tokio", ctx.lane(1), false, |lane, _| tokio_lane(lane)),
        ]
    }
}

/// A future never polled, with the proof: its poll counter.
struct Counted {
    polls: Rc<Cell<u64>>,
    _inner: Boxed<()>,
}

const MAX_STEPS: u64 = 200;

fn by_hand_lane(lane: LaneCtx) -> LaneResult {
    let (a, b) = std::os::unix::net::UnixStream::pair()?;
    b.set_nonblocking(true)?;
    let env = Rc::new(HandEnv {
        read_fd: b.as_raw_fd(),
        write_fd: a.as_raw_fd(),
        said: Default::default(),
    });
    let dyn_env: Rc<dyn Env> = env.clone();
    // Created, and never awaited or spawned: it will do nothing.
    let lazy = Counted {
        polls: Rc::default(),
        _inner: tasks::lazy(&dyn_env),
    };
    let mut exec = HandExec::new(tasks::tasks(&dyn_env));
    let delay = Duration::from_millis(if lane.interactive {
        lane.params.u64_or("step_ms", 600)
    } else {
        0
    });
    if lane.interactive {
        lane.sink.log("paused: press n for one step, . to play");
    }
    lane.sink
        .log("3 tasks in the ready queue; ticker() #2 never awaited");
    let never = (
        "never awaited".to_string(),
        format!("ticker() #2: {} polls", lazy.polls.get()),
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
        lane.sink.log(format!("{:>2}. {}", exec.steps, info.what));
        for said in env.said.borrow_mut().drain(..) {
            lane.sink.log(format!("    {said}"));
        }
        let mut view = exec.view(&info);
        view.push(never.clone());
        lane.sink.knows(view);
        lane.sink.progress(exec.tasks_done, exec.tasks.len() as u64);
    }
    for t in &exec.tasks {
        lane.sink.log(format!(
            "{}: {} polls, {} suspensions",
            t.name, t.polls, t.suspensions
        ));
    }
    lane.sink
        .log(format!("ticker() #2: {} polls", lazy.polls.get()));
    lane.sink.count("polls", exec.polls);
    lane.sink.count("wakes", exec.wakes());
    lane.sink.count("timer_fires", exec.timer_fires);
    lane.sink.count("tasks_done", exec.tasks_done);
    // The executor's own clock: its timers jump it forward.
    lane.sink
        .metric("elapsed_ms", exec.now_ms() as f64, Unit::Ms);
    lane.sink.count("steps", exec.steps);
    lane.sink.count("lazy_polls", lazy.polls.get());
    lane.sink.status(format!(
        "{} steps: {} polls, {} wakes, {} timers",
        exec.steps,
        exec.polls,
        exec.wakes(),
        exec.timer_fires
    ));
    Ok(())
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
        self.lane.sink.log(format!("    {text}"));
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
            .log(format!("poll {} → {verdict}", self.name));
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
    let lazy = Counted {
        polls: Rc::default(),
        _inner: tasks::lazy(&env),
    };
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
        lane.sink.log(format!(
            "{name}: {} polls, {} suspensions",
            p.get(),
            s.get()
        ));
    }
    lane.sink
        .log(format!("ticker() #2: {} polls", lazy.polls.get()));
    lane.sink.count("polls", polls);
    lane.sink.count("wakes", wakes.load(Ordering::Relaxed));
    lane.sink.count("timer_fires", fires.get());
    lane.sink.count("tasks_done", done);
    lane.sink.ms("elapsed_ms", t0.elapsed());
    lane.sink.count("lazy_polls", lazy.polls.get());
    lane.sink
        .status(format!("{done} tasks done: {polls} polls"));
    Ok(())
}
