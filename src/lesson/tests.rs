use super::catalog::{Catalog, RawFile, Source};
use super::check::check;
use super::model::{Block, Lang};
use super::parse::parse_lesson;

const GOOD: &str = "+++
id = \"demo-lesson\"
title = \"A lesson\"
order = 1
demos = [\"spinner\"]
+++

# First step

Some *text* with `code`.

- one
- two

# Second step

```demo spinner
call_ms = 500
```

---

More text after a rule.

### Not a step

| a | b |
|---|---|
| 1 | 2 |
";

fn file(path: &str, lang: Lang, text: &str) -> RawFile {
    RawFile {
        path: path.into(),
        lang,
        text: text.to_string().into(),
    }
}

#[test]
fn steps_split_at_headings_and_rules() {
    let l = parse_lesson("x.md", GOOD, Lang::En).unwrap();
    assert_eq!(l.id, "demo-lesson");
    assert_eq!(l.steps.len(), 3);
    assert_eq!(l.steps[0].title, "First step");
    assert_eq!(l.steps[0].line, 8);
    assert_eq!(l.steps[1].title, "Second step");
    let demo = l.steps[1].demo.as_ref().unwrap();
    assert_eq!(demo.id, "spinner");
    assert_eq!(demo.line, 17);
    assert_eq!(demo.params.get("call_ms").as_deref(), Some("500"));
    // A step after a rule, without its own heading, keeps the title.
    assert_eq!(l.steps[2].title, "Second step");
    assert_eq!(l.steps[2].line, 23);
    assert!(
        l.steps[2]
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Heading { level: 3, .. }))
    );
    assert!(
        l.steps[2]
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Table { .. }))
    );
    assert!(matches!(&l.steps[0].blocks[2], Block::List { items, .. } if items.len() == 2));
}

#[test]
fn broken_files_report_their_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("# no front matter\n", 1, "front matter"),
        ("+++\nid = \"x\"\n", 1, "not closed"),
        (
            "+++\nid = \"x\"\ntitle = 3\norder = 1\n+++\n# a\n",
            3,
            "front matter",
        ),
        ("+++\nid = \"x\"\ntitle = \"t\"\n+++\n# a\n", 2, "order"),
        (
            "+++\nid = \"Bad Id\"\ntitle = \"t\"\norder = 1\n+++\n# a\n",
            2,
            "lowercase",
        ),
        (
            "+++\nid = \"x\"\ntitle = \"t\"\norder = 1\n+++\n\n# a\n\n```demo\n```\n",
            9,
            "needs an id",
        ),
        (
            "+++\nid = \"x\"\ntitle = \"t\"\norder = 1\n+++\n# a\n```demo spinner\nx = [\n```\n",
            8,
            "parameters",
        ),
        (
            "+++\nid = \"x\"\ntitle = \"t\"\norder = 1\n+++\n# a\n```demo spinner\n```\n\n```demo spinner\n```\n",
            10,
            "one demo per step",
        ),
        (
            "+++\nid = \"x\"\ntitle = \"t\"\norder = 1\n+++\n\n",
            6,
            "no steps",
        ),
    ];
    for (text, line, needle) in cases {
        let err = parse_lesson("bad.md", text, Lang::En).unwrap_err();
        assert_eq!(err.line, *line, "{text:?} -> {err}");
        assert!(err.message.contains(needle), "{text:?} -> {err}");
        assert!(err.to_string().starts_with(&format!("bad.md:{line}: ")));
    }
}

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let c = Catalog::from_files(
        Source::Builtin,
        vec![
            file("en/01-good.md", Lang::En, GOOD),
            file("en/02-bad.md", Lang::En, "oops"),
        ],
    );
    assert_eq!(c.lessons.len(), 1);
    assert_eq!(c.problems.len(), 1);
    assert_eq!(
        c.problems[0].to_string(),
        "en/02-bad.md:1: a lesson starts with TOML front matter between `+++` lines"
    );
}

#[test]
fn check_finds_unknown_demos_and_mismatched_translations() {
    let bad_demo = GOOD.replace("```demo spinner", "```demo nosuch");
    let zh = GOOD.replace("# Second step\n\n```demo spinner\ncall_ms = 500\n```\n", "");
    let c = Catalog::from_files(
        Source::Builtin,
        vec![
            file("en/01-good.md", Lang::En, GOOD),
            file("zh/01-good.md", Lang::Zh, &zh),
            file(
                "en/02-x.md",
                Lang::En,
                &bad_demo
                    .replace("demo-lesson", "other")
                    .replace("order = 1", "order = 2"),
            ),
        ],
    );
    let problems: Vec<String> = check(&c).iter().map(|p| p.to_string()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("en/02-x.md:17: unknown demo `nosuch`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("en/02-x.md:2: demo `spinner` is listed but no step places it")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("zh/01-good.md: 2 steps, but the English lesson")),
        "{problems:#?}"
    );
}

#[test]
fn check_rejects_unknown_parameters() {
    let text = GOOD.replace("call_ms = 500", "speed = 2");
    let c = Catalog::from_files(Source::Builtin, vec![file("en/01.md", Lang::En, &text)]);
    let problems = check(&c);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].message.contains("unknown field `speed`"),
        "{problems:?}"
    );
    // The line of the parameter, inside the demo block.
    assert_eq!(problems[0].line, 18);
}

