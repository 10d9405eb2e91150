//! What the UI knows about a demo run: plain data, updated from events, drawn
//! by widgets, testable without a terminal.

use std::collections::VecDeque;
use std::time::Duration;

use super::event::{DemoEvent, ErrorReport, EventKind, Metric, Span};
use super::{DemoInfo, Params};

pub const LOG_CAPACITY: usize = 200;
pub const LAG_CAPACITY: usize = 240;
pub const SPAN_CAPACITY: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneState {
    Idle,
    Running,
    Done,
    Failed,
    Stopped,
}

#[derive(Debug, Clone)]
pub struct LaneView {
    pub name: &'static str,
    pub title: &'static str,
    pub state: LaneState,
    /// The spinner's last frame number.
    pub frame: Option<u64>,
    pub status: Option<String>,
    pub log: VecDeque<String>,
    pub metrics: Vec<Metric>,
    /// Recent loop-lag samples (demo ms), oldest first.
    pub lag: VecDeque<f64>,
    pub max_lag_ms: f64,
    /// Demo time of the last lag sample: a loop that stops sending them is blocked.
    pub last_lag_at: Option<Duration>,
    pub progress: Option<(u64, u64)>,
    pub spans: VecDeque<Span>,
    pub code_line: Option<usize>,
    pub knows: Vec<(String, String)>,
    pub error: Option<ErrorReport>,
    /// Demo time of the lane's last event.
    pub last_demo_at: Duration,
}

impl LaneView {
    fn new(name: &'static str, title: &'static str) -> Self {
        LaneView {
            name,
            title,
            state: LaneState::Idle,
            frame: None,
            status: None,
            log: VecDeque::new(),
            metrics: Vec::new(),
            lag: VecDeque::new(),
            max_lag_ms: 0.0,
            last_lag_at: None,
            progress: None,
            spans: VecDeque::new(),
            code_line: None,
            knows: Vec::new(),
            error: None,
            last_demo_at: Duration::ZERO,
        }
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    pub fn is_finished(&self) -> bool {
        matches!(
            self.state,
            LaneState::Done | LaneState::Failed | LaneState::Stopped
        )
    }

    fn apply(&mut self, at: Duration, kind: EventKind) {
        self.last_demo_at = self.last_demo_at.max(at);
        if self.state == LaneState::Idle {
            self.state = LaneState::Running;
        }
        match kind {
            EventKind::Frame(n) => self.frame = Some(n),
            EventKind::Log(line) => push_bounded(&mut self.log, line, LOG_CAPACITY),
            EventKind::Status(s) => self.status = Some(s),
            EventKind::Progress { done, total } => self.progress = Some((done, total)),
            EventKind::Metric(m) => match self.metrics.iter_mut().find(|x| x.name == m.name) {
                Some(slot) => *slot = m,
                None => self.metrics.push(m),
            },
            EventKind::Lag(ms) => {
                self.max_lag_ms = self.max_lag_ms.max(ms);
                self.last_lag_at = Some(at);
                push_bounded(&mut self.lag, ms, LAG_CAPACITY);
            }
            EventKind::Span(span) => push_bounded(&mut self.spans, span, SPAN_CAPACITY),
            EventKind::CodeLine(line) => self.code_line = Some(line),
            EventKind::Knows(pairs) => self.knows = pairs,
            EventKind::Done => self.state = LaneState::Done,
            EventKind::Failed(report) => {
                self.state = LaneState::Failed;
                self.error = Some(report);
            }
        }
    }
}

fn push_bounded<T>(ring: &mut VecDeque<T>, item: T, cap: usize) {
    if ring.len() == cap {
        ring.pop_front();
    }
    ring.push_back(item);
}

#[derive(Debug, Clone)]
pub struct DemoView {
    pub info: &'static DemoInfo,
    pub params: Params,
    /// The run whose events this view shows (0: never started).
    pub run: u64,
    pub lanes: Vec<LaneView>,
    /// Events lanes could not send because the UI was behind.
    pub dropped: u64,
    /// Demo time of the latest event of any lane.
    pub demo_time: Duration,
    /// Wall time of the latest event of any lane.
    pub wall_time: Duration,
    pub scale: f64,
    pub paused: bool,
    /// With more than two lanes: the two drawn side by side.
    pub shown: [usize; 2],
}

impl DemoView {
    pub fn new(info: &'static DemoInfo, params: Params, zh: bool) -> Self {
        DemoView {
            info,
            params,
            run: 0,
            lanes: info
                .lanes
                .iter()
                .map(|l| LaneView::new(l.name, if zh { l.title_zh } else { l.title }))
                .collect(),
            dropped: 0,
            demo_time: Duration::ZERO,
            wall_time: Duration::ZERO,
            scale: 1.0,
            paused: false,
            shown: [0, 1],
        }
    }

    /// Shows lane `i` beside the one picked before it.
    pub fn show_lane(&mut self, i: usize) -> bool {
        if i >= self.lanes.len() || self.shown.contains(&i) {
            return false;
        }
        self.shown = [self.shown[1], i];
        self.shown.sort_unstable();
        true
    }

    /// Clears everything for a new run.
    pub fn reset(&mut self, run: u64) {
        for lane in &mut self.lanes {
            *lane = LaneView::new(lane.name, lane.title);
        }
        self.run = run;
        self.dropped = 0;
        self.demo_time = Duration::ZERO;
        self.wall_time = Duration::ZERO;
        self.paused = false;
    }

    /// Applies one event; returns whether anything visible changed.
    pub fn apply(&mut self, ev: DemoEvent) -> bool {
        if ev.run != self.run {
            return false;
        }
        let Some(lane) = self.lanes.get_mut(ev.lane) else {
            return false;
        };
        self.demo_time = self.demo_time.max(ev.demo_at);
        self.wall_time = self.wall_time.max(ev.at);
        lane.apply(ev.demo_at, ev.kind);
        true
    }

    pub fn is_running(&self) -> bool {
        self.run != 0 && self.lanes.iter().any(|l| !l.is_finished())
    }

    pub fn all_finished(&self) -> bool {
        self.lanes.iter().all(LaneView::is_finished)
    }

    /// Marks lanes still running as stopped (the user stopped the run).
    pub fn mark_stopped(&mut self) {
        for lane in &mut self.lanes {
            if !lane.is_finished() {
                lane.state = LaneState::Stopped;
            }
        }
    }

    pub fn lane(&self, name: &str) -> Option<&LaneView> {
        self.lanes.iter().find(|l| l.name == name)
    }
}
