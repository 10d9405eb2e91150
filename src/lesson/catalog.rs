//! All lessons, from the files built into the binary or from a directory.
//! A broken file is reported and skipped; the others still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::model::{Lang, Lesson};
use super::parse::{BuiltFront, parse_builtin_lesson, parse_lesson};
use crate::problem::Problem;
use crate::quiz::{Quiz, parse_quiz};

pub const LESSON_EXT: &str = ".md";
pub const QUIZ_EXT: &str = ".quiz.toml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Builtin,
    Dir(PathBuf),
}

/// One content file, read but not yet parsed.
#[derive(Debug, Clone)]
pub struct RawFile {
    pub path: String,
    pub lang: Lang,
    /// Borrowed: a built-in file, parsed lazily; owned: read from a folder.
    pub text: std::borrow::Cow<'static, str>,
}

/// One lesson in every language it exists in.
#[derive(Debug, Clone)]
pub struct LessonSet {
    pub id: String,
    pub order: u32,
    pub by_lang: BTreeMap<Lang, Lesson>,
    /// The quizzes beside the lessons (what could be read of them).
    pub quizzes: BTreeMap<Lang, QuizSlot>,
}

/// A quiz, parsed now (a file from a folder: its problems are reported at
/// load) or on first use (a built-in one: start-up parses no TOML; the tests
/// and `concur check` parse them all).
#[derive(Debug, Clone)]
pub struct QuizSlot {
    parsed: OnceLock<Quiz>,
    deferred: Option<(String, &'static str)>,
    /// How many questions build.rs counted in a built-in quiz.
    counted: Option<usize>,
}

impl QuizSlot {
    fn deferred(path: &str, text: &'static str) -> QuizSlot {
        QuizSlot {
            parsed: OnceLock::new(),
            deferred: Some((path.to_string(), text)),
            counted: built_questions(text),
        }
    }

    /// How many questions the quiz has, without parsing a built-in one
    /// (home shows the count in its first frame).
    pub fn question_count(&self) -> usize {
        match (self.parsed.get(), self.counted) {
            (None, Some(n)) => n,
            _ => self.get().questions.len(),
        }
    }

    /// Whether the quiz has been parsed (tests).
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    fn get(&self) -> &Quiz {
        self.parsed.get_or_init(|| match &self.deferred {
            Some((path, text)) => parse_quiz(path, text).0,
            None => Quiz {
                path: String::new(),
                questions: Vec::new(),
            },
        })
    }
}

impl From<Quiz> for QuizSlot {
    fn from(quiz: Quiz) -> QuizSlot {
        let parsed = OnceLock::new();
        let _ = parsed.set(quiz);
        QuizSlot {
            parsed,
            deferred: None,
            counted: None,
        }
    }
}

impl std::ops::Deref for QuizSlot {
    type Target = Quiz;

    fn deref(&self) -> &Quiz {
        self.get()
    }
}

impl LessonSet {
    /// The lesson in `lang`, falling back to English, then to any language.
    pub fn get(&self, lang: Lang) -> &Lesson {
        self.by_lang
            .get(&lang)
            .or_else(|| self.by_lang.get(&Lang::En))
            .or_else(|| self.by_lang.values().next())
            .expect("a lesson set holds at least one lesson")
    }

    /// The quiz in `lang`, falling back to English.
    pub fn quiz(&self, lang: Lang) -> Option<&Quiz> {
        self.quiz_slot(lang).map(|q| &**q)
    }

    fn quiz_slot(&self, lang: Lang) -> Option<&QuizSlot> {
        self.quizzes
            .get(&lang)
            .or_else(|| self.quizzes.get(&Lang::En))
    }

    /// How many questions `quiz(lang)` has (0 without a quiz), counted
    /// without parsing a built-in quiz.
    pub fn question_total(&self, lang: Lang) -> usize {
        self.quiz_slot(lang).map_or(0, QuizSlot::question_count)
    }

    /// Whether there is a quiz in `lang` (or English), without parsing it.
    pub fn has_quiz(&self, lang: Lang) -> bool {
        self.quizzes.contains_key(&lang) || self.quizzes.contains_key(&Lang::En)
    }

