//! The `parallel` demo: concurrency vs parallelism, seen in the spans each
//! lane draws on the timeline (demo time, per OS thread).
//!
//! The tests assert structure, which holds however busy the machine is: one
//! loop never runs two pieces at once, rayon's workers do. How much faster
//! that makes the work depends on free cores, so the speedup figures are
//! benchmarks (`bench_*`, `#[ignore]`d): `cargo test bench_ -- --ignored`.

use std::collections::BTreeSet;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
use concur::demo::{Outcome, Params, Span};

use crate::support::{fig, run_headless};

fn run(workload: &str) -> Outcome {
    let out = run_headless(
        "parallel",
        Params::new()
            .with("workload", workload)
            .with("chunk_ms", "40"),
    );
    assert!(out.completed && out.clean_stop);
    out
}

/// The jobs the demo runs by default: two per core, at least four.
fn jobs() -> usize {
    (2 * cores()).max(4)
}

fn spans<'a>(out: &'a Outcome, lane: &str) -> Vec<&'a Span> {
    out.view.lane(lane).unwrap().spans.iter().collect()
}

fn threads(spans: &[&Span]) -> BTreeSet<String> {
    spans.iter().map(|s| s.thread.clone()).collect()
}

/// The most spans running at one instant. A span that ends exactly when
/// another starts does not overlap it.
fn most_at_once(spans: &[&Span]) -> usize {
    let mut edges: Vec<_> = spans
        .iter()
        .flat_map(|s| [(s.start, 1i32), (s.end, -1)])
        .collect();
    // At the same instant, ends before starts.
    edges.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most as usize
}

/// Two spans from different threads that overlap in time, if any.
fn overlap_across_threads<'a>(spans: &[&'a Span]) -> Option<(&'a Span, &'a Span)> {
    spans.iter().enumerate().find_map(|(i, a)| {
        spans[i + 1..]
            .iter()
            .find(|b| a.thread != b.thread && a.start < b.end && b.start < a.end)
            .map(|b| (*a, *b))
    })
}

#[test]
fn cpu_pieces_take_turns_on_the_loop_and_run_at_once_on_rayon() {
    let out = run("cpu");
    let pieces = jobs() * 5;

    // The loop: every piece on its one thread, one piece at a time.
    let lp = spans(&out, "event-loop");
    assert_eq!(lp.len(), pieces, "a span per piece");
    assert_eq!(threads(&lp).len(), 1, "{:?}", threads(&lp));
    assert_eq!(fig(&out, "event-loop", "threads"), 1.0);
    assert_eq!(most_at_once(&lp), 1, "the loop ran two pieces at once");

    // rayon: every piece on a worker, never more at once than workers,
    // and, given two cores, pieces on different workers at the same time.
    let ry = spans(&out, "rayon");
    assert_eq!(ry.len(), pieces, "a span per piece");
    assert!(
        most_at_once(&ry) <= cores(),
        "more pieces at once than workers"
    );
    if cores() >= 2 {
        assert!(fig(&out, "rayon", "threads") >= 2.0);
        assert!(threads(&ry).len() >= 2, "{:?}", threads(&ry));
        assert!(
            overlap_across_threads(&ry).is_some(),
            "no two rayon workers computed at the same time: {ry:#?}"
        );
    }
    // Spans from every thread that ran a piece reach the timeline.
    let all: BTreeSet<String> = threads(&lp).union(&threads(&ry)).cloned().collect();
    assert!(
        all.len() as f64 >= 1.0 + fig(&out, "rayon", "threads"),
        "{all:?}"
    );
}

#[test]
fn io_waits_overlap_on_one_loop_and_hold_a_rayon_worker_each() {
    let out = run("io");
    // The loop: one thread, yet its waits overlap.
    let lp = spans(&out, "event-loop");
    assert_eq!(threads(&lp).len(), 1, "{:?}", threads(&lp));
    assert_eq!(fig(&out, "event-loop", "threads"), 1.0);
    assert!(
        most_at_once(&lp) >= 2,
        "the loop's waits did not overlap: {lp:#?}"
    );
    // A rayon worker that waits does nothing else: at most one wait per worker.
    let ry = spans(&out, "rayon");
    assert!(!ry.is_empty());
    assert!(
        most_at_once(&ry) <= cores(),
        "more waits at once than workers"
    );
    for t in threads(&ry) {
        let own: Vec<&Span> = ry.iter().copied().filter(|s| s.thread == t).collect();
        assert_eq!(most_at_once(&own), 1, "{t} waited twice at once");
    }
}

/// Benchmark: needs free cores, so it is not run by default.
#[test]
#[ignore = "benchmark: depends on free cores; run with --ignored"]
fn bench_cpu_speedup_on_rayon_not_on_one_loop() {
    let out = run("cpu");
    let loop_speedup = fig(&out, "event-loop", "speedup");
    let rayon_speedup = fig(&out, "rayon", "speedup");
    println!("cpu: event loop {loop_speedup:.2}x, rayon {rayon_speedup:.2}x");
    // One loop cannot run two computations at once.
    assert!(loop_speedup < 1.3, "event loop speedup {loop_speedup}");
    if cores() >= 2 {
        assert!(
            rayon_speedup >= 1.4 * loop_speedup,
            "rayon {rayon_speedup} vs event loop {loop_speedup}"
        );
    }
}

/// Benchmark: how much the overlapping waits gain.
#[test]
#[ignore = "benchmark: depends on timer precision under load; run with --ignored"]
fn bench_io_speedup_near_the_number_of_jobs_on_one_loop() {
    let out = run("io");
    let jobs = jobs() as f64;
    let loop_speedup = fig(&out, "event-loop", "speedup");
    let rayon_speedup = fig(&out, "rayon", "speedup");
    println!("io: event loop {loop_speedup:.2}x for {jobs} jobs, rayon {rayon_speedup:.2}x");
    // All jobs wait at once: the speedup approaches the number of jobs.
    assert!(
        loop_speedup >= 2.0,
        "event loop speedup {loop_speedup} for {jobs} jobs"
    );
    assert!(loop_speedup <= jobs + 0.5);
    // At most one wait per worker.
    assert!(
        rayon_speedup <= cores() as f64 + 0.5,
        "rayon {rayon_speedup}"
    );
}
