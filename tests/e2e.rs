//! The real binary in a pseudo-terminal: open a lesson, run the demo, see
//! both lanes move, quit, and find the terminal as it was.

mod common;

use std::time::Duration;

use common::fixture_dir;
use common::pty::Pty;

const RIGHT: &str = "\x1b[C";
const LONG: Duration = Duration::from_secs(30);

fn spawn(extra: &[&str], data: &std::path::Path) -> Pty {
    let dir = fixture_dir().display().to_string();
    let mut args = vec!["--lessons", dir.as_str(), "--lang", "en"];
    args.extend_from_slice(extra);
    let data = data.display().to_string();
    Pty::spawn(
        &args,
        &[
            ("XDG_DATA_HOME", data.as_str()),
            ("XDG_CONFIG_HOME", data.as_str()),
        ],
        100,
        30,
    )
}

/// The frame counters shown in the left and right lane of the demo pane.
fn frames(p: &Pty) -> (Option<u64>, Option<u64>) {
    let grab = |left: u16, right: u16| {
        let text = p.region(14, 29, left, right);
        text.split("frame ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    (grab(0, 50), grab(50, 100))
}

#[test]
fn open_lesson_run_demo_see_both_lanes_move_quit_restored() {
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&["--lesson", "sample"], data.path());
    p.wait_text("Waiting, two ways", LONG);
    p.assert_raw();
    p.send(RIGHT);
    p.wait_text("Press Space to start", LONG);
    p.send(" ");
    p.wait_for("both lanes to draw frames", LONG, |_| {
        let (a, b) = frames(&p);
        a.is_some() && b.is_some()
    });
    p.wait_text("Answer: 42", LONG);
    p.wait_for("both answers", LONG, |s| {
        s.matches("Answer: 42").count() == 2
    });
    let (a, b) = frames(&p);
    assert!(
        a.unwrap() >= 2 && b.unwrap() >= 2,
        "{a:?} {b:?}\n{}",
        p.screen()
    );
    p.send("q");
    assert!(p.wait_exit(LONG));
    p.assert_restored();
    // Quitting saved progress: the lesson is marked viewed.
    let saved = std::fs::read_to_string(data.path().join("concur/progress.json")).unwrap();
    assert!(saved.contains("\"sample\""), "{saved}");
}

#[test]
fn frames_keep_coming_while_the_demo_runs() {
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&["--lesson", "sample"], data.path());
    p.wait_text("Waiting, two ways", LONG);
    p.send(RIGHT);
    p.wait_text("Press Space to start", LONG);
    p.send(" ");
    p.wait_for("first frames", LONG, |_| {
        frames(&p).0.is_some() && frames(&p).1.is_some()
    });
    let (a0, b0) = frames(&p);
    p.wait_for("the lanes to move on", LONG, |s| {
        let (a, b) = frames(&p);
        (a > a0 && b > b0) || s.matches("Answer: 42").count() == 2
    });
    p.send("r");
    p.wait_for("a restarted run", LONG, |s| {
        s.contains("running") || s.matches("Answer: 42").count() == 2
    });
    p.send("\x03"); // Ctrl-C quits too
    assert!(p.wait_exit(LONG));
    p.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&[], data.path());
    p.wait_text("Lessons", LONG);
    unsafe { libc::kill(p.pid(), libc::SIGTERM) };
    p.wait_exit(LONG);
    p.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal_and_reports() {
    let data = tempfile::tempdir().unwrap();
    let dir = fixture_dir().display().to_string();
    let d = data.path().display().to_string();
    let mut p = Pty::spawn(
        &["--lessons", dir.as_str()],
        &[
            ("XDG_DATA_HOME", d.as_str()),
            ("XDG_CONFIG_HOME", d.as_str()),
            ("CONCUR_TEST_PANIC", "1"),
        ],
        100,
        30,
    );
    let ok = p.wait_exit(LONG);
    assert!(!ok, "a panic is a failure exit");
    p.assert_restored();
    assert!(
        p.raw_output().contains("CONCUR_TEST_PANIC"),
        "{}",
        p.raw_output()
    );
}

#[test]
fn unknown_lesson_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&["--lesson", "nope"], data.path());
    assert!(!p.wait_exit(LONG));
    let out = p.raw_output();
    assert!(out.contains("no lesson `nope`"), "{out}");
    assert!(out.contains("sample"), "{out}");
    p.assert_restored();
}

