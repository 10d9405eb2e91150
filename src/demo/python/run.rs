//! The lane thread of a Python lane: start the child, feed it demo time,
//! turn its lines into events, follow pause and speed, and end it.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{ChildStdin, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::child::{self, Child, Output, Pipes};
use super::probe::{self, Unavailable};
use super::protocol::{self, Mapper, Msg};
use super::{Beside, HELPER, PyScript, interpreter};
use crate::demo::lane::LaneResult;
use crate::demo::{Clock, ErrorReport, LaneCtx, LaneError, LaneInfo};
use crate::i18n::LocalText;
use crate::tr;

/// How often the lane thread looks at the clock and the cancel flag.
const TICK: Duration = Duration::from_millis(20);
/// The first line must come this soon (wall time): interpreter start-up.
const HELLO_LIMIT: Duration = Duration::from_secs(10);
/// After stdout closes, the time the child gets to exit on its own.
const EXIT_LIMIT: Duration = Duration::from_secs(2);

pub struct LaneCfg {
    pub demo: &'static str,
    pub name: &'static str,
    pub script: &'static PyScript,
    pub args: Value,
    pub quiet: Duration,
}

fn failed(message: String, chain: Vec<String>) -> LaneError {
    LaneError::Failed(ErrorReport { message, chain })
}

/// CLOCK_MONOTONIC in ns: the clock Python's `time.monotonic_ns()` reads.
fn monotonic_ns() -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

/// Demo time for the child, as records on its stdin: "from monotonic time
/// `wall_ns` on, demo time is `demo_ns` plus the time since, times `scale`"
/// (0 while paused). A new record is written before the child continues,
/// so it never measures the pause or runs at the old speed.
struct Feed {
    stdin: Option<ChildStdin>,
    wall_ns: i128,
    demo_ns: f64,
    scale: f64,
}

impl Feed {
    fn start(clock: &Clock, stdin: Option<ChildStdin>) -> Feed {
        let mut feed = Feed {
            stdin,
            wall_ns: monotonic_ns(),
            demo_ns: clock.now().as_nanos() as f64,
            scale: clock.scale(),
        };
        feed.write();
        feed
    }

    fn set_scale(&mut self, scale: f64) {
        let now = monotonic_ns();
        self.demo_ns += (now - self.wall_ns) as f64 * self.scale;
        self.wall_ns = now;
        self.scale = scale;
        self.write();
    }

    fn write(&mut self) {
        let record = json!({"wall_ns": self.wall_ns as i64, "demo_ns": self.demo_ns as i64, "scale": self.scale});
        self.send(&record);
    }

    fn send(&mut self, record: &Value) {
        if let Some(stdin) = self.stdin.as_mut() {
            // A child that is gone is found out by its stdout closing.
            let _ = writeln!(stdin, "{record}");
        }
    }
}

/// Tells a running script that something happened on concur's side: a
/// record `{"event": NAME}` on its stdin, which the helper counts
/// (`lane.heard(NAME)`). Written at once, from any thread, whole lines
/// only: a record written before a connection is made is read before the
/// script can see the connection.
#[derive(Clone)]
pub struct Teller(Arc<Mutex<Feed>>);

impl Teller {
    pub fn tell(&self, event: &str) {
        self.feed().send(&json!({ "event": event }));
    }

