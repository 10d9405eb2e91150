//! Python lanes: the asyncio (or threading) twin of a demo's Rust lanes, run
//! for real in the user's own interpreter, measured inside Python the same
//! way, and reported as JSON lines (`docs/python-lanes.md`) that become the
//! same [`DemoEvent`](crate::demo::DemoEvent)s.
//!
//! Each lane is one OS thread that starts `python3 -u -B SCRIPT ARGS` as the
//! leader of a new process group and waits for it (the parent-death signal
//! is tied to that thread), feeding it demo time on stdin and reading its
//! stdout and stderr. Pause stops the group (SIGSTOP), resume continues it;
//! stop sends SIGTERM, then SIGKILL after [`child::GRACE`].

mod child;
mod probe;
mod protocol;
mod run;
#[cfg(test)]
pub(crate) mod tests;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use super::lane::{LaneResult, spawn_lane};
use super::turns::{HandOver, Turn};
use super::{Cancel, LaneCtx};
use crate::i18n::{LocalText, Text};
use crate::tr;

pub use child::live_in_group;
pub use probe::{Probe, Unavailable};
pub use protocol::VERSION as PROTOCOL_VERSION;
pub use run::Teller;

/// Python lanes are named `py-…` after what they run.
pub const LANE_PREFIX: &str = "py-";
/// The oldest Python the scripts run on: `asyncio.Runner` with a
/// `loop_factory`, `asyncio.timeout` and `TaskGroup` are 3.11's.
pub const MIN_VERSION: (u32, u32) = (3, 11);
/// The helper every script imports as `concur_lane`.
const HELPER: &str = include_str!("../../../assets/python/concur_lane.py");

/// Where the interpreter's name came from, to say how to change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--python PATH`
    Flag,
    /// `python = "…"` in config.toml
    Config,
    /// `python3` on PATH
    Path,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    pub program: OsString,
    pub origin: Origin,
}

impl Interpreter {
    pub fn shown(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }
}

static CHOSEN: OnceLock<Interpreter> = OnceLock::new();

/// Picks the interpreter once, at start-up: `--python`, else the config
/// file's `python`, else `python3` on PATH. Later calls change nothing.
pub fn choose(flag: Option<OsString>, config: Option<String>) {
    let chosen = match (flag, config) {
        (Some(p), _) => Interpreter {
            program: p,
            origin: Origin::Flag,
        },
        (None, Some(c)) if !c.trim().is_empty() => Interpreter {
            program: c.into(),
            origin: Origin::Config,
        },
        _ => default_interpreter(),
    };
    let _ = CHOSEN.set(chosen);
}

fn default_interpreter() -> Interpreter {
    Interpreter {
        program: "python3".into(),
        origin: Origin::Path,
    }
}

pub fn interpreter() -> &'static Interpreter {
    CHOSEN.get_or_init(default_interpreter)
}

/// Whether the chosen interpreter can run the Python lanes here (probed
/// once; blocks up to [`probe::PROBE_LIMIT`] the first time).
pub fn availability() -> Result<Probe, Unavailable> {
    match probe::probe(interpreter(), &Cancel::new()) {
        Ok(r) => r,
        Err(_) => Err(Unavailable {
            reason: tr!("the probe was cancelled", "探测被取消了"),
            fix: LocalText::same(""),
        }),
    }
}

/// A lane's Python source (shown in its code pane) and the texts its
/// messages name by key, in both languages, with `{name}` placeholders.
#[derive(Debug)]
pub struct PyScript {
    pub code: &'static str,
    pub texts: &'static [(&'static str, Text)],
}

impl PyScript {
    /// The file name the script runs under: `<demo>.py`, a valid module
    /// name (a process pool's workers import it).
    fn file_name(demo: &str) -> String {
        format!("{}.py", demo.replace('-', "_"))
    }
}

/// The lane thread's own part in a lane whose script works with concur
/// while it runs: the client of a server the demo runs (`flags`), or a
/// server the demo loads (`charfinder`). Every method has a default that
/// does nothing; all run on the lane thread, between looks at the child.
pub trait Beside: Send {
    /// Before the child starts, after the lane's turn: files the script
    /// reads can go in its temp folder `dir` (`lane.args["tmp"]`).
    fn prepare(&mut self, _lane: &LaneCtx, _dir: &Path) -> std::io::Result<()> {
        Ok(())
    }

