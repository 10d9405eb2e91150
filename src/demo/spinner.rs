//! `spinner`: a spinner drawn by an OS thread beside one drawn by a tokio
//! task, each while a slow call runs; both get the answer 42.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::lane::{LaneResult, spawn_async_lane, spawn_lane, thread_name};
use super::stats::Samples;
use super::{
    Cancelled, Demo, DemoCtx, DemoInfo, ErrorReport, LaneCtx, LaneError, LaneInfo, ParamInfo, Unit,
};

const ID: &str = "spinner";

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: "Thread spinner vs coroutine spinner",
    title_zh: "线程旋转指针 vs 协程旋转指针",
    lanes: &[
        LaneInfo {
            name: "thread",
            title: "thread: OS thread + stop flag",
            title_zh: "thread：操作系统线程 + 停止标志",
            metrics: &["answer", "ticks", "elapsed_ms", "jitter_p99_ms"],
            code: "",
        },
        LaneInfo {
            name: "coroutine",
            title: "coroutine: tokio task + cancel",
            title_zh: "coroutine：tokio 任务 + 取消",
            metrics: &[
                "answer",
                "ticks",
                "elapsed_ms",
                "jitter_p99_ms",
                "max_lag_ms",
                "cleanup_ran",
            ],
            code: "",
        },
    ],
    params: &[
        ParamInfo {
            name: "call_ms",
            help: "length of the slow call, in ms",
            default: "3000",
        },
        ParamInfo {
            name: "frame_ms",
            help: "time between spinner frames, in ms",
            default: "100",
        },
    ],
};

pub struct SpinnerDemo;

impl Demo for SpinnerDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        vec![
            spawn_lane(ID, "thread", ctx.lane(0), thread_lane),
            spawn_async_lane(ID, "coroutine", ctx.lane(1), true, |lane, _lag| {
                coroutine_lane(lane)
            }),
        ]
    }
}

struct Timing {
    call: Duration,
    frame: Duration,
}

impl Timing {
    fn of(lane: &LaneCtx) -> Self {
        Timing {
            call: Duration::from_millis(lane.params.u64_or("call_ms", 3000)),
            frame: Duration::from_millis(lane.params.u64_or("frame_ms", 100).max(1)),
        }
    }
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
    sink.status(format!("Answer: {answer}"));
    sink.metric("answer", answer as f64, Unit::Count);
    sink.count("ticks", spun.ticks);
    sink.ms("elapsed_ms", lane.clock.now().saturating_sub(started));
    sink.metric("jitter_p99_ms", spun.lateness.percentile(99.0), Unit::Ms);
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
            lane.sink.log("spinner thread: saw the flag, stops");
            return Ok(spun);
        }
        let late = lane.clock.now().saturating_sub(target);
        spun.lateness.push(ms(late));
        lane.sink.frame(spun.ticks);
        spun.ticks += 1;
    }
}

fn thread_lane(lane: LaneCtx) -> LaneResult {
    let timing = Timing::of(&lane);
    let started = lane.clock.now();
    let stop = Arc::new(AtomicBool::new(false));
    lane.sink.log("main: start the spinner thread");
    let spinner = {
        let (lane, stop) = (lane.clone(), stop.clone());
        std::thread::Builder::new()
            .name(thread_name(ID, "thread-spin"))
            .spawn(move || spin_thread(&lane, timing.frame, &stop))?
    };
    lane.sink.log(format!(
        "main: slow_function() blocks for {} ms",
        timing.call.as_millis()
    ));
    let answer = slow_function(&lane, timing.call);
    lane.sink.log("main: set the stop flag, join the thread");
    stop.store(true, Ordering::SeqCst);
    let spun = spinner
        .join()
        .map_err(|_| LaneError::Failed(ErrorReport::msg("the spinner thread panicked")))?;
    let (answer, spun) = (answer?, spun?);
    lane.sink.log("main: spinner thread joined");
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
        self.lane
            .sink
            .log("spinner task: dropped at its await, cleanup ran");
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

async fn coroutine_lane(lane: LaneCtx) -> LaneResult {
    let timing = Timing::of(&lane);
    let started = lane.clock.now();
    let spun = Arc::new(Mutex::new(Spun::default()));
    let cleaned = Arc::new(AtomicBool::new(false));
    let spinner = tokio::spawn(spin_task(
        lane.clone(),
        timing.frame,
        spun.clone(),
        cleaned.clone(),
    ));
    lane.sink.log("supervisor: spawned the spinner task");
    lane.sink.log(format!(
        "supervisor: await slow_coroutine() ({} ms)",
        timing.call.as_millis()
    ));
    let answer = slow_coroutine(&lane, timing.call).await;
    lane.sink.log("supervisor: cancel the spinner task (abort)");
    spinner.abort();
    if let Err(e) = spinner.await
        && e.is_cancelled()
    {
        lane.sink.log("supervisor: the task reports: cancelled");
    }
    let spun = std::mem::take(&mut *spun.lock().unwrap_or_else(|e| e.into_inner()));
    report(&lane, answer, &spun, started);
    lane.sink.metric(
        "cleanup_ran",
        if cleaned.load(Ordering::SeqCst) {
            1.0
        } else {
            0.0
        },
        Unit::Flag,
    );
    Ok(())
}
