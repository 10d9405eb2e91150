//! Conditions of predict-then-run questions: what a demo must have measured
//! for a choice to be right, e.g. `blocking.max_lag_ms > 10 * executor.max_lag_ms`.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Number(f64),
    /// `factor * lane.metric`
    Figure {
        factor: f64,
        lane: String,
        metric: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub left: Operand,
    pub op: Op,
    pub right: Operand,
}

/// Comparisons joined by `&&`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub source: String,
    pub all: Vec<Comparison>,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// What a demo measured, looked up by lane and metric.
pub trait Figures {
    fn figure(&self, lane: &str, metric: &str) -> Option<f64>;
}

impl Figures for crate::demo::DemoView {
    fn figure(&self, lane: &str, metric: &str) -> Option<f64> {
        self.lane(lane).and_then(|l| l.metric(metric))
    }
}

impl Operand {
    fn value(&self, figures: &dyn Figures) -> Option<f64> {
        match self {
            Operand::Number(n) => Some(*n),
            Operand::Figure {
                factor,
                lane,
                metric,
            } => figures.figure(lane, metric).map(|v| v * factor),
        }
    }

    /// The `lane.metric` this operand reads, if any.
    pub fn figure_ref(&self) -> Option<(&str, &str)> {
        match self {
            Operand::Figure { lane, metric, .. } => Some((lane, metric)),
            Operand::Number(_) => None,
        }
    }
}

impl Condition {
    /// Whether it holds; `None` when a figure it needs was not measured.
    pub fn eval(&self, figures: &dyn Figures) -> Option<bool> {
        let mut result = true;
        for c in &self.all {
            let (l, r) = (c.left.value(figures)?, c.right.value(figures)?);
            let holds = match c.op {
                Op::Lt => l < r,
                Op::Le => l <= r,
                Op::Gt => l > r,
                Op::Ge => l >= r,
                Op::Eq => (l - r).abs() < 1e-9,
            };
            result &= holds;
        }
        Some(result)
    }

    /// Every `lane.metric` it reads.
    pub fn figures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.all
            .iter()
            .flat_map(|c| [c.left.figure_ref(), c.right.figure_ref()])
            .flatten()
    }

    pub fn parse(source: &str) -> Result<Condition, String> {
        let all = source
            .split("&&")
            .map(|part| parse_comparison(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition {
            source: source.trim().to_string(),
            all,
        })
    }
}

fn parse_comparison(s: &str) -> Result<Comparison, String> {
    if s.is_empty() {
        return Err("empty comparison".into());
    }
    // Two-character operators first, so `<=` is not read as `<`.
    for (text, op) in [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
    ] {
        if let Some((l, r)) = s.split_once(text) {
            return Ok(Comparison {
                left: parse_operand(l.trim())?,
                op,
                right: parse_operand(r.trim())?,
            });
        }
    }
    Err(format!(
        "`{s}` is not a comparison (use <, <=, >, >= or ==)"
    ))
}

fn parse_operand(s: &str) -> Result<Operand, String> {
    if let Ok(n) = s.parse::<f64>() {
        return Ok(Operand::Number(n));
    }
    let (factor, reference) = match s.split_once('*') {
        Some((f, r)) => (
            f.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{}` is not a number", f.trim()))?,
            r.trim(),
        ),
        None => (1.0, s),
    };
    let Some((lane, metric)) = reference.split_once('.') else {
        return Err(format!("`{s}` is neither a number nor LANE.METRIC"));
    };
    let ok_lane = !lane.is_empty()
        && lane
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let ok_metric = !metric.is_empty()
        && metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok_lane || !ok_metric {
        return Err(format!("`{reference}` is not LANE.METRIC"));
    }
    Ok(Operand::Figure {
        factor,
        lane: lane.to_string(),
        metric: metric.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<(&'static str, &'static str), f64>);
    impl Figures for Map {
        fn figure(&self, lane: &str, metric: &str) -> Option<f64> {
            self.0
                .iter()
                .find(|((l, m), _)| *l == lane && *m == metric)
                .map(|(_, v)| *v)
        }
    }

    fn figures() -> Map {
        Map(HashMap::from([
            (("thread", "ticks"), 31.0),
            (("blocking", "max_lag_ms"), 400.0),
            (("executor", "max_lag_ms"), 1.5),
        ]))
    }

    #[test]
    fn ranges_and_comparisons_between_lanes() {
        let f = figures();
        let c = |s: &str| Condition::parse(s).unwrap().eval(&f);
        assert_eq!(c("thread.ticks >= 10 && thread.ticks < 100"), Some(true));
        assert_eq!(c("thread.ticks < 10"), Some(false));
        assert_eq!(
            c("blocking.max_lag_ms > 10 * executor.max_lag_ms"),
            Some(true)
        );
        assert_eq!(
            c("executor.max_lag_ms > 0.5 * blocking.max_lag_ms"),
            Some(false)
        );
        assert_eq!(c("thread.ticks == 31"), Some(true));
        assert_eq!(c("thread.nosuch > 1"), None);
    }

    #[test]
    fn bad_conditions_are_explained() {
        for bad in [
            "",
            "thread.ticks",
            "ticks > 3",
            "a.b > x * c.d",
            "a.b ? 3",
            "a.b > 3 &&",
        ] {
            assert!(Condition::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let c = Condition::parse("event-loop.speedup <= 1.5").unwrap();
        assert_eq!(
            c.figures().collect::<Vec<_>>(),
            vec![("event-loop", "speedup")]
        );
    }
}
