//! The user's settings (the theme's name), kept in
//! `$XDG_CONFIG_HOME/concur/config.toml`. A config file that cannot be read is
//! reported and never overwritten. Theme files themselves, including the
//! instructor's own in `$XDG_CONFIG_HOME/concur/themes/`, are found by
//! `ui::theme::registry`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::i18n::LocalText;
use crate::problem::{LineIndex, Problem};
use crate::tr;

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

    pub fn load(&mut self) -> (Config, Vec<LocalText>) {
        /// Far more than concur writes into config.toml.
        const MAX_LEN: u64 = 1 << 20;
        let Some(path) = self.path() else {
            return (Config::default(), vec![]);
        };
        // A FIFO, a directory or a symlink loop is an error at once, never
        // a read that blocks start-up.
        crate::fsutil::sweep_stale_writes(&path);
        let text = match crate::fsutil::read_state_text(&path, MAX_LEN) {
            Ok(Some(t)) => t,
            Ok(None) => return (Config::default(), vec![]),
            Err(e) => {
                self.writable = false;
                return (
                    Config::default(),
                    vec![tr!(
                        "cannot read {}: {e}",
                        "无法读取 {}：{e}",
                        path.display()
                    )],
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
                    vec![tr!(
                        "{p} (settings will not be saved over it)",
                        "{p}（设置不会写进这个文件，以免盖掉它）"
                    )],
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
        assert!(w[0].en.contains("config.toml:2:"), "{w:?}");
        assert!(
            w[0].zh.contains("config.toml:2:") && w[0].zh.contains("设置不会写进"),
            "{w:?}"
        );
        store.save(&Config::default()).unwrap();
        let kept = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(
            kept.contains("colour = 3"),
            "a broken file is never overwritten"
        );
    }
}

#[cfg(test)]
mod state_file_tests {
    use super::*;

    #[test]
    fn a_fifo_as_config_is_an_error_at_once_and_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let d = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut store = ConfigStore::in_dir(Some(d));
            let loaded = store.load();
            let _ = tx.send((store, loaded));
        });
        let (mut store, (_, warnings)) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading a FIFO as config.toml blocked");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].en.contains("named pipe"), "{warnings:?}");
        assert!(warnings[0].zh.starts_with("无法读取"), "{warnings:?}");
        store.save(&Config::default()).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(!meta.is_file(), "the FIFO was replaced");
    }

    #[test]
    fn a_symlinked_config_is_written_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dotfiles-config.toml");
        std::fs::write(&target, "").unwrap();
        let conf = dir.path().join("conf");
        std::fs::create_dir(&conf).unwrap();
        std::os::unix::fs::symlink(&target, conf.join(FILE_NAME)).unwrap();
        let mut store = ConfigStore::in_dir(Some(conf.clone()));
        let (_, warnings) = store.load();
        assert!(warnings.is_empty(), "{warnings:?}");
        store
            .save(&Config {
                theme: Some("light".into()),
                ..Config::default()
            })
            .unwrap();
        assert!(
            std::fs::symlink_metadata(conf.join(FILE_NAME))
                .unwrap()
                .is_symlink()
        );
        assert!(std::fs::read_to_string(&target).unwrap().contains("light"));
    }
}
