//! The `io-models` demo measures what the lesson says about each model.

use concur::demo::Params;

use crate::support::{fig, run_headless};

const K: u64 = 4;

#[test]
fn the_five_models_measured() {
    let out = run_headless(
        "io-models",
        Params::new()
            .with("clients", &K.to_string())
            .with("requests", "20")
            .with("think_ms", "5"),
    );
    assert!(out.completed && out.clean_stop);
    let requests = (K * 20) as f64;

    // Every available model answered everything, byte for byte.
    for lane in ["blocking", "nonblocking", "epoll", "signal"] {
        assert_eq!(fig(&out, lane, "checksum_ok"), 1.0, "{lane}");
        assert!(fig(&out, lane, "requests") >= requests, "{lane}");
    }
    if fig(&out, "io-uring", "available") == 1.0 {
        assert_eq!(fig(&out, "io-uring", "checksum_ok"), 1.0);
        assert!(fig(&out, "io-uring", "completions") > 0.0);
    }

    // Blocking: a thread per connection.
    assert!(fig(&out, "blocking", "threads") >= K as f64);

    // Polling: at least 10 wasted calls per useful read, and far more CPU.
    let useful = fig(&out, "nonblocking", "requests");
    assert!(fig(&out, "nonblocking", "wasted_calls") >= 10.0 * useful);
    let (poll_cpu, epoll_cpu) = (
        fig(&out, "nonblocking", "cpu_ms"),
        fig(&out, "epoll", "cpu_ms"),
    );
    assert!(
        poll_cpu > 3.0 * epoll_cpu,
        "polling {poll_cpu} ms vs epoll {epoll_cpu} ms of CPU"
    );

    // epoll: one thread, under 5% of its calls wasted.
    assert_eq!(fig(&out, "epoll", "threads"), 1.0);
    let waste = fig(&out, "epoll", "wasted_calls") / fig(&out, "epoll", "syscalls");
    assert!(
        waste < 0.05,
        "epoll wasted {:.1}% of its calls",
        waste * 100.0
    );

    // Signal-driven: woken by SIGIO.
    assert!(fig(&out, "signal", "sigio") >= 1.0);

    // The log is a live system-call trace.
    let log = &out.view.lane("nonblocking").unwrap().log;
    assert!(
        log.iter().any(|l| l.en.contains(") = -1 EAGAIN")),
        "{log:?}"
    );
    let log = &out.view.lane("epoll").unwrap().log;
    assert!(
        log.iter().any(|l| l.en.starts_with("epoll_wait(")),
        "{log:?}"
    );
}
