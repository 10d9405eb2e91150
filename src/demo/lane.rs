//! Starting lanes: one OS thread each, async lanes with their own event loop.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

use super::cancel::{Cancel, Cancelled};
use super::clock::Clock;
use super::event::ErrorReport;
use super::probe::{LagProbe, LagStats};
use super::sink::LaneSink;

/// What one lane gets to work with.
#[derive(Clone)]
pub struct LaneCtx {
    pub sink: LaneSink,
    pub cancel: Cancel,
    pub clock: Clock,
    /// Someone is watching in the app: a lane may pace itself for them.
    pub interactive: bool,
    /// The run ends only when stopped: a server lane keeps serving after
    /// its measurement (see [`super::DemoCtx::open_ended`]).
    pub open_ended: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LaneError {
    /// Stopped from outside (Space, leaving the step, `--seconds`).
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(ErrorReport),
}

impl From<Cancelled> for LaneError {
    fn from(_: Cancelled) -> Self {
        LaneError::Cancelled
    }
}

impl From<std::io::Error> for LaneError {
    fn from(e: std::io::Error) -> Self {
        LaneError::Failed(ErrorReport::from_error(&e))
    }
}

pub type LaneResult = Result<(), LaneError>;

/// Thread names start with this, so tests and the timeline can find them.
pub const THREAD_PREFIX: &str = "demo:";

/// The name of a helper thread a lane starts (its spinner, its workers).
pub fn thread_name(demo: &str, role: &str) -> String {
    format!("{THREAD_PREFIX}{demo}/{role}")
}

fn finish(sink: &LaneSink, result: std::thread::Result<LaneResult>) {
    match result {
        Ok(Ok(())) => sink.done(),
        // Cut short: never reported as done.
        Ok(Err(LaneError::Cancelled)) => sink.stopped(),
        Ok(Err(LaneError::Failed(report))) => sink.failed(report),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            sink.failed(ErrorReport::msg(format!("lane panicked: {msg}")))
        }
    }
}

/// A lane thread that could not be started fails its lane; the app goes on.
fn started(sink: &LaneSink, spawned: std::io::Result<JoinHandle<()>>) -> Option<JoinHandle<()>> {
    match spawned {
        Ok(handle) => Some(handle),
        Err(e) => {
            let mut report = ErrorReport::from_error(&e);
            report.message = format!("cannot start the lane's thread: {}", report.message);
            sink.failed(report);
            None
        }
    }
}

/// Runs `body` on a new OS thread named after the demo and lane.
pub fn spawn_lane<F>(demo: &str, name: &str, ctx: LaneCtx, body: F) -> Option<JoinHandle<()>>
where
    F: FnOnce(LaneCtx) -> LaneResult + Send + 'static,
{
    let sink = ctx.sink.clone();
    let spawned = std::thread::Builder::new()
        .name(thread_name(demo, name))
        .spawn({
            let sink = sink.clone();
            move || {
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| body(ctx)));
                finish(&sink, result);
            }
        });
    started(&sink, spawned)
}

/// Runs `body` on a new OS thread that owns a current-thread tokio runtime:
/// one event loop, like asyncio's (`spawn_local` works inside). With `probe`, a loop-lag probe runs on the
/// same loop; its figures are passed to `body` and reported as `max_lag_ms`.
pub fn spawn_async_lane<F, Fut>(
    demo: &str,
    name: &str,
    ctx: LaneCtx,
    probe: bool,
    body: F,
) -> Option<JoinHandle<()>>
where
    F: FnOnce(LaneCtx, LagStats) -> Fut + Send + 'static,
    Fut: Future<Output = LaneResult> + 'static,
{
    let sink = ctx.sink.clone();
    let lane_sink = sink.clone();
    let spawned = std::thread::Builder::new()
        .name(thread_name(demo, name))
        .spawn(move || {
            let sink = lane_sink;
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let cancel = ctx.cancel.clone();
                let stats = LagStats::default();
                // A LocalSet, so lanes may spawn tasks that are not Send
                // (one loop, one thread: Rc and RefCell are fine).
                let local = tokio::task::LocalSet::new();
                let result = local.block_on(&rt, async {
                    let probe_task = probe.then(|| {
                        tokio::spawn(
                            LagProbe::new(ctx.sink.clone(), ctx.clock.clone(), stats.clone()).run(),
                        )
                    });
                    let result = tokio::select! {
                        _ = cancel.cancelled() => Err(LaneError::Cancelled),
                        r = body(ctx.clone(), stats.clone()) => r,
                    };
                    if let Some(task) = probe_task {
                        task.abort();
                        let _ = task.await;
                        stats.report(&ctx.sink);
                    }
                    result
                });
                // Blocking-pool work cannot be interrupted; give it a bounded time.
                rt.shutdown_timeout(std::time::Duration::from_secs(2));
                result
            }));
            finish(&sink, result);
        });
    started(&sink, spawned)
}
