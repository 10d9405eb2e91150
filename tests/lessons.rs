//! The shipped lessons and quizzes: all pass check, both languages match,
//! every quiz is big enough and every demo lesson has a predict question.

use concur::lesson::check::check;
use concur::lesson::{Catalog, Lang};
use concur::quiz::Kind;

#[test]
fn every_shipped_lesson_and_quiz_passes_check() {
    let c = Catalog::builtin();
    let problems: Vec<String> = check(&c).iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(c.find("threads-vs-coroutines").is_some());
}

#[test]
fn english_and_chinese_match_lesson_for_lesson() {
    let c = Catalog::builtin();
    for set in &c.lessons {
        let en = set
            .by_lang
            .get(&Lang::En)
            .unwrap_or_else(|| panic!("{}: no English", set.id));
        let zh = set
            .by_lang
            .get(&Lang::Zh)
            .unwrap_or_else(|| panic!("{}: no Chinese", set.id));
        assert_eq!(en.steps.len(), zh.steps.len(), "{}", set.id);
        assert_ne!(
            en.title, zh.title,
            "{}: the Chinese title is translated",
            set.id
        );
        let qe = set
            .quizzes
            .get(&Lang::En)
            .unwrap_or_else(|| panic!("{}: no English quiz", set.id));
        let qz = set
            .quizzes
            .get(&Lang::Zh)
            .unwrap_or_else(|| panic!("{}: no Chinese quiz", set.id));
        let ids =
            |q: &concur::quiz::Quiz| q.questions.iter().map(|q| q.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(qe), ids(qz), "{}", set.id);
        for (a, b) in qe.questions.iter().zip(&qz.questions) {
            assert_ne!(
                a.prompt, b.prompt,
                "{}/{}: the prompt is translated",
                set.id, a.id
            );
        }
    }
}

#[test]
fn quizzes_are_big_enough_and_demo_lessons_have_predict_questions() {
    let c = Catalog::builtin();
    for set in &c.lessons {
        for (lang, quiz) in &set.quizzes {
            assert!(
                quiz.questions.len() >= 6,
                "{} ({lang:?}): {} questions",
                set.id,
                quiz.questions.len()
            );
            let kinds: std::collections::BTreeSet<&str> =
                quiz.questions.iter().map(|q| q.kind.name()).collect();
            assert!(kinds.len() >= 3, "{}: mix the kinds, has {kinds:?}", set.id);
            let lesson = set.get(*lang);
            for demo in &lesson.demos {
                let predicts = quiz
                    .questions
                    .iter()
                    .any(|q| matches!(&q.kind, Kind::Predict { demo: d, .. } if d == demo));
                assert!(
                    predicts,
                    "{}: no predict-then-run question on `{demo}`",
                    set.id
                );
            }
        }
    }
}

#[test]
fn the_whole_curriculum_is_there_in_order() {
    let c = Catalog::builtin();
    let ids: Vec<&str> = c.lessons.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "concurrency-vs-parallelism",
            "io-models",
            "callbacks-vs-coroutines",
            "threads-vs-coroutines",
            "event-loop",
            "futures-and-tasks",
            "semaphores",
            "executors",
            "servers",
            "async-world",
        ]
    );
}

/// Rows the text area has at 100x30: the whole body without a demo, the
/// part above the demo with one.
const TEXT_ROWS: usize = 28;
const TEXT_ROWS_BESIDE_DEMO: usize = 12;

#[test]
fn every_step_fits_a_100x30_terminal() {
    let c = Catalog::builtin();
    let theme = concur::ui::theme::Theme::mono();
    let mut too_long = Vec::new();
    for set in &c.lessons {
        for lesson in set.by_lang.values() {
            for (i, step) in lesson.steps.iter().enumerate() {
                let lines = concur::ui::markdown::render_blocks(&step.blocks, 96, &theme).len();
                let room = if step.demo.is_some() {
                    TEXT_ROWS_BESIDE_DEMO
                } else {
                    TEXT_ROWS
                };
                if lines > room {
                    too_long.push(format!(
                        "{} step {} ({}): {lines} > {room}",
                        lesson.path,
                        i + 1,
                        step.title
                    ));
                }
            }
        }
    }
    assert!(too_long.is_empty(), "{too_long:#?}");
}
