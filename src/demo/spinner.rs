//! `spinner`: a spinner drawn by an OS thread beside one drawn by a tokio
//! task, each while a slow call runs; both get the answer 42.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::python::{PyLane, PyScript};
use super::stats::Samples;
use super::{
    Cancelled, DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneError, LaneInfo,
    MetricInfo, Unit, column, metric,
};
use crate::i18n::Text;
use crate::tr;

const ID: &str = "spinner";

const THREAD_METRICS: &[MetricInfo] = &[
    metric("answer", Unit::Count),
    column("ticks", Unit::Count, "ticks"),
    column("elapsed_ms", Unit::Ms, "elapsed"),
    column("jitter_p99_ms", Unit::Ms, "p99 late"),
];
const COROUTINE_METRICS: &[MetricInfo] = &[
    metric("answer", Unit::Count),
    column("ticks", Unit::Count, "ticks"),
    column("elapsed_ms", Unit::Ms, "elapsed"),
    column("jitter_p99_ms", Unit::Ms, "p99 late"),
    column("max_lag_ms", Unit::Ms, "max lag"),
    column("cleanup_ran", Unit::Flag, "cleanup"),
];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "Thread spinner vs coroutine spinner",
        "线程旋转指针 vs 协程旋转指针",
    ),
    lanes: &[
        LaneInfo {
            name: "thread",
            title: Text::new(
                "thread: OS thread + stop flag",
                "thread：操作系统线程 + 停止标志",
            ),
            metrics: THREAD_METRICS,
            code: "",
        },
        LaneInfo {
            name: "coroutine",
            title: Text::new(
                "coroutine: tokio task + cancel",
                "coroutine：tokio 任务 + 取消",
            ),
            metrics: COROUTINE_METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-thread",
            title: Text::new(
                "py-thread: threading.Thread + Event",
                "py-thread：threading.Thread + Event",
            ),
            metrics: THREAD_METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-asyncio",
            title: Text::new(
                "py-asyncio: a task cancelled at its await",
                "py-asyncio：在 await 处被取消的任务",
            ),
            metrics: COROUTINE_METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: None,
};

/// The asyncio twin: one script, its lane picks the function.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../assets/python/spinner.py"),
    texts: &[
        (
            "thread_saw_flag",
            Text::new(
                "spinner thread: saw the Event, stops",
                "旋转线程：看到了 Event，停下",
            ),
        ),
        (
            "start_thread",
            Text::new("main: start the spinner thread", "main：启动旋转线程"),
        ),
        (
            "slow_call",
            Text::new(
                "main: slow_function() blocks for {ms} ms",
                "main：slow_function() 阻塞 {ms} 毫秒",
            ),
        ),
        (
            "set_and_join",
            Text::new(
                "main: done.set(), then join the thread",
                "main：done.set()，再等待线程结束（join）",
            ),
        ),
        (
            "task_cleanup",
            Text::new(
                "spinner task: CancelledError at its await, cleanup ran",
                "旋转任务：在 await 处收到 CancelledError，清理代码已运行",
            ),
        ),
        (
            "created_task",
            Text::new(
                "supervisor: created the spinner task",
                "supervisor：创建了旋转任务",
            ),
        ),
        (
            "await_slow",
            Text::new(
                "supervisor: await slow_coroutine() ({ms} ms)",
                "supervisor：await slow_coroutine()（{ms} 毫秒）",
            ),
        ),
        (
            "cancel_task",
            Text::new(
                "supervisor: spinner.cancel()",
                "supervisor：spinner.cancel()",
            ),
        ),
        (
            "task_reports_cancelled",
            Text::new(
                "supervisor: the task reports: cancelled",
                "supervisor：任务报告：已取消",
            ),
        ),
        ("answer", Text::new("Answer: {answer}", "答案：{answer}")),
    ],
};

/// The spinner's parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timing {
    call_ms: u64,
    frame_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            call_ms: 3000,
            frame_ms: 100,
        }
    }
}

impl Knobs for Timing {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "call_ms",
            Text::new("length of the slow call, in ms", "慢调用的时长（毫秒）"),
        ),
        (
            "frame_ms",
            Text::new(
                "time between spinner frames, in ms",
                "旋转指针两帧之间的时间（毫秒）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=10_000).contains(&self.frame_ms) {
            return Err("frame_ms must be between 1 and 10000".into());
        }
        if self.call_ms > 600_000 {
            return Err("call_ms must be at most 600000".into());
        }
        Ok(())
    }
}

impl Timing {
    fn call(&self) -> Duration {
        Duration::from_millis(self.call_ms)
    }

    fn frame(&self) -> Duration {
        Duration::from_millis(self.frame_ms)
    }
}

