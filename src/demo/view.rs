//! What the UI knows about a demo run: plain data, updated from events, drawn
//! by widgets, testable without a terminal.

use std::collections::VecDeque;
use std::time::Duration;

use super::event::{DemoEvent, ErrorReport, EventKind, Metric, RunId, Span};
use super::{DemoInfo, LaneInfo, Params};
use crate::i18n::LocalText;

/// Every line a run logs is kept for the zoomed, scrollable log; this only
/// bounds a runaway lane.
pub const LOG_CAPACITY: usize = 5000;
pub const LAG_CAPACITY: usize = 240;
pub const SPAN_CAPACITY: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneState {
    Idle,
    /// Started, but waiting its turn.
    Waiting,
    Running,
    Done,
    Failed,
    Stopped,
}

#[derive(Debug, Clone)]
pub struct LaneView {
    pub info: &'static LaneInfo,
    pub state: LaneState,
    /// The spinner's last frame number.
    pub frame: Option<u64>,
    pub status: Option<LocalText>,
    pub log: VecDeque<LocalText>,
    pub metrics: Vec<Metric>,
    /// Recent loop-lag samples (demo ms), oldest first.
    pub lag: VecDeque<f64>,
    pub max_lag_ms: f64,
    /// Demo time of the last lag sample: a loop that stops sending them is blocked.
    pub last_lag_at: Option<Duration>,
    pub progress: Option<(u64, u64)>,
    pub spans: VecDeque<Span>,
    pub code_line: Option<usize>,
    pub knows: Vec<(LocalText, LocalText)>,
    /// Shown after the static title (a Python lane's interpreter).
    pub detail: Option<LocalText>,
    pub error: Option<ErrorReport>,
    /// Demo time of the lane's last event.
    pub last_demo_at: Duration,
}

impl LaneView {
    fn new(info: &'static LaneInfo) -> Self {
        LaneView {
            info,
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
            detail: None,
            error: None,
            last_demo_at: Duration::ZERO,
        }
    }

    pub fn name(&self) -> &'static str {
        self.info.name
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
        if self.is_finished() {
            // A lane's end is final: its last figures and log lines (a
            // cleanup that ran as it was stopped) still land, but a stopped
            // lane never turns into a done one.
            match kind {
                EventKind::Metric(m) => self.set_metric(m),
                EventKind::Log(line) => push_bounded(&mut self.log, line, LOG_CAPACITY),
                EventKind::Detail(d) => self.detail = Some(d),
                _ => {}
            }
            return;
        }
        // A waiting lane may still say why it waits: only work (anything
        // but a log line) makes it running.
        let works = !matches!(kind, EventKind::Log(_) | EventKind::Waiting);
        if self.state == LaneState::Idle || (self.state == LaneState::Waiting && works) {
            self.state = LaneState::Running;
        }
        match kind {
            EventKind::Waiting => self.state = LaneState::Waiting,
            EventKind::Stopped => self.state = LaneState::Stopped,
            EventKind::Frame(n) => self.frame = Some(n),
            EventKind::Log(line) => push_bounded(&mut self.log, line, LOG_CAPACITY),
            EventKind::Status(s) => self.status = Some(s),
            EventKind::Progress { done, total } => self.progress = Some((done, total)),
            EventKind::Metric(m) => self.set_metric(m),
            EventKind::Lag(ms) => {
                self.max_lag_ms = self.max_lag_ms.max(ms);
                self.last_lag_at = Some(at);
                push_bounded(&mut self.lag, ms, LAG_CAPACITY);
            }
            EventKind::Span(span) => push_bounded(&mut self.spans, span, SPAN_CAPACITY),
            EventKind::CodeLine(line) => self.code_line = Some(line),
            EventKind::Knows(pairs) => self.knows = pairs,
            EventKind::Detail(d) => self.detail = Some(d),
            EventKind::Done => self.state = LaneState::Done,
            EventKind::Failed(report) => {
                self.state = LaneState::Failed;
                self.error = Some(report);
            }
        }
    }
}

impl LaneView {
    fn set_metric(&mut self, m: Metric) {
        match self.metrics.iter_mut().find(|x| x.name == m.name) {
            Some(slot) => *slot = m,
            None => self.metrics.push(m),
        }
    }
}

fn push_bounded<T>(ring: &mut VecDeque<T>, item: T, cap: usize) {
    if ring.len() == cap {
        ring.pop_front();
    }
    ring.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::LocalText;

    #[test]
    fn a_lane_waiting_its_turn_stays_waiting_while_it_logs() {
        let info = crate::demo::find("io-models").unwrap().info();
        let mut v = DemoView::new(info, Params::new());
        v.reset(RunId(1));
        let ev = |v: &mut DemoView, kind| {
            v.apply(DemoEvent {
                run: RunId(1),
                lane: 1,
                at: Duration::ZERO,
                demo_at: Duration::ZERO,
                kind,
            });
        };
        ev(&mut v, EventKind::Waiting);
        ev(&mut v, EventKind::Log(LocalText::same("waits its turn")));
        assert_eq!(v.lanes[1].state, LaneState::Waiting);
        ev(&mut v, EventKind::Progress { done: 1, total: 2 });
        assert_eq!(v.lanes[1].state, LaneState::Running);
    }
}

