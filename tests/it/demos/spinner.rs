//! The spinner demo measures what the lesson says it does.

use concur::demo::{LaneState, Params};

use crate::support::run_headless;

#[test]
fn both_lanes_get_42_and_spin_while_the_slow_call_runs() {
    let out = run_headless("spinner", Params::new());
    assert!(out.completed, "the demo ends on its own");
    assert!(out.clean_stop);
    for lane in ["thread", "coroutine"] {
        let l = out.view.lane(lane).unwrap();
        assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
        assert_eq!(l.metric("answer"), Some(42.0));
        assert_eq!(l.status.as_ref().map(|s| s.en.as_str()), Some("Answer: 42"));
        assert_eq!(l.status.as_ref().map(|s| s.zh.as_str()), Some("答案：42"));
        // 3 s at one frame per 100 ms: about 30 frames; a loaded machine may
        // lose a few, never gain many.
        let ticks = l.metric("ticks").unwrap();
        assert!((20.0..=35.0).contains(&ticks), "{lane}: {ticks} ticks");
        let elapsed = l.metric("elapsed_ms").unwrap();
        assert!((2900.0..6000.0).contains(&elapsed), "{lane}: {elapsed} ms");
        let jitter = l.metric("jitter_p99_ms").unwrap();
        assert!(jitter < 500.0, "{lane}: frames {jitter} ms late");
    }
    let co = out.view.lane("coroutine").unwrap();
    assert!(co.metric("max_lag_ms").unwrap() < 500.0);
    assert_eq!(co.metric("cleanup_ran"), Some(1.0));
    assert!(co.log.iter().any(|l| l.en.contains("cleanup ran")));
    assert!(
        out.view
            .lane("thread")
            .unwrap()
            .log
            .iter()
            .any(|l| l.en.contains("stop flag"))
    );
}

#[test]
fn a_shorter_call_makes_fewer_frames() {
    let out = run_headless("spinner", Params::new().with("call_ms", "500"));
    for lane in &out.view.lanes {
        let ticks = lane.metric("ticks").unwrap();
        assert!((3.0..=7.0).contains(&ticks), "{}: {ticks}", lane.name());
    }
}
