//! The 100x30 rule: every step of every built-in lesson, in both languages,
//! drawn at 100x30 with its demo finished (run headless, small parameters),
//! shows everything a student is asked to read or watch.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{App, Screen, Transition};
use crate::demo::{self, DemoView, HeadlessOptions, LaneView, Params};
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
        "race" => p.with("withdrawals", "2000"),
        "runtimes" => p
            .with("hog_ms", "100")
            .with("rounds", "2000")
            .with("items", "2000"),
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

/// A drawn screen: the buffer, and the same as text rows.
struct Drawn {
    buf: Buffer,
}

impl Drawn {
    fn new(app: &App, w: u16, h: u16) -> Drawn {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        app.render(buf.area, &mut buf);
        Drawn { buf }
    }

    /// The text of columns `x0..x1` from row `y0` down, every blank
    /// removed: wrapped lines join up, whatever the language.
    fn column(&self, x0: u16, x1: u16, y0: u16) -> String {
        let a = self.buf.area;
        let mut out = String::new();
        for y in y0..a.bottom() {
            for x in x0..x1.min(a.right()) {
                out.push_str(self.buf[(x, y)].symbol());
            }
        }
        squeeze(&out)
    }

    /// The row where the lanes' titles are, and the columns of each lane
    /// (split at the `┬` between them).
    fn lanes(&self) -> Option<(u16, Vec<(u16, u16)>)> {
        let a = self.buf.area;
        let row = (a.y..a.bottom())
            .find(|&y| (a.x..a.right()).any(|x| self.buf[(x, y)].symbol() == "┬"))?;
        let mut cols = Vec::new();
        let mut start = a.x;
        for x in a.x..a.right() {
            if self.buf[(x, row)].symbol() == "┬" {
                cols.push((start, x));
                start = x + 1;
            }
        }
        cols.push((start, a.right()));
        Some((row, cols))
    }

    fn text(&self) -> String {
        crate::ui::test_util::buffer_text(&self.buf)
    }
}

/// Without any blank, so text wrapped over rows compares with the original;
/// without the glyphs of a spinner's ring either, which sits beside the
/// rows of a status (`·` goes from both sides alike).
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !"█▓▒·".contains(*c))
        .collect()
}

/// What a lane must show whole: its status (or error and causes), what it
/// knows, and its figures.
fn must_show(lane: &LaneView, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    match (&lane.error, &lane.status) {
        (Some(err), _) => {
            out.push(format!("✗ {}", err.message));
            out.extend(err.chain.iter().cloned());
        }
        (None, Some(st)) => out.push(st.get(lang).to_string()),
        (None, None) => {}
    }
    for (k, v) in &lane.knows {
        out.push(format!("{} = {}", k.get(lang), v.get(lang)));
    }
    for m in &lane.metrics {
        out.push(format!("{} {}", m.name, m.unit.format(m.value, lang)));
    }
    out
}

/// Every problem with a step drawn at `w` x `h` with `view` as its demo.
fn problems_at(app: &App, view: Option<&DemoView>, w: u16, h: u16) -> Vec<String> {
    let lang = app.lang;
    let drawn = Drawn::new(app, w, h);
    let mut out = Vec::new();
    if let Screen::Lesson(l) = &app.screen
        && l.max_scroll() > 0
    {
        out.push(format!("the text needs {} more rows", l.max_scroll()));
    }
    let Some(v) = view else {
        return out;
    };
    let Some((row, cols)) = drawn.lanes().or_else(|| {
        // One lane, or none drawn: nothing to split.
        (v.lanes.len() < 2).then(|| (0, vec![(0, w)]))
    }) else {
        out.push("no lanes drawn".into());
        return out;
    };
    let shown = v.shown(cols.len());
    for (&i, &(x0, x1)) in shown.iter().zip(&cols) {
        let lane = &v.lanes[i];
        let text = drawn.column(x0, x1, row + 1);
        for want in must_show(lane, lang) {
            if !text.contains(&squeeze(&want)) {
                out.push(format!("lane {}: `{want}` is not shown whole", lane.name()));
            }
        }
        // The lines a step asks the student to find in a log.
        for line in lane.log.iter().map(|l| l.get(lang)) {
            if line.contains("EPERM") && !text.contains(&squeeze(line)) {
                out.push(format!(
                    "lane {}: log line `{line}` is not shown",
                    lane.name()
                ));
            }
        }
    }
    let screen = squeeze(&drawn.text());
    if v.lanes.len() > 2 {
        for (i, lane) in v.lanes.iter().enumerate() {
            if !screen.contains(&format!(
                "{}{}",
                i + 1,
                crate::ui::lane_state::mark(lane.state)
            )) {
                out.push(format!(
                    "table row {} ({}) is not shown",
                    i + 1,
                    lane.name()
                ));
            }
        }
    }
    out
}