#[derive(Debug, Clone)]
pub struct DemoView {
    pub info: &'static DemoInfo,
    pub params: Params,
    /// The run whose events this view shows (`None`: never started).
    pub run: Option<RunId>,
    pub lanes: Vec<LaneView>,
    /// Events lanes could not send because the UI was behind.
    pub dropped: u64,
    /// Demo time of the latest event of any lane.
    pub demo_time: Duration,
    /// Wall time of the latest event of any lane.
    pub wall_time: Duration,
    pub scale: f64,
    pub paused: bool,
    /// With more than two lanes: the lanes picked to be drawn, the most
    /// recent last (two are drawn, three on a wide screen; see `shown`).
    pub recent: [usize; 3],
    /// One lane drawn over the whole pane (`z`), its log scrollable.
    pub zoom: Option<usize>,
    /// Lines scrolled back from the end of the zoomed lane's log.
    pub log_scroll: usize,
    /// Rows the zoomed log had when last drawn: it scrolls back no further
    /// than its first line at the top.
    pub log_rows: std::cell::Cell<usize>,
    /// These are the results of an earlier visit to the step.
    pub stale: bool,
    /// Why the last start was refused (bad parameters), if it was.
    pub refusal: Option<String>,
}

impl DemoView {
    pub fn new(info: &'static DemoInfo, params: Params) -> Self {
        DemoView {
            info,
            params,
            run: None,
            lanes: info.lanes.iter().map(LaneView::new).collect(),
            dropped: 0,
            demo_time: Duration::ZERO,
            wall_time: Duration::ZERO,
            scale: 1.0,
            paused: false,
            recent: [2, 0, 1],
            zoom: None,
            log_scroll: 0,
            log_rows: std::cell::Cell::new(1),
            stale: false,
            refusal: None,
        }
    }

    /// The start was refused: nothing runs, and the pane says why.
    pub fn refused(&mut self, why: String) {
        self.run = None;
        self.refusal = Some(why);
    }

    /// The `n` most recently picked lanes, in lane order: what is drawn side
    /// by side when there are more lanes than room. With `n` at least the
    /// number of lanes, every lane.
    pub fn shown(&self, n: usize) -> Vec<usize> {
        if self.lanes.len() <= n {
            return (0..self.lanes.len()).collect();
        }
        let mut picked: Vec<usize> = self
            .recent
            .iter()
            .rev()
            .take(n)
            .copied()
            .filter(|i| *i < self.lanes.len())
            .collect();
        picked.sort_unstable();
        picked
    }

    /// `z`: zoom the first shown lane, then the next, then back to all.
    /// (It cycles through the two drawn on any screen.)
    pub fn cycle_zoom(&mut self) {
        let order = self.shown(2);
        self.zoom = match self.zoom {
            None => order.first().copied(),
            Some(z) => order
                .iter()
                .position(|i| *i == z)
                .and_then(|at| order.get(at + 1).copied()),
        };
        self.log_scroll = 0;
    }

    /// Scrolls the zoomed lane's log back (positive) or forward.
    pub fn scroll_log(&mut self, delta: isize) -> bool {
        let Some(lane) = self.zoom.and_then(|z| self.lanes.get(z)) else {
            return false;
        };
        let max = lane.log.len().saturating_sub(self.log_rows.get().max(1));
        let next = self.log_scroll.saturating_add_signed(delta).min(max);
        let moved = next != self.log_scroll;
        self.log_scroll = next;
        moved
    }

    /// Shows lane `i` beside the ones picked before it; false when it is
    /// already the latest pick (or no such lane).
    pub fn show_lane(&mut self, i: usize) -> bool {
        // With two lanes or fewer every lane is drawn already.
        if self.lanes.len() <= 2 || i >= self.lanes.len() || self.recent[2] == i {
            return false;
        }
        let mut rest: Vec<usize> = self.recent.iter().copied().filter(|r| *r != i).collect();
        while rest.len() > 2 {
            rest.remove(0);
        }
        self.recent = [rest[0], rest[1], i];
        true
    }

    /// Clears everything for a new run.
    pub fn reset(&mut self, run: RunId) {
        for lane in &mut self.lanes {
            *lane = LaneView::new(lane.info);
        }
        self.run = Some(run);
        self.dropped = 0;
        self.log_scroll = 0;
        self.stale = false;
        self.refusal = None;
        self.demo_time = Duration::ZERO;
        self.wall_time = Duration::ZERO;
        self.paused = false;
    }

    /// Applies one event; returns whether anything visible changed.
    pub fn apply(&mut self, ev: DemoEvent) -> bool {
        if Some(ev.run) != self.run {
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
        self.run.is_some() && self.lanes.iter().any(|l| !l.is_finished())
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
        self.lanes.iter().find(|l| l.info.name == name)
    }
}
