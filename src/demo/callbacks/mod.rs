//! `callbacks`: one three-step job written in callback style on a small
//! callback loop, and as one async fn on tokio, side by side; a failure can
//! be injected into a step to show where each style's error goes.

mod async_job;
mod callback_job;
mod cb_loop;
mod services;
mod trace;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::lane::{LaneResult, spawn_async_lane, spawn_lane};
use super::python::{PyLane, PyScript};
use super::{
    DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneInfo, MetricInfo, Unit, column,
    metric,
};
use crate::i18n::{LocalText, Text};
use crate::tr;
use cb_loop::Loop;
use services::{CbError, Io};
use trace::Trace;

const ID: &str = "callbacks";
const CALLBACK_METRICS: &[MetricInfo] = &[
    column("completed", Unit::Flag, "completed"),
    column("steps_run", Unit::Count, "steps"),
    metric("error_reported", Unit::Flag),
    column("error_context_depth", Unit::Count, "depth"),
    metric("elapsed_ms", Unit::Ms),
    metric("saved", Unit::Flag),
    column("lost_exceptions", Unit::Count, "lost"),
    column("timed_out", Unit::Flag, "timed out"),
];
const ASYNC_METRICS: &[MetricInfo] = &[
    column("completed", Unit::Flag, "completed"),
    column("steps_run", Unit::Count, "steps"),
    metric("error_reported", Unit::Flag),
    column("error_context_depth", Unit::Count, "depth"),
    metric("elapsed_ms", Unit::Ms),
    metric("saved", Unit::Flag),
];
/// What each lane shows: the very files that run.
const CALLBACK_CODE: &str = include_str!("callback_job.rs");
const ASYNC_CODE: &str = include_str!("async_job.rs");

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new("Callback chains vs async/await", "回调链与 async/await"),
    lanes: &[
        LaneInfo {
            name: "callbacks",
            title: Text::new(
                "callbacks: each step registers the next",
                "callbacks：每一步注册下一步",
            ),
            metrics: CALLBACK_METRICS,
            code: CALLBACK_CODE,
        },
        LaneInfo {
            name: "async",
            title: Text::new(
                "async: one coroutine, .await and ?",
                "async：一个协程，.await 和 ?",
            ),
            metrics: ASYNC_METRICS,
            code: ASYNC_CODE,
        },
        LaneInfo {
            name: "py-callbacks",
            title: Text::new(
                "py-callbacks: call_later callbacks, errors as values",
                "py-callbacks：call_later 回调，错误当作值传递",
            ),
            metrics: CALLBACK_METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-async",
            title: Text::new(
                "py-async: one coroutine, try/except and raise … from",
                "py-async：一个协程，try/except 和 raise … from",
            ),
            metrics: ASYNC_METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: Some(Text::new(
        "demo failure: step 2 fails → a callback forgets the check and crashes → forgets it silently → none",
        "演示故障：第 2 步失败 → 回调忘了检查并崩溃 → 悄悄忘了检查 → 无",
    )),
};

/// How step 2's callback treats an error it is handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Forget {
    /// It checks, as it should.
    #[default]
    No,
    /// It uses the value without checking: the callback raises (panics),
    /// the loop's handler logs it, and the job never finishes.
    Crash,
    /// It checks, then drops the error without a word.
    Silent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Failures {
    fail_step: u8,
    forget_check: Forget,
    timeout_ms: u64,
}

impl Default for Failures {
    fn default() -> Self {
        Failures {
            fail_step: 0,
            forget_check: Forget::No,
            timeout_ms: 2500,
        }
    }
}

impl Knobs for Failures {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "fail_step",
            Text::new(
                "make step 1, 2 or 3 fail (0: none)",
                "让第 1、2 或 3 步失败（0：不失败）",
            ),
        ),
        (
            "forget_check",
            Text::new(
                "step 2's callback: no | crash (uses the value unchecked) | silent (drops the error)",
                "第 2 步的回调：no | crash（不检查就用）| silent（悄悄丢掉错误）",
            ),
        ),
        (
            "timeout_ms",
            Text::new(
                "how long the callback lane waits for done() before giving up",
                "回调泳道等待 done() 多久后放弃（毫秒）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if self.fail_step > 3 {
            return Err("fail_step must be 0, 1, 2 or 3".into());
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            return Err("timeout_ms must be between 100 and 60000".into());
        }
        Ok(())
    }

    fn next_failure(&self) -> Option<Self> {
        let (fail_step, forget_check) = match (self.fail_step, self.forget_check) {
            (0, _) => (2, Forget::No),
            (_, Forget::No) => (2, Forget::Crash),
            (_, Forget::Crash) => (2, Forget::Silent),
            (_, Forget::Silent) => (0, Forget::No),
        };
        Some(Failures {
            fail_step,
            forget_check,
            ..self.clone()
        })
    }
}

