//! The `callbacks` demo: where an error goes in each style.

use concur::demo::{self, Outcome, Params};

use crate::support::{fig, run_headless};

fn run(params: Params) -> Outcome {
    run_headless("callbacks", params)
}

#[test]
fn without_a_failure_both_styles_finish_all_three_steps() {
    let out = run(Params::new());
    for lane in ["callbacks", "async"] {
        assert_eq!(fig(&out, lane, "completed"), 1.0);
        assert_eq!(fig(&out, lane, "steps_run"), 3.0);
        assert_eq!(fig(&out, lane, "saved"), 1.0);
        assert_eq!(fig(&out, lane, "error_reported"), 0.0);
        // Three real waits of 400 + 600 + 400 ms.
        assert!(fig(&out, lane, "elapsed_ms") >= 1300.0);
    }
}

#[test]
fn a_failure_in_step_two_carries_context_only_in_the_async_lane() {
    let out = run(Params::new().with("fail_step", "2"));
    assert_eq!(fig(&out, "async", "error_reported"), 1.0);
    let depth = fig(&out, "async", "error_context_depth");
    assert!(
        depth >= 2.0,
        "the async error has its context chain: {depth}"
    );
    let async_lane = out.view.lane("async").unwrap();
    assert!(
        async_lane
            .log
            .iter()
            .any(|l| l.en.contains("caused by: fetching flags.csv"))
    );
    assert!(async_lane.log.iter().any(|l| l.en.contains("HTTP 503")));
    // The callback lane gets the error too, as a bare value: where it
    // reports it, nothing says which file was being fetched.
    assert_eq!(fig(&out, "callbacks", "error_reported"), 1.0);
    let cb = out.view.lane("callbacks").unwrap();
    let said: Vec<&String> = cb.log.iter().chain(&cb.status).map(|l| &l.en).collect();
    let reports: Vec<&&String> = said.iter().filter(|l| l.contains("HTTP 503")).collect();
    assert!(!reports.is_empty(), "{said:?}");
    assert!(
        reports.iter().all(|l| !l.contains("flags.csv")),
        "{reports:?}"
    );
    assert!(!said.iter().any(|l| l.contains("caused by")), "{said:?}");
    for lane in ["callbacks", "async"] {
        assert_eq!(
            fig(&out, lane, "steps_run"),
            2.0,
            "{lane} stops after step 2"
        );
        assert_eq!(fig(&out, lane, "saved"), 0.0);
    }
}

#[test]
fn a_forgotten_check_loses_the_error_and_the_job_hangs() {
    for (variant, lost) in [("crash", 1.0), ("silent", 0.0)] {
        let out = run(Params::new()
            .with("fail_step", "2")
            .with("forget_check", variant)
            .with("timeout_ms", "1500"));
        // Nothing saved, no error reached done(), and the caller waited
        // for a done() that never came.
        assert_eq!(fig(&out, "callbacks", "completed"), 0.0, "{variant}");
        assert_eq!(fig(&out, "callbacks", "saved"), 0.0, "{variant}");
        assert_eq!(fig(&out, "callbacks", "error_reported"), 0.0, "{variant}");
        assert_eq!(fig(&out, "callbacks", "timed_out"), 1.0, "{variant}");
        // The crash reached only the loop's exception handler, which logged it.
        assert_eq!(fig(&out, "callbacks", "lost_exceptions"), lost, "{variant}");
        let cb = out.view.lane("callbacks").unwrap();
        let logged = cb
            .log
            .iter()
            .any(|l| l.en.contains("exception in callback"));
        assert_eq!(logged, variant == "crash", "{variant}: {:?}", cb.log);
        // The demo gave up at the timeout, not before.
        assert!(fig(&out, "callbacks", "elapsed_ms") >= 1400.0, "{variant}");
        // `?` cannot forget: the async lane still reports it.
        assert_eq!(fig(&out, "async", "error_reported"), 1.0);
    }
}

#[test]
fn error_context_depth_is_measured_from_the_error_chain() {
    let out = run(Params::new().with("fail_step", "2"));
    // The bare callback error carries one message; the async error carries
    // the job's, the step's and the cause's (`.context()`, not `?`).
    assert_eq!(fig(&out, "callbacks", "error_context_depth"), 1.0);
    assert_eq!(fig(&out, "async", "error_context_depth"), 3.0);
    // Without a failure nothing reaches anyone: depth 0 in both.
    let clean = run(Params::new());
    for lane in ["callbacks", "async"] {
        assert_eq!(fig(&clean, lane, "error_context_depth"), 0.0);
    }
}

#[test]
fn the_code_pane_follows_the_running_line() {
    let out = run(Params::new().with("fail_step", "2"));
    let info = demo::find("callbacks").unwrap().info();
    let cb = out.view.lane("callbacks").unwrap();
    let line = cb.code_line.expect("the callback lane reported lines");
    let code: Vec<&str> = info.lanes[0].code.lines().collect();
    assert!(
        code[line].contains("Err(e) => return done"),
        "ended on {:?}",
        code[line]
    );
    let a = out.view.lane("async").unwrap();
    let code: Vec<&str> = info.lanes[1].code.lines().collect();
    assert!(code[a.code_line.unwrap()].contains(".fetch_data("));
    assert!(cb.knows.iter().any(|(k, _)| k.en == "carried by hand"));
    assert!(a.knows.iter().any(|(k, _)| k.en == "local config"));
}
