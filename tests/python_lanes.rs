//! The Python lanes as a user meets them, through the real binary: a missing
//! or broken interpreter fails only its lanes, with a clear message, in a
//! bounded time; stopping a run and `kill -9` of concur leave no Python
//! process behind. Tests that need python3 say so when it is absent.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use concur::demo::python::live_in_group;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_concur");

fn python3() -> bool {
    Command::new("python3")
        .args(["-c", "import sys; sys.exit(sys.version_info < (3, 11))"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Says (past the harness's capture) that a test did not run, and why.
fn not_run(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "NOT RUN: {test}: needs python3 (3.11 or newer) on PATH"
    );
}

/// A fake interpreter: a shell script in `dir` named `name`.
fn fake(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    // The fake's own tools (sleep, echo) are found wherever PATH points.
    let script = format!("#!/bin/sh\nPATH=\"$PATH:/usr/bin:/bin\"\n{body}\n");
    std::fs::write(&path, script).expect("write the fake");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Answers the version probe (`-c CODE`) with the real python3, then does
/// `then` when run with a script.
fn fake_after_probe(dir: &Path, name: &str, then: &str) -> PathBuf {
    fake(
        dir,
        name,
        &format!("if [ \"$1\" = -c ]; then exec python3 \"$@\"; fi\n{then}"),
    )
}

/// `concur --python PY demo spinner --json`: the run's JSON and how long it took.
fn spinner_with(python: &Path) -> (Value, Duration) {
    let t0 = Instant::now();
    let out = Command::new(BIN)
        .arg("--python")
        .arg(python)
        .args(["demo", "spinner", "--json", "-p", "call_ms=300"])
        .output()
        .expect("concur runs");
    let took = t0.elapsed();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(1), "a failed lane fails the run");
    (json, took)
}

fn lane<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["lanes"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no lane {name} in {run}"))
}

/// The Rust lanes finished; both Python lanes failed with `says` in their error.
fn only_python_failed(run: &Value, says: &str) {
    for name in ["thread", "coroutine"] {
        assert_eq!(lane(run, name)["state"], "done", "{name}: {run}");
    }
    for name in ["py-thread", "py-asyncio"] {
        let l = lane(run, name);
        assert_eq!(l["state"], "failed", "{name}: {l}");
        let error = l["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(says),
            "{name}: `{error}` should say `{says}`"
        );
    }
}

#[test]
fn a_missing_interpreter_fails_only_the_python_lanes() {
    let (run, took) = spinner_with(Path::new("/nonexistent/python3"));
    only_python_failed(&run, "was not found");
    let error = lane(&run, "py-thread")["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("--python"), "says how to fix it: {error}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn an_interpreter_that_is_not_python_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = fake(dir.path(), "garbage", "echo 'I am not a Python'");
    let (run, took) = spinner_with(&garbage);
    only_python_failed(&run, "is not a working Python");
    let error = lane(&run, "py-thread")["error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        error.contains("I am not a Python"),
        "shows what it said: {error}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn an_old_python_is_refused_with_its_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let answer = r#"{"concur_probe": 1, "implementation": "CPython", "version": "3.8.18", "version_info": [3, 8], "gil": true, "free_threaded": false}"#;
    let old = fake(dir.path(), "python3.8", &format!("echo '{answer}'"));
    let (run, _) = spinner_with(&old);
    only_python_failed(&run, "is Python 3.8.18; the Python lanes need 3.11");
}

#[test]
fn an_interpreter_that_hangs_is_given_up_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `sleep 7301`: a number no other test uses, to find it in /proc.
    let hangs = fake(dir.path(), "hangs", "exec sleep 7301");
    let (run, took) = spinner_with(&hangs);
    only_python_failed(&run, "did not answer within 5 s");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(
        no_process_running("sleep\x007301"),
        "the hung probe was killed"
    );
}

#[test]
fn a_script_that_prints_garbage_dies_or_hangs_fails_its_lane() {
    if !python3() {
        return not_run("a_script_that_prints_garbage_dies_or_hangs_fails_its_lane");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let hello = r#"{"t":"hello","v":1,"implementation":"CPython","version":"3.11.0","gil":true}"#;
    let cases = [
        (
            "garbage",
            "echo 'Hello, world'; sleep 1".to_string(),
            "not the lane protocol",
        ),
        (
            "dies",
            "echo 'Traceback: boom' >&2; exit 3".to_string(),
            "ended (exit status: 3) before it said hello",
        ),
        (
            "wrong-metric",
            format!(
                "echo '{hello}'; echo '{{\"t\":\"metric\",\"name\":\"bogus\",\"value\":1}}'; sleep 1"
            ),
            "metric `bogus` is not one the lane declares",
        ),
        (
            "silent",
            format!("echo '{hello}'; exec sleep 7302"),
            "no output for 10 s",
        ),
    ];
    for (name, body, says) in cases {
        let python = fake_after_probe(dir.path(), name, &body);
        let (run, took) = spinner_with(&python);
        only_python_failed(&run, says);
        assert!(took < Duration::from_secs(20), "{name}: {took:?}");
    }
    assert!(
        no_process_running("sleep\x007302"),
        "the silent script was killed"
    );
}

/// No live process has exactly this command line (`\0` between arguments).
fn no_process_running(cmdline: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let found = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| !is_zombie(*pid))
            .any(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).trim_end_matches('\0') == cmdline)
            });
        if !found {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A zombie (dead, not yet reaped by pid 1) is not a running process.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Runs `concur demo ARGS --plain`, reading the logged child pids of the
/// Python lanes; `until` sees each (lane, pid) and says when to stop waiting.
fn pids_from_plain(
    args: &[&str],
    until: impl Fn(&[(String, u32)]) -> bool,
) -> (std::process::Child, Vec<(String, u32)>) {
    let mut child = Command::new(BIN)
        .args(["demo"])
        .args(args)
        .arg("--plain")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("concur runs");
    let out = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            // "  1.234s [py-thread] python3 runs the script: pid 123, ..."
            let lane = line.split('[').nth(1).and_then(|r| r.split(']').next());
            let pid = line.split("pid ").nth(1).and_then(|r| r.split(',').next());
            if let (Some(lane), Some(Ok(pid))) = (lane, pid.map(str::parse::<u32>)) {
                let _ = tx.send((lane.to_string(), pid));
            }
        }
    });
    let mut pids = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !until(&pids) && Instant::now() < deadline {
        if let Ok(p) = rx.recv_timeout(Duration::from_millis(100)) {
            pids.push(p);
        }
    }
    (child, pids)
}

