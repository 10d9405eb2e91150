//! Every Python lane, run headless in the real interpreter, tells the same
//! story as its Rust twin; stops, pauses and slow motion reach the child.
//! Without a usable Python these tests say so on stderr (past the test
//! harness's capture) and do nothing.

use std::io::Write;
use std::time::{Duration, Instant};

use super::{availability, live_in_group};
use crate::demo::{
    self, DemoRun, EventKind, HeadlessOptions, LaneState, LaneView, Outcome, Params, SpanState,
    Watched, run_headless,
};

/// One Python-lane test at a time: each runs real interpreters (some burn
/// CPU on purpose), and the margins are for a loaded machine, not for one
/// loaded by these tests themselves.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether Python lanes can run here; if not, says which test did not run.
pub(crate) fn python_here(test: &str) -> bool {
    match availability() {
        Ok(_) => true,
        Err(u) => {
            // Straight to the stream: the harness captures eprintln! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "NOT RUN: python lane test `{test}`: {}",
                u.message()
            );
            false
        }
    }
}

fn run(id: &str, params: Params, scale: f64) -> Outcome {
    let d = demo::find(id).expect("the demo is registered");
    let opts = HeadlessOptions {
        seconds: Some(120.0),
        scale,
    };
    run_headless(d, params, opts, |_, _| {}).expect("parameters are valid")
}

/// The lane, which must have finished its job.
fn done<'a>(out: &'a Outcome, name: &str) -> &'a LaneView {
    let l = out.view.lane(name).expect("the lane exists");
    assert_eq!(
        l.state,
        LaneState::Done,
        "{name}: {:?} {:?}",
        l.error,
        l.log
    );
    l
}

fn m(l: &LaneView, name: &str) -> f64 {
    l.metric(name)
        .unwrap_or_else(|| panic!("{}: no `{name}` in {:?}", l.name(), l.metrics))
}

/// The pid a Python lane logged for its child (the leader of its group).
pub(crate) fn child_pid(l: &LaneView) -> Option<u32> {
    l.log.iter().find_map(|line| {
        let rest = line.en.split("pid ").nth(1)?;
        rest.split(',').next()?.trim().parse().ok()
    })
}

/// Whether nothing of the group led by `pid` runs any more (waits 3 s).
pub(crate) fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if live_in_group(pid).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn spinner_twins_spin_and_get_42() {
    if !python_here("spinner_twins_spin_and_get_42") {
        return;
    }
    let _one = one_at_a_time();
    let out = run("spinner", Params::new().with("call_ms", "1000"), 1.0);
    for name in ["py-thread", "py-asyncio"] {
        let l = done(&out, name);
        assert_eq!(m(l, "answer"), 42.0);
        // 1 s at a frame per 100 ms: about 10; a loaded machine loses some.
        let ticks = m(l, "ticks");
        assert!((5.0..=13.0).contains(&ticks), "{name}: {ticks} ticks");
        let elapsed = m(l, "elapsed_ms");
        assert!((950.0..4000.0).contains(&elapsed), "{name}: {elapsed} ms");
        assert!(m(l, "jitter_p99_ms") < 500.0);
        let detail = l.detail.as_ref().expect("the interpreter is named");
        assert!(detail.en.contains("GIL"), "{detail:?}");
        assert!(gone(child_pid(l).expect("pid logged")));
    }
    let asyncio = done(&out, "py-asyncio");
    assert_eq!(m(asyncio, "cleanup_ran"), 1.0);
    assert!(asyncio.log.iter().any(|l| l.en.contains("CancelledError")));
    assert!(m(asyncio, "max_lag_ms") < 500.0);
}

#[test]
fn file_io_blocking_lags_by_the_call_and_to_thread_does_not() {
    if !python_here("file_io_blocking_lags_by_the_call_and_to_thread_does_not") {
        return;
    }
    let _one = one_at_a_time();
    let params = Params::new().with("file_mb", "48").with("files", "1");
    let out = run("file-io", params, 1.0);
    let blocking = done(&out, "py-blocking");
    let offloaded = done(&out, "py-to-thread");
    assert_eq!(m(blocking, "epoll_file_eperm"), 1.0, "epoll refuses a file");
    let (call, lag) = (m(blocking, "longest_call_ms"), m(blocking, "max_lag_ms"));
    assert!(
        lag >= call * 0.5,
        "a blocked loop lags by about the call: {lag} vs {call}"
    );
    // The worker thread takes the GIL now and then, and a loaded machine
    // starves a loop now and then: compared call for call, so that cannot
    // blur it, the blocked loop is late by its whole call.
    let (p99, own_call) = (m(offloaded, "p99_lag_ms"), m(offloaded, "longest_call_ms"));
    assert!(
        p99 / own_call < lag / call,
        "to_thread keeps the loop freer: p99 {p99} of a {own_call} ms call, vs {lag} of {call}"
    );
    assert!(p99 < lag, "p99 {p99} vs the blocked loop's {lag}");
    assert_eq!(m(offloaded, "bytes_written"), (48u64 << 20) as f64);
}