    pub fn langs(&self) -> impl Iterator<Item = Lang> + '_ {
        self.by_lang.keys().copied()
    }
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub source: Source,
    /// Sorted by `order`, then id.
    pub lessons: Vec<LessonSet>,
    /// Files that could not be read or parsed.
    pub problems: Vec<Problem>,
}

impl Catalog {
    pub fn load(source: &Source) -> Catalog {
        let (files, mut problems) = match source {
            Source::Builtin => (builtin_files(), Vec::new()),
            Source::Dir(dir) => dir_files(dir),
        };
        let mut catalog = Catalog::from_files(source.clone(), files);
        problems.append(&mut catalog.problems);
        catalog.problems = problems;
        catalog
    }

    pub fn builtin() -> Catalog {
        Catalog::load(&Source::Builtin)
    }

    /// Every file parsed whole now (for `concur check`): the built-in
    /// lessons too, which the app otherwise parses when first shown.
    pub fn load_eager(source: &Source) -> Catalog {
        let (files, mut problems) = match source {
            Source::Builtin => (builtin_files(), Vec::new()),
            Source::Dir(dir) => dir_files(dir),
        };
        let owned = files
            .into_iter()
            .map(|f| RawFile {
                text: f.text.into_owned().into(),
                ..f
            })
            .collect();
        let mut catalog = Catalog::from_files(source.clone(), owned);
        problems.append(&mut catalog.problems);
        catalog.problems = problems;
        catalog
    }

    pub fn from_files(source: Source, files: Vec<RawFile>) -> Catalog {
        let mut problems = Vec::new();
        let mut sets: BTreeMap<String, LessonSet> = BTreeMap::new();
        let mut quizzes = Vec::new();
        // Lesson files that could not be parsed: their own problem says so,
        // and their quizzes are not reported again as orphans.
        let mut unparsed: Vec<String> = Vec::new();
        for file in files {
            if file.path.ends_with(QUIZ_EXT) {
                quizzes.push(file);
                continue;
            }
            let parsed = match &file.text {
                std::borrow::Cow::Borrowed(text) => {
                    parse_builtin_lesson(&file.path, text, file.lang, built_front(text))
                }
                std::borrow::Cow::Owned(text) => parse_lesson(&file.path, text, file.lang),
            };
            match parsed {
                Ok(lesson) => {
                    let set = sets.entry(lesson.id.clone()).or_insert_with(|| LessonSet {
                        id: lesson.id.clone(),
                        order: lesson.order,
                        by_lang: BTreeMap::new(),
                        quizzes: BTreeMap::new(),
                    });
                    if let Some(other) = set.by_lang.get(&lesson.lang) {
                        problems.push(Problem::new(
                            &lesson.path,
                            2,
                            format!("id `{}` is already used by {}", lesson.id, other.path),
                        ));
                        continue;
                    }
                    if lesson.lang == Lang::En {
                        set.order = lesson.order;
                    }
                    set.by_lang.insert(lesson.lang, lesson);
                }
                Err(p) => {
                    unparsed.push(file.path.clone());
                    problems.push(p)
                }
            }
        }
        // A quiz belongs to the lesson file with the same stem.
        for quiz in quizzes {
            let stem = quiz.path.trim_end_matches(QUIZ_EXT);
            let lesson_path = format!("{stem}{LESSON_EXT}");
            let owner = sets.values_mut().find(|s| {
                s.by_lang
                    .get(&quiz.lang)
                    .is_some_and(|l| l.path == lesson_path)
            });
            match owner {
                Some(set) => {
                    let slot = match &quiz.text {
                        std::borrow::Cow::Borrowed(text) => QuizSlot::deferred(&quiz.path, text),
                        std::borrow::Cow::Owned(text) => {
                            let (parsed, mut quiz_problems) = parse_quiz(&quiz.path, text);
                            problems.append(&mut quiz_problems);
                            parsed.into()
                        }
                    };
                    set.quizzes.insert(quiz.lang, slot);
                }
                None if unparsed.contains(&lesson_path) => {}
                None => problems.push(Problem::whole(
                    &quiz.path,
                    format!("no lesson file {lesson_path} for this quiz"),
                )),
            }
        }
        let mut lessons: Vec<LessonSet> = sets.into_values().collect();
        lessons.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        problems.sort();
        Catalog {
            source,
            lessons,
            problems,
        }
    }

