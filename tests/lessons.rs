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
