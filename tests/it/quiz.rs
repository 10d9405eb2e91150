//! Quizzes: taking one through the app, grading every kind, predict-then-run
//! graded on what a real demo measured, and quiz files checked.

use crate::support::{
    app, draw, fixture_catalog, fixture_dir, key, run_demo_for, run_headless, screen_text,
};
use concur::app::quiz::Phase;
use concur::app::{App, Screen};
use concur::demo::Params;
use concur::lesson::check::check;
use concur::lesson::{Catalog, Lang, Source};
use concur::quiz::{Kind, Response, grade};
use crossterm::event::KeyCode;

fn quiz_state(a: &App) -> &concur::app::quiz::QuizState {
    match &a.screen {
        Screen::Quiz(q) => q,
        _ => panic!("not on the quiz screen"),
    }
}

#[test]
fn take_the_quiz_every_kind_then_retry_the_wrong_one() {
    let mut a = app(Lang::En);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::Char('t'));
    assert!(matches!(a.screen, Screen::Quiz(_)));
    let shot = screen_text(&draw(&a, 100, 30));
    insta::assert_snapshot!("quiz_single_question", shot);

    // 1. single: a wrong pick shows the right answer and the explanation.
    key(&mut a, KeyCode::Char('1'));
    key(&mut a, KeyCode::Enter);
    assert!(matches!(&quiz_state(&a).phase, Phase::Graded(g) if !g.correct));
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("✗ Not quite. Right: 2"), "{text}");
    assert!(
        text.contains("preempt a thread between any two instructions"),
        "{text}"
    );
    assert!(text.contains("— from step 1: Waiting, two ways"), "{text}");
    insta::assert_snapshot!("quiz_graded_wrong", text);
    key(&mut a, KeyCode::Enter);

    // 2. multiple: pick 1 and 3 (and 2, then drop it again).
    for c in ['1', '2', '3', '2'] {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    assert!(matches!(&quiz_state(&a).phase, Phase::Graded(g) if g.correct));
    assert!(screen_text(&draw(&a, 100, 30)).contains("from step 3: Summary"));
    key(&mut a, KeyCode::Enter);

    // 3. order: shown shuffled; press the shown numbers in the right order.
    let shown = quiz_state(&a).shown.clone();
    assert_ne!(shown, vec![0, 1, 2, 3], "order questions are shuffled");
    // A wrong first pick, taken back with Backspace.
    let wrong_first = shown.iter().position(|c| *c == 3).unwrap();
    key(&mut a, KeyCode::Char(char::from(b'1' + wrong_first as u8)));
    key(&mut a, KeyCode::Backspace);
    for want in 0..4 {
        let d = shown.iter().position(|c| *c == want).unwrap();
        key(&mut a, KeyCode::Char(char::from(b'1' + d as u8)));
    }
    key(&mut a, KeyCode::Enter);
    assert!(matches!(&quiz_state(&a).phase, Phase::Graded(g) if g.correct));
    key(&mut a, KeyCode::Enter);

    // 4. predict: pick "about 10"; Enter runs the real demo, graded on its figures.
    key(&mut a, KeyCode::Char('2'));
    let e = key(&mut a, KeyCode::Enter);
    assert_eq!(quiz_state(&a).phase, Phase::Running);
    run_demo_for(&mut a, e.demo.expect("predict starts the demo"));
    let Phase::Graded(g) = &quiz_state(&a).phase else {
        panic!("graded after the run");
    };
    let ticks = g
        .measured
        .iter()
        .find(|(n, _)| n == "thread.ticks")
        .unwrap()
        .1;
    assert_eq!(g.correct, (4.0..40.0).contains(&ticks), "ticks {ticks}");
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("Measured: thread.ticks ="), "{text}");
    let e = key(&mut a, KeyCode::Enter);
    assert!(e.save_progress);

    // Summary, and the record.
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("Score 3/4"), "{text}");
    let r = a.progress.quiz("sample").unwrap();
    assert_eq!((r.attempts, r.best, r.total), (1, 3, 4));
    assert_eq!(r.wrong, vec!["preempt".to_string()]);

    // Retry only the wrong one, and get it right this time. Its choices
    // are shuffled on a retry: pick the right one (the second) by content.
    key(&mut a, KeyCode::Char('r'));
    assert_eq!(quiz_state(&a).round.len(), 1);
    let d = quiz_state(&a).shown.iter().position(|c| *c == 1).unwrap();
    key(&mut a, KeyCode::Char(char::from(b'1' + d as u8)));
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Enter);
    let r = a.progress.quiz("sample").unwrap();
    assert!(r.wrong.is_empty());
    assert_eq!(r.attempts, 1, "a retry is not a new full round");
    // The fixed answer counts: best and "to retry" agree.
    assert_eq!((r.best, r.total), (4, 4));
    assert!(r.passed());

    // Home shows the steps seen and the best score.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("· quiz 4/4"), "{text}");
}

