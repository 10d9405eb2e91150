//! The three steps of the job (config, data, report) as real timed waits,
//! once with callbacks and once as async methods. They also point the code
//! pane at the line running now and say what the job still knows.

use std::cell::RefCell;
use std::time::Duration;

use super::cb_loop::Loop;
use super::trace::Trace;
use crate::i18n::LocalText;
use crate::tr;

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

fn failure(step: u8) -> String {
    match step {
        1 => "config server: connection refused".into(),
        2 => "HTTP 503 Service Unavailable".into(),
        _ => "disk full".into(),
    }
}

// ---- callback style ------------------------------------------------------

pub fn fetch_config(lp: &mut Loop, cb: impl FnOnce(&mut Loop, Result<Config, CbError>) + 'static) {
    let fail = lp.trace.step(1);
    lp.trace.at("fetch_config(lp");
    lp.trace.know(
        tr!("stack", "栈"),
        tr!(
            "job() → fetch_config(); returns at once",
            "job() → fetch_config()；立即返回"
        ),
    );
    lp.lane.sink.log(tr!(
        "fetch_config: request sent, callback registered; back to the loop",
        "fetch_config：请求已发出，回调已登记；回到循环"
    ));
    lp.set_timeout(CONFIG_WAIT, move |lp| {
        lp.trace.at("let config = match config");
        lp.trace.know(
            tr!("stack", "栈"),
            tr!(
                "the loop → this callback (job() is long gone)",
                "循环 → 这个回调（job() 早已返回）"
            ),
        );
        let result = if fail {
            Err(CbError(failure(1)))
        } else {
            Ok(Config {
                source: "flags.csv".into(),
            })
        };
        lp.lane.sink.log(tr!(
            "loop: config callback runs with {result:?}",
            "loop：配置回调运行，参数是 {result:?}"
        ));
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
        tr!("carried by hand", "手工携带"),
        tr!(
            "config → moved into the next closure",
            "config → 移进下一个闭包"
        ),
    );
    lp.lane.sink.log(tr!(
        "fetch_data({source}): request sent; back to the loop",
        "fetch_data({source})：请求已发出；回到循环"
    ));
    lp.set_timeout(DATA_WAIT, move |lp| {
        lp.trace.at_any(&["Ok(data)", "data.unwrap()"]);
        let result = if fail {
            Err(CbError(failure(2)))
        } else {
            Ok(Data { rows: 245 })
        };
        lp.lane.sink.log(tr!(
            "loop: data callback runs with {result:?}",
            "loop：数据回调运行，参数是 {result:?}"
        ));
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
    let (source, rows) = (&config.source, data.rows);
    lp.trace.know(
        tr!("carried by hand", "手工携带"),
        tr!(
            "config ({source}), data ({rows} rows) → next closure",
            "config（{source}）、data（{rows} 行）→ 下一个闭包"
        ),
    );
    lp.lane.sink.log(tr!(
        "save_report: write started; back to the loop",
        "save_report：开始写入；回到循环"
    ));
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
                tr!("stack", "栈"),
                tr!(
                    "job() suspended at .await (its frame is kept)",
                    "job() 挂起在 .await（它的栈帧还在）"
                ),
            );
            t.lane
                .sink
                .log(LocalText::same("job: await fetch_config()"));
            t.step(1)
        };
        self.wait(CONFIG_WAIT).await;
        if fail {
            return Err(ServiceError(failure(1)));
        }
        let mut t = self.trace.borrow_mut();
        t.know(
            tr!("local config", "局部变量 config"),
            LocalText::same("{ source: \"flags.csv\" }"),
        );
        Ok(Config {
            source: "flags.csv".into(),
        })
    }

    pub async fn fetch_data(&self, source: &str) -> Result<Data, ServiceError> {
        let fail = {
            let mut t = self.trace.borrow_mut();
            t.at(".fetch_data(");
            t.lane
                .sink
                .log(LocalText::same(format!("job: await fetch_data({source})")));
            t.step(2)
        };
        self.wait(DATA_WAIT).await;
        if fail {
            return Err(ServiceError(failure(2)));
        }
        self.trace.borrow_mut().know(
            tr!("local data", "局部变量 data"),
            tr!("245 rows", "245 行"),
        );
        Ok(Data { rows: 245 })
    }

    pub async fn save_report(&self, config: &Config, data: &Data) -> Result<usize, ServiceError> {
        let fail = {
            let mut t = self.trace.borrow_mut();
            t.at(".save_report(");
            t.lane.sink.log(LocalText::same(format!(
                "job: await save_report({})",
                config.source
            )));
            t.step(3)
        };
        self.wait(SAVE_WAIT).await;
        if fail {
            return Err(ServiceError(failure(3)));
        }
        let bytes = data.rows * 16;
        self.trace.borrow_mut().know(
            tr!("local saved", "局部变量 saved"),
            tr!("{bytes} bytes", "{bytes} 字节"),
        );
        Ok(bytes)
    }
}
