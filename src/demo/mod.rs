//! The live-demo framework: demos are values that, given a [`DemoCtx`], start
//! lanes on their own OS threads (async lanes on their own current-thread
//! tokio runtime) and report what they measure as [`DemoEvent`]s.
//!
//! A demo describes itself: its lanes and their metrics ([`DemoInfo`]), its
//! parameters (a [`Knobs`] struct) and its deliberate failure. The app, the
//! CLI and `concur check` read those; none of them knows a demo by name.

pub(crate) mod cancel;
pub mod clock;
pub(crate) mod cpu;
pub mod event;
pub(crate) mod lane;
pub mod params;
pub(crate) mod probe;
pub mod runner;
pub(crate) mod sink;
pub(crate) mod stats;
pub(crate) mod turns;
pub mod view;

mod callbacks;
mod charfinder;
mod executor;
mod file_io;
mod flags;
mod futures;
mod io_models;
mod parallel;
pub mod python;
mod race;
mod runtimes;
mod spinner;
mod taskgroup;

use std::marker::PhantomData;
use std::thread::JoinHandle;

pub use cancel::{Cancel, Cancelled};
pub use clock::Clock;
pub use event::{DemoEvent, ErrorReport, EventKind, Metric, RunId, Span, SpanState, Unit};
pub use lane::THREAD_PREFIX;
pub(crate) use lane::{LaneCtx, LaneError};
pub use params::{Knobs, ParamError, ParamInfo, Params};
pub use runner::{DemoRun, HeadlessOptions, Outcome, Watched, run_headless, run_headless_as};
pub(crate) use sink::{EventSink, LaneSink};
pub use sink::{EventStream, Senders, channels};
pub use view::{DemoView, LaneState, LaneView};

use crate::i18n::Text;

/// A figure a lane reports: its name (as in `--json` and quiz conditions),
/// its unit, and its column title when lanes are shown as a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    pub name: &'static str,
    pub unit: Unit,
    /// `None`: not a column of the lane table.
    pub column: Option<&'static str>,
}

/// A metric that is not a table column.
pub const fn metric(name: &'static str, unit: Unit) -> MetricInfo {
    MetricInfo {
        name,
        unit,
        column: None,
    }
}

/// A metric that is also a column of the lane table, under `column`.
pub const fn column(name: &'static str, unit: Unit, column: &'static str) -> MetricInfo {
    MetricInfo {
        name,
        unit,
        column: Some(column),
    }
}

/// What a lane is called and what it reports.
#[derive(Debug, Clone, Copy)]
pub struct LaneInfo {
    pub name: &'static str,
    pub title: Text,
    /// Every metric the lane reports by the time it is done.
    pub metrics: &'static [MetricInfo],
    /// Source code the lane shows, with `CodeLine` events pointing into it
    /// (empty: no code pane).
    pub code: &'static str,
}

impl LaneInfo {
    pub fn metric(&self, name: &str) -> Option<&'static MetricInfo> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// Whether the lane runs Python code in a child process (named `py-…`).
    pub fn is_python(&self) -> bool {
        self.name.starts_with(python::LANE_PREFIX)
    }

    /// The language of `code`, for highlighting.
    pub fn code_language(&self) -> &'static str {
        if self.is_python() { "python" } else { "rust" }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DemoInfo {
    pub id: &'static str,
    /// Starts paused in the app (a demo stepped by hand with `n`).
    pub starts_paused: bool,
    pub title: Text,
    pub lanes: &'static [LaneInfo],
    /// What `f` does, for the help overlay; `None`: the demo has no failure.
    pub failure: Option<Text>,
}

impl DemoInfo {
    pub fn lane(&self, name: &str) -> Option<&LaneInfo> {
        self.lanes.iter().find(|l| l.name == name)
    }
}

/// Everything a demo needs to run. Its parameters arrive typed, beside it.
pub struct DemoCtx {
    pub(crate) sink: EventSink,
    pub cancel: Cancel,
    pub clock: Clock,
    /// Someone is watching in the app (not `--json`, not a quiz run).
    pub interactive: bool,
    /// The run ends only when it is stopped (the app's step is left,
    /// `--seconds` runs out), not when the lanes' work is done: a demo's
    /// server may keep serving after its lanes have measured.
    pub open_ended: bool,
}

impl DemoCtx {
    /// The context handed to lane number `lane`.
    pub(crate) fn lane(&self, lane: usize) -> LaneCtx {
        LaneCtx {
            sink: self.sink.lane(lane),
            cancel: self.cancel.clone(),
            clock: self.clock.clone(),
            interactive: self.interactive,
            open_ended: self.open_ended,
        }
    }
}

pub trait Demo: Send + Sync + 'static {
    fn info(&self) -> &'static DemoInfo;
    /// The parameters, their help and defaults.
    fn params(&self) -> Vec<ParamInfo>;
    /// Checks parameters, names and values.
    fn check(&self, params: &Params) -> Result<(), ParamError>;
    /// Checks a demo block's text; the error's line counts within `text`.
    fn check_text(&self, text: &str) -> Result<(), ParamError>;
    /// The parameters of the next deliberate failure (`f`), if any.
    fn next_failure(&self, params: &Params) -> Option<Params>;
    /// Starts every lane and returns their threads. Must not block. The
    /// parameters must have passed [`Demo::check`].
    fn start(&self, ctx: DemoCtx, params: &Params) -> Result<Vec<JoinHandle<()>>, ParamError>;
}

