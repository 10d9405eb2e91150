//! `callbacks`: one three-step job written in callback style on a small
//! callback loop, and as one async fn on tokio, side by side; a failure can
//! be injected into a step to show where each style's error goes.

mod async_job;
mod callback_job;
pub mod cb_loop;
pub mod services;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::JoinHandle;

use super::lane::{LaneResult, spawn_async_lane, spawn_lane};
use super::{Demo, DemoCtx, DemoInfo, LaneCtx, LaneInfo, ParamInfo, Unit};
use cb_loop::Loop;
use services::{CbError, Io, Trace};

const ID: &str = "callbacks";
const METRICS: &[&str] = &[
    "completed",
    "steps_run",
    "error_reported",
    "error_context_depth",
    "elapsed_ms",
    "saved",
];
/// What each lane shows: the very files that run.
const CALLBACK_CODE: &str = include_str!("callback_job.rs");
const ASYNC_CODE: &str = include_str!("async_job.rs");

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: "Callback chains vs async/await",
    title_zh: "回调链与 async/await",
    lanes: &[
        LaneInfo {
            name: "callbacks",
            title: "callbacks: each step registers the next",
            title_zh: "callbacks：每一步注册下一步",
            metrics: METRICS,
            code: CALLBACK_CODE,
        },
        LaneInfo {
            name: "async",
            title: "async: one coroutine, .await and ?",
            title_zh: "async：一个协程，.await 和 ?",
            metrics: METRICS,
            code: ASYNC_CODE,
        },
    ],
    params: &[
        ParamInfo {
            name: "fail_step",
            help: "make step 1, 2 or 3 fail (0: none)",
            default: "0",
        },
        ParamInfo {
            name: "forget_check",
            help: "the callback of step 2 forgets to check for an error",
            default: "false",
        },
    ],
};

pub struct CallbacksDemo;

impl Demo for CallbacksDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        vec![
            spawn_lane(ID, "callbacks", ctx.lane(0), callback_lane),
            spawn_async_lane(ID, "async", ctx.lane(1), false, |lane, _| async_lane(lane)),
        ]
    }
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn report(
    lane: &LaneCtx,
    completed: bool,
    steps: u64,
    depth: usize,
    saved: bool,
    started: std::time::Duration,
) {
    lane.sink.metric("completed", flag(completed), Unit::Flag);
    lane.sink.count("steps_run", steps);
    lane.sink
        .metric("error_reported", flag(depth > 0), Unit::Flag);
    lane.sink.count("error_context_depth", depth as u64);
    lane.sink
        .ms("elapsed_ms", lane.clock.now().saturating_sub(started));
    lane.sink.metric("saved", flag(saved), Unit::Flag);
}

fn callback_lane(lane: LaneCtx) -> LaneResult {
    let forgetful = lane.params.bool_or("forget_check", false);
    let function = if forgetful { "job_forgetful" } else { "job" };
    let started = lane.clock.now();
    let mut lp = Loop::new(
        lane.clone(),
        Trace::new(lane.clone(), CALLBACK_CODE, function),
    );
    let outcome: Rc<RefCell<Option<Result<usize, CbError>>>> = Rc::default();
    let out = outcome.clone();
    let done: services::Done = Box::new(move |lp: &mut Loop, result| {
        match &result {
            Ok(_) => lp.trace.at("done(lp, saved)"),
            Err(_) => lp.trace.at("Err(e) => return done"),
        }
        *out.borrow_mut() = Some(result);
    });
    if forgetful {
        callback_job::job_forgetful(&mut lp, done);
    } else {
        callback_job::job(&mut lp, done);
    }
    lane.sink.log("job() returned; the loop runs the callbacks");
    lp.run()?;
    let steps = lp.trace.steps;
    let result = outcome.borrow_mut().take();
    match result {
        Some(Ok(bytes)) => {
            lane.sink.status(format!("saved the report: {bytes} bytes"));
            report(&lane, true, steps, 0, true, started);
        }
        Some(Err(e)) => {
            lane.sink.log(format!("done() got an error value: {e}"));
            lane.sink
                .log("  which step? which file? the value does not say");
            lane.sink
                .status(format!("error passed along as a value: {e}"));
            report(&lane, false, steps, 1, false, started);
        }
        None => {
            lp.trace.at("// No `else`");
            lane.sink.log("the loop ran out of callbacks: \"finished\"");
            lane.sink.log("done() never ran; the error was swallowed");
            lane.sink.status("finished, but nothing saved and no error");
            report(&lane, true, steps, 0, false, started);
        }
    }
    Ok(())
}

async fn async_lane(lane: LaneCtx) -> LaneResult {
    let started = lane.clock.now();
    let io = Io {
        trace: RefCell::new(Trace::new(lane.clone(), ASYNC_CODE, "job")),
    };
    use anyhow::Context;
    let result = async_job::job(&io).await.context("making the daily report");
    let steps = io.trace.borrow().steps;
    match result {
        Ok(bytes) => {
            io.trace.borrow().at("Ok(saved)");
            lane.sink.status(format!("saved the report: {bytes} bytes"));
            report(&lane, true, steps, 0, true, started);
        }
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            lane.sink.log(format!("error: {}", chain[0]));
            for cause in &chain[1..] {
                lane.sink.log(format!("  caused by: {cause}"));
            }
            lane.sink.status(format!("error: {}", chain.join(": ")));
            report(&lane, false, steps, chain.len(), false, started);
        }
    }
    Ok(())
}
