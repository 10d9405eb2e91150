//! Flows through the app's screens, driven by real key events.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Msg, Screen};
use crate::i18n::Lang;
use crate::lesson::Catalog;
use crate::progress::Progress;
use crate::ui::theme::Theme;

fn app() -> App {
    let mut a = App::new(
        Catalog::builtin(),
        Lang::En,
        Theme::dark(),
        Progress::default(),
    );
    a.size = (100, 30);
    a
}

fn press(a: &mut App, code: KeyCode) -> super::Effect {
    a.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn first_single_choice(a: &App) -> usize {
    let Screen::Quiz(q) = &a.screen else {
        panic!("not in a quiz")
    };
    let quiz = a.catalog.find(&q.lesson).unwrap().quiz(a.lang).unwrap();
    q.shown
        .len()
        .min(quiz.questions[q.round[q.pos]].choices.len())
}

#[test]
fn esc_on_home_does_not_quit() {
    let mut a = app();
    let e = press(&mut a, KeyCode::Esc);
    assert!(!e.quit);
    assert!(matches!(a.screen, Screen::Home(_)));
}

#[test]
fn a_half_done_quiz_is_kept_and_resumed() {
    let mut a = app();
    a.open_lesson("concurrency-vs-parallelism").unwrap();
    press(&mut a, KeyCode::Char('t'));
    assert!(matches!(a.screen, Screen::Quiz(_)));
    // Answer the first question (any choice), then go on to the second.
    assert!(first_single_choice(&a) > 0);
    press(&mut a, KeyCode::Char('1'));
    press(&mut a, KeyCode::Enter);
    press(&mut a, KeyCode::Enter);
    let Screen::Quiz(q) = &a.screen else { panic!() };
    assert_eq!((q.pos, q.answered()), (1, 1));
    // Esc: back to the lesson, the attempt kept (and the status line says so).
    press(&mut a, KeyCode::Esc);
    assert!(matches!(a.screen, Screen::Lesson(_)));
    assert!(a.flash.is_some());
    // t: the same attempt, at the same question.
    press(&mut a, KeyCode::Char('t'));
    let Screen::Quiz(q) = &a.screen else { panic!() };
    assert_eq!((q.pos, q.answered()), (1, 1));
}

#[test]
fn the_step_on_screen_is_recorded_and_a_finished_lesson_opens_at_its_start() {
    let mut a = app();
    let id = "concurrency-vs-parallelism";
    a.open_lesson(id).unwrap();
    let steps = a.catalog.find(id).unwrap().get(Lang::En).steps.len();
    for _ in 1..steps {
        press(&mut a, KeyCode::Right);
    }
    let p = &a.progress.lessons[id];
    assert_eq!(p.step, steps - 1);
    assert_eq!(p.seen.len(), steps, "every step seen");
    press(&mut a, KeyCode::Esc);
    // Read to its last step: opening it again starts at step 1, not the summary.
    let Screen::Home(h) = &a.screen else { panic!() };
    let at = h.selected();
    assert_eq!(a.catalog.lessons[at].id, id);
    press(&mut a, KeyCode::Enter);
    let Screen::Lesson(l) = &a.screen else {
        panic!()
    };
    assert_eq!(l.step, 0);
}

#[test]
fn a_reload_keeps_the_lesson_by_id_even_when_the_order_changes() {
    let mut a = app();
    a.open_lesson("futures-and-tasks").unwrap();
    press(&mut a, KeyCode::Right);
    let mut fresh = Catalog::builtin();
    fresh.lessons.reverse();
    a.update(Msg::Reloaded(Box::new(fresh)));
    let Screen::Lesson(l) = &a.screen else {
        panic!()
    };
    assert_eq!((l.id.as_str(), l.step), ("futures-and-tasks", 1));
}

/// Home outlines the selected lesson; once a frame is out the lessons above
/// and below it are read too, so the next arrow key parses nothing.
#[test]
fn home_reads_the_neighbours_of_the_selection_when_idle() {
    let mut a = app();
    let parsed = |a: &App, i: usize| a.catalog.lessons[i].get(Lang::En).steps.is_parsed();
    press(&mut a, KeyCode::Down);
    assert!(!parsed(&a, 0) && !parsed(&a, 2), "nothing read before idle");
    a.prepare();
    assert!(
        parsed(&a, 0) && parsed(&a, 2),
        "both neighbours of lesson 2"
    );
    assert!(!parsed(&a, 3), "and no further");
}
