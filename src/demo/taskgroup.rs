//! `taskgroup`: several jobs of known durations, one of which fails when its
//! time is up. Three ways to wait for them: asyncio's `gather` (the caller
//! gets the error at once, the siblings are not cancelled and run on),
//! `join_all`/`join!` (nothing comes back until every job has ended) and a
//! `JoinSet` used as asyncio's `TaskGroup` (the first error cancels the
//! siblings, their cleanup runs, and only then does the error come out).
//!
//! Every lane is one current-thread event loop, its jobs real tasks on it
//! sleeping on real timers; a cancelled job's cleanup is a `Drop` that
//! really runs when its future is dropped at its `.await`.

use std::cell::Cell;
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use super::lane::{LaneResult, spawn_async_lane};
use super::python::{PyLane, PyScript};
use super::{
    DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneError, LaneInfo, MetricInfo, Unit,
    column,
};
use crate::i18n::Text;
use crate::tr;

const ID: &str = "taskgroup";
const METRICS: &[MetricInfo] = &[
    column("first_error_ms", Unit::Ms, "error at"),
    column("all_done_ms", Unit::Ms, "all ended"),
    column("siblings_cancelled", Unit::Count, "cancelled"),
    column("siblings_finished", Unit::Count, "finished"),
    column("cleanup_ran", Unit::Flag, "cleanup"),
];

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "One job fails: gather, join_all, TaskGroup",
        "一个任务失败：gather、join_all、TaskGroup",
    ),
    lanes: &[
        LaneInfo {
            name: "gather",
            title: Text::new(
                "gather: error at once, the rest run on",
                "gather：错误立刻到达，其余继续运行",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "taskgroup",
            title: Text::new(
                "taskgroup: JoinSet, the rest cancelled",
                "taskgroup：JoinSet，其余的被取消",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "join-all",
            title: Text::new(
                "join-all: join_all, error after all end",
                "join-all：join_all，全部结束才见错误",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-gather",
            title: Text::new(
                "py-gather: asyncio.gather, the rest run on",
                "py-gather：asyncio.gather，其余继续运行",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-taskgroup",
            title: Text::new(
                "py-taskgroup: asyncio.TaskGroup, the rest cancelled",
                "py-taskgroup：asyncio.TaskGroup，其余的被取消",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-return-exceptions",
            title: Text::new(
                "py-return-exceptions: gather(..., return_exceptions=True)",
                "py-return-exceptions：gather(..., return_exceptions=True)",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: Some(Text::new(
        "demo failure: the next job fails instead (1 → 2 → … → the last → 1)",
        "演示故障：改由下一个任务失败（1 → 2 → … → 最后一个 → 1）",
    )),
};

/// The jobs, and which one fails (when its time is up, instead of
/// returning its result).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Jobs {
    durations: Vec<u64>,
    fail_job: usize,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            durations: vec![800, 300, 1000, 200, 600],
            fail_job: 2,
        }
    }
}

impl Knobs for Jobs {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "durations",
            Text::new("the jobs' durations in ms", "各个任务的时长（毫秒）"),
        ),
        (
            "fail_job",
            Text::new(
                "the job (1, 2, …) that fails when its time is up",
                "在时长结束时失败的任务（1、2、…）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(2..=16).contains(&self.durations.len()) {
            return Err("durations must list 2 to 16 jobs".into());
        }
        if self.durations.iter().any(|d| *d > 60_000) {
            return Err("durations must be at most 60000 ms".into());
        }
        if !(1..=self.durations.len()).contains(&self.fail_job) {
            return Err("fail_job must be one of the jobs: 1 to the number of durations".into());
        }
        Ok(())
    }

    fn next_failure(&self) -> Option<Self> {
        let jobs = self.durations.len().max(1);
        Some(Jobs {
            fail_job: self.fail_job % jobs + 1,
            ..self.clone()
        })
    }
}

/// How a lane waits for its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// asyncio.gather: the first error reaches the caller at once; the
    /// siblings are not cancelled.
    Gather,
    /// A JoinSet as a TaskGroup: the first error aborts the siblings.
    TaskGroup,
    /// join_all / join!: every result, errors included, once all have ended.
    JoinAll,
}

/// The asyncio originals of the three ways to wait.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../assets/python/taskgroup.py"),
    texts: &[
        (
            "plan_py-gather",
            Text::new(
                "{n} jobs, job {fail} fails; await asyncio.gather(...)",
                "{n} 个任务，任务 {fail} 会失败；await asyncio.gather(...)",
            ),
        ),
        (
            "plan_py-taskgroup",
            Text::new(
                "{n} jobs, job {fail} fails; async with asyncio.TaskGroup()",
                "{n} 个任务，任务 {fail} 会失败；async with asyncio.TaskGroup()",
            ),
        ),
        (
            "plan_py-return-exceptions",
            Text::new(
                "{n} jobs, job {fail} fails; gather(..., return_exceptions=True)",
                "{n} 个任务，任务 {fail} 会失败；gather(..., return_exceptions=True)",
            ),
        ),
        (
            "cancelled",
            Text::new(
                "{at} ms: job {job} cancelled: cleanup ran",
                "{at} 毫秒：任务 {job} 被取消：清理已运行",
            ),
        ),
        (
            "raises",
            Text::new(
                "{at} ms: job {job} raises an error",
                "{at} 毫秒：任务 {job} 抛出错误",
            ),
        ),
        (
            "finished",
            Text::new("{at} ms: job {job} finished", "{at} 毫秒：任务 {job} 完成"),
        ),
        (
            "gather_raises",
            Text::new(
                "{at} ms: gather raises; {left} others run on",
                "{at} 毫秒：gather 抛出错误；其余 {left} 个继续运行",
            ),
        ),
        (
            "group_raises",
            Text::new(
                "{at} ms: the group raises ExceptionGroup, the others ended",
                "{at} 毫秒：任务组抛出 ExceptionGroup，其余的都已结束",
            ),
        ),
        (
            "results_in",
            Text::new(
                "{at} ms: gather returns, {errors} error(s) among the results",
                "{at} 毫秒：gather 返回，结果里有 {errors} 个错误",
            ),
        ),
        (
            "summary",
            Text::new(
                "error at {err} ms · all ended {all} ms",
                "{err} 毫秒见错误 · {all} 毫秒全部结束",
            ),
        ),
    ],
};

pub static DEMO: DemoDef<Jobs> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, jobs: Jobs) -> Vec<JoinHandle<()>> {
    let (j1, j2) = (jobs.clone(), jobs.clone());
    // gather(return_exceptions=True) is silent until its longest job ends.
    let longest = jobs.durations.iter().max().copied().unwrap_or(0);
    let quiet = Duration::from_millis(longest * 2);
    let python = ["py-gather", "py-taskgroup", "py-return-exceptions"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            PyLane::new(ID, name, &PY_SCRIPT, &jobs)
                .quiet(quiet)
                .spawn(ctx.lane(3 + i))
        })
        .collect::<Vec<_>>();
    [
        spawn_async_lane(ID, "gather", ctx.lane(0), false, move |lane, _| {
            group_lane(lane, j1, Wait::Gather)
        }),
        spawn_async_lane(ID, "taskgroup", ctx.lane(1), false, move |lane, _| {
            group_lane(lane, j2, Wait::TaskGroup)
        }),
        spawn_async_lane(ID, "join-all", ctx.lane(2), false, move |lane, _| {
            group_lane(lane, jobs, Wait::JoinAll)
        }),
    ]
    .into_iter()
    .chain(python)
    .flatten()
    .collect()
}

