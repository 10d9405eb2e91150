//! Fixtures shared by the integration tests.
#![allow(dead_code)]

pub mod pty;

use std::path::PathBuf;

use concur::app::{App, Effect, Msg};
use concur::lesson::{Catalog, Lang, Source};
use concur::progress::Progress;
use concur::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons")
}

pub fn fixture_catalog() -> Catalog {
    let c = Catalog::load(&Source::Dir(fixture_dir()));
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    c
}

pub fn app(lang: Lang) -> App {
    App::new(fixture_catalog(), lang, Theme::dark(), Progress::default())
}

pub fn key(app: &mut App, code: KeyCode) -> Effect {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    t
}

/// The screen as plain text lines, trailing spaces removed.
pub fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            // A wide character covers the next cell too.
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Runs the demo the app asked for and feeds its events back, as run.rs
/// does, until the app's demo is finished.
pub fn run_demo_for(a: &mut App, cmd: concur::app::DemoCommand) {
    use concur::demo::{self, DemoRun, sink};
    use std::time::Duration;
    let concur::app::DemoCommand::Start {
        id, params, scale, ..
    } = cmd
    else {
        panic!("expected a demo start");
    };
    let (senders, stream) = sink::channels();
    let run = DemoRun::start(demo::find(&id).unwrap(), params, scale, senders);
    a.demo_started(run.run, scale);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while a.demo_running() && std::time::Instant::now() < deadline {
        crossbeam_channel::select! {
            recv(stream.events) -> e => { a.update(Msg::Demo(e.unwrap())); }
            recv(stream.lifecycle) -> e => {
                while let Ok(x) = stream.events.try_recv() { a.update(Msg::Demo(x)); }
                a.update(Msg::Demo(e.unwrap()));
            }
            default(Duration::from_secs(1)) => {}
        }
    }
    assert!(run.stop_and_wait(Duration::from_secs(5)));
}
