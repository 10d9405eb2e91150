//! Where a lane is in the code it shows, which steps ran and what it still
//! holds: the code pane follows `at`, the "knows" rows follow `know`.

use crate::demo::LaneCtx;
use crate::i18n::LocalText;

pub struct Trace {
    pub lane: LaneCtx,
    code: &'static str,
    /// The line shown last: the code runs forward, so search from there.
    last: std::cell::Cell<usize>,
    fail_step: u8,
    pub steps: u64,
    knows: Vec<(LocalText, LocalText)>,
}

/// The first line at or after `from` that contains `pattern`.
pub fn line_of(code: &str, from: usize, pattern: &str) -> Option<usize> {
    code.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(pattern))
        .map(|(i, _)| i)
}

impl Trace {
    pub fn new(lane: LaneCtx, code: &'static str, function: &str, fail_step: u8) -> Trace {
        let start = line_of(code, 0, &format!("fn {function}(")).unwrap_or(0);
        Trace {
            lane,
            code,
            last: std::cell::Cell::new(start),
            fail_step,
            steps: 0,
            knows: Vec::new(),
        }
    }

    /// Points the code pane at the next line (from the one shown last)
    /// that contains `pattern`.
    pub fn at(&self, pattern: &str) {
        self.at_any(&[pattern]);
    }

    /// Like `at`, for the first line that contains any of `patterns` (the
    /// variants of a job spell the same step differently).
    pub fn at_any(&self, patterns: &[&str]) {
        let found = patterns
            .iter()
            .filter_map(|p| line_of(self.code, self.last.get(), p))
            .min();
        let pattern = patterns.join(" | ");
        // A renamed line in the shown code would silently freeze the pane.
        debug_assert!(
            found.is_some() || self.code.is_empty(),
            "{pattern:?} is not in the lane's code after line {}",
            self.last.get()
        );
        if let Some(line) = found {
            self.last.set(line);
            self.lane.sink.code_line(line);
        }
    }

    /// Counts step `n` as run; whether it is the one that fails.
    pub fn step(&mut self, n: u8) -> bool {
        self.steps = self.steps.max(u64::from(n));
        self.fail_step == n
    }

    pub fn know(&mut self, name: LocalText, value: LocalText) {
        match self.knows.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.knows.push((name, value)),
        }
        self.lane.sink.knows(self.knows.clone());
    }
}
