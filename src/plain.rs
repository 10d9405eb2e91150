//! Demos outside the TUI: `--plain` draws them with indicatif on a normal
//! terminal, `--json` prints what they measured.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::demo::{
    Demo, DemoEvent, DemoView, EventKind, HeadlessOptions, LaneState, Outcome, ParamError, Params,
    Unit, Watched, run_headless_as,
};
use crate::i18n::Lang;
use crate::record::CastTerm;
use crate::ui::lane_state;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// One lane of `--json`: its end state and what it measured.
#[derive(Serialize)]
struct LaneJson {
    name: &'static str,
    state: &'static str,
    metrics: Map<String, Value>,
    /// What the lane reported after its title (a Python lane's interpreter).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `concur demo ID --json`.
#[derive(Serialize)]
struct RunJson {
    demo: &'static str,
    seconds: f64,
    demo_seconds: f64,
    speed: f64,
    /// Every lane finished on its own (none was cut by `--seconds`).
    completed: bool,
    dropped_events: u64,
    lanes: Vec<LaneJson>,
}

/// A lane's end state as a stable word (not a Rust identifier).
pub fn state_word(state: LaneState) -> &'static str {
    match state {
        LaneState::Idle => "idle",
        LaneState::Waiting => "waiting",
        LaneState::Running => "running",
        LaneState::Done => "done",
        LaneState::Failed => "failed",
        LaneState::Stopped => "stopped",
    }
}

/// The measured figures of a finished run, as `concur demo ID --json` prints them.
pub fn to_json(outcome: &Outcome) -> Value {
    let v = &outcome.view;
    let lanes = v
        .lanes
        .iter()
        .map(|lane| LaneJson {
            name: lane.name(),
            state: state_word(lane.state),
            metrics: lane
                .metrics
                .iter()
                .map(|m| (m.name.to_string(), typed(m.value, m.unit)))
                .collect(),
            detail: lane.detail.as_ref().map(|d| d.en.clone()),
            error: lane.error.as_ref().map(|e| e.to_string()),
        })
        .collect();
    let run = RunJson {
        demo: v.info.id,
        seconds: round3(outcome.wall.as_secs_f64()),
        demo_seconds: round3(v.demo_time.as_secs_f64()),
        speed: v.scale,
        completed: outcome.completed,
        dropped_events: v.dropped,
        lanes,
    };
    serde_json::to_value(run).unwrap_or(Value::Null)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A figure as its unit says: counts are integers, flags booleans.
fn typed(x: f64, unit: Unit) -> Value {
    match unit {
        Unit::Flag => json!(x != 0.0),
        Unit::Count | Unit::Bytes if x.fract() == 0.0 && x.abs() < 9e15 => json!(x as i64),
        _ => json!(round3(x)),
    }
}

/// Runs a demo and draws it live with one indicatif line per lane; with
/// `record`, everything drawn also goes into an asciinema cast.
pub fn run_plain(
    demo: &dyn Demo,
    params: Params,
    opts: HeadlessOptions,
    watched: Watched,
    record: Option<&CastTerm>,
    lang: Lang,
) -> Result<Outcome, ParamError> {
    let target = match record {
        Some(cast) => ProgressDrawTarget::term_like_with_hz(Box::new(cast.clone()), 20),
        None => ProgressDrawTarget::stderr_with_hz(20),
    };
    let lanes = PlainLanes::new(demo, MultiProgress::with_draw_target(target), record, lang);
    let outcome = run_headless_as(
        demo,
        params,
        opts,
        watched,
        |view: &DemoView, ev: &DemoEvent| lanes.on_event(view, ev),
    )?;
    lanes.finish();
    let summary = summary(&outcome, lang);
    print!("{summary}");
    if let Some(cast) = record {
        let _ = cast.emit(&summary.replace('\n', "\r\n"));
        let _ = cast.finish();
    }
    Ok(outcome)
}

/// One indicatif line per lane: a spinner that turns with the lane's own
/// frames, its status, and a real progress bar once the lane reports one.
struct PlainLanes<'a> {
    mp: MultiProgress,
    bars: Vec<ProgressBar>,
    width: usize,
    record: Option<&'a CastTerm>,
    lang: Lang,
}

