//! The app's state machine under random keys and sizes, with no terminal:
//! every frame renders without a panic at any size from 1x1 to 300x90, and
//! `q` always quits. Seeded, so a failure names its seed and replays.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{App, DemoCommand, Effect, Msg};
use crate::demo::{DemoEvent, EventKind, RunId};
use crate::i18n::Lang;
use crate::lesson::Catalog;
use crate::progress::Progress;
use crate::ui::theme::Theme;

/// xorshift64*: small, seeded, good enough to pick keys.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Every key the app binds, and some it does not.
const KEYS: &[KeyCode] = &[
    KeyCode::Up,
    KeyCode::Down,
    KeyCode::Left,
    KeyCode::Right,
    KeyCode::PageUp,
    KeyCode::PageDown,
    KeyCode::Home,
    KeyCode::End,
    KeyCode::Enter,
    KeyCode::Esc,
    KeyCode::Backspace,
    KeyCode::Tab,
    KeyCode::F(1),
    KeyCode::F(5),
];
const CHARS: &str = " jklhgGoztrfpbLT?-+[].n0123456789xyé中";

fn random_msg(rng: &mut Rng, run: &mut u64) -> Msg {
    match rng.below(20) {
        // Mostly the sizes people use, now and then anything from 1x1 up.
        0 if rng.below(4) == 0 => Msg::Resize(1 + rng.below(300) as u16, 1 + rng.below(90) as u16),
        0 => Msg::Resize(30 + rng.below(140) as u16, 8 + rng.below(42) as u16),
        1 => Msg::Mouse(MouseEvent {
            kind: match rng.below(3) {
                0 => MouseEventKind::ScrollUp,
                1 => MouseEventKind::ScrollDown,
                _ => MouseEventKind::Down(MouseButton::Left),
            },
            column: rng.below(300) as u16,
            row: rng.below(90) as u16,
            modifiers: KeyModifiers::NONE,
        }),
        2 => {
            // A demo event for whatever run is current: lanes finish.
            Msg::Demo(DemoEvent {
                run: RunId(*run),
                lane: rng.below(3) as usize,
                at: Default::default(),
                demo_at: Default::default(),
                kind: match rng.below(3) {
                    0 => EventKind::Frame(rng.below(100)),
                    1 => EventKind::Done,
                    _ => EventKind::Stopped,
                },
            })
        }
        n if n < 12 => {
            let code = KEYS[rng.below(KEYS.len() as u64) as usize];
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
        }
        _ => {
            let chars: Vec<char> = CHARS.chars().collect();
            let c = chars[rng.below(chars.len() as u64) as usize];
            let mods = if c == 'G' || c == 'L' || c == 'T' || c == '?' {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            Msg::Key(KeyEvent::new(KeyCode::Char(c), mods))
        }
    }
}

/// What the event loop would do with an effect, minus threads: a started
/// demo gets a run id (its lanes never send anything on their own).
fn perform(app: &mut App, e: Effect, run: &mut u64) -> bool {
    if let Some(DemoCommand::Start { scale, .. }) = e.demo {
        *run += 1;
        app.demo_started(RunId(*run), scale, false);
    }
    e.quit
}

fn draw(app: &App, size: (u16, u16), seed: u64, step: usize) {
    let (w, h) = size;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    let frame = t
        .draw(|f| f.render_widget(app, f.area()))
        .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
    assert_eq!(
        (frame.area.width, frame.area.height),
        (w, h),
        "seed {seed} step {step}"
    );
}

fn new_app(catalog: &Catalog, lang: Lang) -> App {
    let mut app = App::new(catalog.clone(), lang, Theme::dark(), Progress::default());
    app.size = (100, 30);
    app
}

#[test]
fn random_keys_and_sizes_never_panic_and_q_always_quits() {
    let catalog = Catalog::builtin();
    let sequences: u64 = 1000;
    let steps = 12;
    for seed in 1..=sequences {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let lang = if seed % 2 == 0 { Lang::Zh } else { Lang::En };
        let mut app = new_app(&catalog, lang);
        let mut run = 0;
        for step in 0..steps {
            let msg = random_msg(&mut rng, &mut run);
            if let Msg::Key(k) = &msg
                && k.code == KeyCode::Char('q')
            {
                continue; // quitting is checked at the end
            }
            let e = app.update(msg);
            assert!(
                !perform(&mut app, e, &mut run),
                "seed {seed}: quit without q"
            );
            draw(&app, app.size, seed, step);
        }
        // Whatever the state (help open, an overlay, blanked, too small, a
        // quiz half done), q quits.
        let e = app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )));
        assert!(e.quit, "seed {seed}: q did not quit");
    }
}