#[test]
fn parallel_threads_take_turns_under_the_gil() {
    if !python_here("parallel_threads_take_turns_under_the_gil") {
        return;
    }
    let _one = one_at_a_time();
    let gil = availability().map(|p| p.gil).unwrap_or(true);
    let plan = Params::new()
        .with("jobs", "4")
        .with("chunks", "2")
        .with("chunk_ms", "60")
        .with("threads", "2");
    let out = run("parallel", plan, 1.0);
    for name in ["py-event-loop", "py-threads", "py-processes"] {
        let l = done(&out, name);
        // 4 jobs x 2 pieces x 60 ms of CPU time, measured per thread.
        let work = m(l, "work_ms");
        assert!((400.0..700.0).contains(&work), "{name}: work {work} ms");
        assert!(
            gone(child_pid(l).expect("pid logged")),
            "{name} left processes"
        );
    }
    assert_eq!(m(done(&out, "py-event-loop"), "threads"), 1.0);
    // Every piece on the timeline, on the thread or process that ran it.
    pieces_drawn(
        done(&out, "py-event-loop"),
        8,
        SpanState::Running,
        "/py-loop",
    );
    pieces_drawn(
        done(&out, "py-processes"),
        8,
        SpanState::Running,
        "/py-proc-",
    );
    let threads = done(&out, "py-threads");
    if gil {
        // Pieces that share the GIL are not drawn side by side; the log says why.
        assert!(threads.spans.is_empty(), "{:?}", threads.spans);
        assert!(
            threads
                .log
                .iter()
                .any(|l| l.en.contains("hand it over every")),
            "{:?}",
            threads.log
        );
    } else {
        pieces_drawn(threads, 8, SpanState::Running, "/py-thread");
    }
    assert!(m(threads, "threads") <= 2.0);
    if gil {
        // One thread runs Python at a time: never much more than one core.
        let cores = m(threads, "cores_used");
        assert!(cores < 1.4, "py-threads used {cores} cores under the GIL");
        assert!(m(threads, "speedup") < 1.4);
    }
}

#[test]
fn parallel_waits_overlap_on_one_loop() {
    if !python_here("parallel_waits_overlap_on_one_loop") {
        return;
    }
    let _one = one_at_a_time();
    let plan = Params::new()
        .with("workload", "io")
        .with("jobs", "4")
        .with("chunks", "2")
        .with("chunk_ms", "100");
    let out = run("parallel", plan, 1.0);
    let l = done(&out, "py-event-loop");
    // 800 ms of waiting in about 200 ms: waits overlap on one thread.
    let speedup = m(l, "speedup");
    assert!(speedup > 2.0, "py-event-loop io speedup {speedup}");
    assert_eq!(m(l, "threads"), 1.0);
    // Waits overlap on the loop; a pool's threads are blocked in theirs.
    pieces_drawn(l, 8, SpanState::Waiting, "/py-loop");
    pieces_drawn(
        done(&out, "py-threads"),
        8,
        SpanState::Blocked,
        "/py-thread",
    );
}

/// The lane drew `n` pieces on threads named `…{thread}…`, in `state`,
/// each a job's piece `job.chunk`, with its end after its start.
fn pieces_drawn(l: &LaneView, n: usize, state: SpanState, thread: &str) {
    let name = l.name();
    assert_eq!(l.spans.len(), n, "{name}: {:?}", l.spans);
    let mut labels: Vec<&str> = l.spans.iter().map(|s| s.label.as_str()).collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), n, "{name}: one span per piece {labels:?}");
    for s in &l.spans {
        assert_eq!(s.state, state, "{name}: {s:?}");
        assert!(
            s.thread.starts_with("demo:parallel/") && s.thread.contains(thread),
            "{name}: {s:?}"
        );
        assert!(s.end >= s.start, "{name}: {s:?}");
        assert!(
            s.label.starts_with(&format!("{}.", s.job + 1)),
            "{name}: {s:?}"
        );
    }
}

