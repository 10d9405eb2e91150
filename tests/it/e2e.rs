//! The real binary in a pseudo-terminal: open a lesson, run the demo, see
//! both lanes move, quit, and find the terminal as it was.
//!
//! Every test holds `pty::serial()`: one app process at a time.

use std::path::Path;
use std::time::Duration;

use unicode_width::UnicodeWidthStr;

use crate::support::fixture_dir;
use crate::support::pty::{self, Pty, Serial};

const RIGHT: &str = "\x1b[C";
const LONG: Duration = Duration::from_secs(30);

/// The app on `lessons`, with its data and config in `data`, at 100x30.
fn spawn_in(
    serial: &Serial,
    lessons: &Path,
    extra: &[&str],
    data: &Path,
    env: &[(&str, &str)],
) -> Pty {
    let dir = lessons.display().to_string();
    let mut args = vec!["--lessons", dir.as_str()];
    args.extend_from_slice(extra);
    let data = data.display().to_string();
    let mut envs = vec![
        ("XDG_DATA_HOME", data.as_str()),
        ("XDG_CONFIG_HOME", data.as_str()),
    ];
    envs.extend_from_slice(env);
    Pty::spawn(serial, &args, &envs, 100, 30)
}

/// The app on the fixture lessons, in English.
fn spawn(serial: &Serial, extra: &[&str], data: &Path) -> Pty {
    let mut args = vec!["--lang", "en"];
    args.extend_from_slice(extra);
    spawn_in(serial, &fixture_dir(), &args, data, &[])
}

/// Every "frame N" counter on the screen, ordered by column (then row): with
/// two lanes side by side, the left lane's first. Found wherever the layout
/// puts them.
fn frames(p: &Pty) -> Vec<u64> {
    let mut found = Vec::new();
    for (row, text) in p.rows().iter().enumerate() {
        for (at, _) in text.match_indices("frame ") {
            let digits: String = text[at + "frame ".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<u64>() {
                found.push((text[..at].width(), row, n));
            }
        }
    }
    found.sort_unstable();
    found.into_iter().map(|(_, _, n)| n).collect()
}

/// Both lanes' frame counters, once both lanes show one.
fn both_frames(p: &Pty) -> Option<(u64, u64)> {
    match frames(p)[..] {
        [a, b] => Some((a, b)),
        _ => None,
    }
}

#[test]
fn open_lesson_run_demo_see_both_lanes_move_quit_restored() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&serial, &["--lesson", "sample"], data.path());
    p.wait_text("Waiting, two ways", LONG);
    p.assert_raw();
    p.send(RIGHT);
    p.wait_text("Press Space to start", LONG);
    p.send(" ");
    p.wait_for("both lanes to draw frames", LONG, |_| {
        both_frames(&p).is_some()
    });
    p.wait_text("Answer: 42", LONG);
    p.wait_for("both answers", LONG, |s| {
        s.matches("Answer: 42").count() == 2
    });
    let frames = both_frames(&p);
    assert!(
        frames.is_some_and(|(a, b)| a >= 2 && b >= 2),
        "{frames:?}\n{}",
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
fn frames_keep_coming_and_r_restarts_the_run() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&serial, &["--lesson", "sample"], data.path());
    p.wait_text("Waiting, two ways", LONG);
    p.send(RIGHT);
    p.wait_text("Press Space to start", LONG);
    p.send(" ");
    p.wait_for("first frames", LONG, |_| both_frames(&p).is_some());
    let (a0, b0) = both_frames(&p).unwrap();
    p.wait_for("the lanes to move on", LONG, |_| {
        both_frames(&p).is_some_and(|(a, b)| a > a0 && b > b0)
    });
    // Let the run end, so its counters are as high as they get (about 10
    // for the fixture's 1 s call): a restarted run then shows lower ones
    // for about a second, plenty of time to see them.
    p.wait_for("both answers", LONG, |s| {
        s.matches("Answer: 42").count() == 2
    });
    let (a1, b1) = both_frames(&p).unwrap();
    assert!(a1 >= 3 && b1 >= 3, "a 1 s run draws more frames: {a1} {b1}");
    p.send("r");
    p.wait_for(
        "the counters to start again below where they were",
        LONG,
        |_| both_frames(&p).is_some_and(|(a, b)| a < a1 && b < b1),
    );
    // And the new run goes on to its own answer.
    p.wait_for("the restarted run's answers", LONG, |s| {
        s.matches("Answer: 42").count() == 2
    });
    p.send("\x03"); // Ctrl-C quits too
    assert!(p.wait_exit(LONG));
    p.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&serial, &[], data.path());
    p.wait_text("Lessons", LONG);
    p.signal(libc::SIGTERM);
    p.wait_exit(LONG);
    p.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal_and_reports() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn_in(
        &serial,
        &fixture_dir(),
        &[],
        data.path(),
        &[("CONCUR_TEST_PANIC", "1")],
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
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&serial, &["--lesson", "nope"], data.path());
    assert!(!p.wait_exit(LONG));
    let out = p.raw_output();
    assert!(out.contains("no lesson `nope`"), "{out}");
    assert!(out.contains("sample"), "{out}");
    p.assert_restored();
}