#[derive(Debug, thiserror::Error)]
#[error("job {0} failed")]
struct JobFailed(usize);

/// Milliseconds of demo time since `t0`, for log lines.
fn ms_since(lane: &LaneCtx, t0: Duration) -> f64 {
    ms(lane.clock.now().saturating_sub(t0))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A job's cleanup (asyncio: its `finally`), run when its future is dropped
/// before it finished: that is, when it is cancelled at its `.await`.
struct Cleanup {
    job: usize,
    lane: LaneCtx,
    t0: Duration,
    finished: bool,
    ran: Rc<Cell<u64>>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.finished {
            self.ran.set(self.ran.get() + 1);
            let (at, job) = (ms_since(&self.lane, self.t0), self.job);
            self.lane.sink.log(tr!(
                "{at:>5.0} ms: job {job} cancelled: cleanup ran",
                "{at:>5.0} 毫秒：任务 {job} 被取消：清理已运行"
            ));
        }
    }
}

async fn job(
    lane: LaneCtx,
    t0: Duration,
    job: usize,
    duration: Duration,
    fails: bool,
    ran: Rc<Cell<u64>>,
) -> Result<usize, JobFailed> {
    let mut cleanup = Cleanup {
        job,
        lane: lane.clone(),
        t0,
        finished: false,
        ran,
    };
    lane.clock.sleep(duration).await;
    cleanup.finished = true;
    let at = ms_since(&lane, t0);
    if fails {
        lane.sink.log(tr!(
            "{at:>5.0} ms: job {job} raises an error",
            "{at:>5.0} 毫秒：任务 {job} 抛出错误"
        ));
        return Err(JobFailed(job));
    }
    lane.sink.log(tr!(
        "{at:>5.0} ms: job {job} finished",
        "{at:>5.0} 毫秒：任务 {job} 完成"
    ));
    Ok(job)
}

