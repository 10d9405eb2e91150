//! The three steps of the job (config, data, report) as real timed waits,
//! once with callbacks and once as async methods. They also point the code
//! pane at the line running now and say what the job still knows.

use std::cell::RefCell;
use std::time::Duration;

use super::cb_loop::Loop;
use crate::demo::LaneCtx;

pub const CONFIG_WAIT: Duration = Duration::from_millis(400);
pub const DATA_WAIT: Duration = Duration::from_millis(600);
pub const SAVE_WAIT: Duration = Duration::from_millis(400);

#[derive(Debug, Clone)]
pub struct Config {
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Data {
    pub rows: usize,
}

/// The error a callback receives: a plain value, with no context.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CbError(pub String);

/// The error of an async step, which `?` and `.context()` build on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ServiceError(pub String);

pub type Done = Box<dyn FnOnce(&mut Loop, Result<usize, CbError>)>;

fn failure(step: u64) -> String {
    match step {
        1 => "config server: connection refused".into(),
        2 => "HTTP 503 Service Unavailable".into(),
        _ => "disk full".into(),
    }
}

/// Where a lane is in its code, which steps ran, what it still knows.
pub struct Trace {
    pub lane: LaneCtx,
    code: &'static str,
    /// The line shown last: the code runs forward, so search from there.
    last: std::cell::Cell<usize>,
    fail_step: u64,
    pub steps: u64,
    knows: Vec<(String, String)>,
}

/// The first line at or after `from` that contains `pattern`.
pub fn line_of(code: &str, from: usize, pattern: &str) -> Option<usize> {
    code.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(pattern))
        .map(|(i, _)| i)
}

impl Trace {
    pub fn new(lane: LaneCtx, code: &'static str, function: &str) -> Trace {
        let start = line_of(code, 0, &format!("fn {function}(")).unwrap_or(0);
        let fail_step = lane.params.u64_or("fail_step", 0);
        Trace {
            lane,
            code,
            last: std::cell::Cell::new(start),
            fail_step,
            steps: 0,
            knows: Vec::new(),
        }
    }

    /// Points the code pane at the next line (from the one shown last)
    /// that contains `pattern`.
    pub fn at(&self, pattern: &str) {
        if let Some(line) = line_of(self.code, self.last.get(), pattern) {
            self.last.set(line);
            self.lane.sink.code_line(line);
        }
    }

    fn step(&mut self, n: u64) -> bool {
        self.steps = self.steps.max(n);
        self.fail_step == n
    }

    pub fn know(&mut self, name: &str, value: String) {
        match self.knows.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.knows.push((name.to_string(), value)),
        }
        self.lane.sink.knows(self.knows.clone());
    }
}

// ---- callback style ------------------------------------------------------

pub fn fetch_config(lp: &mut Loop, cb: impl FnOnce(&mut Loop, Result<Config, CbError>) + 'static) {
    let fail = lp.trace.step(1);
    lp.trace.at("fetch_config(lp");
    lp.trace
        .know("stack", "job() → fetch_config(); returns at once".into());
    lp.lane
        .sink
        .log("fetch_config: request sent, callback registered; back to the loop");
    lp.set_timeout(CONFIG_WAIT, move |lp| {
        lp.trace.at("let config = match config");
        lp.trace.know(
            "stack",
            "the loop → this callback (job() is long gone)".into(),
        );
        let result = if fail {
            Err(CbError(failure(1)))
        } else {
            Ok(Config {
                source: "flags.csv".into(),
            })
        };
        lp.lane
            .sink
            .log(format!("loop: config callback runs with {result:?}"));
        cb(lp, result)
    });
}

pub fn fetch_data(
    lp: &mut Loop,
    source: &str,
    cb: impl FnOnce(&mut Loop, Result<Data, CbError>) + 'static,
) {
    let fail = lp.trace.step(2);
    lp.trace.at("fetch_data(lp");
    lp.trace.know(
        "carried by hand",
        "config → moved into the next closure".into(),
    );
    lp.lane.sink.log(format!(
        "fetch_data({source}): request sent; back to the loop"
    ));
    lp.set_timeout(DATA_WAIT, move |lp| {
        lp.trace.at("Ok(data)");
        let result = if fail {
            Err(CbError(failure(2)))
        } else {
            Ok(Data { rows: 245 })
        };
        lp.lane
            .sink
            .log(format!("loop: data callback runs with {result:?}"));
        cb(lp, result)
    });
}

pub fn save_report(
    lp: &mut Loop,
    config: &Config,
    data: Data,
    cb: impl FnOnce(&mut Loop, Result<usize, CbError>) + 'static,
) {
    let fail = lp.trace.step(3);
    lp.trace.at("save_report(lp");
    lp.trace.know(
        "carried by hand",
        format!(
            "config ({}), data ({} rows) → next closure",
            config.source, data.rows
        ),
    );
    lp.lane
        .sink
        .log("save_report: write started; back to the loop");
    let bytes = data.rows * 16;
    lp.set_timeout(SAVE_WAIT, move |lp| {
        lp.trace.at("done(lp, saved)");
        let result = if fail {
            Err(CbError(failure(3)))
        } else {
            Ok(bytes)
        };
        cb(lp, result)
    });
}

// ---- async style ---------------------------------------------------------

pub struct Io {
    pub trace: RefCell<Trace>,
}

impl Io {
    async fn wait(&self, d: Duration) {
        let clock = self.trace.borrow().lane.clock.clone();
        clock.sleep(d).await;
    }

    pub async fn fetch_config(&self) -> Result<Config, ServiceError> {
        let fail = {
            let mut t = self.trace.borrow_mut();
            t.at("io.fetch_config()");
            t.know(
                "stack",
                "job() suspended at .await (its frame is kept)".into(),
            );
            t.lane.sink.log("job: await fetch_config()");
            t.step(1)
        };
        self.wait(CONFIG_WAIT).await;
        if fail {
            return Err(ServiceError(failure(1)));
        }
        let mut t = self.trace.borrow_mut();
        t.know("local config", "{ source: \"flags.csv\" }".into());
        Ok(Config {
            source: "flags.csv".into(),
        })
    }

    pub async fn fetch_data(&self, source: &str) -> Result<Data, ServiceError> {
        let fail = {
            let mut t = self.trace.borrow_mut();
            t.at(".fetch_data(");
            t.lane.sink.log(format!("job: await fetch_data({source})"));
            t.step(2)
        };
        self.wait(DATA_WAIT).await;
        if fail {
            return Err(ServiceError(failure(2)));
        }
        self.trace
            .borrow_mut()
            .know("local data", "245 rows".into());
        Ok(Data { rows: 245 })
    }

    pub async fn save_report(&self, config: &Config, data: &Data) -> Result<usize, ServiceError> {
        let fail = {
            let mut t = self.trace.borrow_mut();
            t.at(".save_report(");
            t.lane
                .sink
                .log(format!("job: await save_report({})", config.source));
            t.step(3)
        };
        self.wait(SAVE_WAIT).await;
        if fail {
            return Err(ServiceError(failure(3)));
        }
        let bytes = data.rows * 16;
        self.trace
            .borrow_mut()
            .know("local saved", format!("{bytes} bytes"));
        Ok(bytes)
    }
}
