//! A problem found in a content file, always located as `path:line`.

/// A located problem in a lesson, quiz or theme file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
pub struct Problem {
    pub path: String,
    /// 1-based; 0 when the problem is about the whole file or folder.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}:{}: {}", self.path, self.line, self.message)
        }
    }
}

impl Problem {
    pub fn new(path: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line: line.max(1),
            message: message.into(),
        }
    }

    /// A problem with no line to point at: a missing folder, an unreadable
    /// file, a file that is missing something as a whole.
    pub fn whole(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line: 0,
            message: message.into(),
        }
    }
}

/// Maps byte offsets of a text to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
    /// Added to every line: the text may start further down a file.
    first_line: usize,
}

impl LineIndex {
    pub fn new(text: &str, first_line: usize) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts, first_line }
    }

    pub fn line(&self, offset: usize) -> usize {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        idx + self.first_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_lines() {
        let idx = LineIndex::new("ab\ncd\n\nef", 1);
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 1);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(6), 3);
        assert_eq!(idx.line(7), 4);
        assert_eq!(LineIndex::new("x\ny", 10).line(2), 11);
    }

    #[test]
    fn display_is_path_line_message() {
        assert_eq!(Problem::new("a.md", 3, "bad").to_string(), "a.md:3: bad");
        assert_eq!(
            Problem::whole("/nonexistent", "not a directory of lessons").to_string(),
            "/nonexistent: not a directory of lessons"
        );
    }
}
