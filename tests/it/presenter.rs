//! Presenter mode, themes and the instructor's keys, as drawn.

use std::time::Duration;

use crate::support::{app, draw, ev, key, screen_text};
use concur::app::App;
use concur::demo::EventKind;
use concur::demo::RunId;
use concur::lesson::Lang;
use concur::ui::theme::MONO;
use concur::ui::theme::registry::Registry;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

fn presenting(step_keys: &[KeyCode]) -> App {
    let mut a = app(Lang::En);
    a.present = true;
    a.clock_override = Some(Duration::from_secs(125));
    a.open_lesson("sample").unwrap();
    for k in step_keys {
        key(&mut a, *k);
    }
    a
}

fn feed_demo(a: &mut App) {
    a.demo_started(RunId(9), 1.0, false);
    for n in 0..7u64 {
        for lane in 0..2 {
            a.update(ev(9, lane, n * 100, EventKind::Frame(n)));
        }
    }
}

#[test]
fn presenter_text_step_at_100x30() {
    let a = presenting(&[]);
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("1/3 · 02:05"), "{text}");
    assert!(
        !text.contains("←→ step"),
        "no status line in presenter mode"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn presenter_demo_step_at_100x30_and_160x45() {
    let mut a = presenting(&[KeyCode::Right]);
    feed_demo(&mut a);
    let small = screen_text(&draw(&a, 100, 30));
    assert!(small.contains("frame 7"), "{small}");
    insta::assert_snapshot!("presenter_demo_100x30", small);
    let large = screen_text(&draw(&a, 160, 45));
    insta::assert_snapshot!("presenter_demo_160x45", large);
}

#[test]
fn p_toggles_presenter_mode_and_everything_still_works() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Char('p'));
    assert!(a.present);
    key(&mut a, KeyCode::Right);
    assert!(screen_text(&draw(&a, 100, 30)).contains("2/3"));
    key(&mut a, KeyCode::Char('?'));
    let help = screen_text(&draw(&a, 100, 30));
    for extra in [
        "presenter mode",
        "go to step N",
        "table of contents",
        "blank the screen",
        "demo speed",
        "pause / resume",
    ] {
        assert!(help.contains(extra), "help lists {extra}:\n{help}");
    }
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('p'));
    assert!(!a.present);
    assert!(screen_text(&draw(&a, 100, 30)).contains("←→ step"));
}

#[test]
fn go_to_contents_and_blank() {
    let mut a = presenting(&[]);
    for k in [KeyCode::Char('g'), KeyCode::Char('3')] {
        key(&mut a, k);
    }
    assert!(
        screen_text(&draw(&a, 100, 30)).contains("3/3"),
        "g 3 jumps (no longer number possible)"
    );
    key(&mut a, KeyCode::Char('g'));
    assert!(screen_text(&draw(&a, 100, 30)).contains("go to step (1-3):"));
    key(&mut a, KeyCode::Char('g'));
    assert!(
        screen_text(&draw(&a, 100, 30)).contains("1/3"),
        "g g goes to the first step"
    );
    key(&mut a, KeyCode::Char('o'));
    let toc = screen_text(&draw(&a, 100, 30));
    assert!(
        toc.contains("Contents") && toc.contains("2. The spinner, twice  ▶ spinner"),
        "{toc}"
    );
    insta::assert_snapshot!("contents", toc);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    assert!(screen_text(&draw(&a, 100, 30)).contains("2/3"));
    key(&mut a, KeyCode::Char('b'));
    assert!(screen_text(&draw(&a, 100, 30)).trim().is_empty(), "blank");
    key(&mut a, KeyCode::Char('x'));
    assert!(
        screen_text(&draw(&a, 100, 30)).contains("2/3"),
        "any key brings it back"
    );
}

/// Rows with their colours: `{fg/bg/modifiers}text` at every change of style.
fn styled(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut last = None;
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let c = &buf[(x, y)];
            skip = unicode_width::UnicodeWidthStr::width(c.symbol()).saturating_sub(1);
            let style = (c.fg, c.bg, c.modifier);
            if last != Some(style) {
                let name = |col: Color| match col {
                    Color::Reset => "-".to_string(),
                    Color::Rgb(r, g, b) => format!("{r:02x}{g:02x}{b:02x}"),
                    other => format!("{other:?}"),
                };
                out.push_str(&format!(
                    "{{{}/{}/{:?}}}",
                    name(c.fg),
                    name(c.bg),
                    c.modifier
                ));
                last = Some(style);
            }
            out.push_str(c.symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn each_theme_and_monochrome() {
    let themes = Registry::new(None);
    for name in ["dark", "light", "high-contrast", MONO] {
        let mut a = app(Lang::En);
        a.theme = themes.load(name).unwrap();
        a.open_lesson("sample").unwrap();
        key(&mut a, KeyCode::Right);
        feed_demo(&mut a);
        let t = draw(&a, 64, 20);
        let s = styled(&t);
        if name == MONO {
            // No colour anywhere: every cell keeps the terminal's own colours.
            let coloured: Vec<_> = t
                .backend()
                .buffer()
                .content
                .iter()
                .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
                .map(|c| (c.symbol(), c.fg, c.bg))
                .collect();
            assert!(coloured.is_empty(), "mono has no colour: {coloured:?}");
        }
        insta::assert_snapshot!(format!("theme_{name}"), s);
    }
}

#[test]
fn monochrome_shows_every_lane_state_by_glyph() {
    let mut a = app(Lang::En);
    a.theme = concur::ui::theme::Theme::mono();
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Right);
    a.demo_started(RunId(4), 1.0, false);
    a.update(ev(4, 0, 0, EventKind::Frame(1)));
    a.update(ev(
        4,
        1,
        0,
        EventKind::Failed(concur::demo::ErrorReport::msg("boom")),
    ));
    let text = screen_text(&draw(&a, 100, 30));
    assert!(
        text.contains("● running") && text.contains("✗ failed"),
        "{text}"
    );
    // The failed lane is marked by a style without colour too.
    let buf = draw(&a, 100, 30);
    let failed = buf
        .backend()
        .buffer()
        .content
        .iter()
        .any(|c| c.symbol() == "✗" && c.modifier.contains(Modifier::REVERSED));
    assert!(failed, "failure is reversed in mono");
}

#[test]
fn t_cycles_the_themes_and_asks_to_save() {
    let mut a = app(Lang::En);
    let themes = Registry::new(None);
    a.themes = themes
        .names()
        .iter()
        .map(|n| themes.load(n).unwrap())
        .collect();
    let mut seen = vec![a.theme.name.clone()];
    for _ in 0..a.themes.len() {
        let e = key(&mut a, KeyCode::Char('T'));
        assert!(e.save_config && e.redraw);
        seen.push(a.theme.name.clone());
    }
    assert_eq!(seen, ["dark", "high-contrast", "light", "mono", "dark"]);
}