/// What a lane saw of its jobs.
#[derive(Default)]
struct Tally {
    /// When the waiting code got the error (demo time since the start).
    first_error: Option<Duration>,
    finished: u64,
    cancelled: u64,
}

impl Tally {
    fn count(
        &mut self,
        joined: Result<Result<usize, JobFailed>, tokio::task::JoinError>,
    ) -> LaneResult {
        match joined {
            Ok(Ok(_)) => self.finished += 1,
            // The one failure is counted where the lane sees it.
            Ok(Err(_)) => {}
            Err(e) if e.is_cancelled() => self.cancelled += 1,
            Err(e) => return Err(LaneError::Failed(ErrorReport::from_error(&e))),
        }
        Ok(())
    }
}

/// Says what the lane is about to do.
fn announce(lane: &LaneCtx, jobs: &Jobs, wait: Wait) {
    let (n, fail) = (jobs.durations.len(), jobs.fail_job);
    lane.sink.log(match wait {
        Wait::Gather => tr!(
            "{n} jobs, job {fail} fails; gather(...)",
            "{n} 个任务，任务 {fail} 会失败；gather(...)"
        ),
        Wait::TaskGroup => tr!(
            "{n} jobs, job {fail} fails; JoinSet as TaskGroup",
            "{n} 个任务，任务 {fail} 会失败；JoinSet 当任务组"
        ),
        Wait::JoinAll => tr!(
            "{n} jobs, job {fail} fails; join_all(...)",
            "{n} 个任务，任务 {fail} 会失败；join_all(...)"
        ),
    });
}

type Jobset = JoinSet<Result<usize, JobFailed>>;

/// What the lane's way of waiting does when the failed job's result comes in.
async fn on_error(
    lane: &LaneCtx,
    t0: Duration,
    wait: Wait,
    set: &mut Jobset,
    tally: &mut Tally,
) -> LaneResult {
    let (at, left) = (ms_since(lane, t0), set.len());
    match wait {
        Wait::Gather => {
            tally.first_error = Some(lane.clock.now() - t0);
            lane.sink.log(if left > 0 {
                tr!(
                    "{at:>5.0} ms: gather raises; {left} others run on",
                    "{at:>5.0} 毫秒：gather 抛出错误；其余 {left} 个继续运行"
                )
            } else {
                tr!(
                    "{at:>5.0} ms: gather raises; no other job left",
                    "{at:>5.0} 毫秒：gather 抛出错误；没有剩下的任务"
                )
            });
        }
        Wait::TaskGroup => {
            lane.sink.log(if left > 0 {
                tr!(
                    "{at:>5.0} ms: cancel the {left} others, wait",
                    "{at:>5.0} 毫秒：取消其余 {left} 个，并等它们结束"
                )
            } else {
                tr!(
                    "{at:>5.0} ms: no other job left to cancel",
                    "{at:>5.0} 毫秒：没有剩下的任务要取消"
                )
            });
            set.abort_all();
            while let Some(joined) = set.join_next().await {
                tally.count(joined)?;
            }
            // Like `async with TaskGroup()`: the error comes out only once
            // every sibling has ended.
            tally.first_error = Some(lane.clock.now() - t0);
        }
        // join_all keeps the error with the results it hands over at the end.
        Wait::JoinAll => {}
    }
    Ok(())
}

