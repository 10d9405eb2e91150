//! The user's settings (the theme's name), kept in
//! `$XDG_CONFIG_HOME/concur/config.toml`. A config file that cannot be read is
//! reported and never overwritten. Theme files themselves, including the
//! instructor's own in `$XDG_CONFIG_HOME/concur/themes/`, are found by
//! `ui::theme::registry`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::problem::{LineIndex, Problem};

pub const FILE_NAME: &str = "config.toml";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// The Python interpreter of the Python lanes (`--python` wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ConfigStore {
    dir: Option<PathBuf>,
    /// False after a file we could not read: we must not overwrite it.
    writable: bool,
    /// The settings as last loaded or saved: a save keeps what it does not change.
    current: Config,
}

pub fn default_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("concur"))
}

impl ConfigStore {
    pub fn in_dir(dir: Option<PathBuf>) -> ConfigStore {
        ConfigStore {
            dir,
            writable: true,
            current: Config::default(),
        }
    }

    /// The settings as last loaded or saved.
    pub fn current(&self) -> Config {
        self.current.clone()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(FILE_NAME))
    }

    pub fn load(&mut self) -> (Config, Vec<String>) {
        let Some(path) = self.path() else {
            return (Config::default(), vec![]);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (Config::default(), vec![]);
            }
            Err(e) => {
                self.writable = false;
                return (
                    Config::default(),
                    vec![format!("cannot read {}: {e}", path.display())],
                );
            }
        };
        match toml::from_str::<Config>(&text) {
            Ok(c) => {
                self.current = c.clone();
                (c, vec![])
            }
            Err(e) => {
                self.writable = false;
                let line = e
                    .span()
                    .map(|s| LineIndex::new(&text, 1).line(s.start))
                    .unwrap_or(1);
                let p = Problem::new(path.display().to_string(), line, e.message().to_string());
                (
                    Config::default(),
                    vec![format!("{p} (settings will not be saved over it)")],
                )
            }
        }
    }

    pub fn save(&mut self, config: &Config) -> std::io::Result<()> {
        self.current = config.clone();
        match (self.path(), self.writable) {
            (Some(path), true) => {
                let text = toml::to_string(config).map_err(std::io::Error::other)?;
                write_atomic(&path, text.as_bytes())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_restart_and_a_broken_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ConfigStore::in_dir(Some(dir.path().to_path_buf()));
        assert_eq!(store.load().0, Config::default());
        store
            .save(&Config {
                theme: Some("light".into()),
                python: Some("/opt/py/bin/python3".into()),
            })
            .unwrap();
        let (c, w) = ConfigStore::in_dir(Some(dir.path().to_path_buf())).load();
        assert!(w.is_empty());
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.python.as_deref(), Some("/opt/py/bin/python3"));

        std::fs::write(
            dir.path().join(FILE_NAME),
            "theme = \"light\"\ncolour = 3\n",
        )
        .unwrap();
        let mut store = ConfigStore::in_dir(Some(dir.path().to_path_buf()));
        let (c, w) = store.load();
        assert_eq!(c, Config::default());
        assert!(w[0].contains("config.toml:2:"), "{w:?}");
        store.save(&Config::default()).unwrap();
        let kept = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(
            kept.contains("colour = 3"),
            "a broken file is never overwritten"
        );
    }
}
