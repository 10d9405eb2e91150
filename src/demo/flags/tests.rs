//! What the flags demo measures, checked on real runs with margins that
//! hold on a loaded 2-core machine.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::plan::Plan;
use super::*;
use crate::demo::{DemoRun, HeadlessOptions, LaneView, Params, Watched, run_headless, sink};

/// The tests count this demo's threads and ports: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run(params: Params) -> crate::demo::DemoView {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = run_headless(&DEMO, params, HeadlessOptions::default(), |_, _| {}).unwrap();
    assert!(out.completed && out.clean_stop);
    out.view
}

fn fig(lane: &LaneView, name: &str) -> f64 {
    lane.metric(name)
        .unwrap_or_else(|| panic!("{} did not report {name}", lane.name()))
}

fn lanes(view: &crate::demo::DemoView) -> [&LaneView; 3] {
    ["sequential", "threads", "async"].map(|n| view.lane(n).unwrap())
}

#[test]
fn never_more_in_flight_than_the_limit_and_near_the_bound() {
    let p = Params::new()
        .with("count", "12")
        .with("latency_ms", "150")
        .with("limit", "4");
    let view = run(p);
    let [seq, threads, asyn] = lanes(&view);
    for lane in [seq, threads, asyn] {
        assert_eq!(lane.state, crate::demo::LaneState::Done, "{}", lane.name());
        assert_eq!(fig(lane, "ok"), 12.0, "{}", lane.name());
        let ratio = fig(lane, "ratio");
        // The server waits the latency for every answer: nobody beats the
        // bound; a loaded machine may add, but not double it.
        assert!(
            (0.98..2.0).contains(&ratio),
            "{}: ratio {ratio}",
            lane.name()
        );
        assert_eq!(lane.progress, Some((12, 12)));
    }
    assert_eq!(fig(seq, "max_in_flight"), 1.0);
    assert_eq!(fig(seq, "bound_ms"), 12.0 * 150.0);
    for lane in [threads, asyn] {
        let most = fig(lane, "max_in_flight");
        // Never above the limit; and really concurrent (4 would be the
        // usual figure; 2 leaves room for a slow thread start).
        assert!((2.0..=4.0).contains(&most), "{}: {most}", lane.name());
        assert_eq!(fig(lane, "bound_ms"), 3.0 * 150.0);
    }
}

#[test]
fn errors_are_counted_as_the_server_served_them_each_with_its_flag() {
    let p = Params::new()
        .with("count", "20")
        .with("latency_ms", "30")
        .with("error_rate", "0.2");
    let plan = Plan::new(20, 30, 0.2, Downloads::default().seed, false);
    let failing: BTreeSet<String> = plan
        .codes
        .iter()
        .filter(|c| plan.status_of(c) != Some(200))
        .cloned()
        .collect();
    assert_eq!(failing.len(), 4);
    let view = run(p);
    for lane in lanes(&view) {
        let n = lane.name();
        assert_eq!(fig(lane, "errors_404"), fig(lane, "served_404"), "{n}");
        assert_eq!(fig(lane, "errors_500"), fig(lane, "served_500"), "{n}");
        assert_eq!(fig(lane, "errors_404"), 2.0, "{n}");
        assert_eq!(fig(lane, "errors_500"), 2.0, "{n}");
        assert_eq!(fig(lane, "errors_other"), 0.0, "{n}");
        assert_eq!(fig(lane, "ok"), 16.0, "{n}");
        // Each failure is logged as its chain: the flag, then the cause.
        let named: BTreeSet<String> = lane
            .log
            .iter()
            .filter_map(|l| l.en.strip_prefix("✗ fetching flag "))
            .map(|rest| {
                assert!(rest.contains("404") || rest.contains("500"), "{n}: {rest}");
                rest[..2].to_string()
            })
            .collect();
        assert_eq!(named, failing, "{n}");
    }
}

#[test]
fn slow_drip_still_lands_near_the_bound() {
    let p = Params::new()
        .with("count", "6")
        .with("latency_ms", "100")
        .with("limit", "3")
        .with("drip", "true");
    let view = run(p);
    for lane in lanes(&view) {
        assert_eq!(fig(lane, "ok"), 6.0, "{}", lane.name());
        let ratio = fig(lane, "ratio");
        assert!((0.95..2.5).contains(&ratio), "{}: {ratio}", lane.name());
    }
}

fn demo_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
                .filter(|n| n.starts_with("demo:flags"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_stop_ends_server_clients_and_threads_at_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (senders, stream) = sink::channels();
    // Long answers: every lane is mid-request when it is stopped.
    let p = Params::new()
        .with("latency_ms", "5000")
        .with("drip", "true");
    let run = DemoRun::start(&DEMO, &p, 1.0, senders, Watched::Headless).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut addr = None;
    while addr.is_none() && Instant::now() < deadline {
        if let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(50))
            && let crate::demo::EventKind::Log(line) = ev.kind
            && let Some(rest) = line.en.strip_prefix("server: http://")
        {
            addr = rest.split('/').next().map(str::to_string);
        }
    }
    let addr: std::net::SocketAddr = addr.expect("the address is logged").parse().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(demo_threads() >= 3, "the lanes and workers run");
    // (That no thread at all is left is checked by tests/demo_cleanup.rs,
    // alone in its binary: here other tests may run this demo meanwhile.)
    let stop = Instant::now();
    assert!(run.stop_and_wait(Duration::from_secs(5)));
    let took = stop.elapsed();
    // ~100 ms is the aim; the margin is for a loaded machine.
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
    let refused = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1));
    assert!(refused.is_err(), "the port is closed");
}

/// The lesson's predict questions grade on what this demo measures, and
/// the answer the lesson teaches is the one that holds.
#[test]
fn the_lesson_predictions_hold() {
    use crate::quiz::{Response, grade};
    // Choices count from 0: the second, then the first.
    for (id, right) in [("predict-flags-time", 1), ("predict-flags-errors", 0)] {
        let (q, params) = crate::demo::shipped_question("semaphores", id);
        let view = run(params);
        let g = grade(&q, &Response::Predict(right), Some(&view));
        assert!(g.correct, "{id}: {:?}", g.measured);
        assert_eq!(g.holding, vec![right], "{id}: {:?}", g.measured);
    }
}
