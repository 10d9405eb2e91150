//! Asking an interpreter what it is: its version, and whether the GIL is on
//! (`sys._is_gil_enabled()`, Python 3.13+; always on before). The answer is
//! kept per interpreter for the life of the process.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::child::{Output, Pipes, spawn};
use super::{Interpreter, MIN_VERSION, Origin};
use crate::demo::{Cancel, Cancelled};
use crate::i18n::LocalText;
use crate::tr;

/// An interpreter that does not answer in this time is broken (or a script
/// that is not Python at all).
pub const PROBE_LIMIT: Duration = Duration::from_secs(5);

/// Valid Python 2 and 3, so an old interpreter can still say how old it is.
const PROBE_CODE: &str = "import json, platform, sys, sysconfig\n\
gil = sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True\n\
print(json.dumps({'concur_probe': 1, 'implementation': platform.python_implementation(),\n\
 'executable': sys.executable,\n\
 'version': platform.python_version(), 'version_info': list(sys.version_info[:2]),\n\
 'gil': gil, 'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))\n";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Probe {
    pub implementation: String,
    pub version: String,
    pub version_info: (u32, u32),
    pub gil: bool,
    #[serde(default)]
    pub free_threaded: bool,
    /// `sys.executable`: the binary behind the name we were given.
    #[serde(default)]
    pub executable: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Answer {
    concur_probe: u32,
    #[serde(flatten)]
    probe: Probe,
}

impl Probe {
    /// "CPython 3.11.7 · GIL", for a lane's title.
    pub fn detail(&self) -> LocalText {
        detail(
            &self.implementation,
            &self.version,
            self.gil,
            self.free_threaded,
        )
    }

    /// What a lane starts. For `python3` found on PATH, the binary behind
    /// it: a launcher in between (a pyenv or asdf shim re-resolves the
    /// version in a shell on every start) then runs once, for the probe,
    /// not under every lane, and a lane's pid is the interpreter's. An
    /// interpreter the user named is run as named: it may be a wrapper
    /// that sets things up on purpose.
    pub fn program<'a>(&'a self, interp: &'a Interpreter) -> &'a OsStr {
        let exe = std::path::Path::new(&self.executable);
        if interp.origin == Origin::Path && exe.is_absolute() && exe.is_file() {
            exe.as_os_str()
        } else {
            &interp.program
        }
    }

    pub fn new_enough(&self) -> bool {
        self.version_info >= MIN_VERSION
    }
}

pub fn detail(implementation: &str, version: &str, gil: bool, free_threaded: bool) -> LocalText {
    match (free_threaded, gil) {
        (true, false) => tr!(
            "{implementation} {version} · free-threaded, no GIL",
            "{implementation} {version} · 自由线程版，无 GIL"
        ),
        (true, true) => tr!(
            "{implementation} {version} · free-threaded build, GIL on",
            "{implementation} {version} · 自由线程版，GIL 已开启"
        ),
        _ => tr!(
            "{implementation} {version} · GIL",
            "{implementation} {version} · 有 GIL"
        ),
    }
}

/// Why there is no usable interpreter: one line, and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unavailable {
    pub reason: LocalText,
    pub fix: LocalText,
}

impl Unavailable {
    /// The English line for `--json` and error reports.
    pub fn message(&self) -> String {
        format!("{}; {}", self.reason.en, self.fix.en)
    }
}

fn fix(origin: Origin) -> LocalText {
    let (a, b) = (MIN_VERSION.0, MIN_VERSION.1);
    match origin {
        Origin::Flag => tr!(
            "pass --python with a Python {a}.{b}+ interpreter",
            "用 --python 指定一个 Python {a}.{b}+ 解释器"
        ),
        Origin::Config => tr!(
            "set python = \"…\" in config.toml to a Python {a}.{b}+ interpreter, or pass --python",
            "把 config.toml 里的 python = \"…\" 改成 Python {a}.{b}+ 解释器，或用 --python 指定"
        ),
        Origin::Path => tr!(
            "install Python {a}.{b}+ as python3, or pass --python PATH",
            "安装 Python {a}.{b}+（命令名 python3），或用 --python PATH 指定"
        ),
    }
}