#[test]
fn futures_completion_order_gives_its_first_result_first() {
    if !python_here("futures_completion_order_gives_its_first_result_first") {
        return;
    }
    let _one = one_at_a_time();
    let jobs = Params::new()
        .with("durations", "[900, 100, 1300, 150]")
        .with("timeout_ms", "500");
    let out = run("futures", jobs, 1.0);
    let gather = done(&out, "py-gather");
    let completed = done(&out, "py-as-completed");
    assert!(m(completed, "first_result_ms") < 500.0);
    assert_eq!(m(completed, "in_order"), 0.0);
    // gather hands over nothing until the slowest job is done.
    assert!(m(gather, "first_result_ms") >= 1250.0);
    assert!(m(gather, "all_done_ms") - m(gather, "first_result_ms") < 50.0);
    assert_eq!(m(gather, "in_order"), 1.0);
    for l in [gather, completed] {
        assert_eq!(m(l, "done_at_timeout"), 2.0, "{}", l.name());
        assert_eq!(m(l, "pending_at_timeout"), 2.0);
        assert_eq!(m(l, "cancelled"), 1.0);
        assert_eq!(m(l, "cleanup_ran"), 1.0);
        assert!(l.log.iter().any(|x| x.en.contains("InvalidStateError")));
    }
    // The Rust twins agree on every count.
    for (py, rust) in [
        ("py-gather", "submission-order"),
        ("py-as-completed", "completion-order"),
    ] {
        for metric in [
            "in_order",
            "done_at_timeout",
            "pending_at_timeout",
            "cancelled",
        ] {
            let (a, b) = (done(&out, py), done(&out, rust));
            assert_eq!(m(a, metric), m(b, metric), "{py} vs {rust}: {metric}");
        }
    }
}

/// Every figure but the time taken, for a lane and its Rust twin.
fn same_story(out: &Outcome, py: &str, rust: &str) {
    let (a, b) = (done(out, py), done(out, rust));
    for metric in b.info.metrics.iter().map(|x| x.name) {
        if metric != "elapsed_ms" {
            assert_eq!(m(a, metric), m(b, metric), "{py} vs {rust}: {metric}");
        }
    }
}

#[test]
fn callbacks_twins_tell_the_same_story() {
    if !python_here("callbacks_twins_tell_the_same_story") {
        return;
    }
    let _one = one_at_a_time();
    for (step, forget) in [("2", "no"), ("2", "crash"), ("3", "silent")] {
        let params = Params::new()
            .with("fail_step", step)
            .with("forget_check", forget)
            .with("timeout_ms", "1200");
        let out = run("callbacks", params, 1.0);
        same_story(&out, "py-callbacks", "callbacks");
        same_story(&out, "py-async", "async");
        let cb = done(&out, "py-callbacks");
        match forget {
            "no" => assert_eq!(m(cb, "error_context_depth"), 1.0),
            "crash" => {
                assert_eq!(m(cb, "lost_exceptions"), 1.0);
                assert!(cb.log.iter().any(|l| l.en.contains("TypeError")));
            }
            _ => assert_eq!(m(cb, "timed_out"), 1.0),
        }
        assert_eq!(m(done(&out, "py-async"), "error_context_depth"), 3.0);
    }
}

#[test]
fn slow_motion_reaches_the_child() {
    if !python_here("slow_motion_reaches_the_child") {
        return;
    }
    let _one = one_at_a_time();
    let t0 = Instant::now();
    let out = run("spinner", Params::new().with("call_ms", "500"), 0.5);
    for name in ["py-thread", "py-asyncio"] {
        let l = done(&out, name);
        // 500 ms of demo time at half speed: a second on the wall.
        let elapsed = m(l, "elapsed_ms");
        assert!(
            (480.0..1500.0).contains(&elapsed),
            "{name}: {elapsed} demo ms"
        );
        let ticks = m(l, "ticks");
        assert!((3.0..=7.0).contains(&ticks), "{name}: {ticks}");
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(1000),
        "it ran at half speed"
    );
}

/// Starts `id` headless and waits (up to a minute) until `until` holds for
/// an event; returns the run, its events to come and the events seen.
fn start_until(
    id: &str,
    params: Params,
    until: impl Fn(&demo::DemoEvent) -> bool,
) -> (DemoRun, demo::EventStream, Vec<demo::DemoEvent>) {
    let (senders, stream) = demo::channels();
    let d = demo::find(id).expect("registered");
    let run = DemoRun::start(d, &params, 1.0, senders, Watched::Headless).expect("starts");
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        let hit = until(&ev);
        seen.push(ev);
        if hit {
            break;
        }
    }
    (run, stream, seen)
}