/// The asyncio twins of both styles, with the same failure knobs.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../../assets/python/callbacks.py"),
    texts: &[
        (
            "fetch_config",
            Text::new(
                "fetch_config: request sent, callback registered; back to the loop",
                "fetch_config：请求已发出，回调已登记；回到循环",
            ),
        ),
        (
            "fetch_data",
            Text::new(
                "fetch_data: request sent; back to the loop",
                "fetch_data：请求已发出；回到循环",
            ),
        ),
        (
            "job_returned",
            Text::new(
                "job() returned; the loop runs the callbacks",
                "job() 已返回；循环开始运行回调",
            ),
        ),
        (
            "loop_exception",
            Text::new(
                "loop: exception in callback (logged, then ignored):",
                "loop：回调里出了异常（记一条日志，然后不管了）：",
            ),
        ),
        (
            "hung",
            Text::new(
                "done() never ran: the job hangs; gave up after {ms} ms",
                "done() 一直没有运行：任务挂住了；{ms} 毫秒后放弃",
            ),
        ),
        (
            "lost_in_log",
            Text::new(
                "  the exception only reached the loop's log, nobody waiting",
                "  异常只进了循环的日志，等结果的人什么也没收到",
            ),
        ),
        (
            "dropped_silently",
            Text::new(
                "  the error was dropped without a word",
                "  错误被悄无声息地丢掉了",
            ),
        ),
        (
            "hung_status",
            Text::new(
                "hung: nothing saved and no error",
                "挂住了：什么也没保存，也没有错误",
            ),
        ),
        (
            "await_config",
            Text::new("job: await fetch config", "job：await 读取配置"),
        ),
        (
            "await_data",
            Text::new(
                "job: await fetch data ({source})",
                "job：await 读取数据（{source}）",
            ),
        ),
        (
            "await_save",
            Text::new("job: await save report", "job：await 保存报告"),
        ),
        (
            "saved",
            Text::new(
                "saved the report: {bytes} bytes",
                "报告已保存：{bytes} 字节",
            ),
        ),
        (
            "error_value",
            Text::new(
                "done() got an error value: {error}",
                "done() 收到一个错误值：{error}",
            ),
        ),
        (
            "which_step",
            Text::new(
                "  which step? which file? the value does not say",
                "  哪一步？哪个文件？这个值什么也没说",
            ),
        ),
        (
            "error_status",
            Text::new(
                "error passed along as a value: {error}",
                "错误被当作值传了过来：{error}",
            ),
        ),
    ],
};

