//! The live-demo framework: demos are values that, given a [`DemoCtx`], start
//! lanes on their own OS threads (async lanes on their own current-thread
//! tokio runtime) and report what they measure as [`DemoEvent`]s.

pub mod cancel;
pub mod clock;
pub mod event;
pub mod lane;
pub mod params;
pub mod probe;
pub mod runner;
pub mod sink;
pub mod stats;
pub mod turns;
pub mod view;

pub mod callbacks;
pub mod executor;
pub mod file_io;
pub mod futures;
pub mod io_models;
pub mod parallel;
mod spinner;

use std::thread::JoinHandle;

pub use cancel::{Cancel, Cancelled};
pub use clock::Clock;
pub use event::{DemoEvent, ErrorReport, EventKind, Metric, Span, SpanState, Unit};
pub use lane::{LaneCtx, LaneError};
pub use params::{ParamInfo, Params};
pub use runner::{DemoRun, HeadlessOptions, Outcome, run_headless};
pub use sink::{EventSink, EventStream, LaneSink};
pub use view::{DemoView, LaneState, LaneView};

/// What a lane is called and what it reports.
#[derive(Debug, Clone, Copy)]
pub struct LaneInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub title_zh: &'static str,
    /// Every metric the lane reports by the time it is done.
    pub metrics: &'static [&'static str],
    /// Source code the lane shows, with `CodeLine` events pointing into it
    /// (empty: no code pane).
    pub code: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct DemoInfo {
    pub id: &'static str,
    /// Starts paused in the app (a demo stepped by hand with `n`).
    pub starts_paused: bool,
    pub title: &'static str,
    pub title_zh: &'static str,
    pub lanes: &'static [LaneInfo],
    pub params: &'static [ParamInfo],
}

impl DemoInfo {
    pub fn lane(&self, name: &str) -> Option<&LaneInfo> {
        self.lanes.iter().find(|l| l.name == name)
    }

    pub fn title_for(&self, zh: bool) -> &'static str {
        if zh { self.title_zh } else { self.title }
    }
}

/// Everything a demo needs to run.
pub struct DemoCtx {
    pub sink: EventSink,
    pub cancel: Cancel,
    pub clock: Clock,
    pub params: Params,
    /// Someone is watching in the app (not `--json`, not a quiz run).
    pub interactive: bool,
}

impl DemoCtx {
    /// The context handed to lane number `lane`.
    pub fn lane(&self, lane: usize) -> LaneCtx {
        LaneCtx {
            sink: self.sink.lane(lane),
            cancel: self.cancel.clone(),
            clock: self.clock.clone(),
            params: self.params.clone(),
            interactive: self.interactive,
        }
    }
}

pub trait Demo: Send + Sync + 'static {
    fn info(&self) -> &'static DemoInfo;
    /// Starts every lane and returns their threads. Must not block.
    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>>;
}

static DEMOS: &[&dyn Demo] = &[
    &spinner::SpinnerDemo,
    &parallel::ParallelDemo,
    &file_io::FileIoDemo,
    &callbacks::CallbacksDemo,
    &io_models::IoModelsDemo,
    &futures::FuturesDemo,
    &executor::ExecutorDemo,
];

/// Every demo, in the order `concur demo --list` shows them.
pub fn all() -> &'static [&'static dyn Demo] {
    DEMOS
}

pub fn find(id: &str) -> Option<&'static dyn Demo> {
    DEMOS.iter().copied().find(|d| d.info().id == id)
}
