//! The `futures` demo: start order vs completion order, timeout, cancel.

use concur::demo::Params;

use crate::support::{fig, run_headless};

#[test]
fn results_in_start_order_and_as_they_finish_then_timeout_and_cancel() {
    let out = run_headless(
        "futures",
        Params::new()
            .with("durations", "[800, 300, 1200, 500, 200, 1000, 700, 400]")
            .with("timeout_ms", "600"),
    );
    assert!(out.completed && out.clean_stop);
    // Completion order: the first result comes with the shortest job (200 ms).
    let c_first = fig(&out, "completion-order", "first_result_ms");
    assert!(
        (190.0..550.0).contains(&c_first),
        "completion-order first at {c_first} ms"
    );
    assert_eq!(fig(&out, "completion-order", "in_order"), 0.0);
    // Start order: the first result waits for the first job (800 ms).
    let s_first = fig(&out, "submission-order", "first_result_ms");
    assert!(
        (790.0..1300.0).contains(&s_first),
        "submission-order first at {s_first} ms"
    );
    assert_eq!(fig(&out, "submission-order", "in_order"), 1.0);
    for lane in ["submission-order", "completion-order"] {
        // All done when the longest (1200 ms) is.
        let all = fig(&out, lane, "all_done_ms");
        assert!((1190.0..2000.0).contains(&all), "{lane}: all at {all} ms");
        // 600 ms: the 200, 300, 400 and 500 ms jobs are done, four pending.
        assert_eq!(fig(&out, lane, "done_at_timeout"), 4.0, "{lane}");
        assert_eq!(fig(&out, lane, "pending_at_timeout"), 4.0, "{lane}");
        assert_eq!(fig(&out, lane, "cancelled"), 1.0, "{lane}");
        assert_eq!(fig(&out, lane, "cleanup_ran"), 1.0, "{lane}");
        let l = out.view.lane(lane).unwrap();
        assert!(
            l.log
                .iter()
                .any(|x| x.en.contains("try_recv() before it is done → Empty"))
        );
    }
}