pub static DEMO: DemoDef<Failures> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, f: Failures) -> Vec<JoinHandle<()>> {
    let f2 = f.clone();
    // A hung callback job is silent until its timeout.
    let quiet = Duration::from_millis(f.timeout_ms + 2000);
    [
        PyLane::new(ID, "py-callbacks", &PY_SCRIPT, &f)
            .quiet(quiet)
            .spawn(ctx.lane(2)),
        PyLane::new(ID, "py-async", &PY_SCRIPT, &f)
            .quiet(quiet)
            .spawn(ctx.lane(3)),
        spawn_lane(ID, "callbacks", ctx.lane(0), move |lane| {
            callback_lane(lane, f)
        }),
        spawn_async_lane(ID, "async", ctx.lane(1), false, move |lane, _| {
            async_lane(lane, f2)
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What a lane found out, reported the same way by both.
struct Report {
    completed: bool,
    steps: u64,
    /// The messages in the error's chain (0: no error reached anyone).
    depth: usize,
    saved: bool,
}

fn report(lane: &LaneCtx, r: &Report, started: Duration) {
    lane.sink.flag("completed", r.completed);
    lane.sink.count("steps_run", r.steps);
    lane.sink.flag("error_reported", r.depth > 0);
    lane.sink.count("error_context_depth", r.depth as u64);
    lane.sink
        .ms("elapsed_ms", lane.clock.now().saturating_sub(started));
    lane.sink.flag("saved", r.saved);
}

/// How many messages an error carries: itself and its `source()` chain.
fn chain_len(e: &(dyn std::error::Error + 'static)) -> usize {
    1 + ErrorReport::from_error(e).chain.len()
}

fn callback_lane(lane: LaneCtx, f: Failures) -> LaneResult {
    let function = match f.forget_check {
        Forget::No => "job",
        Forget::Crash => "job_unchecked",
        Forget::Silent => "job_forgetful",
    };
    let started = lane.clock.now();
    let mut lp = Loop::new(
        lane.clone(),
        Trace::new(lane.clone(), CALLBACK_CODE, function, f.fail_step),
    );
    let outcome: Rc<RefCell<Option<Result<usize, CbError>>>> = Rc::default();
    let out = outcome.clone();
    let done: services::Done = Box::new(move |lp: &mut Loop, result| {
        match &result {
            Ok(_) => lp.trace.at("done(lp, saved)"),
            Err(_) => lp.trace.at("Err(e) => return done"),
        }
        *out.borrow_mut() = Some(result);
        // The job's caller was waiting for this: the loop may stop.
        lp.stop();
    });
    match f.forget_check {
        Forget::No => callback_job::job(&mut lp, done),
        Forget::Crash => callback_job::job_unchecked(&mut lp, done),
        Forget::Silent => callback_job::job_forgetful(&mut lp, done),
    }
    // Whoever started the job waits for done(), as `run_until_complete`
    // waits for a future: with no deadline that wait would never end.
    let timeout = Duration::from_millis(f.timeout_ms);
    let gave_up = Rc::new(RefCell::new(false));
    let g = gave_up.clone();
    lp.set_timeout(timeout, move |lp| {
        *g.borrow_mut() = true;
        lp.stop();
    });
    lane.sink.log(tr!(
        "job() returned; the loop runs the callbacks",
        "job() 已返回；循环开始运行回调"
    ));
    lp.run()?;
    let result = outcome.borrow_mut().take();
    let r = what_done_heard(&lane, &lp, result, &f);
    let timed_out = *gave_up.borrow();
    report(&lane, &r, started);
    lane.sink.count("lost_exceptions", lp.lost_exceptions);
    lane.sink.flag("timed_out", timed_out);
    Ok(())
}

/// What reached `done()` (a result, an error value, or nothing at all),
/// told in the lane and returned as the lane's report.
fn what_done_heard(
    lane: &LaneCtx,
    lp: &Loop,
    result: Option<Result<usize, CbError>>,
    f: &Failures,
) -> Report {
    let steps = lp.trace.steps;
    match result {
        Some(Ok(bytes)) => {
            lane.sink.status(tr!(
                "saved the report: {bytes} bytes",
                "报告已保存：{bytes} 字节"
            ));
            Report {
                completed: true,
                steps,
                depth: 0,
                saved: true,
            }
        }
        Some(Err(e)) => {
            lane.sink.log(tr!(
                "done() got an error value: {e}",
                "done() 收到一个错误值：{e}"
            ));
            lane.sink.log(tr!(
                "  which step? which file? the value does not say",
                "  哪一步？哪个文件？这个值什么也没说"
            ));
            lane.sink.status(tr!(
                "error passed along as a value: {e}",
                "错误被当作值传了过来：{e}"
            ));
            Report {
                completed: false,
                steps,
                depth: chain_len(&e),
                saved: false,
            }
        }
        None => {
            lp.trace.at(match f.forget_check {
                Forget::Silent => "// No `else`",
                _ => "data.unwrap()",
            });
            let ms = f.timeout_ms;
            lane.sink.log(tr!(
                "done() never ran: the job hangs; gave up after {ms} ms",
                "done() 一直没有运行：任务挂住了；{ms} 毫秒后放弃"
            ));
            lane.sink.log(if lp.lost_exceptions > 0 {
                tr!(
                    "  the exception only reached the loop's log, nobody waiting",
                    "  异常只进了循环的日志，等结果的人什么也没收到"
                )
            } else {
                tr!(
                    "  the error was dropped without a word",
                    "  错误被悄无声息地丢掉了"
                )
            });
            lane.sink.status(tr!(
                "hung: nothing saved and no error",
                "挂住了：什么也没保存，也没有错误"
            ));
            Report {
                completed: false,
                steps,
                depth: 0,
                saved: false,
            }
        }
    }
}

async fn async_lane(lane: LaneCtx, f: Failures) -> LaneResult {
    let started = lane.clock.now();
    let io = Io {
        trace: RefCell::new(Trace::new(lane.clone(), ASYNC_CODE, "job", f.fail_step)),
    };
    use anyhow::Context;
    let result = async_job::job(&io).await.context("making the daily report");
    let steps = io.trace.borrow().steps;
    let r = match result {
        Ok(bytes) => {
            io.trace.borrow().at("Ok(saved)");
            lane.sink.status(tr!(
                "saved the report: {bytes} bytes",
                "报告已保存：{bytes} 字节"
            ));
            Report {
                completed: true,
                steps,
                depth: 0,
                saved: true,
            }
        }
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            lane.sink
                .log(LocalText::same(format!("error: {}", chain[0])));
            for cause in &chain[1..] {
                lane.sink
                    .log(LocalText::same(format!("  caused by: {cause}")));
            }
            lane.sink
                .status(LocalText::same(format!("error: {}", chain.join(": "))));
            let depth = chain_len(AsRef::<dyn std::error::Error + 'static>::as_ref(&e));
            Report {
                completed: false,
                steps,
                depth,
                saved: false,
            }
        }
    };
    report(&lane, &r, started);
    Ok(())
}
