//! Slow motion: a demo at 0.25x makes a quarter of the frames in the same
//! wall time, and reports the same figures in its own (demo) time.

use concur::demo::{self, HeadlessOptions, Outcome, Params};

fn run(call_ms: u64, scale: f64, seconds: Option<f64>) -> Outcome {
    demo::run_headless(
        demo::find("spinner").unwrap(),
        Params::new().with("call_ms", &call_ms.to_string()),
        HeadlessOptions { seconds, scale },
        |_, _| {},
    )
    .expect("valid parameters")
}

/// Runs at full speed and at `slow` speed side by side: both runs mostly
/// sleep, so neither slows the other, and the test takes as long as the
/// longer run, not the two together.
fn full_and(slow: f64, call_ms: u64, seconds: Option<f64>) -> (Outcome, Outcome) {
    std::thread::scope(|s| {
        let full = s.spawn(|| run(call_ms, 1.0, seconds));
        let slow = run(call_ms, slow, seconds);
        (full.join().unwrap(), slow)
    })
}

/// Frames drawn by the thread lane (the last frame number + 1).
fn frames(out: &Outcome) -> f64 {
    out.view
        .lane("thread")
        .unwrap()
        .frame
        .map_or(0.0, |f| f as f64 + 1.0)
}

#[test]
fn a_quarter_speed_draws_a_quarter_of_the_frames_in_the_same_wall_time() {
    // The same 2 s of wall time, cut short by --seconds.
    let (full, slow) = full_and(0.25, 60_000, Some(2.0));
    let (f, s) = (frames(&full), frames(&slow));
    assert!((15.0..=25.0).contains(&f), "1x drew {f} frames in 2 s");
    // A quarter, with room for a loaded machine: 5 expected.
    assert!(
        (3.0..=8.0).contains(&s),
        "0.25x drew {s} frames in 2 s (1x: {f})"
    );
    assert!(slow.view.demo_time.as_secs_f64() < 0.4 * full.view.demo_time.as_secs_f64());
}

#[test]
fn figures_in_demo_time_match_the_full_speed_run() {
    let (full, slow) = full_and(0.25, 600, None);
    assert!(
        slow.wall.as_secs_f64() >= 2.0,
        "0.25x of 0.6 s takes 2.4 s of wall time"
    );
    for lane in ["thread", "coroutine"] {
        let get = |o: &Outcome, m: &str| o.view.lane(lane).unwrap().metric(m).unwrap();
        let (tf, ts) = (get(&full, "ticks"), get(&slow, "ticks"));
        assert!(
            (tf - ts).abs() <= 2.0,
            "{lane}: ticks {tf} at 1x vs {ts} at 0.25x"
        );
        let (ef, es) = (get(&full, "elapsed_ms"), get(&slow, "elapsed_ms"));
        assert!(
            (ef - es).abs() < 150.0,
            "{lane}: elapsed {ef} ms at 1x vs {es} ms at 0.25x"
        );
        assert_eq!(get(&slow, "answer"), 42.0);
    }
}
