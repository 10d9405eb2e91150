//! How lanes send events without ever blocking on the UI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::DemoInfo;
use super::clock::Clock;
use super::event::{DemoEvent, ErrorReport, EventKind, Metric, RunId, Span, Unit};
use crate::i18n::LocalText;

/// Room for bursts; a UI that falls behind makes lanes drop events, not wait.
pub const EVENT_CAPACITY: usize = 4096;

/// The receiving side: the UI (or the headless runner) drains both.
pub struct EventStream {
    pub events: Receiver<DemoEvent>,
    /// Done and Failed: never dropped.
    pub lifecycle: Receiver<DemoEvent>,
}

/// Makes the two channels a demo run sends on.
pub fn channels() -> (Senders, EventStream) {
    let (tx, rx) = crossbeam_channel::bounded(EVENT_CAPACITY);
    let (ltx, lrx) = crossbeam_channel::unbounded();
    (
        Senders {
            events: tx,
            lifecycle: ltx,
        },
        EventStream {
            events: rx,
            lifecycle: lrx,
        },
    )
}

#[derive(Clone)]
pub struct Senders {
    pub events: Sender<DemoEvent>,
    pub lifecycle: Sender<DemoEvent>,
}

/// The sending side shared by all lanes of one run.
#[derive(Clone)]
pub struct EventSink {
    senders: Senders,
    dropped: Arc<AtomicU64>,
    run: RunId,
    start: Instant,
    clock: Clock,
    info: &'static DemoInfo,
}

impl EventSink {
    pub fn new(
        senders: Senders,
        run: RunId,
        clock: Clock,
        dropped: Arc<AtomicU64>,
        info: &'static DemoInfo,
    ) -> Self {
        EventSink {
            senders,
            dropped,
            run,
            start: Instant::now(),
            clock,
            info,
        }
    }

    pub fn lane(&self, lane: usize) -> LaneSink {
        LaneSink {
            sink: self.clone(),
            lane,
        }
    }

    fn send(&self, lane: usize, kind: EventKind) {
        let visible = !matches!(kind, EventKind::Metric(_) | EventKind::Lag(_));
        let event = DemoEvent {
            run: self.run,
            lane,
            at: self.start.elapsed(),
            demo_at: self.clock.now(),
            kind,
        };
        if event.kind.is_lifecycle() {
            // The receiver may be gone (the UI moved on); nothing to do then.
            let _ = self.senders.lifecycle.send(event);
        } else {
            match self.senders.events.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {}
            }
        }
        if visible {
            self.clock.on_visible_event();
        }
    }
}

/// One lane's handle for sending its events.
#[derive(Clone)]
pub struct LaneSink {
    sink: EventSink,
    lane: usize,
}

impl LaneSink {
    pub fn send(&self, kind: EventKind) {
        self.sink.send(self.lane, kind)
    }

    pub fn frame(&self, n: u64) {
        self.send(EventKind::Frame(n))
    }

    /// A log line; `tr!` makes one in both languages, `LocalText::same` one
    /// that is code (a system call, an error chain).
    pub fn log(&self, line: impl Into<LocalText>) {
        self.send(EventKind::Log(line.into()))
    }

    pub fn status(&self, text: impl Into<LocalText>) {
        self.send(EventKind::Status(text.into()))
    }

    /// Reports a figure; its unit is the one the lane declares for it.
    pub fn metric(&self, name: &'static str, value: f64) {
        let declared = self
            .sink
            .info
            .lanes
            .get(self.lane)
            .and_then(|l| l.metric(name));
        debug_assert!(
            declared.is_some(),
            "demo `{}` lane {} reports `{name}`, which it does not declare",
            self.sink.info.id,
            self.lane
        );
        let unit = declared.map_or(Unit::Count, |m| m.unit);
        self.send(EventKind::Metric(Metric { name, value, unit }))
    }

    pub fn ms(&self, name: &'static str, d: Duration) {
        self.metric(name, d.as_secs_f64() * 1000.0)
    }

    pub fn count(&self, name: &'static str, n: u64) {
        self.metric(name, n as f64)
    }

    pub fn flag(&self, name: &'static str, on: bool) {
        self.metric(name, if on { 1.0 } else { 0.0 })
    }

    pub fn lag(&self, lag_ms: f64) {
        self.send(EventKind::Lag(lag_ms))
    }

    pub fn span(&self, span: Span) {
        self.send(EventKind::Span(span))
    }

    pub fn progress(&self, done: u64, total: u64) {
        self.send(EventKind::Progress { done, total })
    }

    pub fn code_line(&self, line: usize) {
        self.send(EventKind::CodeLine(line))
    }

    /// A detail shown after the lane's title (a Python lane's interpreter).
    pub fn detail(&self, text: impl Into<LocalText>) {
        self.send(EventKind::Detail(text.into()))
    }

    /// What this lane declared: its name, metrics and shown code.
    pub fn info(&self) -> Option<&'static super::LaneInfo> {
        self.sink.info.lanes.get(self.lane)
    }

    pub fn knows(&self, pairs: Vec<(LocalText, LocalText)>) {
        self.send(EventKind::Knows(pairs))
    }

    pub fn done(&self) {
        self.send(EventKind::Done)
    }

    pub fn stopped(&self) {
        self.send(EventKind::Stopped)
    }

    /// The lane waits for its turn (lanes that share the cores one at a time).
    pub fn waiting(&self) {
        self.send(EventKind::Waiting)
    }

    pub fn failed(&self, report: ErrorReport) {
        self.send(EventKind::Failed(report))
    }
}
