//! The warm-up before class (`P` in a lesson, `concur present --prerun`):
//! every demo of the lesson runs once, headless, one after another, so the
//! first run in front of the class is not a cold start (files not yet in
//! the page cache, thread pools and runtimes never started, code never
//! paged in). It stops at once when the presenter starts a demo or quits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::demo::{self, DemoRun, DemoView, Params, Watched, channels};

/// How often a waiting warm-up checks whether it should stop.
const POLL: Duration = Duration::from_millis(50);
/// A demo that runs longer than this is stopped (and counted as warmed).
const LONGEST: Duration = Duration::from_secs(60);

/// How far the warm-up got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrerunStatus {
    pub done: usize,
    pub total: usize,
    /// Runs in which a lane failed.
    pub failed: usize,
    /// All ran (or it was stopped: `stopped`).
    pub finished: bool,
    pub stopped: bool,
}

/// A warm-up under way; dropping it stops it within about `POLL` plus the
/// demo's own stop (its lanes end within ~100 ms).
pub struct PrerunJob {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PrerunJob {
    pub fn start(
        demos: Vec<(String, Params)>,
        report: impl Fn(PrerunStatus) + Send + 'static,
    ) -> std::io::Result<PrerunJob> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("concur-prerun".into())
            .spawn(move || warm_up(&demos, &flag, &report))?;
        Ok(PrerunJob {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for PrerunJob {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn warm_up(demos: &[(String, Params)], stop: &AtomicBool, report: &dyn Fn(PrerunStatus)) {
    let mut status = PrerunStatus {
        total: demos.len(),
        ..PrerunStatus::default()
    };
    report(status);
    for (id, params) in demos {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match run_once(id, params, stop) {
            Some(true) => {}
            Some(false) => status.failed += 1,
            None => break,
        }
        status.done += 1;
        report(status);
    }
    status.stopped = stop.load(Ordering::SeqCst);
    status.finished = true;
    report(status);
}

/// Runs one demo to its end: whether every lane came through (`None` when
/// asked to stop first).
fn run_once(id: &str, params: &Params, stop: &AtomicBool) -> Option<bool> {
    let Some(d) = demo::find(id) else {
        return Some(false);
    };
    let (senders, stream) = channels();
    let Ok(run) = DemoRun::start(d, params, 1.0, senders, Watched::Headless) else {
        return Some(false);
    };
    let mut view = DemoView::new(d.info(), params.clone());
    view.reset(run.run);
    let started = Instant::now();
    while !view.all_finished() && started.elapsed() < LONGEST {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        crossbeam_channel::select! {
            recv(stream.events) -> ev => if let Ok(ev) = ev { view.apply(ev); },
            recv(stream.lifecycle) -> ev => if let Ok(ev) = ev { view.apply(ev); },
            default(POLL) => {}
        }
    }
    // Dropping the run cancels what is left and reaps its threads.
    drop(run);
    Some(view.lanes.iter().all(|l| l.error.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn a_warm_up_runs_each_demo_and_says_when_it_is_ready() {
        let seen: Arc<Mutex<Vec<PrerunStatus>>> = Arc::default();
        let log = seen.clone();
        let demos = vec![
            ("spinner".to_string(), Params::new().with("call_ms", "200")),
            (
                "futures".to_string(),
                Params::new().with("timeout_ms", "100"),
            ),
        ];
        let job = PrerunJob::start(demos, move |s| log.lock().unwrap().push(s)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !seen.lock().unwrap().last().is_some_and(|s| s.finished) {
            assert!(Instant::now() < deadline, "the warm-up never finished");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(job);
        let last = *seen.lock().unwrap().last().unwrap();
        assert_eq!((last.done, last.total, last.stopped), (2, 2, false));
    }

    #[test]
    fn dropping_a_warm_up_stops_it_quickly() {
        let demos = vec![(
            "spinner".to_string(),
            Params::new().with("call_ms", "20000"),
        )];
        let job = PrerunJob::start(demos, |_| {}).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        drop(job);
        // Generous for a loaded machine; the point is "not 20 s".
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    }
}
