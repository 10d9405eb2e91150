//! The `file-io` demo: blocking calls on the loop show up as loop lag; the
//! same calls on the executor do not.

use concur::demo::{self, HeadlessOptions, LaneState, Params};

#[test]
fn blocking_calls_lag_the_loop_and_the_executor_keeps_it_free() {
    let out = demo::run_headless(
        demo::find("file-io").unwrap(),
        Params::new().with("file_mb", "256").with("files", "1"),
        HeadlessOptions {
            seconds: Some(120.0),
            scale: 1.0,
        },
        |_, _| {},
    );
    assert!(out.completed && out.clean_stop);
    let fig = |lane: &str, m: &str| {
        let l = out.view.lane(lane).unwrap();
        assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
        l.metric(m).unwrap_or_else(|| panic!("{lane}.{m}"))
    };
    let blocked_call = fig("blocking", "longest_call_ms");
    let blocked_lag = fig("blocking", "max_lag_ms");
    assert!(
        blocked_lag >= 0.5 * blocked_call,
        "a blocked loop lags by the call: lag {blocked_lag} for a {blocked_call} ms call"
    );
    let free_call = fig("executor", "longest_call_ms");
    let free_lag = fig("executor", "max_lag_ms");
    assert!(
        free_lag < 0.1 * free_call,
        "spawn_blocking keeps the loop free: lag {free_lag} for a {free_call} ms call"
    );
    // The frozen spinner missed frames; the free one did not miss many.
    assert!(fig("blocking", "spinner_ticks") < fig("blocking", "expected_ticks"));
    assert!(fig("executor", "spinner_ticks") >= 0.8 * fig("executor", "expected_ticks"));
    assert_eq!(fig("blocking", "bytes_written"), (256u64 << 20) as f64);
    if cfg!(target_os = "linux") {
        assert_eq!(
            fig("blocking", "epoll_file_eperm"),
            1.0,
            "epoll refuses regular files"
        );
    }
}
