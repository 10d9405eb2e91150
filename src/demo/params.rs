//! Demo parameters. A demo declares them once, as a typed struct (its
//! [`Knobs`]: serde, `deny_unknown_fields`, defaults in `Default`); the
//! lesson's demo block, `-p NAME=VALUE`, a quiz question and `f` all produce a
//! [`Params`] table that is checked against that struct, so a bad name or
//! value is an error with a line, never a silent default.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::i18n::Text;

/// A parameter as `concur demo --list` and the UI show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub name: &'static str,
    pub help: Text,
    /// The default, as it would be written in a demo block.
    pub default: String,
}

/// A demo's parameters, typed. `HELP` names every field once, in order.
pub trait Knobs: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static {
    const HELP: &'static [(&'static str, Text)];

    /// Range checks the types cannot express.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The next deliberate failure for `f` (the last one leads back to a
    /// clean run); `None` when the demo cannot fail on purpose.
    fn next_failure(&self) -> Option<Self> {
        None
    }
}

/// Parameters as written (a lesson block, the command line, a quiz), before
/// a demo checks them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    table: toml::Table,
}

/// A parameter problem; `line` counts from 0 within the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParamError {}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value written as on the command line: `3000`, `true`, `io`.
    pub fn set(&mut self, name: impl Into<String>, value: &str) {
        self.table.insert(name.into(), value_of(value));
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.set(name, value);
        self
    }

    /// The value as text (`3000`, `io`), for titles and tests.
    pub fn get(&self, name: &str) -> Option<String> {
        self.table.get(name).map(show)
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// `name=value` pairs, in name order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, String)> {
        self.table.iter().map(|(k, v)| (k.as_str(), show(v)))
    }

    /// These parameters with `other`'s on top.
    pub fn merged(&self, other: &Params) -> Params {
        let mut table = self.table.clone();
        for (k, v) in &other.table {
            table.insert(k.clone(), v.clone());
        }
        Params { table }
    }

    /// Parses a demo block's body (`key = value` lines, TOML).
    pub fn from_toml(text: &str) -> Result<Self, ParamError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ParamError {
            line: e.span().map(|s| line_at(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        Ok(Params { table })
    }

    pub fn from_table(table: toml::Table) -> Self {
        Params { table }
    }

    /// Parses a `NAME=VALUE` command-line argument.
    pub fn parse_assignment(arg: &str) -> Result<(String, String), String> {
        match arg.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(format!("expected NAME=VALUE, got `{arg}`")),
        }
    }

    /// The typed parameters of a demo, or what is wrong with these.
    pub fn knobs<K: Knobs>(&self) -> Result<K, ParamError> {
        let k: K =
            toml::Value::Table(self.table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| ParamError {
                    line: None,
                    message: self.blame::<K>(e.message().trim()),
                })?;
        k.validate().map_err(|message| ParamError {
            line: None,
            message,
        })?;
        Ok(k)
    }

    /// Names the parameter a type error is about: a table without a line
    /// has no span to point at, so each value is tried alone.
    fn blame<K: Knobs>(&self, message: &str) -> String {
        let culprit = self.table.iter().find(|(k, v)| {
            let mut one = toml::Table::new();
            one.insert((*k).clone(), (*v).clone());
            toml::Value::Table(one).try_into::<K>().is_err()
        });
        match culprit {
            Some((name, _)) if !message.contains(name.as_str()) => format!("`{name}`: {message}"),
            _ => message.to_string(),
        }
    }

    /// Like [`Params::knobs`] on a demo block's text, with the line of the
    /// problem where there is one.
    pub fn check_text<K: Knobs>(text: &str) -> Result<K, ParamError> {
        let k: K = toml::from_str(text).map_err(|e| ParamError {
            line: e.span().map(|s| line_at(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        k.validate().map_err(|message| {
            // A range problem names its parameter first: find its line.
            let name = message.split([' ', ':', '`']).find(|w| !w.is_empty());
            let line = name.and_then(|n| {
                text.lines()
                    .position(|l| l.trim_start().starts_with(n) && l.contains('='))
            });
            ParamError { line, message }
        })?;
        Ok(k)
    }

    pub fn of<K: Knobs>(k: &K) -> Params {
        match toml::Value::try_from(k) {
            Ok(toml::Value::Table(table)) => Params { table },
            _ => Params::default(),
        }
    }
}

/// The parameters of `K`, with their defaults, for `--list` and help.
pub fn describe<K: Knobs>() -> Vec<ParamInfo> {
    let defaults = Params::of(&K::default());
    K::HELP
        .iter()
        .map(|(name, help)| ParamInfo {
            name,
            help: *help,
            default: defaults.get(name).unwrap_or_default(),
        })
        .collect()
}

fn line_at(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len()))
        .map_or(0, |head| head.matches('\n').count())
}

/// A command-line value as TOML: numbers and booleans typed, anything else
/// a string (so `-p workload=io` needs no quotes).
fn value_of(text: &str) -> toml::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !matches!(v, toml::Value::Table(_) | toml::Value::Datetime(_)))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct K {
        call_ms: u64,
        mode: String,
    }

    impl Default for K {
        fn default() -> Self {
            K {
                call_ms: 3000,
                mode: "a".into(),
            }
        }
    }

    impl Knobs for K {
        const HELP: &'static [(&'static str, Text)] = &[
            ("call_ms", Text::new("ms", "毫秒")),
            ("mode", Text::new("mode", "模式")),
        ];
        fn validate(&self) -> Result<(), String> {
            if self.call_ms > 10_000 {
                return Err("call_ms must be at most 10000".into());
            }
            Ok(())
        }
    }

    #[test]
    fn values_are_typed_and_checked() {
        let k: K = Params::new().with("call_ms", "500").knobs().unwrap();
        assert_eq!(k.call_ms, 500);
        assert_eq!(k.mode, "a");
        let e = Params::new()
            .with("call_ms", "fast")
            .knobs::<K>()
            .unwrap_err();
        assert!(e.message.starts_with("`call_ms`"), "{e}");
        assert!(Params::new().with("nosuch", "1").knobs::<K>().is_err());
        assert!(Params::new().with("call_ms", "20000").knobs::<K>().is_err());
    }

    #[test]
    fn block_text_errors_name_their_line() {
        let e = Params::check_text::<K>("mode = \"b\"\ncall_ms = \"fast\"\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e:?}");
        let e = Params::check_text::<K>("mode = \"b\"\n\ncall_ms = 20000\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
        let e = Params::check_text::<K>("\nbogus = 1\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e:?}");
    }

    #[test]
    fn defaults_are_written_once() {
        let d = describe::<K>();
        assert_eq!(d[0].default, "3000");
        assert_eq!(d[1].default, "a");
    }

    #[test]
    fn command_line_values() {
        let p = Params::new()
            .with("a", "1")
            .with("b", "io")
            .with("c", "true");
        assert_eq!(p.get("a").as_deref(), Some("1"));
        assert_eq!(p.get("b").as_deref(), Some("io"));
        assert_eq!(
            Params::parse_assignment("a=1").unwrap(),
            ("a".to_string(), "1".to_string())
        );
        assert!(Params::parse_assignment("a").is_err());
        assert!(Params::from_toml("= 1").is_err());
    }
}
