//! The command line, as a user (or a script) runs it.

use std::process::{Command, Output};

use crate::support::fixture_dir;

fn concur(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_concur"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run concur")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_and_version() {
    let o = concur(&["--help"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for needle in [
        "Usage: concur",
        "list",
        "check",
        "demo",
        "--lesson",
        "--lessons",
        "--lang",
        "Keys:",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    for sub in ["list", "check", "demo"] {
        let o = concur(&[sub, "--help"]);
        assert!(o.status.success(), "{sub} --help");
        assert!(stdout(&o).contains("Usage: concur"), "{sub}");
    }
    let v = concur(&["--version"]);
    assert_eq!(
        stdout(&v).trim(),
        format!("concur {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn list_json_describes_each_lesson() {
    let dir = fixture_dir().display().to_string();
    let o = concur(&["list", "--json", "--lessons", &dir]);
    assert!(o.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], "sample");
    assert_eq!(rows[0]["languages"], serde_json::json!(["en", "zh"]));
    assert_eq!(rows[0]["demos"], serde_json::json!(["spinner"]));
    assert_eq!(rows[1]["languages"], serde_json::json!(["en"]));
    let table = stdout(&concur(&["list", "--lessons", &dir]));
    assert!(
        table.contains("sample") && table.contains("en,zh"),
        "{table}"
    );
}

#[test]
fn check_passes_good_lessons_and_locates_problems() {
    let dir = fixture_dir().display().to_string();
    let o = concur(&["check", &dir]);
    assert!(o.status.success(), "{}", stdout(&o));
    // Warnings (the fixtures' quizzes are short) come before the verdict.
    let out = stdout(&o);
    assert!(
        out.lines().last().is_some_and(|l| l.starts_with("ok:")),
        "{out}"
    );

    let bad = tempfile::tempdir().unwrap();
    std::fs::create_dir(bad.path().join("en")).unwrap();
    std::fs::write(
        bad.path().join("en/01-a.md"),
        "+++\nid = \"a\"\ntitle = \"A\"\norder = 1\ndemos = [\"nosuch\"]\n+++\n# One\n\n```demo nosuch\n```\n",
    )
    .unwrap();
    std::fs::write(bad.path().join("en/02-b.md"), "+++\nid = \"b\"\n").unwrap();
    let o = concur(&["check", &bad.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let a = bad.path().join("en/01-a.md").display().to_string();
    let b = bad.path().join("en/02-b.md").display().to_string();
    assert!(
        out.contains(&format!("{a}:9: unknown demo `nosuch`")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{a}:2: front matter names demo `nosuch`")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{b}:1: front matter is not closed")),
        "{out}"
    );
}

#[test]
fn builtin_lessons_pass_check() {
    let o = concur(&["check"]);
    assert!(o.status.success(), "{}", stdout(&o));
}

#[test]
fn demo_list_and_unknown_demo() {
    let o = concur(&["demo", "--list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("spinner") && out.contains("lane thread") && out.contains("lane coroutine"),
        "{out}"
    );
    let o = concur(&["demo", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no demo `nosuch`"));
    let o = concur(&["demo", "spinner", "-p", "bogus=1"]);
    assert_eq!(o.status.code(), Some(2));
    let o = concur(&["demo", "spinner", "--json", "--plain"]);
    assert!(!o.status.success(), "--json and --plain conflict");
}

#[test]
fn demo_json_reports_measured_figures() {
    let o = concur(&["demo", "spinner", "--json", "-p", "call_ms=500"]);
    // Without a Python 3.11+ on PATH the Python lanes fail and say why, but
    // the run (the Rust lanes) still succeeds.
    let python = concur::demo::python::availability().is_ok();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["demo"], "spinner");
    assert!(v["seconds"].as_f64().unwrap() >= 0.5);
    let lanes = v["lanes"].as_array().unwrap();
    let names: Vec<&str> = lanes.iter().filter_map(|l| l["name"].as_str()).collect();
    // The Rust lanes, then their Python twins.
    assert_eq!(names, ["thread", "coroutine", "py-thread", "py-asyncio"]);
    let measured = if python { &lanes[..] } else { &lanes[..2] };
    for lane in measured {
        let m = &lane["metrics"];
        assert_eq!(m["answer"], 42, "{lane}");
        for key in ["ticks", "elapsed_ms", "jitter_p99_ms"] {
            assert!(m[key].is_number(), "{key} in {lane}");
        }
    }
    assert_eq!(lanes[0]["name"], "thread");
    assert!(lanes[1]["metrics"]["max_lag_ms"].is_number());
}

#[test]
fn demo_seconds_stops_a_run_early() {
    let o = concur(&["demo", "spinner", "--json", "--seconds", "0.3"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["completed"], false);
    assert!(v["seconds"].as_f64().unwrap() < 2.5, "{v}");
    assert!(concur(&["demo", "spinner", "--seconds", "0"]).status.code() == Some(2));
}

#[test]
fn demo_plain_prints_the_run() {
    let o = concur(&["demo", "spinner", "--plain", "-p", "call_ms=300"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("[thread] main: start the spinner thread"),
        "{out}"
    );
    assert!(out.contains("Answer: 42"), "{out}");
    assert!(out.contains("jitter_p99_ms"), "{out}");
}

#[test]
fn progress_prints_and_resets() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_concur"))
            .args(args)
            .env("XDG_DATA_HOME", data.path())
            .output()
            .unwrap()
    };
    let dir = data.path().join("concur");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("progress.json"),
        r#"{"version":1,"lessons":{"sample":{"viewed":true,"step":1,"quiz":{"attempts":2,"best":3,"total":4,"last":2,"wrong":["a"]}}}}"#,
    )
    .unwrap();
    let fixtures = fixture_dir().display().to_string();
    let o = run(&["progress", "--lessons", &fixtures]);
    let out = stdout(&o);
    assert!(
        out.contains(" 0/") && out.contains("quiz best 3/4 (last 2/4, 2 attempts), 1 to retry"),
        "{out}"
    );
    let o = run(&["progress", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["lessons"]["sample"]["quiz"]["best"], 3);
    let o = run(&["progress", "--reset"]);
    assert!(o.status.success());
    assert!(!dir.join("progress.json").exists());
    let kept = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("progress.json.reset-")
        });
    assert!(kept, "the old progress is kept aside");
    // A corrupt file is reported as corrupt. Only the report is checked:
    // what happens to the file is not this test's subject.
    std::fs::write(dir.join("progress.json"), "garbage").unwrap();
    let o = run(&["progress"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("corrupt"));
}

#[test]
fn check_separates_errors_from_warnings_and_prints_no_line_it_does_not_have() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().display().to_string();
    let o = concur(&["check", &dir]);
    assert_eq!(o.status.code(), Some(1), "an empty folder is an error");
    assert!(
        stdout(&o).starts_with(&format!("{dir}: no lessons here")),
        "{}",
        stdout(&o)
    );
    let missing = format!("{dir}/nosuch");
    let o = concur(&["check", &missing]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o).trim(),
        format!("{missing}: not a directory of lessons")
    );
    // A lesson without a quiz: a warning, and the exit status stays 0.
    std::fs::write(
        empty.path().join("01-a.md"),
        "+++\nid = \"a\"\ntitle = \"A\"\norder = 1\n+++\n# One\n\nText.\n",
    )
    .unwrap();
    let o = concur(&["check", &dir]);
    assert!(o.status.success(), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("01-a.md: warning: no quiz beside this lesson"),
        "{out}"
    );
    assert!(out.contains("no errors, 1 warning"), "{out}");
}

#[test]
fn the_notes_view_needs_a_terminal_and_says_so() {
    let o = concur(&["--notes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("concur needs a terminal"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A machine with no `python3` at all: the Python lanes say why, the Rust
/// lanes run, and the run is not a failure. A `--python` the user named that
/// does not exist is one (exit 1).
#[test]
fn no_python_on_path_is_not_a_failed_run() {
    let empty = tempfile::tempdir().expect("tempdir");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_concur"))
            .args(extra)
            .args(["demo", "spinner", "--json", "-p", "call_ms=200"])
            .env("PATH", empty.path())
            .env("XDG_CONFIG_HOME", empty.path())
            .output()
            .expect("run concur")
    };
    let o = run(&[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lanes = v["lanes"].as_array().unwrap();
    for lane in lanes {
        let python = lane["name"].as_str().unwrap_or("").starts_with("py-");
        let want = if python { "failed" } else { "done" };
        assert_eq!(lane["state"], want, "{lane}");
    }
    assert!(lanes.iter().any(|l| l["name"] == "py-asyncio"));
    let o = run(&["--python", "/nonexistent/python3"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a named interpreter that is missing"
    );
}
