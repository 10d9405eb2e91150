//! What a student has done, kept between runs under the XDG data directory.
//! Written atomically (temp file + rename); a file that cannot be read is
//! moved aside, never silently overwritten.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::{
    aside_path, line_at, read_state_file, sweep_stale_writes, write_atomic, write_target,
};
use crate::i18n::LocalText;
use crate::tr;

pub const FILE_NAME: &str = "progress.json";
const VERSION: u32 = 1;
/// Far more than any progress file concur writes (a few KiB): a bigger file
/// is not one of ours, and is set aside rather than read into memory.
const MAX_LEN: u64 = 16 << 20;

/// What reading the progress file found.
enum Read {
    Missing,
    Good(Progress),
    /// Not JSON, not UTF-8, the wrong shape, or far too big: set aside.
    Corrupt {
        line: usize,
        why: String,
    },
    /// Not a regular file, a symlink loop, no permission: left alone.
    Unreadable(std::io::Error),
}

fn read(path: &Path) -> Read {
    let bytes = match read_state_file(path, MAX_LEN) {
        Ok(None) => return Read::Missing,
        Ok(Some(b)) => b,
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            return Read::Corrupt {
                line: 1,
                why: e.to_string(),
            };
        }
        Err(e) => return Read::Unreadable(e),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            return Read::Corrupt {
                line: line_at(&bytes, e.valid_up_to()),
                why: format!("not UTF-8 text at byte {}", e.valid_up_to()),
            };
        }
    };
    match serde_json::from_str::<Progress>(text) {
        Ok(p) => Read::Good(p),
        Err(e) => Read::Corrupt {
            line: e.line(),
            why: e.to_string(),
        },
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    #[serde(default)]
    pub viewed: bool,
    /// The last step the student looked at (0-based).
    #[serde(default)]
    pub step: usize,
    /// Every step the student has seen (0-based).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub seen: BTreeSet<usize>,
    /// How many steps the lesson had when last seen.
    #[serde(default)]
    pub steps: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<QuizRecord>,
}

impl LessonProgress {
    /// Records that step `step` of `steps` is on screen; whether anything
    /// changed.
    pub fn saw(&mut self, step: usize, steps: usize) -> bool {
        let before = (self.viewed, self.step, self.steps, self.seen.len());
        self.viewed = true;
        self.step = step;
        self.steps = steps;
        self.seen.insert(step);
        self.seen.retain(|s| *s < steps);
        before != (self.viewed, self.step, self.steps, self.seen.len())
    }

    /// Read to the end: every step seen.
    pub fn read_through(&self) -> bool {
        self.steps > 0 && self.seen.len() >= self.steps
    }
}

/// One finished round of a quiz.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// A full round (not a retry of the wrong ones).
    pub full: bool,
    pub total: usize,
    pub right: usize,
    /// Questions answered wrong in this round (by id).
    pub wrong: Vec<String>,
    /// Questions asked in this round (by id).
    pub asked: Vec<String>,
}

/// A lesson's quiz results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuizRecord {
    /// Full rounds taken.
    pub attempts: u32,
    /// Best score of a full round, out of `total`.
    pub best: usize,
    pub total: usize,
    /// Score of the last full round.
    pub last: usize,
    /// Questions still answered wrong (by id), to retry.
    #[serde(default)]
    pub wrong: Vec<String>,
}

impl QuizRecord {
    /// Records a round. A full round sets the score; a retry that gets
    /// wrong answers right counts too, so the best score and the "to retry"
    /// list always agree (best = total - still wrong, at least).
    pub fn record(&mut self, round: &Round) {
        if round.full {
            self.attempts += 1;
            self.total = round.total;
            self.last = round.right;
            self.wrong = round.wrong.clone();
        } else {
            self.wrong
                .retain(|id| !round.asked.contains(id) || round.wrong.contains(id));
        }
        self.best = self.best.max(self.total.saturating_sub(self.wrong.len()));
    }

    /// Every question answered right (in a full round or a retry).
    pub fn passed(&self) -> bool {
        self.attempts > 0 && self.wrong.is_empty()
    }
}

impl Progress {
    pub fn is_viewed(&self, id: &str) -> bool {
        self.lessons.get(id).is_some_and(|l| l.viewed)
    }

    /// Read to the end and, if the lesson has a quiz, the quiz passed.
    pub fn is_finished(&self, id: &str, has_quiz: bool) -> bool {
        self.lessons.get(id).is_some_and(|l| {
            l.read_through() && (!has_quiz || l.quiz.as_ref().is_some_and(QuizRecord::passed))
        })
    }

