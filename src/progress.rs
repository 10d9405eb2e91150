//! What a student has done, kept between runs under the XDG data directory.
//! Written atomically (temp file + rename); a file that cannot be read is
//! moved aside, never silently overwritten.

use std::collections::BTreeMap;
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<QuizRecord>,
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
    /// Records a round: a full round counts for the score; a retry of the
    /// wrong ones only updates which are still wrong.
    pub fn record(
        &mut self,
        full: bool,
        total: usize,
        right: usize,
        wrong: Vec<String>,
        asked: &[String],
    ) {
        if full {
            self.attempts += 1;
            self.total = total;
            self.last = right;
            self.best = self.best.max(right);
            self.wrong = wrong;
        } else {
            self.wrong
                .retain(|id| !asked.contains(id) || wrong.contains(id));
        }
    }
}

impl Progress {
    pub fn is_viewed(&self, id: &str) -> bool {
        self.lessons.get(id).is_some_and(|l| l.viewed)
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
    fn quiz_rounds_keep_the_best_and_what_is_still_wrong() {
        let mut r = QuizRecord::default();
        let all: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        r.record(true, 3, 1, vec!["b".into(), "c".into()], &all);
        assert_eq!((r.attempts, r.best, r.last), (1, 1, 1));
        r.record(false, 2, 1, vec!["c".into()], &["b".into(), "c".into()]);
        assert_eq!(r.wrong, vec!["c".to_string()]);
        assert_eq!(r.attempts, 1, "a retry is not a full round");
        r.record(true, 3, 0, all.clone(), &all);
        assert_eq!((r.attempts, r.best, r.last), (2, 1, 0));
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