/// A demo: its description and the function that starts it with its typed
/// parameters. The erasure to [`Demo`] is written once, here.
pub struct DemoDef<K: Knobs> {
    pub info: &'static DemoInfo,
    pub start: fn(DemoCtx, K) -> Vec<JoinHandle<()>>,
    knobs: PhantomData<fn() -> K>,
}

impl<K: Knobs> DemoDef<K> {
    pub const fn new(
        info: &'static DemoInfo,
        start: fn(DemoCtx, K) -> Vec<JoinHandle<()>>,
    ) -> Self {
        DemoDef {
            info,
            start,
            knobs: PhantomData,
        }
    }
}

impl<K: Knobs> Demo for DemoDef<K> {
    fn info(&self) -> &'static DemoInfo {
        self.info
    }

    fn params(&self) -> Vec<ParamInfo> {
        params::describe::<K>()
    }

    fn check(&self, params: &Params) -> Result<(), ParamError> {
        params.knobs::<K>().map(drop)
    }

    fn check_text(&self, text: &str) -> Result<(), ParamError> {
        Params::check_text::<K>(text).map(drop)
    }

    fn next_failure(&self, params: &Params) -> Option<Params> {
        let now: K = params.knobs().unwrap_or_default();
        now.next_failure().map(|k| Params::of(&k))
    }

    fn start(&self, ctx: DemoCtx, params: &Params) -> Result<Vec<JoinHandle<()>>, ParamError> {
        let k = params.knobs::<K>()?;
        Ok((self.start)(ctx, k))
    }
}

static DEMOS: &[&dyn Demo] = &[
    &spinner::DEMO,
    &race::DEMO,
    &parallel::DEMO,
    &file_io::DEMO,
    &callbacks::DEMO,
    &io_models::DEMO,
    &futures::DEMO,
    &taskgroup::DEMO,
    &executor::DEMO,
    &flags::DEMO,
    &charfinder::DEMO,
    &runtimes::DEMO,
];

/// Every demo, in the order `concur demo --list` shows them.
pub fn all() -> &'static [&'static dyn Demo] {
    DEMOS
}

pub fn find(id: &str) -> Option<&'static dyn Demo> {
    DEMOS.iter().copied().find(|d| d.info().id == id)
}

/// Runs `demo` headless for at most `seconds` of demo time (demo tests).
#[cfg(test)]
pub(crate) fn run_for(demo: &dyn Demo, params: Params, seconds: f64) -> Outcome {
    let opts = HeadlessOptions {
        seconds: Some(seconds),
        scale: 1.0,
    };
    run_headless(demo, params, opts, |_, _| {}).expect("valid parameters")
}

/// The figure `metric` of a lane that must have finished (demo tests).
#[cfg(test)]
pub(crate) fn done_figure(out: &Outcome, lane: &str, metric: &str) -> f64 {
    let l = out.view.lane(lane).expect("lane exists");
    assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
    l.metric(metric)
        .unwrap_or_else(|| panic!("{lane} did not report {metric}"))
}

/// A predict question of a shipped lesson, and the parameters its run gets
/// (the lesson's demo block, then the question's own), for demo tests.
#[cfg(test)]
pub(crate) fn shipped_question(lesson: &str, id: &str) -> (crate::quiz::Question, Params) {
    use crate::lesson::{Catalog, Lang, Source};
    let catalog = Catalog::load(&Source::Builtin);
    let set = catalog.find(lesson).expect("a shipped lesson");
    let q = set
        .quiz(Lang::En)
        .and_then(|quiz| quiz.questions.iter().find(|q| q.id == id))
        .expect("a question of its quiz")
        .clone();
    let crate::quiz::Kind::Predict { demo, params, .. } = &q.kind else {
        panic!("{id} is not a predict question");
    };
    let base = set
        .get(Lang::En)
        .steps
        .iter()
        .filter_map(|s| s.demo.as_ref())
        .find(|d| &d.id == demo)
        .map(|d| d.params.clone())
        .unwrap_or_default();
    let params = base.merged(params);
    (q, params)
}
