//! The `executor` demo: both executors poll each task once more than it
//! suspends.

use concur::demo::{LaneState, Params};

use crate::support::run_headless;

#[test]
fn polls_are_suspensions_plus_one_in_both_executors() {
    let out = run_headless("executor", Params::new());
    assert!(out.completed && out.clean_stop);
    for lane in ["by-hand", "tokio"] {
        let l = out.view.lane(lane).unwrap();
        assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
        let mut total = 0;
        for task in ["greeter", "sender", "ticker"] {
            let line = l
                .log
                .iter()
                .map(|x| &x.en)
                .find(|x| x.starts_with(&format!("{task}: ")) && x.contains("polls,"))
                .unwrap_or_else(|| panic!("{lane}: no count for {task}: {:?}", l.log));
            let nums: Vec<u64> = line
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|s| s.parse().ok())
                .collect();
            let (polls, suspensions) = (nums[0], nums[1]);
            assert_eq!(polls, suspensions + 1, "{lane}/{task}: {line}");
            total += polls;
        }
        assert_eq!(l.metric("polls"), Some(total as f64), "{lane}");
        assert_eq!(l.metric("tasks_done"), Some(3.0), "{lane}");
        assert_eq!(l.metric("timer_fires"), Some(3.0), "{lane}");
        // Every suspension ended with a wake (three timers, one socket).
        assert_eq!(l.metric("wakes"), Some(4.0), "{lane}");
    }
    let hand = out.view.lane("by-hand").unwrap();
    assert_eq!(hand.metric("steps"), Some(11.0));
    assert_eq!(
        hand.metric("elapsed_ms"),
        Some(400.0),
        "virtual time: the last timer"
    );
}
