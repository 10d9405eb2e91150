//! Demo parameters: from a lesson's demo block (TOML) or the command line.

use std::collections::BTreeMap;

/// A parameter a demo accepts, for `--help`, validation and the UI.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    pub name: &'static str,
    pub help: &'static str,
    pub default: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.set(name, value);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    pub fn f64_or(&self, name: &str, default: f64) -> f64 {
        self.get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    pub fn u64_or(&self, name: &str, default: u64) -> u64 {
        self.get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some("true" | "1" | "yes" | "on") => true,
            Some("false" | "0" | "no" | "off") => false,
            _ => default,
        }
    }

    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.get(name).unwrap_or(default)
    }

    /// Parses `key = value` lines (TOML) as written in a lesson's demo block.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        let mut params = Params::new();
        for (k, v) in table {
            let value = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => return Err(format!("parameter `{k}`: unsupported value {other}")),
            };
            params.set(k, value);
        }
        Ok(params)
    }

    /// Parses a `key=value` command-line argument.
    pub fn parse_assignment(arg: &str) -> Result<(String, String), String> {
        match arg.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(format!("expected NAME=VALUE, got `{arg}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_become_strings() {
        let p = Params::from_toml("workload = \"io\"\nfail_step = 2\nforget_check = true").unwrap();
        assert_eq!(p.get("workload"), Some("io"));
        assert_eq!(p.u64_or("fail_step", 0), 2);
        assert!(p.bool_or("forget_check", false));
        assert!(Params::from_toml("x = [1]").is_err());
        assert!(Params::from_toml("= 1").is_err());
    }

    #[test]
    fn assignments() {
        assert_eq!(
            Params::parse_assignment("a=1").unwrap(),
            ("a".to_string(), "1".to_string())
        );
        assert!(Params::parse_assignment("a").is_err());
    }
}