#[test]
fn take_a_quiz_then_see_the_score_on_home_after_a_restart() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&serial, &["--lesson", "sample"], data.path());
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

    let p = spawn(&serial, &[], data.path());
    p.wait_text("Lessons", LONG);
    p.wait_text(&format!("quiz {score}"), LONG);
}

#[test]
fn an_unwritable_progress_directory_leaves_the_app_working_with_a_warning() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    // A data "directory" below a regular file can never be created, even by root.
    let blocker = data.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let mut p = spawn(&serial, &[], &blocker);
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
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("concur");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("progress.json"), "{ broken").unwrap();
    let mut p = spawn(&serial, &[], data.path());
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

fn copy_dir(from: &Path, to: &Path) {
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
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let lessons = data.path().join("lessons");
    copy_dir(&fixture_dir(), &lessons);
    let file = lessons.join("en/01-sample.md");
    let mut p = spawn_in(
        &serial,
        &lessons,
        &["--lang", "en", "--lesson", "sample"],
        data.path(),
        &[],
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

/// A lesson with one big file-io demo, and a private temp folder.
struct FileDemo {
    data: tempfile::TempDir,
    tmp: std::path::PathBuf,
}

impl FileDemo {
    fn new() -> FileDemo {
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
        FileDemo { data, tmp }
    }

    fn spawn(&self, serial: &Serial, env: &[(&str, &str)]) -> Pty {
        let t = self.tmp.display().to_string();
        let mut env = env.to_vec();
        env.push(("TMPDIR", &t));
        spawn_in(
            serial,
            &self.data.path().join("lessons"),
            &["--lesson", "f"],
            self.data.path(),
            &env,
        )
    }

    /// Whether a lane has started writing its files.
    fn writing(&self) -> bool {
        std::fs::read_dir(&self.tmp)
            .into_iter()
            .flatten()
            .flatten()
            .any(|dir| {
                std::fs::read_dir(dir.path())
                    .map(|d| d.count() > 0)
                    .unwrap_or(false)
            })
    }

    fn left(&self) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&self.tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect()
    }

    /// Starts the demo and waits until it is in the middle of writing.
    fn start_writing(&self, p: &mut Pty) {
        p.wait_text("Press Space to start", LONG);
        p.send(" ");
        p.wait_for("the demo to write", LONG, |_| self.writing());
    }
}

/// Every way out while a demo writes large files waits for its cleanup:
/// nothing is left in the temp folder, the terminal is restored, and the
/// exit code is what a shell expects.
#[test]
fn every_exit_path_during_a_file_demo_leaves_nothing_behind() {
    let serial = pty::serial();
    let keys: [(&str, Option<libc::c_int>, Option<&str>, u32); 5] = [
        ("q", None, Some("q"), 0),
        ("Ctrl-C as a key", None, Some("\x03"), 0),
        ("SIGINT", Some(libc::SIGINT), None, 130),
        ("SIGTERM", Some(libc::SIGTERM), None, 143),
        ("SIGHUP", Some(libc::SIGHUP), None, 129),
    ];
    for (how, signal, key, code) in keys {
        let f = FileDemo::new();
        let mut p = f.spawn(&serial, &[]);
        f.start_writing(&mut p);
        if let Some(sig) = signal {
            p.signal(sig);
        }
        if let Some(k) = key {
            p.send(k);
        }
        let got = p.wait_exit_code(LONG);
        assert_eq!(got, code, "{how}: exit code");
        p.assert_restored();
        assert!(f.left().is_empty(), "{how}: left behind {:?}", f.left());
    }
}

#[test]
fn a_panic_during_a_demo_cleans_up_too() {
    let serial = pty::serial();
    let f = FileDemo::new();
    // The hook panics on the UI thread 2 s into the demo, mid-write.
    let mut p = f.spawn(&serial, &[("CONCUR_TEST_PANIC", "running")]);
    p.wait_text("Press Space to start", LONG);
    p.send(" ");
    let code = p.wait_exit_code(LONG);
    assert_ne!(code, 0, "a panic is a failure exit");
    p.assert_restored();
    assert!(f.left().is_empty(), "left behind {:?}", f.left());
}

#[test]
fn after_kill_9_the_next_start_sweeps_what_was_left() {
    let serial = pty::serial();
    let f = FileDemo::new();
    let mut p = f.spawn(&serial, &[]);
    f.start_writing(&mut p);
    p.signal(libc::SIGKILL);
    p.wait_exit_code(LONG);
    assert!(!f.left().is_empty(), "kill -9 cannot clean up");
    // The next start removes the dead run's folder and says so.
    drop(p);
    let mut p = f.spawn(&serial, &[]);
    p.wait_text("Press Space to start", LONG);
    assert!(f.left().is_empty(), "swept: {:?}", f.left());
    p.send("\x1b");
    p.wait_text("temp folder", LONG);
    p.send("q");
    assert!(p.wait_exit(LONG));
}

/// A resize that arrives together with a key, or after bytes that make no
/// event, is still drawn: the app watches SIGWINCH itself.
#[test]
fn a_resize_right_after_a_key_or_garbage_is_drawn() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn(&serial, &[], data.path());
    p.wait_text("Lessons", LONG);
    let sizes: [(&str, u16, u16); 3] = [
        ("x", 120, 40),
        ("\x1b[999999999999~", 90, 28),
        ("\u{c3}", 110, 35),
    ];
    for (bytes, cols, rows) in sizes {
        p.send(bytes);
        p.resize(cols, rows);
        // The title row ends with the language tag at the right edge.
        p.wait_for(&format!("a redraw at {cols}x{rows}"), LONG, |s| {
            s.lines().next().is_some_and(|l| {
                let l = l.trim_end();
                l.ends_with("[en]") && l.width() + 1 == cols as usize
            })
        });
    }
    // After a lone 0xC3 the next byte may be eaten as its continuation.
    p.send("q");
    p.send("q");
    assert!(p.wait_exit(LONG));
    p.assert_restored();
}

/// A helper thread that dies ends the app cleanly, with the reason, instead
/// of leaving it half alive (the terminal given back but the app running).
#[test]
fn a_dead_helper_thread_ends_the_app_cleanly() {
    let serial = pty::serial();
    let data = tempfile::tempdir().unwrap();
    let mut p = spawn_in(
        &serial,
        &fixture_dir(),
        &[],
        data.path(),
        &[("CONCUR_TEST_PANIC", "input")],
    );
    p.wait_text("Lessons", LONG);
    p.send("j");
    let code = p.wait_exit_code(LONG);
    assert_ne!(code, 0);
    p.assert_restored();
    assert!(
        p.raw_output().contains("concur-input panicked"),
        "{}",
        p.raw_output()
    );
}