/// The 100x30 rule, over every step of every built-in lesson in both
/// languages: the text shows whole, and with the demo run (each failure `f`
/// can inject too; mid-run and finished), every lane drawn shows its
/// status or error chain, what it knows, its figures and the log lines a
/// step points at; a many-lane demo's table shows every lane.
#[test]
fn every_step_fits_100x30_in_both_languages_with_its_demo_done() {
    let (w, h) = crate::ui::fit::CLASS_SIZE;
    let catalog = Catalog::builtin();
    let mut problems = Vec::new();
    for set in &catalog.lessons {
        for lang in Lang::ALL {
            let lesson = set.get(lang);
            for (i, step) in lesson.steps.iter().enumerate() {
                let mut app = app_at(lang, &set.id, i);
                let at = format!("{} ({}) step {}", set.id, lang.code(), i + 1);
                for p in problems_at(&app, None, w, h) {
                    problems.push(format!("{at}: {p}"));
                }
                let Some(slot) = &step.demo else { continue };
                for params in variants(slot) {
                    for view in runs(&slot.id, &params) {
                        with_demo(&mut app, view.clone());
                        for p in problems_at(&app, Some(&view), w, h) {
                            let pairs: Vec<String> =
                                params.pairs().map(|(k, v)| format!("{k}={v}")).collect();
                            problems.push(format!("{at} [{}]: {p}", pairs.join(" ")));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The spinner's logs, which its step in lesson 4 asks students to compare,
/// show at 80x30 too (80x24 did before its Python lanes' table took five
/// rows): every line, cut at the lane's edge at worst.
#[test]
fn the_spinner_logs_show_whole_at_80x30() {
    let catalog = Catalog::builtin();
    let set = catalog.find("threads-vs-coroutines").expect("lesson 4");
    for lang in Lang::ALL {
        let lesson = set.get(lang);
        let i = lesson
            .steps
            .iter()
            .position(|s| s.demo.as_ref().is_some_and(|d| d.id == "spinner"))
            .expect("a spinner step");
        let slot = lesson.steps[i].demo.as_ref().expect("its demo");
        let view = finished(&slot.id, &slot.params);
        let mut app = app_at(lang, &set.id, i);
        with_demo(&mut app, view.clone());
        let drawn = Drawn::new(&app, 80, 30);
        let (row, cols) = drawn.lanes().expect("two lanes");
        for (lane, (x0, x1)) in view.lanes.iter().zip(cols) {
            let text = drawn.column(x0, x1, row + 1);
            for line in &lane.log {
                let line = crate::ui::wrap::truncate(line.get(lang), (x1 - x0) as usize);
                assert!(
                    text.contains(&squeeze(&line)),
                    "{} ({}): `{line}` is not shown\n{}",
                    lane.name(),
                    lang.code(),
                    drawn.text()
                );
            }
        }
    }
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
    let mut home = String::new();
    for lang in Lang::ALL {
        for (w, h) in [(100, 30), (60, 20), (160, 45)] {
            for present in [false, true] {
                let mut app =
                    App::new(Catalog::builtin(), lang, Theme::mono(), Progress::default());
                app.present = present;
                home.push_str(&format!("=== home {w}x{h} {present}\n"));
                home.push_str(&screen(&app, w, h));
            }
        }
    }
    std::fs::write(format!("{dir}/home.txt"), home).unwrap();
}
