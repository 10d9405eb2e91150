//! The lesson screen driven by real key events through `App::update`, and
//! drawn at a class's 100x30: zooming a lane, scrolling its log, results
//! kept when paging, code scrolled sideways, the warm-up key.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::fit_tests::{app_at, screen, with_demo};
use crate::app::{App, DemoCommand, Msg, Screen};
use crate::demo::{DemoEvent, EventKind, Params, RunId};
use crate::i18n::{Lang, LocalText};

fn key(app: &mut App, code: KeyCode) -> crate::app::Effect {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn chars(app: &mut App, keys: &str) {
    for c in keys.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Lesson `id` at the first step with demo `demo`.
fn at_demo(lang: Lang, id: &str, demo: &str) -> (App, usize) {
    let catalog = crate::lesson::Catalog::builtin();
    let step = catalog
        .find(id)
        .expect("a built-in lesson")
        .get(lang)
        .steps
        .iter()
        .position(|s| s.demo.as_ref().is_some_and(|d| d.id == demo))
        .expect("a step with that demo");
    (app_at(lang, id, step), step)
}

fn lesson(app: &App) -> &crate::app::lesson::LessonState {
    match &app.screen {
        Screen::Lesson(l) => l,
        _ => panic!("not on a lesson"),
    }
}

#[test]
fn z_zooms_a_lane_over_the_pane_and_its_whole_log_scrolls() {
    let (mut app, _) = at_demo(Lang::En, "executors", "file-io");
    // A finished run (made up, so the snapshot stays put) whose log is far
    // longer than any pane: every line is kept.
    let mut view =
        crate::demo::DemoView::new(crate::demo::find("file-io").unwrap().info(), Params::new());
    view.reset(RunId(5));
    let figures = [
        ("max_lag_ms", 412.0, crate::demo::Unit::Ms),
        ("epoll_file_eperm", 1.0, crate::demo::Unit::Flag),
        ("bytes_written", 134217728.0, crate::demo::Unit::Bytes),
    ];
    let mut events = vec![
        EventKind::Frame(7),
        EventKind::Status(LocalText::same("spinner drew 8 of 34 frames")),
        EventKind::Log(LocalText::same("2 files of 64 MiB, write + read back")),
        EventKind::Log(LocalText::same("epoll_ctl(ADD, regular file) = -1 EPERM")),
    ];
    for n in 0..60 {
        events.push(EventKind::Log(LocalText::same(format!(
            "extra line {n:02}"
        ))));
    }
    for (name, value, unit) in figures {
        events.push(EventKind::Metric(crate::demo::Metric { name, value, unit }));
    }
    events.push(EventKind::Done);
    // Every other lane (the Rust twin, the Python lanes) done too.
    let others = view.lanes.len();
    let lanes = events
        .into_iter()
        .map(|k| (0, k))
        .chain((1..others).map(|lane| (lane, EventKind::Done)));
    for (lane, kind) in lanes {
        view.apply(DemoEvent {
            run: RunId(5),
            lane,
            at: Duration::from_millis(3400),
            demo_at: Duration::from_millis(3400),
            kind,
        });
    }
    with_demo(&mut app, view);
    let before = screen(&app, 100, 30);
    assert!(before.contains("↑"), "hidden lines are counted\n{before}");
    key(&mut app, KeyCode::Char('z'));
    let zoomed = screen(&app, 100, 30);
    assert!(zoomed.contains("zoomed: z back"), "{zoomed}");
    assert!(zoomed.contains("extra line 59"), "{zoomed}");
    assert!(
        !zoomed.contains("executor: the same calls"),
        "the other lane gives way\n{zoomed}"
    );
    // PgUp scrolls back through the log; the first line of the run is there.
    for _ in 0..10 {
        key(&mut app, KeyCode::PageUp);
    }
    let top = screen(&app, 100, 30);
    assert!(
        top.contains("2 files of 64 MiB") || top.contains("files of"),
        "{top}"
    );
    assert!(!top.contains("extra line 59"), "{top}");
    assert_eq!(lesson(&app).step, lesson(&app).step, "PgUp did not page");
    // The pane only: the step's words above it are the lesson's, not ours.
    let pane: Vec<&str> = top.lines().skip_while(|l| !l.contains(" demo: ")).collect();
    insta::assert_snapshot!("zoomed_lane_scrolled_back", pane.join("\n"));
    // z again: the next lane; then back to both.
    key(&mut app, KeyCode::Char('z'));
    key(&mut app, KeyCode::Char('z'));
    let both = screen(&app, 100, 30);
    assert!(both.contains("executor: the same calls") && both.contains("blocking: std::fs"));
    assert!(!both.contains("zoomed: z back"));
}

#[test]
fn a_run_left_behind_comes_back_marked_as_earlier_results() {
    let (mut app, step) = at_demo(Lang::En, "threads-vs-coroutines", "spinner");
    let effect = key(&mut app, KeyCode::Char(' '));
    assert!(matches!(effect.demo, Some(DemoCommand::Start { .. })));
    app.demo_started(RunId(41), 1.0, false);
    for lane in 0..2 {
        app.update(Msg::Demo(DemoEvent {
            run: RunId(41),
            lane,
            at: Duration::from_millis(300),
            demo_at: Duration::from_millis(300),
            kind: EventKind::Frame(3),
        }));
    }
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Left);
    assert_eq!(lesson(&app).step, step);
    let text = screen(&app, 100, 30);
    assert!(
        text.contains("results of the last run; Space runs it again"),
        "{text}"
    );
    assert!(text.contains("■ stopped"), "cut short by paging\n{text}");
    assert!(text.contains("frame 4"), "the old figures are back\n{text}");
    // Space runs it again: the mark goes.
    key(&mut app, KeyCode::Char(' '));
    app.demo_started(RunId(42), 1.0, false);
    assert!(!screen(&app, 100, 30).contains("results of the last run"));
}

#[test]
fn code_scrolls_sideways_to_show_a_cut_line() {
    // At 40 columns the pair is stacked and its long lines are cut with `…`.
    let mut app = app_at(Lang::En, "event-loop", 1);
    let cut = screen(&app, 40, 40);
    assert!(cut.contains('…'), "{cut}");
    assert!(!cut.contains("# to its next await"), "{cut}");
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('>'));
    }
    let moved = screen(&app, 40, 40);
    assert!(moved.contains("to its next await"), "{moved}");
    chars(&mut app, "<<<");
    assert_eq!(screen(&app, 40, 40), cut);
}