    pub fn quiz(&self, id: &str) -> Option<&QuizRecord> {
        self.lessons.get(id).and_then(|l| l.quiz.as_ref())
    }

    pub fn lesson_mut(&mut self, id: &str) -> &mut LessonProgress {
        self.lessons.entry(id.to_string()).or_default()
    }
}

fn no_data_dir() -> LocalText {
    tr!(
        "no data directory: progress is not saved",
        "没有数据目录：进度不会被保存"
    )
}

/// Where progress lives, and whether it may be written.
#[derive(Debug, Clone)]
pub struct Store {
    path: Option<PathBuf>,
}

/// The default directory: `$XDG_DATA_HOME/concur` (or the platform's equivalent).
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("concur"))
}

impl Store {
    /// A store that keeps nothing (no data directory could be found).
    pub fn none() -> Store {
        Store { path: None }
    }

    pub fn in_dir(dir: &Path) -> Store {
        Store {
            path: Some(dir.join(FILE_NAME)),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads progress. Problems come back as warnings for the user; a
    /// corrupt file is renamed aside so the next save cannot destroy it, and
    /// a file that cannot be read at all (a FIFO, a directory, a symlink
    /// loop, no permission) turns saving off for this session. Temp files a
    /// killed run left beside the file are removed first.
    pub fn load(&mut self) -> (Progress, Vec<LocalText>) {
        let Some(path) = self.path.clone() else {
            return (Progress::default(), vec![no_data_dir()]);
        };
        let mut warnings = Vec::new();
        let swept = sweep_stale_writes(&path);
        if !swept.is_empty() {
            let n = swept.len();
            let files = swept
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(tr!(
                "removed {n} temp file(s) left by a save that was cut short: {files}",
                "删除了 {n} 个被中断的保存留下的临时文件：{files}"
            ));
        }
        let progress = match read(&path) {
            Read::Missing => Progress::default(),
            Read::Good(p) => p,
            Read::Unreadable(e) => {
                // Keep away from it for this session.
                self.path = None;
                let path = path.display();
                warnings.push(tr!(
                    "cannot read {path}: {e}; progress will not be saved this time",
                    "无法读取 {path}：{e}；这次不会保存进度"
                ));
                Progress::default()
            }
            Read::Corrupt { line, why } => {
                // Through a symlink, the file at its end is set aside (in its
                // own folder), so the link stays and the next save goes
                // through it to a fresh file.
                let moved = write_target(&path).and_then(|target| {
                    let aside = aside_path(&target, "corrupt");
                    std::fs::rename(&target, &aside).map(|()| aside)
                });
                let at = path.display();
                match moved {
                    Ok(aside) => {
                        let aside = aside.display();
                        warnings.push(tr!(
                            "{at}:{line}: progress file is corrupt ({why}); moved it to {aside} and started afresh",
                            "{at}:{line}：进度文件已损坏（{why}）；已把它移到 {aside}，从头开始"
                        ))
                    }
                    Err(re) => {
                        self.path = None;
                        warnings.push(tr!(
                            "{at}:{line}: progress file is corrupt ({why}) and could not be moved aside ({re}); it is left untouched and progress is not saved",
                            "{at}:{line}：进度文件已损坏（{why}），也无法移开（{re}）；它保持原样，这次不保存进度"
                        ));
                    }
                }
                Progress::default()
            }
        };
        (progress, warnings)
    }

    /// Reads progress with no side effects, for a report: a corrupt file is
    /// only said to be corrupt, never moved, and nothing is swept.
    pub fn peek(&self) -> (Progress, Vec<LocalText>) {
        let Some(path) = &self.path else {
            return (Progress::default(), vec![no_data_dir()]);
        };
        let at = path.display();
        match read(path) {
            Read::Missing => (Progress::default(), vec![]),
            Read::Good(p) => (p, vec![]),
            Read::Unreadable(e) => (
                Progress::default(),
                vec![tr!("cannot read {at}: {e}", "无法读取 {at}：{e}")],
            ),
            Read::Corrupt { line, why } => (
                Progress::default(),
                vec![tr!(
                    "{at}:{line}: progress file is corrupt ({why}); the app will move it aside and start afresh when it next starts",
                    "{at}:{line}：进度文件已损坏（{why}）；应用下次启动时会把它移开，从头开始"
                )],
            ),
        }
    }

    /// Moves the progress file aside (never deleting it); where it went.
    /// Through a symlink, its target is moved and the link stays.
    pub fn reset(&self) -> std::io::Result<Option<PathBuf>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let target = write_target(path)?;
        if std::fs::symlink_metadata(&target).is_err() {
            return Ok(None);
        }
        let aside = aside_path(&target, "reset");
        std::fs::rename(&target, &aside)?;
        Ok(Some(aside))
    }

    /// Writes progress atomically: a temp file beside the file (beside its
    /// target, for a symlink), then rename; see [`write_atomic`].
    pub fn save(&self, progress: &Progress) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut p = progress.clone();
        p.version = VERSION;
        let json = serde_json::to_string_pretty(&p).map_err(std::io::Error::other)?;
        write_atomic(path, json.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_dir(dir.path());
        let mut p = Progress::default();
        p.lesson_mut("x").viewed = true;
        store.save(&p).unwrap();
        let (loaded, warnings) = Store::in_dir(dir.path()).load();
        assert!(warnings.is_empty());
        assert!(loaded.is_viewed("x"));
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn a_lesson_is_finished_when_read_through_and_its_quiz_passed() {
        let mut p = Progress::default();
        for step in 0..3 {
            assert!(!p.is_finished("x", false));
            p.lesson_mut("x").saw(step, 3);
        }
        assert!(p.is_finished("x", false));
        assert!(!p.is_finished("x", true), "the quiz is not passed yet");
        p.lesson_mut("x").quiz = Some(QuizRecord {
            attempts: 1,
            best: 2,
            total: 2,
            last: 2,
            wrong: Vec::new(),
        });
        assert!(p.is_finished("x", true));
        assert!(
            !p.lesson_mut("x").saw(2, 3),
            "seeing a step twice changes nothing"
        );
    }

    #[test]
    fn quiz_rounds_keep_the_best_and_what_is_still_wrong() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let round = |full, total, right, wrong: &[&str], asked: &[&str]| Round {
            full,
            total,
            right,
            wrong: ids(wrong),
            asked: ids(asked),
        };
        let mut r = QuizRecord::default();
        r.record(&round(true, 3, 1, &["b", "c"], &["a", "b", "c"]));
        assert_eq!((r.attempts, r.best, r.last), (1, 1, 1));
        assert!(!r.passed());
        r.record(&round(false, 2, 1, &["c"], &["b", "c"]));
        assert_eq!(r.wrong, ids(&["c"]));
        assert_eq!(r.attempts, 1, "a retry is not a full round");
        assert_eq!(
            r.best, 2,
            "the fixed answer counts: best and to-retry agree"
        );
        r.record(&round(false, 1, 1, &[], &["c"]));
        assert_eq!((r.best, r.total), (3, 3));
        assert!(r.passed());
        r.record(&round(true, 3, 0, &["a", "b", "c"], &["a", "b", "c"]));
        assert_eq!((r.attempts, r.best, r.last), (2, 3, 0));
        assert!(!r.passed());
    }

    #[test]
    fn a_corrupt_file_is_set_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "{ not json").unwrap();
        let mut store = Store::in_dir(dir.path());
        let (p, warnings) = store.load();
        assert_eq!(p, Progress::default());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].en.contains("corrupt"), "{warnings:?}");
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read_to_string(&aside[0]).unwrap(), "{ not json");
        store.save(&p).unwrap();
        assert!(path.exists());
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn aside_of(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(".corrupt-"))
            .collect()
    }

    fn viewed(id: &str) -> Progress {
        let mut p = Progress::default();
        p.lesson_mut(id).viewed = true;
        p
    }

    #[test]
    fn a_file_that_is_not_utf8_is_corrupt_and_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let bytes = b"{\n  \"version\": 1,\n  \"lessons\": {\"\xff\xfe\": {}}\n}".to_vec();
        std::fs::write(&path, &bytes).unwrap();
        let mut store = Store::in_dir(dir.path());
        let (p, warnings) = store.load();
        assert_eq!(p, Progress::default());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let w = &warnings[0];
        assert!(
            w.en.starts_with(&format!(
                "{}:3: progress file is corrupt (not UTF-8",
                path.display()
            )),
            "{w:?}"
        );
        assert!(w.en.contains("started afresh"), "{w:?}");
        let aside = aside_of(dir.path());
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(&aside[0]).unwrap(), bytes);
        // Saving works again, so progress is no longer lost every session.
        store.save(&viewed("x")).unwrap();
        assert!(Store::in_dir(dir.path()).load().0.is_viewed("x"));
    }

    #[test]
    fn a_fifo_is_cannot_read_at_once_and_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let d = dir.path().to_path_buf();
        // On its own thread with a bound: the bug was a hang with no message.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut store = Store::in_dir(&d);
            let loaded = store.load();
            let peeked = Store::in_dir(&d).peek();
            let _ = tx.send((store, loaded, peeked));
        });
        let (store, (p, warnings), (_, peek_warnings)) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading a FIFO as progress blocked");
        assert_eq!(p, Progress::default());
        assert_eq!(
            warnings.iter().map(|w| w.en.clone()).collect::<Vec<_>>(),
            [format!(
                "cannot read {}: it is a named pipe (FIFO), not a regular file; progress will not be saved this time",
                path.display()
            )]
        );
        assert_eq!(peek_warnings.len(), 1);
        assert!(
            peek_warnings[0].en.contains("named pipe"),
            "{peek_warnings:?}"
        );
        assert_eq!(store.path(), None, "saving is off for the session");
        store.save(&viewed("x")).unwrap();
        let still = std::fs::symlink_metadata(&path).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&still.file_type()));
    }

    #[test]
    fn a_symlinked_file_is_saved_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&dotfiles).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let target = dotfiles.join("concur-progress.json");
        let link = data.join(FILE_NAME);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        // Dangling at first: nothing to load, and the save creates the target.
        let mut store = Store::in_dir(&data);
        let (p, warnings) = store.load();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(p, Progress::default());
        store.save(&viewed("a")).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(Store::in_dir(&data).load().0.is_viewed("a"));
        store.save(&viewed("b")).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let (p, _) = Store::in_dir(&data).load();
        assert!(p.is_viewed("b") && !p.is_viewed("a"));
        assert_eq!(names(&dotfiles), ["concur-progress.json"]);
        assert_eq!(names(&data), [FILE_NAME]);

        // Corrupt behind the link: the target is set aside, the link stays,
        // and the next save goes through it again.
        std::fs::write(&target, "{ not json").unwrap();
        let mut store = Store::in_dir(&data);
        let (_, warnings) = store.load();
        assert!(warnings[0].en.contains("corrupt"), "{warnings:?}");
        assert_eq!(aside_of(&dotfiles).len(), 1);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        store.save(&viewed("c")).unwrap();
        assert!(Store::in_dir(&data).load().0.is_viewed("c"));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );

        // Reset moves the target aside too, and keeps the link.
        let aside = store.reset().unwrap().unwrap();
        assert_eq!(aside.parent(), Some(dotfiles.as_path()));
        assert!(!target.exists());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_symlink_loop_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join(FILE_NAME);
        std::os::unix::fs::symlink(FILE_NAME, &link).unwrap();
        let mut store = Store::in_dir(dir.path());
        let (_, warnings) = store.load();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].en.contains("symlink loop"), "{warnings:?}");
        store.save(&viewed("x")).unwrap();
        assert!(Store::in_dir(dir.path()).save(&viewed("x")).is_err());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(names(dir.path()), [FILE_NAME]);
    }

    #[test]
    fn peek_reports_a_corrupt_file_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "[1, 2]").unwrap();
        let dead = crate::fsutil::tests::dead_pid();
        let stale = dir.path().join(format!(".{FILE_NAME}.{dead}.tmp"));
        std::fs::write(&stale, "x").unwrap();
        let before = names(dir.path());
        let (p, warnings) = Store::in_dir(dir.path()).peek();
        assert_eq!(p, Progress::default());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .en
                .starts_with(&format!("{}:1: progress file is corrupt", path.display())),
            "{warnings:?}"
        );
        assert_eq!(names(dir.path()), before);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[1, 2]");
        // A good file peeks the same as it loads.
        Store::in_dir(dir.path()).save(&viewed("x")).unwrap();
        let (p, warnings) = Store::in_dir(dir.path()).peek();
        assert!(warnings.is_empty() && p.is_viewed("x"));
    }

    #[test]
    fn load_sweeps_temp_files_of_killed_saves() {
        let dir = tempfile::tempdir().unwrap();
        let dead = crate::fsutil::tests::dead_pid();
        let old = dir.path().join(format!(".{FILE_NAME}.{dead}.tmp"));
        let new = dir.path().join(format!(".{FILE_NAME}.{dead}.Ab12Cd.tmp"));
        std::fs::write(&old, "x").unwrap();
        std::fs::write(&new, "x").unwrap();
        let (_, warnings) = Store::in_dir(dir.path()).load();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .en
                .starts_with("removed 2 temp file(s) left by a save that was cut short"),
            "{warnings:?}"
        );
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn an_unwritable_directory_is_an_error_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blocker");
        std::fs::write(&file, "").unwrap();
        // A directory path below a regular file cannot be created.
        let store = Store::in_dir(&file.join("sub"));
        assert!(store.save(&Progress::default()).is_err());
    }
}
