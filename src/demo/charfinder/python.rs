//! `py-event-loop`: the finder on an asyncio loop (`asyncio.start_server`,
//! a coroutine per connection) in a child process, loaded by the same
//! generator as the Rust lanes. This is the lane thread's side of it: it
//! writes the script the table of names (so both languages answer the
//! same), learns where the script serves, tells it when the load starts
//! (its first client's handler is the one `f` blocks) and ends, and
//! measures the child from outside: its OS threads (`/proc/PID/task`) and
//! its resident memory (`/proc/PID/statm`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

use super::load::{Memory, Probe};
use super::{Crowd, Loaded, after_load, announce, index, room_for, start_load};
use crate::demo::lane::LaneResult;
use crate::demo::python::{Beside, PyScript, Teller};
use crate::demo::{Cancel, LaneCtx, LaneError};
use crate::i18n::Text;

pub static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../../assets/python/charfinder.py"),
    texts: &[
        (
            "index",
            Text::new(
                "index: {chars} characters, {words} words (built in {ms} ms)",
                "索引：{chars} 个字符，{words} 个词（建立用时 {ms} 毫秒）",
            ),
        ),
        (
            "unicode",
            Text::new(
                "names from concur's table: this Python's unicodedata (Unicode {version}) has no name for {n} of them",
                "名称来自 concur 的表：这个 Python 的 unicodedata（Unicode {version}）缺其中 {n} 个的名称",
            ),
        ),
        (
            "query",
            Text::new(
                "{peer} ?> {query} → {found} found",
                "{peer} ?> {query} → 找到 {found} 个",
            ),
        ),
        (
            "interrupted",
            Text::new(
                "interrupted (SIGTERM): hang up on the clients, close the servers",
                "被中断（SIGTERM）：挂断客户端，关闭服务器",
            ),
        ),
        (
            "closed",
            Text::new(
                "servers closed (wait_closed() returned)",
                "服务器已关闭（wait_closed() 已返回）",
            ),
        ),
    ],
};

/// The child, measured from outside.
struct ChildProbe(u32);

impl Probe for ChildProbe {
    fn threads(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/task", self.0)).map_or(0, |d| d.count())
    }

    fn memory(&self) -> Memory {
        // Its heap is Python's own business (pymalloc): resident memory only.
        Memory {
            resident: resident(self.0),
            heap: None,
        }
    }
}

fn resident(pid: u32) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// The script hears of the load on its stdin (`lane.heard(...)`).
struct Told(Teller);

impl Loaded for Told {
    fn load_starts(&self) {
        // Written before the first client connects, so read before the
        // script can see that connection.
        self.0.tell("load_starts");
    }
    fn load_ends(&self) {
        self.0.tell("load_ends");
    }
    fn refused(&self) -> u64 {
        // The kernel's backlog takes what asyncio has not accepted yet: a
        // refusal shows up as a connection the load could not make.
        0
    }
}

/// The load running against the script, on a thread of its own with its
/// own stop, so whatever ends the lane ends the load first.
struct Load {
    thread: Option<JoinHandle<()>>,
    result: crossbeam_channel::Receiver<LaneResult>,
    stop: Cancel,
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct LoadPython {
    crowd: Crowd,
    child: Option<(u32, Teller)>,
    line: Option<SocketAddr>,
    http: Option<SocketAddr>,
    load: Option<Load>,
    /// The load is over and the script serves on (the app, `--seconds`).
    serving_on: bool,
}

impl LoadPython {
    pub fn new(crowd: Crowd) -> Self {
        LoadPython {
            crowd,
            child: None,
            line: None,
            http: None,
            load: None,
            serving_on: false,
        }
    }

    fn start_load(&mut self, lane: &LaneCtx) -> Result<(), LaneError> {
        let (Some((pid, teller)), Some(line)) = (&self.child, self.line) else {
            return Ok(());
        };
        let stop = Cancel::new();
        let load_lane = LaneCtx {
            cancel: stop.clone(),
            ..lane.clone()
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        let told: Arc<dyn Loaded> = Arc::new(Told(teller.clone()));
        let probe = Box::new(ChildProbe(*pid));
        let thread = start_load(&load_lane, &self.crowd, line, told, probe, move |r| {
            let _ = tx.send(r);
        })?;
        self.load = Some(Load {
            thread: Some(thread),
            result: rx,
            stop,
        });
        Ok(())
    }
}

impl Beside for LoadPython {
    fn prepare(&mut self, lane: &LaneCtx, dir: &Path) -> std::io::Result<()> {
        // The child inherits concur's open-file limit: raised for the crowd
        // now, before it starts.
        room_for(lane, self.crowd.levels.iter().copied().max().unwrap_or(0));
        index::write_names(&dir.join("names.txt"), &lane.cancel)?;
        Ok(())
    }

    fn started(&mut self, _lane: &LaneCtx, pid: u32, teller: Teller) {
        self.child = Some((pid, teller));
    }

    fn serving(&mut self, lane: &LaneCtx, name: &str, addr: SocketAddr) -> Result<(), String> {
        match name {
            "line" => self.line = Some(addr),
            "http" => self.http = Some(addr),
            other => return Err(format!("`serving` {other}: not a protocol of the finder")),
        }
        if let (Some(line), Some(http)) = (self.line, self.http) {
            announce(lane, line, http);
        }
        Ok(())
    }

    fn tick(&mut self, lane: &LaneCtx) -> Option<LaneResult> {
        if self.serving_on {
            return None;
        }
        let Some(load) = &mut self.load else {
            if self.http.is_some() {
                return self.start_load(lane).err().map(Err);
            }
            return None;
        };
        let result = load.result.try_recv().ok()?;
        self.load = None;
        if let Err(e) = result {
            return Some(Err(e));
        }
        let (Some(line), Some(http)) = (self.line, self.http) else {
            return Some(Ok(()));
        };
        if after_load(lane, line, http) {
            self.serving_on = true;
            return None;
        }
        Some(Ok(()))
    }
}
