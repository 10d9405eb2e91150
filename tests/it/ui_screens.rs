//! The screens as a student sees them, drawn into ratatui's TestBackend.

use crate::support::{app, draw, ev, key, run_demo_for, screen_text};
use concur::app::DemoCommand;
use concur::demo::EventKind;
use concur::demo::RunId;
use concur::i18n::LocalText;
use concur::lesson::Lang;
use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

#[test]
fn home_lists_lessons_with_viewed_marks() {
    let mut a = app(Lang::En);
    a.progress.lesson_mut("other").viewed = true;
    let t = draw(&a, 100, 30);
    insta::assert_snapshot!(screen_text(&t));
}

#[test]
fn lesson_text_step_renders_tables_quotes_and_code_pairs() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    let t = draw(&a, 100, 30);
    insta::assert_snapshot!(screen_text(&t));
}

#[test]
fn chinese_lesson_wraps_between_characters() {
    let mut a = app(Lang::Zh);
    a.open_lesson("sample").unwrap();
    let t = draw(&a, 60, 30);
    insta::assert_snapshot!(screen_text(&t));
}

#[test]
fn demo_step_before_start() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Right);
    let t = draw(&a, 100, 30);
    insta::assert_snapshot!(screen_text(&t));
}

#[test]
fn demo_step_with_fixed_events() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Right);
    let e = key(&mut a, KeyCode::Char(' '));
    assert!(matches!(e.demo, Some(DemoCommand::Start { ref id, .. }) if id == "spinner"));
    a.demo_started(RunId(7), 1.0, false);
    for n in 0..5 {
        a.update(ev(7, 0, n * 100, EventKind::Frame(n)));
        a.update(ev(7, 1, n * 100, EventKind::Frame(n)));
    }
    a.update(ev(
        7,
        0,
        0,
        EventKind::Log(LocalText::same("main: start the spinner thread")),
    ));
    for (i, lag) in [0.2, 0.3, 0.1, 0.4, 0.2, 0.3, 0.2, 0.1, 0.3, 0.4]
        .iter()
        .enumerate()
    {
        a.update(ev(7, 1, 50 + i as u64 * 50, EventKind::Lag(*lag)));
    }
    a.update(ev(
        7,
        0,
        500,
        EventKind::Status(LocalText::same("Answer: 42")),
    ));
    a.update(ev(
        7,
        0,
        500,
        EventKind::Metric(concur::demo::Metric {
            name: "ticks",
            value: 5.0,
            unit: concur::demo::Unit::Count,
        }),
    ));
    // Events of another run are ignored.
    a.update(ev(99, 0, 600, EventKind::Status(LocalText::same("stale"))));
    let t = draw(&a, 100, 30);
    let text = screen_text(&t);
    assert!(text.contains("Answer: 42"));
    assert!(!text.contains("stale"));
    insta::assert_snapshot!(text);
}

#[test]
fn help_overlay_lists_the_keys() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Char('?'));
    let t = draw(&a, 100, 30);
    let text = screen_text(&t);
    for needle in [
        "Space",
        "start / stop the demo",
        "restart the demo",
        "next / previous step",
        "quit",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    insta::assert_snapshot!(text);
    // Any key closes it.
    key(&mut a, KeyCode::Char('x'));
    assert!(!a.help);
}

