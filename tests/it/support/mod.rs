//! Everything the integration tests share: the fixture lessons, an app to
//! drive, the screen as text, demo events and figures, and (in `pty`) the
//! real binary in a pseudo-terminal.

pub mod pty;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use concur::app::{App, DemoCommand, Effect, Msg};
use concur::demo::{self, DemoEvent, DemoRun, EventKind, HeadlessOptions, LaneState, Outcome};
use concur::demo::{Params, RunId, channels};
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

/// An app on the fixture lessons, dark theme, no progress.
pub fn app(lang: Lang) -> App {
    let mut a = App::new(fixture_catalog(), lang, Theme::dark(), Progress::default());
    a.size = (100, 30);
    a
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

/// A demo event of run `run` for lane `lane`, `ms` into the run (wall and
/// demo time alike), as the app receives it.
pub fn ev(run: u64, lane: usize, ms: u64, kind: EventKind) -> Msg {
    Msg::Demo(DemoEvent {
        run: RunId(run),
        lane,
        at: Duration::from_millis(ms),
        demo_at: Duration::from_millis(ms),
        kind,
    })
}

/// Runs demo `id` without a UI, at full speed, to its end (two minutes at
/// most: a failing demo should fail the test, not hang it).
pub fn run_headless(id: &str, params: Params) -> Outcome {
    let d = demo::find(id).unwrap_or_else(|| panic!("no demo `{id}`"));
    demo::run_headless(
        d,
        params,
        HeadlessOptions {
            seconds: Some(120.0),
            scale: 1.0,
        },
        |_, _| {},
    )
    .unwrap_or_else(|e| panic!("demo `{id}`: {e}"))
}

/// A figure a lane measured; the lane must have finished without error.
/// `#[track_caller]`: a failure points at the test that asked.
#[track_caller]
pub fn fig(out: &Outcome, lane: &str, metric: &str) -> f64 {
    let Some(l) = out.view.lane(lane) else {
        panic!("demo `{}` has no lane `{lane}`", out.view.info.id);
    };
    assert_eq!(l.state, LaneState::Done, "{lane}: {:?}", l.error);
    match l.metric(metric) {
        Some(v) => v,
        None => panic!("{lane}.{metric} missing; reported: {:?}", l.metrics),
    }
}

/// Runs the demo the app asked for and feeds its events back, as the app's
/// loop does, until every lane has ended.
pub fn run_demo_for(a: &mut App, cmd: DemoCommand) {
    let DemoCommand::Start {
        id,
        params,
        scale,
        watched,
    } = cmd
    else {
        panic!("expected a demo start, got {cmd:?}");
    };
    let (senders, stream) = channels();
    let d = demo::find(&id).unwrap();
    let run = DemoRun::start(d, &params, scale, senders, watched)
        .unwrap_or_else(|e| panic!("demo `{id}`: {e}"));
    a.demo_started(run.run, scale, run.clock().is_paused());
    let deadline = Instant::now() + Duration::from_secs(60);
    while a.active_run().is_some() {
        assert!(Instant::now() < deadline, "`{id}` still running after 60 s");
        crossbeam_channel::select! {
            recv(stream.events) -> e => match e {
                Ok(e) => { a.update(Msg::Demo(e)); }
                // Every lane has ended and dropped its senders: what is
                // left is on the lifecycle channel.
                Err(_) => {
                    for e in stream.lifecycle.try_iter() {
                        a.update(Msg::Demo(e));
                    }
                    break;
                }
            },
            recv(stream.lifecycle) -> e => {
                // A lane's last events come before its end.
                for x in stream.events.try_iter() {
                    a.update(Msg::Demo(x));
                }
                if let Ok(e) = e {
                    a.update(Msg::Demo(e));
                }
            }
            default(Duration::from_secs(1)) => {}
        }
    }
    assert!(
        a.active_run().is_none(),
        "every lane of `{id}` ended, yet the app shows it running"
    );
    assert!(run.stop_and_wait(Duration::from_secs(5)));
}

/// A line for whoever runs the tests, shown even when the test passes
/// (the harness captures `println!`, not writes to stderr itself): for a
/// test that could only check part of what it should, and says why.
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: {line}");
}
