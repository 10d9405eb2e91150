//! The user's settings (the theme), kept in `$XDG_CONFIG_HOME/concur/config.toml`,
//! and the themes an instructor adds in `$XDG_CONFIG_HOME/concur/themes/`.
//! A config file that cannot be read is reported and never overwritten.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::problem::{LineIndex, Problem};
use crate::ui::theme::Theme;

pub const FILE_NAME: &str = "config.toml";
/// The monochrome theme's name (also what `NO_COLOR` picks).
pub const MONO: &str = "mono";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ConfigStore {
    dir: Option<PathBuf>,
    /// False after a file we could not read: we must not overwrite it.
    writable: bool,
}

pub fn default_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("concur"))
}

impl ConfigStore {
    pub fn in_dir(dir: Option<PathBuf>) -> ConfigStore {
        ConfigStore {
            dir,
            writable: true,
        }
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
            Ok(c) => (c, vec![]),
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

    pub fn save(&self, config: &Config) -> std::io::Result<()> {
        match (self.path(), self.writable) {
            (Some(path), true) => {
                let text = toml::to_string(config).map_err(std::io::Error::other)?;
                write_atomic(&path, text.as_bytes())
            }
            _ => Ok(()),
        }
    }

    /// Theme files the user added, by name.
    pub fn user_themes(&self) -> Vec<(String, PathBuf)> {
        let Some(dir) = self.dir.as_ref().map(|d| d.join("themes")) else {
            return vec![];
        };
        let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }
}

/// Every theme name to cycle through: built-in, then the user's, then mono.
pub fn theme_names(store: &ConfigStore) -> Vec<String> {
    let mut names = Theme::builtin_names();
    for (name, _) in store.user_themes() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.push(MONO.into());
    names
}

/// Loads a theme by name (built-in, the user's themes directory, `mono`) or
/// by path. Missing colours come from `dark`.
pub fn load_theme(name_or_path: &str, store: &ConfigStore) -> Result<Theme, Problem> {
    if name_or_path == MONO {
        return Ok(Theme::mono());
    }
    let user = store
        .user_themes()
        .into_iter()
        .find(|(n, _)| n == name_or_path)
        .map(|(_, p)| p);
    let path = match user {
        Some(p) => Some(p),
        None if name_or_path.contains('/') || name_or_path.ends_with(".toml") => {
            Some(PathBuf::from(name_or_path))
        }
        None => None,
    };
    match path {
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Problem::new(&shown, 1, e.to_string()))?;
            Theme::parse(&shown, &text, Some(&Theme::dark()))
        }
        None => Theme::builtin(name_or_path).unwrap_or_else(|| {
            let mut names = Theme::builtin_names();
            names.push(MONO.into());
            Err(Problem::new(
                name_or_path,
                1,
                format!("no theme `{name_or_path}` (built in: {})", names.join(", ")),
            ))
        }),
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
            })
            .unwrap();
        let (c, w) = ConfigStore::in_dir(Some(dir.path().to_path_buf())).load();
        assert!(w.is_empty());
        assert_eq!(c.theme.as_deref(), Some("light"));

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

    #[test]
    fn themes_by_name_path_and_user_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::in_dir(Some(dir.path().to_path_buf()));
        assert_eq!(load_theme("light", &store).unwrap().name, "light");
        assert!(load_theme(MONO, &store).unwrap().mono);
        assert!(
            load_theme("nosuch", &store)
                .unwrap_err()
                .message
                .contains("no theme")
        );
        std::fs::create_dir(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/class.toml"), "accent = \"red\"\n").unwrap();
        std::fs::write(
            dir.path().join("themes/broken.toml"),
            "name = \"b\"\ntext = \"nope\"\n",
        )
        .unwrap();
        let names = theme_names(&store);
        assert!(
            names.contains(&"class".to_string()) && names.last().unwrap() == MONO,
            "{names:?}"
        );
        assert_eq!(load_theme("class", &store).unwrap().name, "class");
        let err = load_theme("broken", &store).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("broken.toml:2: `text`: `nope` is not a colour"),
            "{err}"
        );
    }
}
