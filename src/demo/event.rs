//! What demo lanes tell the UI. Plain data, sent over a channel.

use std::time::Duration;

use crate::i18n::{Lang, LocalText};

/// Which start of a demo an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub u64);

/// One thing that happened in one lane of one demo run.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoEvent {
    /// Which start of the demo this belongs to; events of an older run are ignored.
    pub run: RunId,
    pub lane: usize,
    /// Wall time since the run started.
    pub at: Duration,
    /// Demo time (wall time scaled by the time scale, paused time excluded).
    pub demo_at: Duration,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// The lane's spinner drew frame number `n` (counting from 0).
    Frame(u64),
    Log(LocalText),
    /// A short status shown large in the lane ("Answer: 42").
    Status(LocalText),
    Progress {
        done: u64,
        total: u64,
    },
    Metric(Metric),
    /// One loop-lag sample, in demo milliseconds.
    Lag(f64),
    Span(Span),
    /// The line of the lane's shown source code that runs now (0-based).
    CodeLine(usize),
    /// What the lane still holds in memory right now, as name/value pairs.
    Knows(Vec<(LocalText, LocalText)>),
    /// A detail shown after the lane's static title, e.g. the interpreter
    /// a Python lane runs in ("CPython 3.11.7 · GIL").
    Detail(LocalText),
    /// The lane waits for its turn and has not started its work yet.
    Waiting,
    Done,
    /// The lane was cut short (stopped from outside) before it finished.
    Stopped,
    Failed(ErrorReport),
}

impl EventKind {
    /// Lifecycle events travel on a channel that never drops.
    pub fn is_lifecycle(&self) -> bool {
        matches!(
            self,
            EventKind::Done | EventKind::Stopped | EventKind::Failed(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub value: f64,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Ms,
    Bytes,
    /// Kibibytes with a fraction (memory per client).
    KiB,
    Ratio,
    Flag,
}

impl Unit {
    pub fn format(self, value: f64, lang: Lang) -> String {
        match self {
            Unit::Count => format!("{value:.0}"),
            Unit::Ms => {
                if value >= 100.0 {
                    format!("{value:.0} ms")
                } else {
                    format!("{value:.1} ms")
                }
            }
            Unit::Bytes => {
                if value >= 1024.0 * 1024.0 {
                    format!("{:.1} MiB", value / (1024.0 * 1024.0))
                } else if value >= 1024.0 {
                    format!("{:.1} KiB", value / 1024.0)
                } else {
                    format!("{value:.0} B")
                }
            }
            Unit::KiB => format!("{value:.1} KiB"),
            Unit::Ratio => format!("{value:.2}x"),
            Unit::Flag => crate::i18n::yes_no(value != 0.0, lang).to_string(),
        }
    }
}

/// A piece of work on one OS thread, for the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The OS thread's name, one timeline row per name.
    pub thread: String,
    pub label: String,
    /// Which job this is, to colour spans of the same job alike.
    pub job: usize,
    /// Demo time (`clock.now()`), so slow motion keeps the picture.
    pub start: Duration,
    pub end: Duration,
    pub state: SpanState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanState {
    Running,
    Waiting,
    Blocked,
}

/// An error as a lane reports it: the message and the chain of its causes.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReport {
    pub message: String,
    pub chain: Vec<String>,
}

impl ErrorReport {
    pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = Vec::new();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push(cause.to_string());
            source = cause.source();
        }
        ErrorReport {
            message: err.to_string(),
            chain,
        }
    }

    pub fn msg(message: impl Into<String>) -> Self {
        ErrorReport {
            message: message.into(),
            chain: Vec::new(),
        }
    }
}

impl std::fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        for cause in &self.chain {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}