fn all_gone(pids: &[(String, u32)]) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left: Vec<_> = pids
            .iter()
            .filter(|(_, pid)| !live_in_group(*pid).is_empty())
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("still running: {left:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_cut_short_leaves_no_python_process() {
    if !python3() {
        return not_run("a_run_cut_short_leaves_no_python_process");
    }
    let t0 = Instant::now();
    let (mut child, pids) =
        pids_from_plain(&["spinner", "-p", "call_ms=60000", "--seconds", "3"], |p| {
            p.len() >= 2
        });
    assert_eq!(pids.len(), 2, "both Python lanes started: {pids:?}");
    let status = child.wait().expect("concur exits");
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    assert!(status.code().is_some());
    all_gone(&pids).unwrap();
}

#[test]
fn kill_9_of_concur_takes_the_python_lanes_and_their_pool_with_it() {
    if !python3() {
        return not_run("kill_9_of_concur_takes_the_python_lanes_and_their_pool_with_it");
    }
    // Long pieces, so py-processes (the last lane) is mid-work when killed.
    let args = [
        "parallel",
        "-p",
        "jobs=2",
        "-p",
        "chunks=6",
        "-p",
        "chunk_ms=150",
        "-p",
        "threads=2",
    ];
    let (mut child, pids) = pids_from_plain(&args, |p| p.iter().any(|(l, _)| l == "py-processes"));
    let (_, leader) = pids
        .iter()
        .find(|(l, _)| l == "py-processes")
        .cloned()
        .expect("py-processes started");
    // Kill as soon as its pool's workers (2) are in the group with it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut group = Vec::new();
    while group.len() < 3 && Instant::now() < deadline {
        group = live_in_group(leader);
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(group.len() >= 3, "the pool was running: {group:?}");
    all_gone(&[("py-processes".into(), leader)]).unwrap();
}

/// `python3` on PATH behind a launcher (as pyenv's and asdf's shims are):
/// the launcher runs once, for the probe, and the lanes start the binary it
/// led to, so a shell that resolves versions never sits under a lane.
#[test]
fn a_launcher_on_path_runs_once_and_the_lanes_run_the_real_binary() {
    if !python3() {
        return not_run("a_launcher_on_path_runs_once_and_the_lanes_run_the_real_binary");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let count = dir.path().join("launched");
    let real = String::from_utf8(
        Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs")
            .stdout,
    )
    .expect("utf-8 path");
    fake(
        dir.path(),
        "python3",
        &format!(
            "echo x >> '{}'\nexec '{}' \"$@\"",
            count.display(),
            real.trim()
        ),
    );
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(BIN)
        .env("PATH", path)
        .args(["demo", "spinner", "--json", "-p", "call_ms=300"])
        .output()
        .expect("concur runs");
    let run: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{run}");
    for name in ["py-thread", "py-asyncio"] {
        assert_eq!(lane(&run, name)["state"], "done", "{name}: {run}");
    }
    let launched = std::fs::read_to_string(&count).unwrap_or_default();
    assert_eq!(
        launched.lines().count(),
        1,
        "the launcher ran for the probe only, not under the two lanes"
    );
}
