//! Starting and stopping a run, and running a demo without a UI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::clock::Clock;
use super::event::{DemoEvent, RunId};
use super::sink::{self, EventSink, EventStream, Senders};
use super::view::DemoView;
use super::{Demo, DemoCtx, ParamError, Params};

static NEXT_RUN: AtomicU64 = AtomicU64::new(1);

/// Whether someone watches a run in the app (it may pace itself for them,
/// and a demo stepped by hand starts paused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    InApp,
    Headless,
    /// Headless with a time limit (`--seconds`): the run ends when it is
    /// stopped, so a server may keep serving once its lanes have measured.
    Timed,
}

/// A demo that is running. Dropping it stops the demo; its threads are
/// joined on a reaper thread so the caller never waits.
pub struct DemoRun {
    pub run: RunId,
    cancel: Cancel,
    clock: Clock,
    threads: Vec<JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
}

impl DemoRun {
    /// Starts a run; `watched` when someone watches it in the app (a demo
    /// that `starts_paused` then waits for `n`), not for `--json`, tests or a
    /// quiz's predict run.
    pub fn start(
        demo: &dyn Demo,
        params: &Params,
        scale: f64,
        senders: Senders,
        watched: Watched,
    ) -> Result<DemoRun, ParamError> {
        demo.check(params)?;
        let run = RunId(NEXT_RUN.fetch_add(1, Ordering::Relaxed));
        let cancel = Cancel::new();
        let clock = Clock::new(scale);
        let interactive = watched == Watched::InApp;
        let open_ended = watched != Watched::Headless;
        if interactive && demo.info().starts_paused {
            clock.set_paused(true);
        }
        let dropped = Arc::new(AtomicU64::new(0));
        let sink = EventSink::new(senders, run, clock.clone(), dropped.clone(), demo.info());
        let threads = demo.start(
            DemoCtx {
                sink,
                cancel: cancel.clone(),
                clock: clock.clone(),
                interactive,
                open_ended,
            },
            params,
        )?;
        Ok(DemoRun {
            run,
            cancel,
            clock,
            threads,
            dropped,
        })
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Cancels the run and joins its lanes, waiting at most `timeout`.
    /// Returns whether every lane thread ended in time.
    pub fn stop_and_wait(mut self, timeout: Duration) -> bool {
        self.cancel.cancel();
        let deadline = Instant::now() + timeout;
        let threads = std::mem::take(&mut self.threads);
        for t in &threads {
            while !t.is_finished() {
                if Instant::now() >= deadline {
                    reap(threads);
                    return false;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        for t in threads {
            let _ = t.join();
        }
        true
    }
}

fn reap(threads: Vec<JoinHandle<()>>) {
    if threads.is_empty() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("concur-reaper".into())
        .spawn(move || {
            for t in threads {
                let _ = t.join();
            }
        });
}

impl Drop for DemoRun {
    fn drop(&mut self) {
        self.cancel.cancel();
        reap(std::mem::take(&mut self.threads));
    }
}

#[derive(Debug, Clone, Copy)]
pub struct HeadlessOptions {
    /// Stop after this many wall seconds even if lanes are still running.
    pub seconds: Option<f64>,
    pub scale: f64,
}

impl Default for HeadlessOptions {
    fn default() -> Self {
        HeadlessOptions {
            seconds: None,
            scale: 1.0,
        }
    }
}

/// What a headless run measured.
pub struct Outcome {
    pub view: DemoView,
    pub wall: Duration,
    /// True when every lane finished on its own (not stopped by `seconds`).
    pub completed: bool,
    pub clean_stop: bool,
}

/// Runs a demo to its end (or `seconds`) and returns what it measured;
/// `on_event` sees the view after every event (for `--plain`).
pub fn run_headless(
    demo: &dyn Demo,
    params: Params,
    opts: HeadlessOptions,
    on_event: impl FnMut(&DemoView, &DemoEvent),
) -> Result<Outcome, ParamError> {
    run_headless_as(demo, params, opts, Watched::Headless, on_event)
}

/// [`run_headless`], saying how the run is watched: `Watched::Timed` for
/// `--seconds`, where a demo's server keeps serving until the time is up.
pub fn run_headless_as(
    demo: &dyn Demo,
    params: Params,
    opts: HeadlessOptions,
    watched: Watched,
    mut on_event: impl FnMut(&DemoView, &DemoEvent),
) -> Result<Outcome, ParamError> {
    let (senders, stream) = sink::channels();
    let mut view = DemoView::new(demo.info(), params.clone());
    view.scale = opts.scale;
    let start = Instant::now();
    let run = DemoRun::start(demo, &params, opts.scale, senders, watched)?;
    view.reset(run.run);
    let deadline = opts
        .seconds
        .map(|s| start + Duration::from_secs_f64(s.max(0.0)));
    let mut apply = |view: &mut DemoView, ev: DemoEvent| {
        let seen = ev.clone();
        if view.apply(ev) {
            on_event(view, &seen);
        }
    };
    while !view.all_finished() {
        let timeout = deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        if timeout.is_zero() {
            break;
        }
        crossbeam_channel::select! {
            recv(stream.events) -> ev => if let Ok(ev) = ev { apply(&mut view, ev) },
            recv(stream.lifecycle) -> ev => if let Ok(ev) = ev {
                drain_events(&stream, &mut view, &mut apply);
                apply(&mut view, ev);
            },
            default(timeout) => break,
        }
    }
    let completed = view.all_finished();
    view.dropped = run.dropped();
    let clean_stop = run.stop_and_wait(Duration::from_secs(5));
    drain_events(&stream, &mut view, &mut apply);
    while let Ok(ev) = stream.lifecycle.try_recv() {
        apply(&mut view, ev);
    }
    if !completed {
        view.mark_stopped();
    }
    Ok(Outcome {
        view,
        wall: start.elapsed(),
        completed,
        clean_stop,
    })
}

fn drain_events(
    stream: &EventStream,
    view: &mut DemoView,
    apply: &mut impl FnMut(&mut DemoView, DemoEvent),
) {
    while let Ok(ev) = stream.events.try_recv() {
        apply(view, ev);
    }
}
