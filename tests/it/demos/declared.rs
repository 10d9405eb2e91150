//! Every demo reports exactly the metrics it declares: `concur check`
//! validates quiz conditions against the declarations, and the lane table
//! shows them, so a metric declared but never reported (or reported but
//! never declared) is a quiz that cannot be graded or a figure nobody sees.

use std::collections::BTreeSet;

use concur::demo::{self, LaneState, Params};

use crate::support::{note, run_headless};

/// Small, fast parameters per demo (each run is well under 2 s), and the
/// variants whose lanes take a different path to their end.
const RUNS: &[(&str, &[(&str, &str)])] = &[
    ("spinner", &[("call_ms", "300"), ("frame_ms", "50")]),
    (
        "parallel",
        &[
            ("workload", "cpu"),
            ("jobs", "4"),
            ("chunks", "2"),
            ("chunk_ms", "10"),
        ],
    ),
    (
        "parallel",
        &[
            ("workload", "io"),
            ("jobs", "4"),
            ("chunks", "2"),
            ("chunk_ms", "10"),
        ],
    ),
    ("file-io", &[("file_mb", "2"), ("files", "1")]),
    ("callbacks", &[]),
    ("callbacks", &[("fail_step", "2")]),
    (
        "callbacks",
        &[
            ("fail_step", "2"),
            ("forget_check", "crash"),
            ("timeout_ms", "300"),
        ],
    ),
    (
        "callbacks",
        &[
            ("fail_step", "2"),
            ("forget_check", "silent"),
            ("timeout_ms", "300"),
        ],
    ),
    (
        "io-models",
        &[("clients", "2"), ("requests", "5"), ("think_ms", "2")],
    ),
    (
        "futures",
        &[("durations", "[80, 30, 120, 50]"), ("timeout_ms", "60")],
    ),
    ("executor", &[("step_ms", "10")]),
    ("race", &[("withdrawals", "500"), ("gap_ns", "200")]),
    ("taskgroup", &[("durations", "[80, 30, 100, 20, 60]")]),
    (
        "taskgroup",
        &[("durations", "[80, 30, 100, 20, 60]"), ("fail_job", "3")],
    ),
    (
        "runtimes",
        &[("hog_ms", "50"), ("rounds", "1000"), ("items", "300")],
    ),
    (
        "runtimes",
        &[
            ("hog_ms", "50"),
            ("rounds", "200"),
            ("items", "300"),
            ("await_inside", "true"),
        ],
    ),
    (
        "flags",
        &[("count", "6"), ("latency_ms", "50"), ("limit", "3")],
    ),
    (
        "flags",
        &[("count", "10"), ("latency_ms", "20"), ("error_rate", "0.2")],
    ),
    (
        "charfinder",
        &[("levels", "[3]"), ("hold_ms", "200"), ("think_ms", "50")],
    ),
];

#[test]
fn every_demo_reports_what_it_declares() {
    let ids: BTreeSet<&str> = demo::all().iter().map(|d| d.info().id).collect();
    let covered: BTreeSet<&str> = RUNS.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        covered, ids,
        "give every demo (and only those) a row in RUNS"
    );
    // A misspelt parameter is refused (the demo checks names and values).
    for (id, params) in RUNS {
        let p = params.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
        if let Err(e) = demo::find(id).unwrap().check(&p) {
            panic!("{id} {params:?}: {e}");
        }
    }

    // The runs only wait on timers or burn a little CPU: all at once, they
    // take about as long as the slowest (callbacks, ~1.4 s).
    let problems: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = RUNS
            .iter()
            .map(|(id, params)| {
                s.spawn(move || {
                    let p = params.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
                    (*id, *params, run_headless(id, p))
                })
            })
            .collect();
        runs.into_iter()
            .flat_map(|r| {
                let (id, params, out) = r.join().expect("a demo run panicked");
                what_differs(id, params, &out)
            })
            .collect()
    });
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Each way a run's lanes differ from their declarations, as a line.
fn what_differs(id: &str, params: &[(&str, &str)], out: &demo::Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let run = format!("{id} {params:?}");
    if !out.completed {
        problems.push(format!("{run}: did not finish in time"));
    }
    for (lane, info) in out.view.lanes.iter().zip(out.view.info.lanes) {
        let name = info.name;
        // Python lanes need a Python 3.11+; without one they fail, saying why.
        if info.is_python()
            && let Err(u) = demo::python::availability()
        {
            note(&format!("{run}: {name} not checked: {}", u.message()));
            continue;
        }
        if lane.state != LaneState::Done {
            problems.push(format!(
                "{run}: {name} ended {:?}: {:?}",
                lane.state, lane.error
            ));
            continue;
        }
        let reported: BTreeSet<&str> = lane.metrics.iter().map(|m| m.name).collect();
        let declared: BTreeSet<&str> = info.metrics.iter().map(|m| m.name).collect();
        // Each figure carries the unit its lane declares for it.
        for m in &lane.metrics {
            if let Some(d) = info.metric(m.name)
                && d.unit != m.unit
            {
                problems.push(format!(
                    "{run}: {name}.{} has unit {:?}, declared {:?}",
                    m.name, m.unit, d.unit
                ));
            }
        }
        // A machine that refuses io_uring (seccomp, an old kernel) gets only
        // `available = 0`: the lane cannot measure the rest, and says so.
        if id == "io-models" && name == "io-uring" && lane.metric("available") == Some(0.0) {
            note(&format!(
                "{run}: io_uring is not available here, so its lane reports only `available`"
            ));
            if reported != BTreeSet::from(["available"]) {
                problems.push(format!(
                    "{run}: {name} without io_uring reported {reported:?}"
                ));
            }
            continue;
        }
        let missing: Vec<_> = declared.difference(&reported).collect();
        let extra: Vec<_> = reported.difference(&declared).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{run}: {name} declares but never reported {missing:?}"
            ));
        }
        if !extra.is_empty() {
            problems.push(format!("{run}: {name} reported undeclared {extra:?}"));
        }
    }
    problems
}