    /// The script has said hello: the child's pid (the leader of its
    /// group), and a way to tell it that something happened.
    fn started(&mut self, _lane: &LaneCtx, _pid: u32, _teller: Teller) {}

    /// The script serves `name` at `addr` (its `serving` message). From
    /// then on, this side watches it: a silent server is not a hung one.
    fn serving(&mut self, _lane: &LaneCtx, name: &str, _addr: SocketAddr) -> Result<(), String> {
        Err(format!("`serving` {name}, but this lane loads no server"))
    }

    /// Asked every tick while the script runs: `Some(Ok)` once the work
    /// beside it is over (the script is then interrupted with SIGTERM, as
    /// Ctrl-C would, and must clean up and end with `done`); `Some(Err)`
    /// fails the lane.
    fn tick(&mut self, _lane: &LaneCtx) -> Option<LaneResult> {
        None
    }

    /// The script ended with `done`: figures only this side measured.
    fn done(&mut self, _lane: &LaneCtx) -> LaneResult {
        Ok(())
    }
}

/// One Python lane, ready to start.
pub struct PyLane {
    demo: &'static str,
    name: &'static str,
    script: &'static PyScript,
    args: serde_json::Value,
    quiet: Duration,
    turn: Option<Arc<Turn>>,
    hand_over: Option<HandOver>,
    beside: Option<Box<dyn Beside>>,
}

/// Silence (demo time) after which a running script counts as hung: long
/// enough for a loaded 2-core machine to starve a healthy script a while.
pub const QUIET_LIMIT: Duration = Duration::from_secs(10);

impl PyLane {
    /// A lane running `script` with the demo's knobs as its arguments.
    pub fn new(
        demo: &'static str,
        name: &'static str,
        script: &'static PyScript,
        knobs: &impl Serialize,
    ) -> PyLane {
        PyLane {
            demo,
            name,
            script,
            args: serde_json::to_value(knobs).unwrap_or_default(),
            quiet: QUIET_LIMIT,
            turn: None,
            hand_over: None,
            beside: None,
        }
    }

    /// The longest a healthy script may stay silent (demo time), when its
    /// knobs allow longer than [`QUIET_LIMIT`].
    pub fn quiet(mut self, limit: Duration) -> PyLane {
        self.quiet = limit.max(QUIET_LIMIT);
        self
    }

    /// Starts the child only after `turn` (lanes that share the cores one
    /// at a time).
    pub fn after(mut self, turn: Arc<Turn>) -> PyLane {
        self.turn = Some(turn);
        self
    }

    /// Hands the cores to the next lane when this one ends, however it ends.
    pub fn then(mut self, hand_over: HandOver) -> PyLane {
        self.hand_over = Some(hand_over);
        self
    }

    /// Work the lane thread does beside the script (see [`Beside`]); it is
    /// dropped when the lane ends, however it ends.
    pub fn beside(mut self, beside: impl Beside + 'static) -> PyLane {
        self.beside = Some(Box::new(beside));
        self
    }

    pub fn spawn(self, ctx: LaneCtx) -> Option<JoinHandle<()>> {
        let (demo, name) = (self.demo, self.name);
        spawn_lane(demo, name, ctx, move |lane| {
            let _hand_over = self.hand_over;
            let mut beside = self.beside;
            if let Some(turn) = &self.turn {
                lane.sink.waiting();
                lane.sink.log(tr!(
                    "waits for the lanes before it: lanes take turns on the cores",
                    "等待前面的泳道：各泳道轮流使用 CPU 核心"
                ));
                turn.wait(&lane)?;
            }
            run::run(
                &lane,
                &run::LaneCfg {
                    demo,
                    name,
                    script: self.script,
                    args: self.args,
                    quiet: self.quiet,
                },
                &mut beside,
            )
        })
    }
}

/// Starts a Python lane with default options: `script` run with `knobs`.
pub fn spawn_python_lane(
    demo: &'static str,
    name: &'static str,
    ctx: LaneCtx,
    script: &'static PyScript,
    knobs: &impl Serialize,
) -> Option<JoinHandle<()>> {
    PyLane::new(demo, name, script, knobs).spawn(ctx)
}
