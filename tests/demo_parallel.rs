//! The `parallel` demo measures concurrency vs parallelism for real.

use concur::demo::parallel::cores;
use concur::demo::{self, HeadlessOptions, LaneState, Params};

fn run(workload: &str) -> concur::demo::Outcome {
    demo::run_headless(
        demo::find("parallel").unwrap(),
        Params::new()
            .with("workload", workload)
            .with("chunk_ms", "40"),
        HeadlessOptions {
            seconds: Some(120.0),
            scale: 1.0,
        },
        |_, _| {},
    )
}

fn figure(out: &concur::demo::Outcome, lane: &str, metric: &str) -> f64 {
    let l = out.view.lane(lane).unwrap();
    assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
    l.metric(metric)
        .unwrap_or_else(|| panic!("{lane}.{metric} missing"))
}

#[test]
fn cpu_work_gets_faster_on_more_cores_not_on_one_loop() {
    let out = run("cpu");
    assert!(out.completed && out.clean_stop);
    let loop_speedup = figure(&out, "event-loop", "speedup");
    let rayon_speedup = figure(&out, "rayon", "speedup");
    assert_eq!(figure(&out, "event-loop", "threads"), 1.0);
    // One loop cannot run two computations at once.
    assert!(loop_speedup < 1.3, "event loop speedup {loop_speedup}");
    if cores() >= 2 {
        assert!(figure(&out, "rayon", "threads") >= 2.0);
        assert!(
            rayon_speedup >= 1.4 * loop_speedup,
            "rayon {rayon_speedup} vs event loop {loop_speedup}"
        );
    }
    // Spans from every thread that ran a piece reach the timeline.
    let threads: std::collections::BTreeSet<String> = out
        .view
        .lanes
        .iter()
        .flat_map(|l| l.spans.iter().map(|s| s.thread.clone()))
        .collect();
    assert!(
        threads.len() as f64 >= 1.0 + figure(&out, "rayon", "threads"),
        "{threads:?}"
    );
}

#[test]
fn io_waits_overlap_on_one_loop() {
    let out = run("io");
    let jobs = (2 * cores()).max(4) as f64;
    let loop_speedup = figure(&out, "event-loop", "speedup");
    // All jobs wait at once: the speedup approaches the number of jobs.
    assert!(
        loop_speedup >= 2.0,
        "event loop speedup {loop_speedup} for {jobs} jobs"
    );
    assert!(loop_speedup <= jobs + 0.5);
    // A rayon worker that waits does nothing else: at most one wait per worker.
    let rayon_speedup = figure(&out, "rayon", "speedup");
    assert!(
        rayon_speedup <= cores() as f64 + 0.5,
        "rayon {rayon_speedup}"
    );
}
