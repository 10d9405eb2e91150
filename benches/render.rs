//! Render and parse timings: `cargo bench`. Plain timing loops (no harness
//! crate) so the suite stays light; figures are per iteration, best of 5.

use std::hint::black_box;
use std::time::{Duration, Instant};

use concur::app::{App, Msg};
use concur::lesson::{Catalog, Lang, Source};
use concur::progress::Progress;
use concur::ui::markdown::render_blocks;
use concur::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn time(name: &str, iters: u32, mut f: impl FnMut()) {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        best = best.min(start.elapsed() / iters);
    }
    println!("{name:<40} {:>10.1} µs/iter", best.as_secs_f64() * 1e6);
}

fn main() {
    time("catalog: load and parse built-in lessons", 20, || {
        black_box(Catalog::load(&Source::Builtin));
    });
    time("highlight: load the two grammars", 3, || {
        black_box(concur::ui::highlight::load_grammars());
    });
    let catalog = Catalog::load(&Source::Builtin);
    let theme = Theme::dark();
    concur::ui::highlight::highlight("", "rust");
    let steps: Vec<_> = catalog
        .lessons
        .iter()
        .flat_map(|s| s.by_lang.values())
        .flat_map(|l| l.steps.iter())
        .collect();
    time("markdown: render every step at 100 cols", 5, || {
        for s in &steps {
            black_box(render_blocks(&s.blocks, 96, &theme));
        }
    });
    if let Some(first) = catalog.lessons.first() {
        let id = first.id.clone();
        let mut app = App::new(
            catalog.clone(),
            Lang::En,
            theme.clone(),
            Progress::default(),
        );
        app.open_lesson(&id);
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        time("frame: draw a lesson step at 100x30", 200, || {
            term.draw(|f| f.render_widget(&app, f.area())).unwrap();
        });
        // What a step key costs the UI thread: the update and the frame
        // (the terminal's side is `perf-compare`'s).
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        app.update(Msg::Resize(120, 40));
        let mut forward = true;
        time(
            "step change (→/←): update and frame at 120x40",
            400,
            || {
                let code = if forward {
                    KeyCode::Right
                } else {
                    KeyCode::Left
                };
                forward = !forward;
                app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
                term.draw(|f| f.render_widget(&app, f.area())).unwrap();
                app.prepare();
            },
        );
    }
}
