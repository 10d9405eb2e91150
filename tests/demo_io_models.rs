//! The `io-models` demo measures what the lesson says about each model.

use concur::demo::{self, HeadlessOptions, LaneState, Outcome, Params};

const K: u64 = 4;

fn run() -> Outcome {
    demo::run_headless(
        demo::find("io-models").unwrap(),
        Params::new()
            .with("clients", &K.to_string())
            .with("requests", "20")
            .with("think_ms", "5"),
        HeadlessOptions {
            seconds: Some(120.0),
            scale: 1.0,
        },
        |_, _| {},
    )
}

#[test]
fn the_five_models_measured() {
    let out = run();
    assert!(out.completed && out.clean_stop);
    let fig = |lane: &str, m: &str| {
        let l = out.view.lane(lane).unwrap();
        assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
        l.metric(m).unwrap_or_else(|| panic!("{lane}.{m} missing"))
    };
    let requests = (K * 20) as f64;

    // Every available model answered everything, byte for byte.
    for lane in ["blocking", "nonblocking", "epoll", "signal"] {
        assert_eq!(fig(lane, "checksum_ok"), 1.0, "{lane}");
        assert!(fig(lane, "requests") >= requests, "{lane}");
    }
    if fig("io-uring", "available") == 1.0 {
        assert_eq!(fig("io-uring", "checksum_ok"), 1.0);
        assert!(fig("io-uring", "completions") > 0.0);
    }

    // Blocking: a thread per connection.
    assert!(fig("blocking", "threads") >= K as f64);

    // Polling: at least 10 wasted calls per useful read, and far more CPU.
    let useful = fig("nonblocking", "requests");
    assert!(fig("nonblocking", "wasted_calls") >= 10.0 * useful);
    let (poll_cpu, epoll_cpu) = (fig("nonblocking", "cpu_ms"), fig("epoll", "cpu_ms"));
    assert!(
        poll_cpu > 3.0 * epoll_cpu,
        "polling {poll_cpu} ms vs epoll {epoll_cpu} ms of CPU"
    );

    // epoll: one thread, under 5% of its calls wasted.
    assert_eq!(fig("epoll", "threads"), 1.0);
    let waste = fig("epoll", "wasted_calls") / fig("epoll", "syscalls");
    assert!(
        waste < 0.05,
        "epoll wasted {:.1}% of its calls",
        waste * 100.0
    );

    // Signal-driven: woken by SIGIO.
    assert!(fig("signal", "sigio") >= 1.0);

    // The log is a live system-call trace.
    let log = &out.view.lane("nonblocking").unwrap().log;
    assert!(log.iter().any(|l| l.contains(") = -1 EAGAIN")), "{log:?}");
    let log = &out.view.lane("epoll").unwrap().log;
    assert!(log.iter().any(|l| l.starts_with("epoll_wait(")), "{log:?}");
}
