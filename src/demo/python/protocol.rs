//! The lane protocol, version 1: what a Python lane prints on stdout, one
//! JSON object per line, and how each line becomes a [`DemoEvent`] kind.
//! `docs/python-lanes.md` is the reference; the tests below pin it.
//!
//! [`DemoEvent`]: crate::demo::DemoEvent

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::PyScript;
use crate::demo::event::{ErrorReport, EventKind, Metric, Span, SpanState};
use crate::demo::{LaneInfo, THREAD_PREFIX};
use crate::i18n::LocalText;

/// The protocol version this build speaks; a script says its own in `hello`.
pub const VERSION: u32 = 1;
/// A longer line is a broken script, not a message.
pub const MAX_LINE: usize = 64 * 1024;

/// A text in a message: a string is shown as it is in both languages (code,
/// an exception's message); `{"key": .., "args": {..}}` names a text of the
/// script's table, translated, with `{name}` filled from `args`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum TextMsg {
    Same(String),
    Key {
        key: String,
        #[serde(default)]
        args: BTreeMap<String, Value>,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanStateMsg {
    Running,
    Waiting,
    Blocked,
}

/// One line of a lane's stdout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase", deny_unknown_fields)]
pub enum Msg {
    /// The first line: the protocol version and the interpreter as it runs.
    Hello {
        v: u32,
        implementation: String,
        version: String,
        gil: bool,
        #[serde(default)]
        free_threaded: bool,
    },
    Frame {
        n: u64,
    },
    /// A log line; `line` (1-based) is where in the script it was logged.
    Log {
        text: TextMsg,
        #[serde(default)]
        line: Option<usize>,
    },
    Status {
        text: TextMsg,
    },
    /// A figure; `name` must be one the lane declares.
    Metric {
        name: String,
        value: f64,
    },
    /// Work on one thread, in demo seconds.
    Span {
        thread: String,
        label: String,
        job: usize,
        start: f64,
        end: f64,
        state: SpanStateMsg,
    },
    /// One loop-lag sample, demo milliseconds.
    Lag {
        ms: f64,
    },
    /// The script line (1-based) of a `lane.at()` call: the pane shows
    /// the statement after it.
    Line {
        n: usize,
    },
    Progress {
        done: u64,
        total: u64,
    },
    Knows {
        pairs: Vec<(TextMsg, TextMsg)>,
    },
    /// The script serves `name` (a protocol: `line`, `http`) at `addr`
    /// (`127.0.0.1:PORT`), for a lane whose Rust side loads it.
    Serving {
        name: String,
        addr: String,
    },
    /// The script finished its job; it exits 0 next.
    Done,
    /// The script reports its own failure (an exception and its causes).
    Failed {
        message: String,
        #[serde(default)]
        chain: Vec<String>,
    },
}

/// Parses one line. The error says what is wrong, for the failed lane.
pub fn parse(line: &str) -> Result<Msg, String> {
    serde_json::from_str(line).map_err(|e| {
        let shown: String = line.chars().take(60).collect();
        let more = if line.chars().count() > 60 { "…" } else { "" };
        format!("`{shown}{more}`: {e}")
    })
}

/// Turns messages into event kinds for one lane: checks metric names and
/// text keys against what the lane declares.
pub struct Mapper {
    pub demo: &'static str,
    pub info: &'static LaneInfo,
    pub script: &'static PyScript,
}

impl Mapper {
    pub fn text(&self, t: &TextMsg) -> Result<LocalText, String> {
        match t {
            TextMsg::Same(s) => Ok(LocalText::same(s.clone())),
            TextMsg::Key { key, args } => {
                let text = self
                    .script
                    .texts
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, t)| t)
                    .ok_or_else(|| format!("unknown text key `{key}`"))?;
                Ok(LocalText {
                    en: fill(text.en, args)?,
                    zh: fill(text.zh, args)?,
                })
            }
        }
    }

    /// The 0-based line to highlight for a log written at script line
    /// `line` (1-based): the next line that is not a `lane.` call, a comment
    /// or blank, so the pane shows the statement the log announces.
    pub fn code_line(&self, line: usize) -> Option<usize> {
        let lines: Vec<&str> = self.script.code.lines().collect();
        let from = line.checked_sub(1)?;
        (from..lines.len()).find(|&i| {
            let l = lines[i].trim();
            !(l.is_empty() || l.starts_with('#') || l.starts_with("lane."))
        })
    }

    /// The events one message makes (a log also moves the code pane).
    pub fn events(&self, msg: Msg) -> Result<Vec<EventKind>, String> {
        let one = |k| Ok(vec![k]);
        match msg {
            Msg::Hello { .. } => Err("a second `hello`".into()),
            // The lane thread hands these to its Rust side (`Beside`).
            Msg::Serving { .. } => Err("a `serving` message this lane does not expect".into()),
            Msg::Frame { n } => one(EventKind::Frame(n)),
            Msg::Log { text, line } => {
                let mut out = Vec::new();
                if let Some(l) = line.and_then(|l| self.code_line(l)) {
                    out.push(EventKind::CodeLine(l));
                }
                out.push(EventKind::Log(self.text(&text)?));
                Ok(out)
            }
            Msg::Status { text } => one(EventKind::Status(self.text(&text)?)),
            Msg::Metric { name, value } => {
                let declared = self
                    .info
                    .metric(&name)
                    .ok_or_else(|| format!("metric `{name}` is not one the lane declares"))?;
                if !value.is_finite() {
                    return Err(format!("metric `{name}` is not a finite number"));
                }
                one(EventKind::Metric(Metric {
                    name: declared.name,
                    value,
                    unit: declared.unit,
                }))
            }
            Msg::Span {
                thread,
                label,
                job,
                start,
                end,
                state,
            } => one(EventKind::Span(Span {
                thread: format!("{THREAD_PREFIX}{}/{thread}", self.demo),
                label,
                job,
                start: seconds(start)?,
                end: seconds(end.max(start))?,
                state: match state {
                    SpanStateMsg::Running => SpanState::Running,
                    SpanStateMsg::Waiting => SpanState::Waiting,
                    SpanStateMsg::Blocked => SpanState::Blocked,
                },
            })),
            Msg::Lag { ms } if ms.is_finite() => one(EventKind::Lag(ms.max(0.0))),
            Msg::Lag { .. } => Err("a lag sample that is not a finite number".into()),
            Msg::Line { n } => match self.code_line(n) {
                Some(l) => one(EventKind::CodeLine(l)),
                None => Err(format!("line {n} is not in the script")),
            },
            Msg::Progress { done, total } => one(EventKind::Progress { done, total }),
            Msg::Knows { pairs } => {
                let pairs = pairs
                    .iter()
                    .map(|(k, v)| Ok((self.text(k)?, self.text(v)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                one(EventKind::Knows(pairs))
            }
            Msg::Done => one(EventKind::Done),
            Msg::Failed { message, chain } => {
                one(EventKind::Failed(ErrorReport { message, chain }))
            }
        }
    }
}

fn seconds(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s.max(0.0)).map_err(|_| format!("{s} is not a time in seconds"))
}

/// `{name}` in `template` replaced by `args[name]`; every placeholder must
/// have a value (a missing one is the script's bug, caught by the tests).
fn fill(template: &str, args: &BTreeMap<String, Value>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        let value = args
            .get(name)
            .ok_or_else(|| format!("text needs `{name}`, which the script did not send"))?;
        out.push_str(&show(value));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => format!("{f}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Unit, metric};
    use crate::i18n::Text;

    static SCRIPT: PyScript = PyScript {
        code: "import concur_lane as lane\n\nlane.log(\"hi\")\n# why\nx = 1\n",
        texts: &[(
            "took",
            Text::new("call {n}: {ms} ms", "调用 {n}：{ms} 毫秒"),
        )],
    };
    static LANE: LaneInfo = LaneInfo {
        name: "py-test",
        title: Text::new("t", "t"),
        metrics: &[metric("ticks", Unit::Count)],
        code: "",
    };

    fn mapper() -> Mapper {
        Mapper {
            demo: "spinner",
            info: &LANE,
            script: &SCRIPT,
        }
    }

    #[test]
    fn every_message_kind_parses() {
        let lines = [
            r#"{"t":"hello","v":1,"implementation":"CPython","version":"3.11.7","gil":true}"#,
            r#"{"t":"frame","n":3}"#,
            r#"{"t":"log","text":{"key":"took","args":{"n":1,"ms":"12"}},"line":3}"#,
            r#"{"t":"status","text":"Answer: 42"}"#,
            r#"{"t":"metric","name":"ticks","value":30}"#,
            r#"{"t":"span","thread":"py-loop","label":"1.1","job":0,"start":0.1,"end":0.2,"state":"running"}"#,
            r#"{"t":"lag","ms":0.4}"#,
            r#"{"t":"line","n":5}"#,
            r#"{"t":"progress","done":1,"total":8}"#,
            r#"{"t":"knows","pairs":[["a",{"key":"took","args":{"n":2,"ms":3}}]]}"#,
            r#"{"t":"serving","name":"line","addr":"127.0.0.1:4000"}"#,
            r#"{"t":"done"}"#,
            r#"{"t":"failed","message":"ValueError: x","chain":["KeyError: y"]}"#,
        ];
        for l in lines {
            parse(l).unwrap_or_else(|e| panic!("{l}: {e}"));
        }
    }

    #[test]
    fn garbage_and_unknown_fields_are_errors() {
        assert!(parse("hello world").is_err());
        assert!(parse(r#"{"t":"frame"}"#).is_err());
        assert!(parse(r#"{"t":"frame","n":1,"extra":2}"#).is_err());
        assert!(parse(r#"{"t":"explode"}"#).is_err());
        let e = parse(&"x".repeat(200)).unwrap_err();
        assert!(e.len() < 200, "the message shows only the start: {e}");
    }

    #[test]
    fn texts_are_translated_and_filled() {
        let m = mapper();
        let ev = m
            .events(
                parse(r#"{"t":"log","text":{"key":"took","args":{"n":1,"ms":12.5}},"line":3}"#)
                    .unwrap(),
            )
            .unwrap();
        // The log at line 3 highlights line 5 (0-based 4): the comment and
        // the `lane.` call are skipped.
        assert_eq!(ev[0], EventKind::CodeLine(4));
        assert_eq!(
            ev[1],
            EventKind::Log(LocalText {
                en: "call 1: 12.5 ms".into(),
                zh: "调用 1：12.5 毫秒".into()
            })
        );
        let unknown = parse(r#"{"t":"log","text":{"key":"nope"}}"#).unwrap();
        assert!(m.events(unknown).unwrap_err().contains("nope"));
        let missing = parse(r#"{"t":"log","text":{"key":"took","args":{"n":1}}}"#).unwrap();
        assert!(m.events(missing).unwrap_err().contains("`ms`"));
    }

    #[test]
    fn only_declared_metrics_pass() {
        let m = mapper();
        let ok = m.events(parse(r#"{"t":"metric","name":"ticks","value":3}"#).unwrap());
        assert!(matches!(&ok.unwrap()[0], EventKind::Metric(x) if x.unit == Unit::Count));
        let bad = m.events(parse(r#"{"t":"metric","name":"tick","value":3}"#).unwrap());
        assert!(bad.unwrap_err().contains("`tick`"));
        let line = m.events(parse(r#"{"t":"line","n":99}"#).unwrap());
        assert!(line.is_err());
    }

    #[test]
    fn spans_are_named_per_demo() {
        let ev = mapper()
            .events(parse(r#"{"t":"span","thread":"py-loop","label":"1.1","job":0,"start":0.5,"end":0.25,"state":"waiting"}"#).unwrap())
            .unwrap();
        let EventKind::Span(s) = &ev[0] else { panic!() };
        assert_eq!(s.thread, "demo:spinner/py-loop");
        assert_eq!(s.start, Duration::from_millis(500));
        assert_eq!(s.end, s.start, "an end before the start is clamped");
    }
}