#[test]
fn check_rejects_bad_parameter_values_at_their_line() {
    let text = GOOD.replace("call_ms = 500", "frame_ms = 100\ncall_ms = \"fast\"");
    let c = Catalog::from_files(Source::Builtin, vec![file("en/01.md", Lang::En, &text)]);
    let problems = check(&c);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("call_ms"), "{problems:?}");
    assert_eq!(problems[0].line, 19);
}

#[test]
fn quizzes_attach_to_their_lesson() {
    let c = Catalog::from_files(
        Source::Builtin,
        vec![
            file("en/01-good.md", Lang::En, GOOD),
            file("en/01-good.quiz.toml", Lang::En, ""),
            file("en/09-orphan.quiz.toml", Lang::En, ""),
        ],
    );
    assert!(c.lessons[0].quizzes.contains_key(&Lang::En));
    assert_eq!(c.problems.len(), 1);
    assert!(c.problems[0].message.contains("no lesson file"));
}

#[test]
fn chinese_falls_back_to_english() {
    let c = Catalog::from_files(Source::Builtin, vec![file("en/01.md", Lang::En, GOOD)]);
    assert_eq!(c.lessons[0].get(Lang::Zh).lang, Lang::En);
}

/// Lesson 1 as shipped, both languages and both quizzes, with `edit` made
/// to the file named.
fn lesson_one(edit: (&str, &dyn Fn(&str) -> String)) -> Vec<RawFile> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut files = Vec::new();
    for (lang, dir) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        for ext in [".md", ".quiz.toml"] {
            let name = format!("{dir}/01-concurrency-vs-parallelism{ext}");
            let text = std::fs::read_to_string(root.join(&name)).unwrap();
            let text = if name == edit.0 { edit.1(&text) } else { text };
            files.push(file(&name, lang, &text));
        }
    }
    files
}

/// `check` of lesson 1 with `edit` made to `file`: exactly one problem,
/// and it says `says`.
fn one_problem_saying(file: &str, edit: &dyn Fn(&str) -> String, says: &str) {
    let files = lesson_one((file, edit));
    let problems: Vec<String> = check(&Catalog::from_files(Source::Builtin, files))
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains(says), "{problems:#?}");
}

#[test]
fn one_bad_english_answer_is_one_error_not_one_per_translated_question() {
    one_problem_saying(
        "en/01-concurrency-vs-parallelism.quiz.toml",
        &|t: &str| t.replacen("answer = 2", "answer = 7", 1),
        "answer 7 is out of range",
    );
}

#[test]
fn a_translated_answer_that_differs_is_named_by_its_id() {
    one_problem_saying(
        "zh/01-concurrency-vs-parallelism.quiz.toml",
        &|t: &str| t.replacen("answer = 2", "answer = 1", 1),
        ": answer differs from the English question",
    );
}

#[test]
fn a_lesson_that_does_not_parse_is_one_error() {
    let files = lesson_one(("en/01-concurrency-vs-parallelism.md", &|t: &str| {
        t.replacen("title = \"", "title = ", 1)
    }));
    let c = Catalog::from_files(Source::Builtin, files);
    let problems: Vec<String> = check(&c).iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("en/01-concurrency-vs-parallelism.md:3: front matter:"),
        "{problems:#?}"
    );
    assert!(!problems.iter().any(|p| p.contains("no lesson file")));
}

#[test]
fn an_empty_or_missing_folder_is_an_error_without_a_line() {
    let empty = tempfile::tempdir().unwrap();
    let problems = check(&Catalog::load(&Source::Dir(empty.path().into())));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 0);
    assert!(
        problems[0].to_string().contains(": no lessons here"),
        "{problems:?}"
    );
    let missing = empty.path().join("nosuch");
    let problems = check(&Catalog::load(&Source::Dir(missing.clone())));
    assert_eq!(
        problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        [format!("{}: not a directory of lessons", missing.display())]
    );
}

/// The built-in quizzes parsed on first use are the ones `concur check`
/// parses at load, question for question, and asking whether a lesson has a
/// quiz parses none.
#[test]
fn lazily_parsed_builtin_quizzes_match_the_eager_ones() {
    let lazy = Catalog::builtin();
    let eager = Catalog::load_eager(&Source::Builtin);
    assert_eq!(lazy.lessons.len(), eager.lessons.len());
    for (l, e) in lazy.lessons.iter().zip(&eager.lessons) {
        for lang in [Lang::En, Lang::Zh] {
            assert_eq!(l.has_quiz(lang), e.quiz(lang).is_some(), "{}", l.id);
        }
        for (lang, quiz) in &e.quizzes {
            let mine = l.quizzes.get(lang).expect("the same quizzes");
            assert_eq!(**mine, **quiz, "{} ({lang:?})", l.id);
            assert!(!quiz.questions.is_empty(), "{} has questions", l.id);
        }
    }
}

/// A translated demo step with other parameter values is named with both
/// sets of values, not as "`parallel`, but the English step has `parallel`".
#[test]
fn a_translated_demo_with_other_values_shows_both() {
    one_problem_saying(
        "zh/01-concurrency-vs-parallelism.md",
        &|t: &str| t.replacen("workload = \"cpu\"", "workload = \"io\"", 1),
        "has demo `parallel` (workload = io), but the English step has `parallel` (workload = cpu)",
    );
}