async fn group_lane(lane: LaneCtx, jobs: Jobs, wait: Wait) -> LaneResult {
    announce(&lane, &jobs, wait);
    let t0 = lane.clock.now();
    let ran = Rc::new(Cell::new(0));
    let mut set = Jobset::new();
    for (i, ms) in jobs.durations.iter().enumerate() {
        let (n, d) = (i + 1, Duration::from_millis(*ms));
        set.spawn_local(job(lane.clone(), t0, n, d, n == jobs.fail_job, ran.clone()));
    }
    let mut tally = Tally::default();
    while let Some(joined) = set.join_next().await {
        if matches!(joined, Ok(Err(_))) {
            on_error(&lane, t0, wait, &mut set, &mut tally).await?;
        } else {
            tally.count(joined)?;
        }
    }
    let all_done = lane.clock.now() - t0;
    if wait == Wait::JoinAll {
        tally.first_error = Some(all_done);
        let at = ms(all_done);
        lane.sink.log(tr!(
            "{at:>5.0} ms: join_all returns, error included",
            "{at:>5.0} 毫秒：join_all 返回，错误在结果里"
        ));
    }
    report(&lane, &tally, all_done, ran.get())
}

fn report(lane: &LaneCtx, t: &Tally, all_done: Duration, cleanups: u64) -> LaneResult {
    let Some(first_error) = t.first_error else {
        return Err(LaneError::Failed(ErrorReport::msg(
            "no job failed: fail_job names no job",
        )));
    };
    lane.sink.ms("first_error_ms", first_error);
    lane.sink.ms("all_done_ms", all_done);
    lane.sink.count("siblings_cancelled", t.cancelled);
    lane.sink.count("siblings_finished", t.finished);
    lane.sink
        .flag("cleanup_ran", t.cancelled > 0 && cleanups == t.cancelled);
    let (err, all) = (ms(first_error), ms(all_done));
    lane.sink.status(tr!(
        "error at {err:.0} ms · all ended {all:.0} ms",
        "{err:.0} 毫秒见错误 · {all:.0} 毫秒全部结束"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Outcome, Params};

    fn run(params: Params, seconds: f64) -> Outcome {
        crate::demo::run_for(&DEMO, params, seconds)
    }

    use crate::demo::done_figure as fig;

    /// Jobs far apart in time, so a loaded machine's late timers cannot
    /// reorder them: job 2 fails at 300 ms, job 4 is done at 100 ms, jobs
    /// 1, 3 and 5 still run (700 ms and more).
    fn spread() -> Params {
        Params::new()
            .with("durations", "[1000, 300, 1200, 100, 700]")
            .with("fail_job", "2")
    }

    #[test]
    fn the_group_cancels_the_rest_and_gather_and_join_all_do_not() {
        let out = run(spread(), 60.0);
        assert!(out.completed && out.clean_stop);
        reports_what_it_declares(&out);
        // gather: the error at once, the others run on to the longest (1200).
        let err = fig(&out, "gather", "first_error_ms");
        assert!((290.0..650.0).contains(&err), "gather error at {err}");
        assert!(fig(&out, "gather", "all_done_ms") >= 1190.0);
        assert_eq!(fig(&out, "gather", "siblings_finished"), 4.0);
        assert_eq!(fig(&out, "gather", "siblings_cancelled"), 0.0);
        assert_eq!(fig(&out, "gather", "cleanup_ran"), 0.0);
        // join_all: the error only with everyone's results.
        let err = fig(&out, "join-all", "first_error_ms");
        assert!(err >= 1190.0, "join-all error at {err}");
        assert_eq!(err, fig(&out, "join-all", "all_done_ms"));
        assert_eq!(fig(&out, "join-all", "siblings_finished"), 4.0);
        // The group: job 4 was done; 1, 3 and 5 are cancelled, and it is
        // all over long before the longest job's 1200 ms.
        let err = fig(&out, "taskgroup", "first_error_ms");
        assert!((290.0..650.0).contains(&err), "taskgroup error at {err}");
        let all = fig(&out, "taskgroup", "all_done_ms");
        assert!(all < 650.0 && all >= err - 1.0, "taskgroup ended at {all}");
        assert_eq!(fig(&out, "taskgroup", "siblings_cancelled"), 3.0);
        assert_eq!(fig(&out, "taskgroup", "siblings_finished"), 1.0);
        assert_eq!(fig(&out, "taskgroup", "cleanup_ran"), 1.0);
        let log = &out.view.lane("taskgroup").expect("lane").log;
        let cleanups = log.iter().filter(|l| l.en.contains("cleanup ran")).count();
        assert_eq!(cleanups, 3);
    }

    #[test]
    fn the_last_job_failing_leaves_nothing_to_cancel() {
        // Job 3 (1200 ms) fails last: everyone else has finished by then.
        let out = run(spread().with("fail_job", "3"), 60.0);
        reports_what_it_declares(&out);
        for lane in ["gather", "taskgroup", "join-all"] {
            assert_eq!(fig(&out, lane, "siblings_cancelled"), 0.0, "{lane}");
            assert_eq!(fig(&out, lane, "siblings_finished"), 4.0, "{lane}");
            assert_eq!(fig(&out, lane, "cleanup_ran"), 0.0, "{lane}");
            assert!(fig(&out, lane, "first_error_ms") >= 1190.0, "{lane}");
        }
    }

    #[test]
    fn lesson_6_predict_questions_grade_on_what_the_demo_measures() {
        use crate::quiz::Kind;
        let catalog = crate::lesson::Catalog::builtin();
        let quiz = catalog
            .find("futures-and-tasks")
            .and_then(|set| set.quiz(crate::i18n::Lang::En))
            .expect("lesson 6 has a quiz");
        // The lesson embeds the demo with its defaults.
        let out = run(Params::new(), 60.0);
        for (id, truth) in [("taskgroup-siblings", 1), ("join-all-error", 1)] {
            let q = quiz.questions.iter().find(|q| q.id == id).expect(id);
            let Kind::Predict { demo, when, params } = &q.kind else {
                panic!("{id} is not a predict question");
            };
            assert_eq!((demo.as_str(), params.is_empty()), (ID, true), "{id}");
            let holds: Vec<usize> = (0..when.len())
                .filter(|i| when[*i].eval(&out.view) == Some(true))
                .collect();
            assert_eq!(holds, [truth], "{id}");
        }
    }

    #[test]
    fn f_moves_the_failure_to_the_next_job_and_back() {
        let k = Jobs::default();
        let mut seen = vec![k.fail_job];
        let mut now = k;
        for _ in 0..now.durations.len() {
            now = now.next_failure().expect("f always has a next failure");
            seen.push(now.fail_job);
        }
        assert_eq!(seen, [2, 3, 4, 5, 1, 2]);
        assert!(Params::new().with("fail_job", "0").knobs::<Jobs>().is_err());
        assert!(Params::new().with("fail_job", "6").knobs::<Jobs>().is_err());
    }

    /// Every lane reports every metric it declares, and nothing else.
    fn reports_what_it_declares(out: &Outcome) {
        for (lane, info) in out.view.lanes.iter().zip(INFO.lanes) {
            let mut got: Vec<&str> = lane.metrics.iter().map(|m| m.name).collect();
            let mut want: Vec<&str> = info.metrics.iter().map(|m| m.name).collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{}", info.name);
        }
    }

    #[test]
    fn stops_at_once_when_cancelled() {
        let p = Params::new().with("durations", "[30000, 20000]");
        let out = run(p, 0.2);
        assert!(!out.completed);
        assert!(out.clean_stop, "a lane thread outlived the stop");
        assert!(out.wall < Duration::from_secs(3), "{:?}", out.wall);
    }
}
