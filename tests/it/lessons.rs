//! The shipped lessons and quizzes: all pass check, both languages match,
//! every quiz is big enough and every demo lesson has a predict question.

use concur::lesson::check::check;
use concur::lesson::{Catalog, Lang};
use concur::quiz::Kind;

#[test]
fn every_shipped_lesson_and_quiz_passes_check() {
    // Parsed whole, as `concur check` does (the app parses the built-in
    // lessons' steps only when it first shows them).
    let c = Catalog::load_eager(&concur::lesson::Source::Builtin);
    let problems: Vec<String> = check(&c).iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(c.find("threads-vs-coroutines").is_some());
    // And the lazy catalog the app uses holds the very same lessons.
    let lazy = Catalog::builtin();
    for (a, b) in c.lessons.iter().zip(&lazy.lessons) {
        for (lang, lesson) in &a.by_lang {
            assert_eq!(Some(lesson), b.by_lang.get(lang), "{}", lesson.path);
        }
    }
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

/// Every step's text fits a 100x30 lesson screen: the room the lesson view
/// lays it out in (`ui::fit`, which `concur check` warns by too).
#[test]
fn every_step_fits_a_100x30_terminal() {
    use concur::ui::fit::{CLASS_SIZE, text_rows, text_width};
    let c = Catalog::builtin();
    let theme = concur::ui::theme::Theme::mono();
    let width = text_width(CLASS_SIZE.0) as usize;
    let mut too_long = Vec::new();
    for set in &c.lessons {
        for lesson in set.by_lang.values() {
            for (i, step) in lesson.steps.iter().enumerate() {
                let lines = concur::ui::markdown::render_blocks(&step.blocks, width, &theme).len();
                let many = step
                    .demo
                    .as_ref()
                    .and_then(|d| concur::demo::find(&d.id))
                    .is_some_and(|d| d.info().lanes.len() > 2);
                let room = text_rows(step.demo.is_some(), many) as usize;
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

/// Every ```python block of the shipped lessons (English and Chinese), as
/// (file, line of the block's first line, source).
fn python_blocks() -> Vec<(String, usize, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut blocks = Vec::new();
    for lang in ["en", "zh"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(lang))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
            let mut lines = text.lines().enumerate();
            while let Some((i, line)) = lines.next() {
                let fence = line.trim_start();
                let indent = line.len() - fence.len();
                let info = fence.strip_prefix("```").map(str::trim);
                if info.and_then(|i| i.split_whitespace().next()) != Some("python") {
                    continue;
                }
                let body: Vec<&str> = lines
                    .by_ref()
                    .map(|(_, l)| l)
                    .take_while(|l| !l.trim_start().starts_with("```"))
                    .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
                    .collect();
                blocks.push((name.display().to_string(), i + 2, body.join("\n")));
            }
        }
    }
    blocks
}

/// Compiles each block with Python's own compiler, allowing a top-level
/// `await` (lesson snippets show the inside of a coroutine). Run once, for
/// all blocks, by the `python3` on PATH; skipped, saying so, without one.
#[test]
fn lesson_python_blocks_compile() {
    const COMPILE: &str = r#"
import ast, json, sys
errors = []
for block in json.load(sys.stdin):
    try:
        # Not the file's own name: Python would quote that file's lines.
        compile(block["src"], "<lesson block>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as e:
        n = (e.lineno or 1) - 1
        text = block["src"].splitlines()[n].strip() if n < len(block["src"].splitlines()) else ""
        errors.append(f'{block["file"]}:{block["line"] + n}: {e.msg}: {text}')
json.dump({"version": list(sys.version_info[:2]), "errors": errors}, sys.stdout)
"#;
    use std::io::Write;
    use std::process::{Command, Stdio};
    let blocks = python_blocks();
    assert!(
        blocks.len() >= 20,
        "found only {} python blocks",
        blocks.len()
    );
    let child = Command::new("python3")
        .args(["-I", "-c", COMPILE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            crate::support::note(&format!(
                "lesson_python_blocks_compile skipped: no python3 on PATH, so {} lesson blocks went unchecked",
                blocks.len()
            ));
            return;
        }
        Err(e) => panic!("python3: {e}"),
    };
    let input: Vec<_> = blocks
        .iter()
        .map(|(file, line, src)| serde_json::json!({ "file": file, "line": line, "src": src }))
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let version = (v["version"][0].as_u64(), v["version"][1].as_u64());
    if version < (Some(3), Some(11)) {
        crate::support::note(&format!(
            "lesson_python_blocks_compile skipped: the lessons are for Python 3.11+, python3 here is {version:?}"
        ));
        return;
    }
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