#[test]
fn shift_p_warms_up_the_lessons_demos_and_says_so() {
    let (mut app, _) = at_demo(Lang::En, "concurrency-vs-parallelism", "parallel");
    let e = key(&mut app, KeyCode::Char('P'));
    let demos = e.prerun.expect("the demos to warm up");
    assert_eq!(
        demos.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["parallel", "parallel"],
        "both of the lesson's runs (cpu and io)"
    );
    app.present = true;
    app.clock_override = Some(Duration::from_secs(5));
    let warming = screen(&app, 100, 30);
    assert!(warming.contains("warming up the demos 0/2"), "{warming}");
    app.update(Msg::Prerun(crate::app::prerun::PrerunStatus {
        done: 2,
        total: 2,
        finished: true,
        ..Default::default()
    }));
    let ready = screen(&app, 100, 30);
    assert!(ready.contains("demos warmed up: ready ✓"), "{ready}");
    // On a step without a demo, and a lesson without any: it says so.
    let mut plain = app_at(Lang::En, "async-world", 0);
    let e = key(&mut plain, KeyCode::Char('P'));
    if e.prerun.is_none() {
        assert!(plain.flash.is_some());
    }
}

#[test]
fn presenter_titles_in_chinese_sit_on_a_banner() {
    let mut app = app_at(Lang::Zh, "threads-vs-coroutines", 0);
    app.present = true;
    app.clock_override = Some(Duration::from_secs(65));
    let text = screen(&app, 160, 45);
    let title = &lesson_title(&app);
    let spaced: String = title
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| format!("{c} "))
        .collect();
    assert!(
        squeeze_spaces(&text).contains(&squeeze_spaces(&spaced)),
        "{text}"
    );
    assert!(text.contains("1/"), "{text}");
    assert!(text.contains("01:05 · 14:05"), "{text}");
}

fn lesson_title(app: &App) -> String {
    let l = lesson(app);
    app.catalog.find(&l.id).unwrap().get(app.lang).steps[l.step]
        .title
        .clone()
}

fn squeeze_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// With the Python lanes' rows in the lane table, 60x26 is the smallest
/// screen that keeps them (60x20 did before the table).
#[test]
fn the_rayon_rows_stay_at_60x26() {
    let (mut app, _) = at_demo(Lang::En, "concurrency-vs-parallelism", "parallel");
    let params = Params::new().with("workload", "cpu");
    with_demo(
        &mut app,
        crate::app::fit_tests::finished("parallel", &params),
    );
    let text = screen(&app, 60, 26);
    for row in ["event-loop", "rayon-0", "rayon-1"] {
        assert!(text.contains(row), "{row}\n{text}");
    }
}

#[test]
fn a_wide_projector_shows_three_lanes_big_spinners_and_big_figures() {
    let (mut app, _) = at_demo(Lang::En, "io-models", "io-models");
    app.present = true;
    app.clock_override = Some(Duration::from_secs(1));
    with_demo(
        &mut app,
        crate::app::fit_tests::finished("io-models", &Params::new()),
    );
    let three = screen(&app, 160, 45);
    for lane in [
        "blocking: a thread",
        "nonblocking: one thread",
        "epoll: one thread",
    ] {
        assert!(three.contains(lane), "{lane}\n{three}");
    }
    let (mut app, _) = at_demo(Lang::En, "threads-vs-coroutines", "spinner");
    app.present = true;
    app.clock_override = Some(Duration::from_secs(1));
    with_demo(
        &mut app,
        crate::app::fit_tests::finished("spinner", &Params::new()),
    );
    let big = screen(&app, 160, 45);
    let small = {
        app.present = false;
        screen(&app, 100, 30)
    };
    // Ring cells four columns wide on the projector, two on a laptop: the
    // frame line beside the ring starts further right.
    let frame_col = |s: &str| {
        s.lines()
            .find_map(|l| l.find("frame ").map(|b| l[..b].chars().count()))
            .unwrap_or(0)
    };
    assert!(frame_col(&big) >= 14 + 2, "{big}");
    assert_eq!(frame_col(&small), 8, "{small}");
    // The third lane drawn is py-thread, whose code pane leaves no room for
    // big letters, and lanes side by side read alike: "Answer: 42" stays
    // plain in all three lanes (and the step's words), as on a laptop's two.
    assert_eq!(big.matches("Answer: 42").count(), 4, "{big}");
    assert_eq!(small.matches("Answer: 42").count(), 3, "{small}");
}