type Cache = Mutex<HashMap<OsString, Result<Probe, Unavailable>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The interpreter's answer, asked once per process; an interpreter that is
/// too old is `Unavailable` too. Cancellable (then nothing is cached).
pub fn probe(
    interp: &Interpreter,
    cancel: &Cancel,
) -> Result<Result<Probe, Unavailable>, Cancelled> {
    let known = || {
        cache()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&interp.program)
            .cloned()
    };
    if let Some(known) = known() {
        return Ok(known);
    }
    // Lanes start together: one asks, the others wait for its answer
    // (and can still be cancelled while they wait).
    static ASKING: Mutex<()> = Mutex::new(());
    let _asking = loop {
        match ASKING.try_lock() {
            Ok(g) => break g,
            Err(std::sync::TryLockError::Poisoned(e)) => break e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                if cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                let _ = cancel.wait_for(Duration::from_millis(10));
            }
        }
    };
    if let Some(known) = known() {
        return Ok(known);
    }
    let answer = ask(&interp.program, cancel)?;
    let result = match answer {
        Ok(p) if p.new_enough() => Ok(p),
        Ok(p) => {
            let (v, (a, b)) = (&p.version, MIN_VERSION);
            let name = interp.shown();
            Err(Unavailable {
                reason: tr!(
                    "{name} is Python {v}; the Python lanes need {a}.{b} or newer",
                    "{name} 是 Python {v}；Python 泳道需要 {a}.{b} 或更新的版本"
                ),
                fix: fix(interp.origin),
            })
        }
        Err(reason) => Err(Unavailable {
            reason,
            fix: fix(interp.origin),
        }),
    };
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(interp.program.clone(), result.clone());
    Ok(result)
}

/// Runs the probe code; the error is the one-line reason.
fn ask(program: &OsStr, cancel: &Cancel) -> Result<Result<Probe, LocalText>, Cancelled> {
    let name = program.to_string_lossy().into_owned();
    let mut child = match spawn(program, &[OsStr::new("-c"), OsStr::new(PROBE_CODE)], false) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(tr!(
                "no Python interpreter: `{name}` was not found",
                "没有 Python 解释器：找不到 `{name}`"
            )));
        }
        Err(e) => {
            return Ok(Err(tr!(
                "`{name}` cannot be started: {e}",
                "`{name}` 无法启动：{e}"
            )));
        }
    };
    let (_, out, err) = child.take_pipes();
    let mut pipes = Pipes::new(out, err);
    let deadline = Instant::now() + PROBE_LIMIT;
    let mut lines = Vec::new();
    loop {
        if cancel.is_cancelled() {
            let _ = child.stop();
            return Err(Cancelled);
        }
        let got = pipes.read(Duration::from_millis(20));
        let eof = got.contains(&Output::Eof);
        lines.extend(got);
        if eof {
            break;
        }
        if Instant::now() >= deadline {
            let _ = child.stop();
            let s = PROBE_LIMIT.as_secs();
            return Ok(Err(tr!(
                "`{name}` did not answer within {s} s (is it Python?)",
                "`{name}` 在 {s} 秒内没有回答（它是 Python 吗？）"
            )));
        }
    }
    child.wait_exit(PROBE_LIMIT);
    let status = child.reap();
    let answer = lines.iter().find_map(|o| match o {
        Output::Line(l) => serde_json::from_str::<Answer>(l).ok(),
        _ => None,
    });
    Ok(match (answer, status) {
        (Some(a), Ok(s)) if s.success() && a.concur_probe == 1 => Ok(a.probe),
        (_, status) => {
            let said = lines
                .iter()
                .find_map(|o| match o {
                    Output::Line(l) | Output::Bad(l) if !l.trim().is_empty() => Some(l.clone()),
                    _ => None,
                })
                .or_else(|| pipes.stderr_tail().pop())
                .unwrap_or_default();
            let said: String = said.chars().take(60).collect();
            let code = status.map(|s| s.to_string()).unwrap_or_default();
            Err(tr!(
                "`{name}` is not a working Python ({code}): `{said}`",
                "`{name}` 不是能用的 Python（{code}）：`{said}`"
            ))
        }
    })
}