pub static DEMO: DemoDef<Timing> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, timing: Timing) -> Vec<JoinHandle<()>> {
    let t = timing.clone();
    // A healthy Python spinner is silent for at most a frame.
    let quiet = timing.frame() * 3;
    [
        PyLane::new(ID, "py-thread", &PY_SCRIPT, &timing)
            .quiet(quiet)
            .spawn(ctx.lane(2)),
        PyLane::new(ID, "py-asyncio", &PY_SCRIPT, &timing)
            .quiet(quiet)
            .spawn(ctx.lane(3)),
        spawn_lane(ID, "thread", ctx.lane(0), move |lane| thread_lane(lane, t)),
        spawn_async_lane(ID, "coroutine", ctx.lane(1), true, move |lane, _lag| {
            coroutine_lane(lane, timing)
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Frames measured by a spinner: how many, and how late each came.
#[derive(Default)]
struct Spun {
    ticks: u64,
    lateness: Samples,
}

fn report(lane: &LaneCtx, answer: u64, spun: &Spun, started: Duration) {
    let sink = &lane.sink;
    sink.status(tr!("Answer: {answer}", "答案：{answer}"));
    sink.count("answer", answer);
    sink.count("ticks", spun.ticks);
    sink.ms("elapsed_ms", lane.clock.now().saturating_sub(started));
    sink.metric("jitter_p99_ms", spun.lateness.percentile(99.0));
}

// ---- lane `thread` -------------------------------------------------------

/// The slow call of the thread lane: it holds its thread for the whole time.
fn slow_function(lane: &LaneCtx, call: Duration) -> Result<u64, Cancelled> {
    lane.clock.sleep_blocking(call, &lane.cancel)?;
    Ok(42)
}

fn spin_thread(lane: &LaneCtx, frame: Duration, stop: &AtomicBool) -> Result<Spun, Cancelled> {
    let mut spun = Spun::default();
    let t0 = lane.clock.now();
    loop {
        let target = t0 + frame * spun.ticks as u32;
        lane.clock.sleep_until_blocking(target, &lane.cancel)?;
        // A thread cannot be stopped from outside: it looks at the flag itself.
        if stop.load(Ordering::SeqCst) {
            lane.sink.log(tr!(
                "spinner thread: saw the flag, stops",
                "旋转线程：看到了标志，停下"
            ));
            return Ok(spun);
        }
        let late = lane.clock.now().saturating_sub(target);
        spun.lateness.push(ms(late));
        lane.sink.frame(spun.ticks);
        spun.ticks += 1;
    }
}

fn thread_lane(lane: LaneCtx, timing: Timing) -> LaneResult {
    let started = lane.clock.now();
    let stop = Arc::new(AtomicBool::new(false));
    lane.sink
        .log(tr!("main: start the spinner thread", "main：启动旋转线程"));
    let spinner = {
        let (lane, stop, frame) = (lane.clone(), stop.clone(), timing.frame());
        std::thread::Builder::new()
            .name(thread_name(ID, "thread-spin"))
            .spawn(move || spin_thread(&lane, frame, &stop))?
    };
    let call_ms = timing.call_ms;
    lane.sink.log(tr!(
        "main: slow_function() blocks for {call_ms} ms",
        "main：slow_function() 阻塞 {call_ms} 毫秒"
    ));
    let answer = slow_function(&lane, timing.call());
    lane.sink.log(tr!(
        "main: set the stop flag, join the thread",
        "main：设置停止标志，等待线程结束（join）"
    ));
    stop.store(true, Ordering::SeqCst);
    let spun = spinner
        .join()
        .map_err(|_| LaneError::Failed(ErrorReport::msg("the spinner thread panicked")))?;
    let (answer, spun) = (answer?, spun?);
    lane.sink
        .log(tr!("main: spinner thread joined", "main：旋转线程已结束"));
    report(&lane, answer, &spun, started);
    Ok(())
}

// ---- lane `coroutine` ----------------------------------------------------

/// The slow call of the coroutine lane: it awaits, so the loop stays free.
async fn slow_coroutine(lane: &LaneCtx, call: Duration) -> u64 {
    lane.clock.sleep(call).await;
    42
}

/// Runs when the spinner future is dropped at its await: Rust's version of
/// catching `CancelledError` to clean up.
struct Cleanup {
    lane: LaneCtx,
    ran: Arc<AtomicBool>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.ran.store(true, Ordering::SeqCst);
        self.lane.sink.log(tr!(
            "spinner task: dropped at its await, cleanup ran",
            "旋转任务：在 await 处被丢弃，清理代码已运行"
        ));
    }
}

async fn spin_task(lane: LaneCtx, frame: Duration, spun: Arc<Mutex<Spun>>, ran: Arc<AtomicBool>) {
    let _cleanup = Cleanup {
        lane: lane.clone(),
        ran,
    };
    let t0 = lane.clock.now();
    for n in 0u64.. {
        let target = t0 + frame * n as u32;
        lane.clock.sleep_until(target).await;
        let late = lane.clock.now().saturating_sub(target);
        {
            let mut spun = spun.lock().unwrap_or_else(|e| e.into_inner());
            spun.lateness.push(ms(late));
            spun.ticks = n + 1;
        }
        lane.sink.frame(n);
    }
}

async fn coroutine_lane(lane: LaneCtx, timing: Timing) -> LaneResult {
    let started = lane.clock.now();
    let spun = Arc::new(Mutex::new(Spun::default()));
    let cleaned = Arc::new(AtomicBool::new(false));
    let spinner = tokio::spawn(spin_task(
        lane.clone(),
        timing.frame(),
        spun.clone(),
        cleaned.clone(),
    ));
    lane.sink.log(tr!(
        "supervisor: spawned the spinner task",
        "supervisor：派生了旋转任务"
    ));
    let call_ms = timing.call_ms;
    lane.sink.log(tr!(
        "supervisor: await slow_coroutine() ({call_ms} ms)",
        "supervisor：await slow_coroutine()（{call_ms} 毫秒）"
    ));
    let answer = slow_coroutine(&lane, timing.call()).await;
    lane.sink.log(tr!(
        "supervisor: cancel the spinner task (abort)",
        "supervisor：取消旋转任务（abort）"
    ));
    spinner.abort();
    if let Err(e) = spinner.await
        && e.is_cancelled()
    {
        lane.sink.log(tr!(
            "supervisor: the task reports: cancelled",
            "supervisor：任务报告：已取消"
        ));
    }
    let spun = std::mem::take(&mut *spun.lock().unwrap_or_else(|e| e.into_inner()));
    report(&lane, answer, &spun, started);
    lane.sink
        .flag("cleanup_ran", cleaned.load(Ordering::SeqCst));
    Ok(())
}
