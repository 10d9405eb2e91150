//! The `file-io` demo: blocking calls on the loop show up as loop lag; the
//! same calls on the executor do not.

use concur::demo::Params;

use crate::support::{fig, run_headless};

/// Small files, so the test measures where the call runs, not a disk other
/// programs share: a 32 MiB write + fsync + read back takes 0.5-1.2 s here
/// in a debug build (64 MiB already took 4-10 s, waiting on the disk).
const FILE_MB: u64 = 32;

#[test]
fn blocking_calls_lag_the_loop_and_the_executor_keeps_it_free() {
    let out = run_headless(
        "file-io",
        Params::new()
            .with("file_mb", &FILE_MB.to_string())
            .with("files", "1"),
    );
    assert!(out.completed && out.clean_stop);
    let blocked_call = fig(&out, "blocking", "longest_call_ms");
    let blocked_lag = fig(&out, "blocking", "max_lag_ms");
    assert!(
        blocked_lag >= 0.5 * blocked_call,
        "a blocked loop lags by the call: lag {blocked_lag} for a {blocked_call} ms call"
    );
    // A free loop lags only by scheduling noise, which on a loaded 2-core
    // machine reaches ~100 ms whatever the call: a quarter of the call
    // separates that from a blocked loop with room to spare.
    let free_call = fig(&out, "executor", "longest_call_ms");
    let free_lag = fig(&out, "executor", "max_lag_ms");
    assert!(
        free_lag < 0.25 * free_call,
        "spawn_blocking keeps the loop free: lag {free_lag} for a {free_call} ms call"
    );
    // The frozen spinner missed frames; the free one did not miss many.
    assert!(fig(&out, "blocking", "spinner_ticks") < fig(&out, "blocking", "expected_ticks"));
    assert!(
        fig(&out, "executor", "spinner_ticks") >= 0.8 * fig(&out, "executor", "expected_ticks")
    );
    assert_eq!(
        fig(&out, "blocking", "bytes_written"),
        (FILE_MB << 20) as f64
    );
    if cfg!(target_os = "linux") {
        assert_eq!(
            fig(&out, "blocking", "epoll_file_eperm"),
            1.0,
            "epoll refuses regular files"
        );
    }
}