impl<'a> PlainLanes<'a> {
    fn new(demo: &dyn Demo, mp: MultiProgress, record: Option<&'a CastTerm>, lang: Lang) -> Self {
        let style = ProgressStyle::with_template("{prefix:.bold} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let info = demo.info();
        let width = info.lanes.iter().map(|l| l.name.len()).max().unwrap_or(0);
        let bars = info
            .lanes
            .iter()
            .map(|l| {
                let pb = mp.add(ProgressBar::new_spinner().with_style(style.clone()));
                pb.set_prefix(format!("  {:<width$}", l.name));
                pb
            })
            .collect();
        PlainLanes {
            mp,
            bars,
            width,
            record,
            lang,
        }
    }

    fn log(&self, text: &str) {
        match self.record {
            Some(cast) => self.mp.suspend(|| {
                let _ = cast.write_line(text);
            }),
            None if self.mp.is_hidden() => println!("{text}"),
            None => self.mp.suspend(|| eprintln!("{text}")),
        }
    }

    fn on_event(&self, view: &DemoView, ev: &DemoEvent) {
        let (Some(pb), Some(lane)) = (self.bars.get(ev.lane), view.lanes.get(ev.lane)) else {
            return;
        };
        let (name, lang, width) = (lane.name(), self.lang, self.width);
        match &ev.kind {
            EventKind::Frame(n) => pb.set_prefix(format!(
                "{} {:<width$}",
                SPINNER[*n as usize % SPINNER.len()],
                name
            )),
            EventKind::Log(line) => self.log(&format!(
                "{:>7.3}s [{name}] {}",
                ev.demo_at.as_secs_f64(),
                line.get(lang)
            )),
            EventKind::Status(s) => pb.set_message(s.get(lang).to_string()),
            EventKind::Progress { done, total } => {
                if pb.length() != Some(*total) {
                    let bar =
                        ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {pos}/{len} {msg}")
                            .map(|s| s.progress_chars("=> "))
                            .unwrap_or_else(|_| ProgressStyle::default_bar());
                    pb.set_style(bar);
                    pb.set_length(*total);
                }
                pb.set_position(*done);
            }
            EventKind::Done => pb.finish_with_message(
                lane.status
                    .as_ref()
                    .map(|s| s.get(lang).to_string())
                    .unwrap_or_else(|| lane_state::label(LaneState::Done, lang).into()),
            ),
            EventKind::Stopped => pb.abandon_with_message(format!(
                "{} {}",
                lane_state::mark(LaneState::Stopped),
                lane_state::label(LaneState::Stopped, lang)
            )),
            EventKind::Failed(err) => pb.abandon_with_message(format!(
                "{} {err}",
                lane_state::label(LaneState::Failed, lang)
            )),
            _ => {}
        }
    }

    fn finish(&self) {
        for pb in &self.bars {
            if !pb.is_finished() {
                pb.abandon();
            }
        }
        let _ = self.mp.clear();
    }
}

fn summary(outcome: &Outcome, lang: Lang) -> String {
    use std::fmt::Write;
    let v = &outcome.view;
    let mut out = String::new();
    let slow = if (v.scale - 1.0).abs() > 1e-9 {
        format!(
            " wall, {:.2} s demo time at {}x",
            v.demo_time.as_secs_f64(),
            v.scale
        )
    } else {
        String::new()
    };
    let cut = if outcome.completed {
        ""
    } else {
        " (stopped at the time limit)"
    };
    let _ = writeln!(
        out,
        "{} — {:.2} s{slow}{cut}",
        v.info.id,
        outcome.wall.as_secs_f64()
    );
    for lane in &v.lanes {
        // A lane cut short says so; its last status may describe work it
        // never finished.
        let status = match lane.state {
            LaneState::Done | LaneState::Failed => lane.status.as_ref().map_or("", |s| s.get(lang)),
            _ => "",
        };
        let _ = writeln!(
            out,
            "  {} {} {} {status}",
            lane_state::mark(lane.state),
            lane.name(),
            lane_state::label(lane.state, lang),
        );
        if let Some(detail) = &lane.detail {
            let _ = writeln!(out, "    {}", detail.get(lang));
        }
        if let Some(err) = &lane.error {
            let _ = writeln!(out, "    error: {err}");
        }
        for m in &lane.metrics {
            let _ = writeln!(out, "    {:<20} {}", m.name, m.unit.format(m.value, lang));
        }
    }
    if v.dropped > 0 {
        let _ = writeln!(out, "  ({} events dropped)", v.dropped);
    }
    out
}

/// Parses `--seconds`: a positive number of seconds.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err("seconds must be more than 0".into())
    }
}