#[test]
fn every_size_draws_without_panic() {
    let mut screens = Vec::new();
    let home = app(Lang::En);
    screens.push(home);
    let mut lesson = app(Lang::Zh);
    lesson.open_lesson("sample").unwrap();
    key(&mut lesson, KeyCode::Right);
    lesson.demo_started(RunId(3), 1.0, false);
    lesson.update(ev(3, 0, 10, EventKind::Frame(1)));
    lesson.update(ev(3, 1, 10, EventKind::Lag(12.0)));
    screens.push(lesson);
    let mut help = app(Lang::En);
    key(&mut help, KeyCode::Char('?'));
    screens.push(help);
    let sizes = (1..=300u16)
        .step_by(13)
        .chain([39, 40, 41, 299, 300])
        .flat_map(|w| {
            (1..=90u16)
                .step_by(7)
                .chain([11, 12, 13, 89, 90])
                .map(move |h| (w, h))
        });
    // Straight into a buffer: the widgets are what could panic, and a
    // `Terminal` would triple the work (its two buffers, their diff and the
    // backend's copy) for ~1,500 draws in a debug build.
    for (w, h) in sizes {
        let area = Rect::new(0, 0, w, h);
        for a in &screens {
            a.render(area, &mut Buffer::empty(area));
        }
    }
}

#[test]
fn too_small_says_so() {
    let a = app(Lang::En);
    let text = screen_text(&draw(&a, 30, 8));
    assert!(text.contains("Terminal too small"), "{text}");
    assert!(text.contains("30x8 < 40x12"), "{text}");
}

#[test]
fn resizing_reflows_the_text() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    let wide = screen_text(&draw(&a, 120, 30));
    let narrow = screen_text(&draw(&a, 50, 30));
    assert!(wide.lines().any(|l| {
        l.contains("A thread can be paused by the scheduler anywhere; a coroutine only at")
    }));
    assert!(
        narrow
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 50)
    );
    assert!(!narrow.contains("A thread can be paused by the scheduler anywhere; a coroutine"));
}

#[test]
fn steps_scroll_and_navigation() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    draw(&a, 100, 12); // a short screen: the first step must scroll
    assert!(key(&mut a, KeyCode::Down).redraw);
    assert!(key(&mut a, KeyCode::Char('j')).redraw);
    key(&mut a, KeyCode::Char('l'));
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("step 2/3"), "{text}");
    key(&mut a, KeyCode::End);
    assert!(screen_text(&draw(&a, 100, 30)).contains("step 3/3"));
    // Past the last step comes the quiz; Esc comes back to the lesson.
    key(&mut a, KeyCode::Right);
    assert!(matches!(a.screen, concur::app::Screen::Quiz(_)));
    key(&mut a, KeyCode::Esc);
    assert!(screen_text(&draw(&a, 100, 30)).contains("step 3/3"));
    key(&mut a, KeyCode::Home);
    assert!(screen_text(&draw(&a, 100, 30)).contains("step 1/3"));
    assert!(a.progress.is_viewed("sample"));
    key(&mut a, KeyCode::Esc);
    assert!(screen_text(&draw(&a, 100, 30)).contains("Lessons"));
    assert!(key(&mut a, KeyCode::Char('q')).quit);
}

#[test]
fn leaving_a_running_demo_stops_it() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Right);
    key(&mut a, KeyCode::Char(' '));
    a.demo_started(RunId(5), 1.0, false);
    assert_eq!(a.active_run(), Some(RunId(5)));
    // Paging away: the view on screen no longer runs it, so the loop drops
    // the run (there is no stop command to forget).
    key(&mut a, KeyCode::Left);
    assert_eq!(a.active_run(), None);
    // Coming back shows that run's results, stopped, not running.
    key(&mut a, KeyCode::Right);
    assert_eq!(a.active_run(), None);
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("■"), "{text}");
    key(&mut a, KeyCode::Char(' '));
    a.demo_started(RunId(6), 1.0, false);
    assert_eq!(a.active_run(), Some(RunId(6)));
    let e = key(&mut a, KeyCode::Char('q'));
    assert!(e.quit);
}

#[test]
fn a_real_demo_run_reaches_the_screen() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Right);
    let start = key(&mut a, KeyCode::Char(' '))
        .demo
        .expect("space starts the demo");
    run_demo_for(&mut a, start);
    let text = screen_text(&draw(&a, 100, 30));
    assert_eq!(text.matches("Answer: 42").count(), 2, "{text}");
    assert!(text.contains("✓ done"), "{text}");
}
