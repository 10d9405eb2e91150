//! The 100x30 rule: every step of every built-in lesson, in both languages,
//! drawn at 100x30 with its demo finished (run headless, small parameters),
//! shows everything a student is asked to read or watch.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{App, Screen, Transition};
use crate::demo::{self, DemoView, HeadlessOptions, Params};
use crate::i18n::Lang;
use crate::lesson::Catalog;
use crate::lesson::model::DemoSlot;
use crate::progress::Progress;
use crate::ui::theme::Theme;

/// Smaller runs of the demos, so the whole suite stays quick: the same
/// lanes and log lines, less work.
fn small(id: &str) -> Params {
    let p = Params::new();
    match id {
        "spinner" => p.with("call_ms", "600"),
        "parallel" => p.with("chunk_ms", "15").with("chunks", "3"),
        "executor" => p.with("step_ms", "5"),
        "file-io" => p.with("file_mb", "2"),
        "io-models" => p
            .with("clients", "3")
            .with("requests", "8")
            .with("think_ms", "2"),
        _ => p,
    }
}

/// Every variant of a demo slot a student can run: as written, then each
/// deliberate failure `f` cycles through.
fn variants(slot: &DemoSlot) -> Vec<Params> {
    let Some(d) = demo::find(&slot.id) else {
        return Vec::new();
    };
    let mut out = vec![slot.params.clone()];
    while let Some(next) = d.next_failure(out.last().unwrap_or(&slot.params)) {
        if out.contains(&next) || out.len() > 8 {
            break;
        }
        out.push(next);
    }
    out
}

/// Two views of one run of `id` with `params`: the moment its lanes knew
/// the most (mid-run, what a student steps through) and its end. Cached:
/// several steps and both languages share a run.
pub(crate) fn runs(id: &str, params: &Params) -> Vec<DemoView> {
    static RUNS: OnceLock<Mutex<HashMap<String, Vec<DemoView>>>> = OnceLock::new();
    let key = format!("{id} {params:?}");
    let cache = RUNS.get_or_init(Mutex::default);
    if let Some(v) = cache.lock().ok().and_then(|r| r.get(&key).cloned()) {
        return v;
    }
    let d = demo::find(id).expect("a built-in demo");
    let knowing = |v: &DemoView| -> usize {
        v.lanes
            .iter()
            .flat_map(|l| &l.knows)
            .map(|(k, v)| k.en.len() + v.en.len())
            .sum()
    };
    let mut busiest: Option<DemoView> = None;
    let outcome = demo::run_headless(
        d,
        params.merged(&small(id)),
        HeadlessOptions::default(),
        |v, _| {
            if busiest.as_ref().is_none_or(|b| knowing(v) > knowing(b)) {
                busiest = Some(v.clone());
            }
        },
    )
    .expect("small parameters are valid");
    let mut views: Vec<DemoView> = busiest
        .filter(|b| knowing(b) > knowing(&outcome.view))
        .into_iter()
        .collect();
    views.push(outcome.view);
    for v in &mut views {
        // Shown as the student sees it: the step's parameters, not ours.
        v.params = params.clone();
    }
    if let Ok(mut r) = cache.lock() {
        r.insert(key, views.clone());
    }
    views
}

/// The end of a run (see `runs`).
pub(crate) fn finished(id: &str, params: &Params) -> DemoView {
    runs(id, params).pop().expect("a run has an end")
}

pub(crate) fn app_at(lang: Lang, id: &str, step: usize) -> App {
    let mut app = App::new(Catalog::builtin(), lang, Theme::mono(), Progress::default());
    app.apply(Transition::OpenLesson {
        id: id.to_string(),
        step: Some(step),
    });
    app
}

pub(crate) fn with_demo(app: &mut App, view: DemoView) {
    if let Screen::Lesson(l) = &mut app.screen {
        l.demo = Some(view);
    }
}

/// The screen as text, a wide character counted once.
pub(crate) fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    t.draw(|f| f.render_widget(app, f.area()))
        .expect("drawing into memory");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..w {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Writes every step's screen, at several sizes, to $CONCUR_SCREENS (a
/// folder): for looking at, not a check. `cargo test --lib dump_screens --
/// --ignored`.
#[test]
#[ignore]
fn dump_screens() {
    let dir = std::env::var("CONCUR_SCREENS").unwrap_or_else(|_| "/tmp/concur-screens".into());
    std::fs::create_dir_all(&dir).unwrap();
    let catalog = Catalog::builtin();
    for set in &catalog.lessons {
        for lang in Lang::ALL {
            let lesson = set.get(lang);
            let mut out = String::new();
            for (i, step) in lesson.steps.iter().enumerate() {
                let runs: Vec<Option<Params>> = match &step.demo {
                    Some(slot) => variants(slot).into_iter().map(Some).collect(),
                    None => vec![None],
                };
                for params in runs {
                    for (w, h) in [(100, 30), (80, 24), (160, 45), (60, 20)] {
                        let mut app = app_at(lang, &set.id, i);
                        if let (Some(p), Some(slot)) = (&params, &step.demo) {
                            with_demo(&mut app, finished(&slot.id, p));
                        }
                        for present in [false, true] {
                            if present && (w, h) != (160, 45) && (w, h) != (100, 30) {
                                continue;
                            }
                            app.present = present;
                            app.clock_override = Some(std::time::Duration::from_secs(61));
                            out.push_str(&format!(
                                "=== step {} {w}x{h}{} {:?}\n",
                                i + 1,
                                if present { " present" } else { "" },
                                params.as_ref().map(|p| p.pairs().collect::<Vec<_>>())
                            ));
                            out.push_str(&screen(&app, w, h));
                        }
                    }
                }
            }
            let name = format!("{dir}/{:02}-{}-{}.txt", set.order, set.id, lang.code());
            std::fs::write(name, out).unwrap();
        }
    }
}
