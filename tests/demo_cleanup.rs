//! Every demo stops cleanly mid-run: its lanes end soon after the stop, and
//! no thread, file descriptor or temp file outlives it. One test in its own
//! binary, so no other test's threads or files get counted.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use concur::demo::{self, DemoRun, Params, Watched, channels};

fn demo_threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
                .map(|n| n.trim().to_string())
                .filter(|n| n.starts_with("demo:"))
                .collect()
        })
        .unwrap_or_default()
}

fn open_fds() -> BTreeSet<String> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .map(|p| p.display().to_string())
                // The directory listing itself holds an fd while we read it.
                .filter(|p| !p.starts_with("/proc/"))
                .collect()
        })
        .unwrap_or_default()
}

/// Demos name their temp files `concur-<pid>-*`: only this process's
/// count (another concur, or another test run, may be busy beside us).
fn temp_entries() -> BTreeSet<String> {
    let ours = format!("concur-{}-", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&ours))
                .collect()
        })
        .unwrap_or_default()
}

/// Parameters per demo: small enough that each step a lane takes between
/// two looks at its cancel flag is short (so "stops within 3 s" measures
/// cancellation, not an fsync of hundreds of MiB), yet long enough that
/// the run is still going when it is stopped.
const PARAMS: &[(&str, &[(&str, &str)])] = &[
    ("spinner", &[]),
    ("parallel", &[("chunk_ms", "50")]),
    ("file-io", &[("file_mb", "8"), ("files", "20")]),
    ("callbacks", &[]),
    ("io-models", &[("clients", "4"), ("requests", "40")]),
    ("futures", &[]),
    ("executor", &[("step_ms", "200")]),
    // Seconds of withdrawals: the lanes look at the stop every 256.
    ("race", &[("withdrawals", "200000")]),
    ("taskgroup", &[]),
    // Stopped inside the hog: it holds the lane's only thread.
    ("runtimes", &[("hog_ms", "2000")]),
    // Long answers: every lane is mid-download when stopped.
    ("flags", &[("latency_ms", "2000")]),
    // Building the index, or serving a crowd, when stopped.
    ("charfinder", &[]),
];

#[test]
fn every_demo_stops_mid_run_and_leaves_nothing_behind() {
    assert!(cfg!(target_os = "linux") || demo_threads().is_empty());
    let ids: BTreeSet<&str> = demo::all().iter().map(|d| d.info().id).collect();
    let listed: BTreeSet<&str> = PARAMS.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        listed, ids,
        "give every demo (and only those) a row in PARAMS"
    );
    for (id, params) in PARAMS {
        let d = demo::find(id).unwrap();
        let info = d.info();
        let params = params.iter().fold(Params::new(), |p, (k, v)| {
            assert!(
                d.params().iter().any(|x| x.name == *k),
                "{id} has no parameter `{k}`"
            );
            p.with(k, v)
        });
        d.check(&params)
            .unwrap_or_else(|e| panic!("{id}: bad test parameters: {e}"));
        let fds_before = open_fds();
        let temp_before = temp_entries();
        let (senders, stream) = channels();
        // As the app runs it: watched, so a demo stepped by hand starts
        // paused; press play (`.`) at once, so it runs at `step_ms` a step.
        let run = DemoRun::start(d, &params, 1.0, senders, Watched::InApp)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        if info.starts_paused {
            run.clock().set_paused(false);
        }
        // Let it get going: its first event, then a little longer.
        stream
            .events
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{id}: no event in 5 s: {e}"));
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !demo_threads().is_empty(),
            "{id}: lanes run on named threads"
        );
        let ended = stream.lifecycle.try_iter().count();
        assert!(
            ended < info.lanes.len(),
            "{id}: every lane had ended before the stop; nothing was stopped mid-run"
        );
        let stop = Instant::now();
        assert!(
            run.stop_and_wait(Duration::from_secs(10)),
            "{id}: lanes did not stop"
        );
        // ~100 ms is the aim; the margin is for a loaded machine.
        let took = stop.elapsed();
        assert!(
            took < Duration::from_secs(3),
            "{id}: stopping took {took:?}"
        );
        drop(stream);
        let left = demo_threads();
        assert!(left.is_empty(), "{id}: threads left behind: {left:?}");
        let new_fds: Vec<_> = open_fds().difference(&fds_before).cloned().collect();
        assert!(
            new_fds.is_empty(),
            "{id}: descriptors left open: {new_fds:?}"
        );
        let new_temp: Vec<_> = temp_entries().difference(&temp_before).cloned().collect();
        assert!(new_temp.is_empty(), "{id}: temp files left: {new_temp:?}");
    }
}