#[test]
fn the_last_step_leads_to_the_quiz_in_chinese_too() {
    let mut a = app(Lang::Zh);
    a.open_lesson("sample").unwrap();
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Right);
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("线程可能在哪里被暂停？"), "{text}");
    // Enter without a pick grades nothing, and says why.
    let e = key(&mut a, KeyCode::Enter);
    assert!(e.demo.is_none() && !e.save_progress);
    assert!(a.flash.is_some());
    assert_eq!(quiz_state(&a).phase, Phase::Answering);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Enter);
    let text = screen_text(&draw(&a, 100, 30));
    assert!(text.contains("✓ 正确。"), "{text}");
    assert!(text.contains("出自步骤 1"), "{text}");
}

#[test]
fn predict_is_graded_from_a_real_run() {
    let catalog = fixture_catalog();
    let quiz = catalog.find("sample").unwrap().quiz(Lang::En).unwrap();
    let q = quiz.questions.iter().find(|q| q.id == "ticks").unwrap();
    let Kind::Predict { demo: id, .. } = &q.kind else {
        panic!()
    };
    let out = run_headless(id, Params::new().with("call_ms", "1000"));
    let ticks = out.view.lane("thread").unwrap().metric("ticks").unwrap();
    let g = grade(q, &Response::Predict(1), Some(&out.view));
    assert!(g.correct, "a 1 s call at 100 ms a frame: {ticks} ticks");
    assert_eq!(g.holding, vec![1]);
    assert!(!grade(q, &Response::Predict(2), Some(&out.view)).correct);
}

fn catalog_with(quiz_en: &str, quiz_zh: &str) -> (Catalog, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for lang in ["en", "zh"] {
        std::fs::create_dir(dir.path().join(lang)).unwrap();
        let src = fixture_dir().join(lang).join("01-sample.md");
        std::fs::copy(src, dir.path().join(lang).join("01-sample.md")).unwrap();
    }
    std::fs::write(dir.path().join("en/01-sample.quiz.toml"), quiz_en).unwrap();
    std::fs::write(dir.path().join("zh/01-sample.quiz.toml"), quiz_zh).unwrap();
    let c = Catalog::load(&Source::Dir(dir.path().to_path_buf()));
    (c, dir)
}

#[test]
fn check_validates_quizzes() {
    let good = std::fs::read_to_string(fixture_dir().join("en/01-sample.quiz.toml")).unwrap();
    let zh = std::fs::read_to_string(fixture_dir().join("zh/01-sample.quiz.toml")).unwrap();
    assert!(check(&catalog_with(&good, &zh).0).is_empty());
    let cases = [
        (
            good.replace("thread.ticks >= 40", "thread.nosuch >= 40"),
            "lane `thread` of `spinner` reports no `nosuch`",
        ),
        (
            good.replace("thread.ticks < 4\"", "fiber.ticks < 4\""),
            "demo `spinner` has no lane `fiber`",
        ),
        (
            good.replace("demo = \"spinner\"", "demo = \"ghost\""),
            "demo `ghost` does not exist",
        ),
        (
            good.replace("step = 3", "step = 9"),
            "step 9 does not exist",
        ),
        (
            good.replace("kind = \"multiple\"", "kind = \"essay\""),
            "unknown kind `essay`",
        ),
        (
            good.replace("answer = [1, 3]", "answer = [1, 4]"),
            "answer 4 is out of range",
        ),
        (
            good.replace("answer = 2", "answer = 1"),
            "answer differs from the English question",
        ),
    ];
    for (en, needle) in cases {
        // The zh file is the reference here when only en changed.
        let problems: Vec<String> = check(&catalog_with(&en, &zh).0)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle}: {problems:#?}"
        );
        assert!(
            problems.iter().all(|p| p.contains(".quiz.toml:")),
            "{problems:#?}"
        );
    }
}