    pub fn find(&self, id: &str) -> Option<&LessonSet> {
        self.lessons.iter().find(|l| l.id == id)
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.lessons.iter().position(|l| l.id == id)
    }

    /// After a reload: a lesson file that is broken now keeps its last good
    /// version from `old` (its problem stays listed), so an author's typo
    /// never blanks the lesson on screen.
    pub fn keep_last_good(&mut self, old: &Catalog) {
        let broken: Vec<&str> = self.problems.iter().map(|p| p.path.as_str()).collect();
        let mut kept: Vec<LessonSet> = Vec::new();
        for set in &old.lessons {
            for (lang, lesson) in &set.by_lang {
                if !broken.contains(&lesson.path.as_str()) {
                    continue;
                }
                match self.lessons.iter_mut().find(|s| s.id == set.id) {
                    Some(fresh) => {
                        fresh.by_lang.entry(*lang).or_insert_with(|| lesson.clone());
                    }
                    None => match kept.iter_mut().find(|s| s.id == set.id) {
                        Some(k) => {
                            k.by_lang.insert(*lang, lesson.clone());
                        }
                        None => {
                            let mut k = set.clone();
                            k.by_lang.retain(|l, _| l == lang);
                            kept.push(k);
                        }
                    },
                }
            }
        }
        self.lessons.extend(kept);
        self.lessons
            .sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
    }
}

fn is_content_file(name: &str) -> bool {
    name.ends_with(LESSON_EXT) || name.ends_with(QUIZ_EXT)
}

// `BUILTIN_FILES`, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// The front matter build.rs read from this very built-in text.
fn built_front(text: &'static str) -> Option<&'static BuiltFront> {
    BUILTIN_FILES.get(builtin_index(text)?)?.1.as_ref()
}

/// The questions build.rs counted in this very built-in quiz text.
fn built_questions(text: &'static str) -> Option<usize> {
    BUILTIN_FILES.get(builtin_index(text)?)?.2
}

fn builtin_index(text: &'static str) -> Option<usize> {
    BUILTIN_TEXTS.iter().position(|t| std::ptr::eq(*t, text))
}

fn builtin_files() -> Vec<RawFile> {
    BUILTIN_FILES
        .iter()
        .zip(BUILTIN_TEXTS)
        .filter_map(|((path, ..), text)| {
            let lang = Lang::ALL
                .into_iter()
                .find(|l| path.starts_with(&format!("{}/", l.code())))?;
            Some(RawFile {
                path: format!("lessons/{path}"),
                lang,
                text: std::borrow::Cow::Borrowed(text),
            })
        })
        .collect()
}

/// Reads `DIR/en/*`, `DIR/zh/*`; a directory without those is all English.
pub fn dir_files(dir: &Path) -> (Vec<RawFile>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        problems.push(Problem::whole(shown, "not a directory of lessons"));
        return (files, problems);
    }
    let by_lang: Vec<(Lang, PathBuf)> = Lang::ALL
        .iter()
        .map(|l| (*l, dir.join(l.code())))
        .filter(|(_, p)| p.is_dir())
        .collect();
    let dirs = if by_lang.is_empty() {
        vec![(Lang::En, dir.to_path_buf())]
    } else {
        by_lang
    };
    for (lang, d) in dirs {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::whole(d.display().to_string(), e.to_string()));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_content_file(&p.to_string_lossy()))
            .collect();
        paths.sort();
        for path in paths {
            let shown = path.display().to_string();
            match std::fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => files.push(RawFile {
                        path: shown,
                        lang,
                        text: text.into(),
                    }),
                    Err(e) => problems.push(Problem::whole(shown, format!("not UTF-8 text: {e}"))),
                },
                Err(e) => problems.push(Problem::whole(shown, e.to_string())),
            }
        }
    }
    (files, problems)
}
