//! Demos outside the TUI: `--plain` draws them with indicatif on a normal
//! terminal, `--json` prints what they measured.

use std::collections::HashMap;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use serde_json::{Map, Value, json};

use crate::demo::{
    Demo, DemoEvent, DemoView, EventKind, HeadlessOptions, LaneState, Outcome, Params, run_headless,
};
use crate::record::CastTerm;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The measured figures of a finished run, as `concur demo ID --json` prints them.
pub fn to_json(outcome: &Outcome) -> Value {
    let v = &outcome.view;
    let lanes: Vec<Value> = v
        .lanes
        .iter()
        .map(|lane| {
            let metrics: Map<String, Value> = lane
                .metrics
                .iter()
                .map(|m| (m.name.to_string(), number(m.value)))
                .collect();
            let mut obj = json!({ "name": lane.name, "metrics": metrics });
            if let Some(err) = &lane.error {
                obj["error"] = json!(err.to_string());
            }
            if lane.state != LaneState::Done {
                obj["state"] = json!(format!("{:?}", lane.state).to_lowercase());
            }
            obj
        })
        .collect();
    json!({
        "demo": v.info.id,
        "seconds": round3(outcome.wall.as_secs_f64()),
        "demo_seconds": round3(v.demo_time.as_secs_f64()),
        "speed": v.scale,
        "completed": outcome.completed,
        "dropped_events": v.dropped,
        "lanes": lanes,
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        json!(x as i64)
    } else {
        json!(round3(x))
    }
}

/// Runs a demo and draws it live with one indicatif line per lane; with
/// `record`, everything drawn also goes into an asciinema cast.
pub fn run_plain(
    demo: &dyn Demo,
    params: Params,
    opts: HeadlessOptions,
    record: Option<&CastTerm>,
) -> Outcome {
    let target = match record {
        Some(cast) => ProgressDrawTarget::term_like_with_hz(Box::new(cast.clone()), 20),
        None => ProgressDrawTarget::stderr_with_hz(20),
    };
    let mp = MultiProgress::with_draw_target(target);
    let style = ProgressStyle::with_template("{prefix:.bold} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let info = demo.info();
    let width = info.lanes.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let bars: Vec<ProgressBar> = info
        .lanes
        .iter()
        .map(|l| {
            let pb = mp.add(ProgressBar::new_spinner().with_style(style.clone()));
            pb.set_prefix(format!("  {:<width$}", l.name));
            pb
        })
        .collect();
    let hidden = mp.is_hidden();
    let mut last_line: HashMap<usize, String> = HashMap::new();
    let outcome = run_headless(demo, params, opts, |view: &DemoView, ev: &DemoEvent| {
        let Some(pb) = bars.get(ev.lane) else { return };
        let lane = &view.lanes[ev.lane];
        let name = lane.name;
        match &ev.kind {
            EventKind::Frame(n) => {
                pb.set_prefix(format!(
                    "{} {:<width$}",
                    SPINNER[*n as usize % SPINNER.len()],
                    name
                ));
            }
            EventKind::Log(line) => {
                let text = format!("{:>7.3}s [{name}] {line}", ev.demo_at.as_secs_f64());
                match record {
                    Some(cast) => mp.suspend(|| {
                        let _ = cast.write_line(&text);
                    }),
                    None if hidden => println!("{text}"),
                    None => mp.suspend(|| eprintln!("{text}")),
                }
                last_line.insert(ev.lane, line.clone());
            }
            EventKind::Status(s) => pb.set_message(s.clone()),
            EventKind::Progress { done, total } => pb.set_message(format!("{done}/{total}")),
            EventKind::Done => {
                pb.finish_with_message(lane.status.clone().unwrap_or_else(|| "done".into()))
            }
            EventKind::Failed(err) => pb.abandon_with_message(format!("failed: {err}")),
            _ => {}
        }
    });
    for pb in &bars {
        if !pb.is_finished() {
            pb.abandon();
        }
    }
    let _ = mp.clear();
    let summary = summary(&outcome);
    print!("{summary}");
    if let Some(cast) = record {
        let _ = cast.emit(&summary.replace('\n', "\r\n"));
        let _ = cast.finish();
    }
    outcome
}

fn summary(outcome: &Outcome) -> String {
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
        let status = lane.status.as_deref().unwrap_or("");
        let _ = writeln!(out, "  {} [{:?}] {status}", lane.name, lane.state);
        if let Some(err) = &lane.error {
            let _ = writeln!(out, "    error: {err}");
        }
        for m in &lane.metrics {
            let _ = writeln!(out, "    {:<20} {}", m.name, m.unit.format(m.value));
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