    fn feed(&self) -> std::sync::MutexGuard<'_, Feed> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the lane learned from the child so far.
#[derive(Default)]
struct Heard {
    hello: bool,
    /// The script serves: its Rust side watches it from now on.
    serving: bool,
    done: bool,
    failed: Option<ErrorReport>,
}

/// Runs the lane's script to its end; `beside`, if any, works beside it
/// (see [`Beside`]) and has the last word once the script is done.
pub fn run(lane: &LaneCtx, cfg: &LaneCfg, beside: &mut Option<Box<dyn Beside>>) -> LaneResult {
    let info = lane
        .sink
        .info()
        .ok_or_else(|| failed(format!("{}: no such lane in the demo", cfg.name), vec![]))?;
    let probe = match probe::probe(interpreter(), &lane.cancel)? {
        Ok(p) => p,
        Err(u) => return Err(unavailable(lane, &u)),
    };
    lane.sink.detail(probe.detail());
    // The script and the helper as files: a process pool's workers import
    // the script by name. Dropped (removed) after the child is reaped.
    let dir = crate::tempfiles::demo_dir(cfg.demo)?;
    let script_path = dir.path().join(PyScript::file_name(cfg.demo));
    std::fs::write(dir.path().join("concur_lane.py"), HELPER)?;
    std::fs::write(&script_path, cfg.script.code)?;
    if let Some(b) = beside.as_mut() {
        b.prepare(lane, dir.path())?;
    }
    let mut args = cfg.args.clone();
    if let Value::Object(map) = &mut args {
        map.insert("lane".into(), json!(cfg.name));
        map.insert("demo".into(), json!(cfg.demo));
        map.insert("protocol".into(), json!(protocol::VERSION));
        map.insert(
            "metrics".into(),
            json!(info.metrics.iter().map(|m| m.name).collect::<Vec<_>>()),
        );
        map.insert("tmp".into(), json!(dir.path()));
    }
    let argv = [
        "-u".into(),
        "-B".into(),
        script_path.into_os_string(),
        args.to_string().into(),
    ];
    let mut child = child::spawn(probe.program(interpreter()), &argv, true).map_err(|e| {
        failed(
            format!("cannot start {}: {e}", interpreter().shown()),
            vec![],
        )
    })?;
    let (name, pid) = (interpreter().shown(), child.pid());
    lane.sink.log(tr!(
        "{name} runs the script: pid {pid}, leader of its own process group",
        "{name} 运行脚本：pid {pid}，自己进程组的组长"
    ));
    let result = supervise(lane, cfg, info, &mut child, beside);
    drop(dir);
    result?;
    match beside.as_mut() {
        Some(b) => b.done(lane),
        None => Ok(()),
    }
}

fn unavailable(lane: &LaneCtx, u: &Unavailable) -> LaneError {
    lane.sink
        .detail(tr!("no Python here", "这里没有可用的 Python"));
    lane.sink.log(u.reason.clone());
    lane.sink.log(u.fix.clone());
    failed(u.message(), vec![])
}

/// Runs the child to its end, or until the demo stops or the child breaks
/// the protocol, goes silent or dies; or until its Rust side says its work
/// is over, when the script is interrupted (SIGTERM) and must end with `done`.
fn supervise(
    lane: &LaneCtx,
    cfg: &LaneCfg,
    info: &'static LaneInfo,
    child: &mut Child,
    beside: &mut Option<Box<dyn Beside>>,
) -> LaneResult {
    let (stdin, out, err) = child.take_pipes();
    let feed = Teller(Arc::new(Mutex::new(Feed::start(&lane.clock, stdin))));
    let mut pipes = Pipes::new(out, err);
    let mapper = Mapper {
        demo: cfg.demo,
        info,
        script: cfg.script,
    };
    let mut heard = Heard::default();
    let mut held = false;
    let mut finishing = false;
    let mut quiet = Duration::ZERO;
    let mut last = lane.clock.now();
    loop {
        if lane.cancel.is_cancelled() {
            let _ = child.stop();
            return Err(LaneError::Cancelled);
        }
        // Paused, or stepping the Rust lanes with `n`: the group stays
        // stopped and its lines stay in the pipe (they would end a step).
        let hold = lane.clock.is_paused() || lane.clock.is_stepping();
        if hold != held {
            pause(lane, child, &mut feed.feed(), hold);
            held = hold;
            last = lane.clock.now();
        }
        if held {
            let _ = lane.cancel.wait_for(TICK);
            continue;
        }
        if (lane.clock.scale() - feed.feed().scale).abs() > 1e-9 {
            feed.feed().set_scale(lane.clock.scale());
        }
        let got = pipes.read(TICK);
        let now = lane.clock.now();
        quiet += now.saturating_sub(last);
        last = now;
        let mut eof = false;
        for o in got {
            match o {
                Output::Line(l) => {
                    quiet = Duration::ZERO;
                    let was_hello = heard.hello;
                    let heeded = heed(lane, &mapper, &mut heard, &l, beside.as_mut());
                    if let Err(e) = heeded {
                        return Err(broken(lane, cfg, child, &mut pipes, e));
                    }
                    if !was_hello
                        && heard.hello
                        && let Some(b) = beside.as_mut()
                    {
                        b.started(lane, child.pid(), feed.clone());
                    }
                }
                Output::Bad(e) => return Err(broken(lane, cfg, child, &mut pipes, e)),
                Output::Eof => eof = true,
            }
        }
        if eof {
            break;
        }
        if !finishing && let Some(b) = beside.as_mut() {
            match b.tick(lane) {
                None => {}
                Some(Ok(())) => {
                    // Its work beside the script is over: interrupt the
                    // script, as Ctrl-C would; it cleans up and says done.
                    child.signal_group(libc::SIGTERM);
                    finishing = true;
                    quiet = Duration::ZERO;
                }
                Some(Err(e)) => {
                    let _ = child.stop();
                    return Err(e);
                }
            }
        }
        let limit = if heard.hello {
            cfg.quiet
        } else {
            HELLO_LIMIT.mul_f64(lane.clock.scale())
        };
        // A server is watched by whatever loads it, however long it idles.
        let watched = heard.serving && !finishing;
        if quiet > limit && !watched {
            return Err(hung(lane, cfg, child, &mut pipes, limit));
        }
    }
    // stdout closed: the script is done (or dead). Let it exit, then reap.
    if !child.wait_exit(EXIT_LIMIT) {
        let _ = child.stop();
    }
    let status = child.reap();
    let _ = pipes.read(Duration::ZERO);
    if lane.cancel.is_cancelled() {
        return Err(LaneError::Cancelled);
    }
    ended(lane, cfg, &heard, status, &mut pipes)
}

/// Stops or continues the child's group as the demo clock pauses or runs.
fn pause(lane: &LaneCtx, child: &Child, feed: &mut Feed, hold: bool) {
    if hold {
        child.signal_group(libc::SIGSTOP);
        feed.set_scale(0.0);
        if lane.clock.is_paused() {
            lane.sink.log(tr!(
                "⏸ paused: SIGSTOP to the Python process group",
                "⏸ 已暂停：向 Python 进程组发送 SIGSTOP"
            ));
        }
    } else {
        // The new record is in the pipe before the child runs again.
        feed.set_scale(lane.clock.scale());
        child.signal_group(libc::SIGCONT);
        lane.sink.log(tr!(
            "▶ resumed: SIGCONT (single steps are for Rust lanes)",
            "▶ 继续：SIGCONT（单步只对 Rust 泳道有效）"
        ));
    }
}

/// Handles one line of the child's stdout.
fn heed(
    lane: &LaneCtx,
    mapper: &Mapper,
    heard: &mut Heard,
    line: &str,
    beside: Option<&mut Box<dyn Beside>>,
) -> Result<(), String> {
    if line.trim().is_empty() {
        return Ok(());
    }
    let msg = protocol::parse(line)?;
    match msg {
        Msg::Hello {
            v,
            implementation,
            version,
            gil,
            free_threaded,
        } if !heard.hello => {
            if v != protocol::VERSION {
                return Err(format!(
                    "the script speaks protocol v{v}, this concur v{}",
                    protocol::VERSION
                ));
            }
            heard.hello = true;
            // The interpreter as it really runs (an extension may turn the GIL back on).
            lane.sink
                .detail(probe::detail(&implementation, &version, gil, free_threaded));
            Ok(())
        }
        _ if !heard.hello => Err(format!("the first line must be `hello`: `{line}`")),
        Msg::Serving { name, addr } => {
            let Some(beside) = beside else {
                return Err(format!("`serving` {name}, but nothing here loads it"));
            };
            let addr: SocketAddr = addr
                .parse()
                .map_err(|e| format!("`serving` {name} at `{addr}`: {e}"))?;
            heard.serving = true;
            beside.serving(lane, &name, addr)
        }
        Msg::Done => {
            heard.done = true;
            Ok(())
        }
        Msg::Failed { message, chain } => {
            heard.failed = Some(ErrorReport { message, chain });
            Ok(())
        }
        other => {
            for kind in mapper.events(other)? {
                lane.sink.send(kind);
            }
            Ok(())
        }
    }
}

/// Shows the child's stderr in the lane (it explains most failures) and
/// returns its last line, for the error's chain.
fn show_stderr(lane: &LaneCtx, pipes: &mut Pipes) -> Vec<String> {
    let tail = pipes.stderr_tail();
    if !tail.is_empty() {
        lane.sink.log(tr!(
            "stderr of the Python process:",
            "Python 进程的 stderr："
        ));
        for line in &tail {
            lane.sink.log(LocalText::same(format!("  {line}")));
        }
    }
    tail.last().cloned().into_iter().collect()
}

fn broken(
    lane: &LaneCtx,
    cfg: &LaneCfg,
    child: &mut Child,
    pipes: &mut Pipes,
    e: String,
) -> LaneError {
    let _ = child.stop();
    let chain = show_stderr(lane, pipes);
    failed(format!("{}: not the lane protocol: {e}", cfg.name), chain)
}

fn hung(
    lane: &LaneCtx,
    cfg: &LaneCfg,
    child: &mut Child,
    pipes: &mut Pipes,
    limit: Duration,
) -> LaneError {
    let _ = child.stop();
    let chain = show_stderr(lane, pipes);
    let s = limit.as_secs_f64();
    lane.sink.log(tr!(
        "no output for {s:.0} s: the script hangs; it was stopped",
        "{s:.0} 秒没有输出：脚本挂住了；已把它停下"
    ));
    failed(
        format!("{}: no output for {s:.0} s, stopped as hung", cfg.name),
        chain,
    )
}

/// The verdict once the child has exited.
fn ended(
    lane: &LaneCtx,
    cfg: &LaneCfg,
    heard: &Heard,
    status: std::io::Result<ExitStatus>,
    pipes: &mut Pipes,
) -> LaneResult {
    let status = status.map_err(|e| failed(format!("{}: {e}", cfg.name), vec![]))?;
    if let Some(report) = &heard.failed {
        show_stderr(lane, pipes);
        return Err(LaneError::Failed(report.clone()));
    }
    if heard.done && status.success() {
        return Ok(());
    }
    let chain = show_stderr(lane, pipes);
    let when = if heard.done {
        "after it was done"
    } else if heard.hello {
        "before it was done"
    } else {
        "before it said hello"
    };
    Err(failed(
        format!("{}: the Python process ended ({status}) {when}", cfg.name),
        chain,
    ))
}