#[test]
fn take_a_quiz_then_see_the_score_on_home_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&["--lesson", "sample"], data.path());
    p.wait_text("Waiting, two ways", LONG);
    p.send("t");
    p.wait_text("Where can a thread be paused?", LONG);
    p.send("2");
    p.send("\r");
    p.wait_text("✓ Right.", LONG);
    p.send("\r");
    p.wait_text("How do you stop them?", LONG);
    p.send("1");
    p.send("3");
    p.send("\r");
    p.wait_text("Enter: next", LONG);
    p.send("\r");
    p.wait_text("Put a coroutine's life in order.", LONG);
    let shown = concur::quiz::grade::shuffled(4, "turn");
    for want in 0..4 {
        let d = shown.iter().position(|c| *c == want).unwrap();
        p.send(&(d + 1).to_string());
    }
    p.send("\r");
    p.wait_text("Enter: next", LONG);
    p.send("\r");
    p.wait_text("about how many frames", LONG);
    p.send("2");
    p.send("\r");
    p.wait_text("Measured: thread.ticks", LONG);
    p.send("\r");
    p.wait_text("Score ", LONG);
    let screen = p.screen();
    let score = screen
        .split("Score ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(score.ends_with("/4"), "{screen}");
    p.send("q");
    assert!(p.wait_exit(LONG));
    p.assert_restored();

    let p = spawn(&[], data.path());
    p.wait_text("Lessons", LONG);
    p.wait_text(&format!("quiz {score}"), LONG);
}

#[test]
fn an_unwritable_progress_directory_leaves_the_app_working_with_a_warning() {
    let data = tempfile::tempdir().unwrap();
    // A data "directory" below a regular file can never be created, even by root.
    let blocker = data.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let mut p = spawn(&[], &blocker);
    p.wait_text("Lessons", LONG);
    p.send("\r"); // open a lesson: progress is saved
    p.wait_text("Waiting, two ways", LONG);
    p.send("\x1b");
    p.wait_for("the warning", LONG, |s| {
        s.contains("progress will not be saved")
    });
    p.send("q");
    assert!(p.wait_exit(LONG));
    p.assert_restored();
}

#[test]
fn a_corrupt_progress_file_is_set_aside_with_a_warning() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("concur");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("progress.json"), "{ broken").unwrap();
    let mut p = spawn(&[], data.path());
    p.wait_text("corrupt", LONG);
    p.send("q");
    assert!(p.wait_exit(LONG));
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(kept[0].path()).unwrap(), "{ broken");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn editing_a_lesson_redraws_it_and_a_broken_edit_keeps_the_last_good_text() {
    let data = tempfile::tempdir().unwrap();
    let lessons = data.path().join("lessons");
    copy_dir(&fixture_dir(), &lessons);
    let file = lessons.join("en/01-sample.md");
    let d = data.path().display().to_string();
    let dir = lessons.display().to_string();
    let mut p = Pty::spawn(
        &["--lessons", &dir, "--lang", "en", "--lesson", "sample"],
        &[("XDG_DATA_HOME", &d), ("XDG_CONFIG_HOME", &d)],
        100,
        30,
    );
    p.wait_text("Waiting, two ways", LONG);
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        original.replace("Waiting, two ways", "Waiting, edited live"),
    )
    .unwrap();
    p.wait_text("Waiting, edited live", LONG);
    // Break it: the error is shown, the last good text stays.
    let broken = original
        .replace("Waiting, two ways", "Waiting, edited live")
        .replacen("order = 1\n", "order = \"one\"\n", 1);
    std::fs::write(&file, broken).unwrap();
    p.wait_text("01-sample.md:4:", LONG);
    let screen = p.screen();
    assert!(screen.contains("Waiting, edited live"), "{screen}");
    assert!(screen.contains("last good version"), "{screen}");
    // Fix it again: the error goes away.
    std::fs::write(&file, &original).unwrap();
    p.wait_for("the error to clear", LONG, |s| {
        s.contains("Waiting, two ways") && !s.contains("01-sample.md:4:")
    });
    p.send("q");
    assert!(p.wait_exit(LONG));
    p.assert_restored();
}

#[test]
fn quitting_during_a_file_demo_removes_its_temp_files() {
    let data = tempfile::tempdir().unwrap();
    let tmp = data.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let lessons = data.path().join("lessons/en");
    std::fs::create_dir_all(&lessons).unwrap();
    std::fs::write(
        lessons.join("01-f.md"),
        "+++\nid = \"f\"\ntitle = \"F\"\norder = 1\ndemos = [\"file-io\"]\n+++\n# Files\n\n```demo file-io\nfile_mb = 384\nfiles = 2\n```\n",
    )
    .unwrap();
    let (d, t, l) = (
        data.path().display().to_string(),
        tmp.display().to_string(),
        data.path().join("lessons").display().to_string(),
    );
    let mut p = Pty::spawn(
        &["--lessons", &l, "--lesson", "f"],
        &[
            ("XDG_DATA_HOME", &d),
            ("XDG_CONFIG_HOME", &d),
            ("TMPDIR", &t),
        ],
        100,
        30,
    );
    p.wait_text("Press Space to start", LONG);
    p.send(" ");
    // Stop it in the middle of a large write.
    let writing = || {
        std::fs::read_dir(&tmp)
            .into_iter()
            .flatten()
            .flatten()
            .any(|dir| {
                std::fs::read_dir(dir.path())
                    .map(|d| d.count() > 0)
                    .unwrap_or(false)
            })
    };
    p.wait_for("the demo to write", LONG, |_| writing());
    unsafe { libc::kill(p.pid(), libc::SIGTERM) };
    p.wait_exit(LONG);
    p.assert_restored();
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temp files left behind: {left:?}");
}