/// Two parameter sets per demo and a figure that must differ between them:
/// the figures are measured in the run, not written into the demo. (Each
/// pair is chosen so the difference is far outside any machine's noise.)
/// `(demo, parameters A, parameters B, lane, metric)`.
type Follows = (&'static str, Set, Set, &'static str, &'static str);
type Set = &'static [(&'static str, &'static str)];

const FOLLOWS: &[Follows] = &[
    (
        "spinner",
        &[("call_ms", "200"), ("frame_ms", "50")],
        &[("call_ms", "600"), ("frame_ms", "50")],
        "thread",
        "ticks",
    ),
    (
        "parallel",
        &[
            ("workload", "io"),
            ("jobs", "2"),
            ("chunks", "2"),
            ("chunk_ms", "20"),
        ],
        &[
            ("workload", "io"),
            ("jobs", "6"),
            ("chunks", "2"),
            ("chunk_ms", "20"),
        ],
        "event-loop",
        "work_ms",
    ),
    (
        "file-io",
        &[("file_mb", "1"), ("files", "1")],
        &[("file_mb", "3"), ("files", "1")],
        "executor",
        "bytes_written",
    ),
    (
        "callbacks",
        &[("fail_step", "1")],
        &[("fail_step", "3")],
        "callbacks",
        "steps_run",
    ),
    (
        "io-models",
        &[("clients", "2"), ("requests", "5"), ("think_ms", "2")],
        &[("clients", "3"), ("requests", "5"), ("think_ms", "2")],
        "epoll",
        "requests",
    ),
    (
        "futures",
        &[("durations", "[80, 30, 120, 50]"), ("timeout_ms", "60")],
        &[("durations", "[80, 150, 120, 90]"), ("timeout_ms", "60")],
        "completion-order",
        "first_result_ms",
    ),
    (
        "race",
        &[("workers", "2"), ("withdrawals", "500"), ("gap_ns", "200")],
        &[("workers", "4"), ("withdrawals", "500"), ("gap_ns", "200")],
        "threads-mutex",
        "final",
    ),
    (
        "taskgroup",
        &[("durations", "[80, 30, 100, 20, 60]"), ("fail_job", "2")],
        &[("durations", "[80, 30, 100, 20, 60]"), ("fail_job", "3")],
        "taskgroup",
        "first_error_ms",
    ),
    (
        "runtimes",
        &[
            ("hog_ms", "50"),
            ("rounds", "200"),
            ("items", "300"),
            ("tasks", "4"),
        ],
        &[
            ("hog_ms", "50"),
            ("rounds", "200"),
            ("items", "300"),
            ("tasks", "8"),
        ],
        "local-set",
        "counter_expected",
    ),
    (
        "flags",
        &[("count", "4"), ("latency_ms", "20")],
        &[("count", "6"), ("latency_ms", "20")],
        "async",
        "ok",
    ),
    (
        "charfinder",
        &[("levels", "[3]"), ("hold_ms", "200"), ("think_ms", "50")],
        &[("levels", "[5]"), ("hold_ms", "200"), ("think_ms", "50")],
        "event-loop",
        "clients",
    ),
];

#[test]
fn each_demo_s_figures_follow_its_parameters() {
    // The executor's steps are the same every run by design (its own
    // virtual clock); every other demo must answer to its parameters.
    let covered: BTreeSet<&str> = FOLLOWS.iter().map(|r| r.0).collect();
    for d in demo::all() {
        let id = d.info().id;
        assert!(
            covered.contains(id) || id == "executor",
            "give `{id}` a row in FOLLOWS"
        );
    }
    let params = |set: &[(&str, &str)]| set.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
    let problems: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = FOLLOWS
            .iter()
            .map(|(id, a, b, lane, metric)| {
                s.spawn(move || {
                    let fa = crate::support::fig(&run_headless(id, params(a)), lane, metric);
                    let fb = crate::support::fig(&run_headless(id, params(b)), lane, metric);
                    (fa != fb).then_some(()).ok_or(format!(
                        "{id}: {lane}.{metric} is {fa} for {a:?} and for {b:?}"
                    ))
                })
            })
            .collect();
        runs.into_iter()
            .filter_map(|r| r.join().expect("a demo run panicked").err())
            .collect()
    });
    assert!(problems.is_empty(), "{problems:#?}");
}
