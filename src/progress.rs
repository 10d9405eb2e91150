//! What a student has done, kept between runs under the XDG data directory.
//! Written atomically (temp file + rename); a file that cannot be read is
//! moved aside, never silently overwritten.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::{aside_path, write_atomic};

pub const FILE_NAME: &str = "progress.json";
const VERSION: u32 = 1;

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
        self.best = self
            .best
            .max(self.total.saturating_sub(self.wrong.len()));
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
    /// corrupt file is renamed aside so the next save cannot destroy it.
    pub fn load(&mut self) -> (Progress, Vec<String>) {
        let Some(path) = self.path.clone() else {
            return (
                Progress::default(),
                vec!["no data directory: progress is not saved".into()],
            );
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (Progress::default(), vec![]);
            }
            Err(e) => {
                // Unreadable: keep away from it for this session.
                self.path = None;
                return (
                    Progress::default(),
                    vec![format!(
                        "cannot read {}: {e}; progress will not be saved this time",
                        path.display()
                    )],
                );
            }
        };
        match serde_json::from_str::<Progress>(&text) {
            Ok(p) => (p, vec![]),
            Err(e) => {
                let aside = aside_path(&path, "corrupt");
                match std::fs::rename(&path, &aside) {
                    Ok(()) => (
                        Progress::default(),
                        vec![format!(
                            "{}:{}: progress file is corrupt ({e}); moved it to {} and started afresh",
                            path.display(),
                            e.line(),
                            aside.display()
                        )],
                    ),
                    Err(re) => {
                        self.path = None;
                        (
                            Progress::default(),
                            vec![format!(
                                "{}:{}: progress file is corrupt ({e}) and could not be moved aside ({re}); it is left untouched and progress is not saved",
                                path.display(),
                                e.line()
                            )],
                        )
                    }
                }
            }
        }
    }

    /// Moves the progress file aside (never deleting it); where it went.
    pub fn reset(&self) -> std::io::Result<Option<PathBuf>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        if !path.exists() {
            return Ok(None);
        }
        let aside = aside_path(path, "reset");
        std::fs::rename(path, &aside)?;
        Ok(Some(aside))
    }

    /// Writes progress atomically: a temp file in the same directory, then rename.
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
        assert!(!p.lesson_mut("x").saw(2, 3), "seeing a step twice changes nothing");
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
        assert_eq!(r.best, 2, "the fixed answer counts: best and to-retry agree");
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
        assert!(warnings[0].contains("corrupt"), "{warnings:?}");
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