fn logged_pid(events: &[demo::DemoEvent], lane: usize) -> Option<u32> {
    events.iter().find_map(|ev| match &ev.kind {
        EventKind::Log(l) if ev.lane == lane && l.en.contains("pid ") => {
            l.en.split("pid ").nth(1)?.split(',').next()?.parse().ok()
        }
        _ => None,
    })
}

#[test]
fn stopping_mid_run_ends_the_child_and_its_pool() {
    if !python_here("stopping_mid_run_ends_the_child_and_its_pool") {
        return;
    }
    let _one = one_at_a_time();
    // The Rust lanes and the first Python lanes go quickly; py-processes
    // (lane 4) gets long pieces, so it is mid-work when the demo stops.
    let plan = Params::new()
        .with("jobs", "2")
        .with("chunks", "2")
        .with("chunk_ms", "400")
        .with("threads", "2");
    let (run, stream, events) = start_until("parallel", plan, |ev| ev.lane == 4 && logs_a_pid(ev));
    let pid = logged_pid(&events, 4).expect("py-processes started its child");
    // Its pool's workers are running now.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut later = Vec::new();
    while live_in_group(pid).len() < 2 && Instant::now() < deadline {
        later.extend(stream.events.try_iter());
        std::thread::sleep(Duration::from_millis(20));
    }
    if live_in_group(pid).len() < 2 {
        // Seen about once in four clean CI runs, not yet explained: the
        // child goes silent before its pool starts. The stop must still end
        // everything; what the child and this process were doing is kept.
        let said: Vec<_> = events
            .iter()
            .chain(&later)
            .filter(|e| e.lane == 4)
            .collect();
        let report = format!(
            "no pool after 30 s: {said:?}\nthe child: {}\n{}",
            what_it_does(pid),
            stacks(pid)
        );
        let _ = std::fs::write(
            std::env::temp_dir().join(format!("py-silent-child-{pid}.txt")),
            &report,
        );
        eprintln!("{report}");
    }
    let t0 = Instant::now();
    assert!(
        run.stop_and_wait(Duration::from_secs(5)),
        "every lane thread ended"
    );
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(1500), "stopped in {took:?}");
    assert_eq!(
        live_in_group(pid),
        Vec::<u32>::new(),
        "nothing of the group is left"
    );
}

/// A process's state and where the kernel has it waiting, for a failure
/// message: a child that went silent says why.
fn what_it_does(pid: u32) -> String {
    let read = |f: &str| std::fs::read_to_string(format!("/proc/{pid}/{f}")).unwrap_or_default();
    let state = read("status")
        .lines()
        .find(|l| l.starts_with("State:"))
        .unwrap_or("State: gone")
        .to_string();
    format!("pid {pid} {state}, waiting in `{}`", read("wchan"))
}

