//! What the flags demo measures, checked on real runs with margins that
//! hold on a loaded 2-core machine.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::plan::Plan;
use super::*;
use crate::demo::python::tests::{child_pid, gone, one_at_a_time, python_here};
use crate::demo::{
    DemoRun, DemoView, HeadlessOptions, LaneView, Params, Watched, run_headless, sink,
};

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
    let failing = failing(20, 0.2);
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
        assert_eq!(logged_failures(lane), failing, "{n}");
    }
}

/// The flags that fail in a run of `count` with `error_rate` (default seed).
fn failing(count: u32, error_rate: f64) -> BTreeSet<String> {
    let plan = Plan::new(count, 0, error_rate, Downloads::default().seed, false);
    plan.codes
        .iter()
        .filter(|c| plan.status_of(c) != Some(200))
        .cloned()
        .collect()
}

/// The flags a lane logged as failed ("✗ fetching flag XX: cause...").
fn logged_failures(lane: &LaneView) -> BTreeSet<String> {
    lane.log
        .iter()
        .filter_map(|l| l.en.strip_prefix("✗ fetching flag "))
        .map(|rest| {
            let n = lane.name();
            assert!(rest.contains("404") || rest.contains("500"), "{n}: {rest}");
            rest[..2].to_string()
        })
        .collect()
}

/// The asyncio twin (a Semaphore, HTTP/1.1 on open_connection) and the
/// thread-pool twin (urllib) download from the same server: at most
/// `limit` in flight as the server sees it, near the same bound, every
/// failure counted as served and logged with its flag and its cause.
#[test]
fn the_python_twins_tell_the_same_story() {
    if !python_here("flags::the_python_twins_tell_the_same_story") {
        return;
    }
    let _py = one_at_a_time();
    let p = Params::new()
        .with("count", "12")
        .with("latency_ms", "150")
        .with("limit", "4")
        .with("error_rate", "0.25");
    let view = run(p);
    let failing = failing(12, 0.25);
    assert_eq!(failing.len(), 3);
    for (py, rust) in [("py-async", "async"), ("py-threads", "threads")] {
        let (a, b) = (view.lane(py).unwrap(), view.lane(rust).unwrap());
        assert_eq!(a.state, crate::demo::LaneState::Done, "{py}: {:?}", a.error);
        let same = [
            "ok",
            "errors_404",
            "errors_500",
            "errors_other",
            "served_404",
            "served_500",
            "bound_ms",
        ];
        for name in same {
            assert_eq!(fig(a, name), fig(b, name), "{py} vs {rust}: {name}");
        }
        assert_eq!(fig(a, "errors_404"), fig(a, "served_404"), "{py}");
        assert_eq!(fig(a, "errors_500"), fig(a, "served_500"), "{py}");
        assert_eq!(fig(a, "ok"), 9.0, "{py}");
        assert_eq!(fig(a, "bound_ms"), 3.0 * 150.0);
        // Nobody beats the server's latency; a loaded machine may add, not double.
        let ratio = fig(a, "ratio");
        assert!((0.98..2.0).contains(&ratio), "{py}: ratio {ratio}");
        // As the server saw it: never above the limit, and really at once.
        let most = fig(a, "max_in_flight");
        assert!((2.0..=4.0).contains(&most), "{py}: {most}");
        assert_eq!(logged_failures(a), failing, "{py}");
        assert_eq!(a.progress, Some((12, 12)), "{py}");
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
    let python =
        python_here("flags::a_stop_ends_server_clients_and_threads_at_once (its Python part)");
    let mut view = DemoView::new(&INFO, p);
    view.reset(run.run);
    let addr = |v: &DemoView| {
        let log = &v.lane("sequential")?.log;
        let rest = log
            .iter()
            .find_map(|l| l.en.strip_prefix("server: http://"))?;
        rest.split('/').next()?.parse::<std::net::SocketAddr>().ok()
    };
    // The Python lanes are mid-request too: they have said where they GET.
    let asking = |v: &DemoView, name: &str| {
        v.lane(name)
            .is_some_and(|l| l.log.iter().any(|x| x.en.starts_with("each: GET")))
    };
    let ready = |v: &DemoView| {
        addr(v).is_some() && (!python || (asking(v, "py-async") && asking(v, "py-threads")))
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready(&view) && Instant::now() < deadline {
        if let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(50)) {
            view.apply(ev);
        }
    }
    let addr = addr(&view).expect("the address is logged");
    let pids: Vec<u32> = ["py-async", "py-threads"]
        .iter()
        .filter(|_| python)
        .map(|n| child_pid(view.lane(n).unwrap()).expect("the child's pid is logged"))
        .collect();
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
    for pid in pids {
        assert!(gone(pid), "the Python lane's process group {pid} is gone");
    }
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