/// Kernel stacks of the child's threads and of this test process's threads.
fn stacks(child: u32) -> String {
    let mut out = String::new();
    for (who, dir) in [
        ("child", format!("/proc/{child}/task")),
        ("tests", "/proc/self/task".to_string()),
    ] {
        let Ok(tasks) = std::fs::read_dir(&dir) else {
            continue;
        };
        for t in tasks.flatten() {
            let p = t.path();
            let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
            out.push_str(&format!(
                "{who} {} {}: {}\n",
                t.file_name().to_string_lossy(),
                read("comm").trim(),
                read("stack")
                    .lines()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
    }
    out
}

/// The event is a lane logging its child's pid.
fn logs_a_pid(ev: &demo::DemoEvent) -> bool {
    matches!(&ev.kind, EventKind::Log(l) if l.en.contains("pid "))
}

#[test]
fn pause_stops_the_group_and_the_pause_is_not_measured() {
    if !python_here("pause_stops_the_group_and_the_pause_is_not_measured") {
        return;
    }
    let _one = one_at_a_time();
    let (senders, stream) = demo::channels();
    let d = demo::find("spinner").expect("registered");
    let params = Params::new().with("call_ms", "1500");
    let run = DemoRun::start(d, &params, 1.0, senders, Watched::Headless).expect("starts");
    let mut view = demo::DemoView::new(d.info(), params);
    view.reset(run.run);
    let deadline = Instant::now() + Duration::from_secs(30);
    // Wait until py-thread (lane 2) draws frames, then pause for a second.
    while view.lanes[2].frame.unwrap_or(0) < 3 && Instant::now() < deadline {
        if let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(50)) {
            view.apply(ev);
        }
    }
    let pid = child_pid(&view.lanes[2]).expect("pid logged");
    run.clock().set_paused(true);
    std::thread::sleep(Duration::from_millis(300));
    let states = group_states(pid);
    assert!(
        !states.is_empty() && states.iter().all(|s| s == "T"),
        "stopped: {states:?}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    run.clock().set_paused(false);
    while !view.lanes[2].is_finished() && Instant::now() < deadline {
        crossbeam_channel::select! {
            recv(stream.events) -> ev => if let Ok(ev) = ev { view.apply(ev); },
            recv(stream.lifecycle) -> ev => if let Ok(ev) = ev { view.apply(ev); },
            default(Duration::from_millis(100)) => {}
        }
    }
    while let Ok(ev) = stream.events.try_recv() {
        view.apply(ev);
    }
    let l = &view.lanes[2];
    assert_eq!(l.state, LaneState::Done, "{:?}", l.error);
    // 1.5 s of demo time: the 1.3 s paused in the middle are not in it.
    let elapsed = m(l, "elapsed_ms");
    assert!((1450.0..2500.0).contains(&elapsed), "{elapsed} ms");
    assert!(l.log.iter().any(|x| x.en.contains("SIGSTOP")));
    assert!(l.log.iter().any(|x| x.en.contains("SIGCONT")));
    drop(run);
}

/// The states (R, S, T…) of the live processes of a group.
fn group_states(pgid: u32) -> Vec<String> {
    live_in_group(pgid)
        .iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().next().map(str::to_string)
        })
        .collect()
}

#[test]
fn taskgroup_twins_cancel_or_run_on_as_their_rust_twins_do() {
    if !python_here("taskgroup_twins_cancel_or_run_on_as_their_rust_twins_do") {
        return;
    }
    let _one = one_at_a_time();
    // Jobs far apart: job 2 fails at 300 ms; job 4 is done at 100 ms.
    let jobs = Params::new()
        .with("durations", "[1000, 300, 1200, 100, 700]")
        .with("fail_job", "2");
    let out = run("taskgroup", jobs, 1.0);
    for (py, rust) in [
        ("py-gather", "gather"),
        ("py-taskgroup", "taskgroup"),
        ("py-return-exceptions", "join-all"),
    ] {
        let (a, b) = (done(&out, py), done(&out, rust));
        for metric in ["siblings_cancelled", "siblings_finished", "cleanup_ran"] {
            assert_eq!(m(a, metric), m(b, metric), "{py} vs {rust}: {metric}");
        }
        // The error comes out at the same moment, give or take a loaded machine.
        let (ea, eb) = (m(a, "first_error_ms"), m(b, "first_error_ms"));
        assert!((ea - eb).abs() < 250.0, "{py} {ea} ms vs {rust} {eb} ms");
    }
    let group = done(&out, "py-taskgroup");
    assert_eq!(m(group, "siblings_cancelled"), 3.0);
    assert!(
        m(group, "all_done_ms") < 700.0,
        "the group did not wait for 1200 ms"
    );
    assert!(m(done(&out, "py-gather"), "all_done_ms") >= 1190.0);
}

#[test]
fn race_twins_lose_updates_where_the_rust_twins_do() {
    if !python_here("race_twins_lose_updates_where_the_rust_twins_do") {
        return;
    }
    let _one = one_at_a_time();
    // A wide gap (20 µs of work) so the GIL's switches land in it.
    let race = Params::new()
        .with("workers", "4")
        .with("withdrawals", "2000")
        .with("gap_ns", "20000");
    let out = run("race", race, 1.0);
    let gil = availability().map(|p| p.gil).unwrap_or(true);
    let unlocked = m(done(&out, "py-threads-unlocked"), "lost_updates");
    if gil {
        // The GIL runs one thread at a time, and still the pair is not atomic.
        assert!(unlocked > 0.0, "py-threads-unlocked lost {unlocked}");
    }
    assert_eq!(m(done(&out, "py-threads-lock"), "lost_updates"), 0.0);
    assert_eq!(m(done(&out, "py-coroutines"), "lost_updates"), 0.0);
    assert_eq!(m(done(&out, "py-coroutines"), "threads"), 1.0);
    // Tasks that all read before any writes: the same count in both languages.
    let (py, rust) = (
        m(done(&out, "py-coroutines-await"), "lost_updates"),
        m(done(&out, "coroutines-await"), "lost_updates"),
    );
    assert_eq!(py, rust);
    assert!(py > 0.0);
}
