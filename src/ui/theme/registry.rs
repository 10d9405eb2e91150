//! Which themes exist and which one to start with: the built-in files, the
//! instructor's own in the `themes/` folder beside config.toml, a theme
//! file's path, `NO_COLOR`, and the choice `T` saved last time.
//!
//! Nothing here prints: what the user should be told comes back as data.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::{MONO, Theme, ThemeError};
use crate::i18n::LocalText;
use crate::tr;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/themes");

/// The folder, inside concur's config folder, that holds the user's themes.
pub const USER_DIR: &str = "themes";

/// Finds and loads themes by name or path.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Where the user's theme files are, if there is a config folder.
    user_dir: Option<PathBuf>,
}

/// What decides the starting theme, strongest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Start<'a> {
    /// `--theme NAME|PATH`: if it cannot be loaded, that is an error.
    pub cli: Option<&'a str>,
    /// `NO_COLOR` is set (see [`no_color_env`]).
    pub no_color: bool,
    /// The theme saved in config.toml; if it is gone, a warning and `dark`.
    pub saved: Option<&'a str>,
}

/// The theme to start with, the list `T` cycles through, and what the user
/// should be told about themes that did not load.
#[derive(Debug, Clone)]
pub struct Themes {
    pub current: Theme,
    pub cycle: Vec<Theme>,
    pub warnings: Vec<LocalText>,
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, as no-color.org says).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Start<'_> {
    /// The name or path to load, and whether the user typed it (then a
    /// failure is an error rather than a warning).
    fn wanted(&self) -> (&str, bool) {
        match (self.cli, self.no_color, self.saved) {
            (Some(cli), _, _) => (cli, true),
            (None, true, _) => (MONO, false),
            (None, false, Some(saved)) => (saved, false),
            (None, false, None) => ("dark", false),
        }
    }
}

impl Registry {
    /// `config_dir` is concur's config folder (user themes are in its `themes/`).
    pub fn new(config_dir: Option<&Path>) -> Registry {
        Registry {
            user_dir: config_dir.map(|d| d.join(USER_DIR)),
        }
    }

    /// The built-in themes' names, `dark` first.
    pub fn builtin_names() -> Vec<String> {
        let mut names: Vec<String> = BUILTIN
            .files()
            .filter(|f| f.path().extension().is_some_and(|x| x == "toml"))
            .filter_map(|f| Some(f.path().file_stem()?.to_string_lossy().into_owned()))
            .collect();
        names.sort_by_key(|n| (n != "dark", n.clone()));
        names
    }

    /// Theme files the user added, by name, sorted.
    fn user_themes(&self) -> Vec<(String, PathBuf)> {
        let Some(dir) = &self.user_dir else {
            return vec![];
        };
        // No folder (the usual case) or an unreadable one: no user themes.
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

    /// Every theme name `T` cycles through: built-in, then the user's, then mono.
    pub fn names(&self) -> Vec<String> {
        let mut names = Self::builtin_names();
        for (name, _) in self.user_themes() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.push(MONO.into());
        names
    }

    /// Loads a theme by name (the user's themes folder first, then built-in,
    /// then `mono`) or by path. Missing colours come from `dark`.
    pub fn load(&self, name_or_path: &str) -> Result<Theme, ThemeError> {
        if name_or_path == MONO {
            return Ok(Theme::mono());
        }
        let user = self
            .user_themes()
            .into_iter()
            .find(|(n, _)| n == name_or_path)
            .map(|(_, p)| p);
        let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
        if let Some(path) = user.or_else(|| looks_like_path.then(|| name_or_path.into())) {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| ThemeError::File {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            return Theme::parse(&shown, &text, &Theme::dark());
        }
        if name_or_path == "dark" {
            return Ok(Theme::dark());
        }
        if let Some(theme) = Theme::built_in(name_or_path, &Theme::dark()) {
            return Ok(theme);
        }
        match BUILTIN
            .get_file(format!("{name_or_path}.toml"))
            .and_then(|f| f.contents_utf8())
        {
            Some(text) => Theme::parse(
                &format!("assets/themes/{name_or_path}.toml"),
                text,
                &Theme::dark(),
            ),
            None => Err(ThemeError::Unknown {
                name: name_or_path.into(),
                known: self.names(),
            }),
        }
    }

    /// The starting theme by the rule in [`Start`], and every theme to cycle
    /// through with `T`. Only a `--theme` that cannot be loaded is an error;
    /// anything else that fails to load becomes a warning.
    pub fn choose(&self, start: Start<'_>) -> Result<Themes, ThemeError> {
        let mut warnings = Vec::new();
        let (wanted, explicit) = start.wanted();
        let current = match self.load(wanted) {
            Ok(t) => t,
            Err(e) if explicit => return Err(e),
            Err(e) => {
                let e = e.local();
                warnings.push(tr!("{e}; using the dark theme", "{e}；改用 dark 主题"; e));
                Theme::dark()
            }
        };
        let mut cycle = Vec::new();
        for name in self.names() {
            match self.load(&name) {
                Ok(t) => cycle.push(t),
                Err(e) => {
                    let e = e.local();
                    warnings.push(tr!("{e}; theme skipped", "{e}；跳过这个主题"; e));
                }
            }
        }
        // A theme given by path is in the cycle too, so T comes back to it.
        if !cycle.iter().any(|t| t.name == current.name) {
            cycle.push(current.clone());
        }
        Ok(Themes {
            current,
            cycle,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config folder with a themes/ folder holding these files.
    fn with_user_themes(files: &[(&str, &str)]) -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(USER_DIR)).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(USER_DIR).join(name), text).unwrap();
        }
        let registry = Registry::new(Some(dir.path()));
        (dir, registry)
    }

    fn names(themes: &[Theme]) -> Vec<&str> {
        themes.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn every_embedded_theme_loads_under_its_own_name() {
        let builtin = Registry::builtin_names();
        assert_eq!(builtin[0], "dark", "dark comes first");
        assert!(builtin.len() >= 3, "{builtin:?}");
        let registry = Registry::new(None);
        for name in &builtin {
            let theme = registry.load(name).unwrap();
            assert_eq!(&theme.name, name);
            assert!(!theme.mono);
        }
        // The shipped files keep their colours.
        let light = registry.load("light").unwrap();
        assert_eq!(
            light.background,
            ratatui::style::Color::Rgb(0xfb, 0xfa, 0xf7)
        );
        assert_eq!(
            light.palette.accent,
            ratatui::style::Color::Rgb(0x05, 0x50, 0xae)
        );
        let mut cycle = builtin.clone();
        cycle.push(MONO.into());
        assert_eq!(registry.names(), cycle);
    }

    #[test]
    fn an_unknown_name_says_so_without_a_line_number() {
        let err = Registry::new(None).load("nosuch").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no theme `nosuch` (the themes are dark, high-contrast, light, mono; \
             or give a theme file's path)"
        );
        let err = Registry::new(None).load("/nonexistent/x.toml").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("/nonexistent/x.toml: ") && !text.contains(":1:"),
            "{text}"
        );
    }

    #[test]
    fn user_themes_are_listed_loaded_and_reported_at_their_line() {
        let (_dir, registry) = with_user_themes(&[
            ("class.toml", "accent = \"red\"\n"),
            ("broken.toml", "name = \"b\"\ntext = \"nope\"\n"),
            ("notes.txt", "not a theme"),
        ]);
        assert_eq!(
            registry.names(),
            ["dark", "high-contrast", "light", "broken", "class", MONO]
        );
        let class = registry.load("class").unwrap();
        assert_eq!(class.name, "class");
        assert_eq!(class.palette.accent, ratatui::style::Color::Red);
        let err = registry.load("broken").unwrap_err().to_string();
        assert!(
            err.contains("broken.toml:2: `text`: `nope` is not a colour"),
            "{err}"
        );
    }

    #[test]
    fn a_user_theme_overrides_a_built_in_one_of_the_same_name() {
        let (_dir, registry) = with_user_themes(&[("light.toml", "accent = \"red\"\n")]);
        assert_eq!(registry.names(), ["dark", "high-contrast", "light", MONO]);
        let light = registry.load("light").unwrap();
        assert_eq!(light.palette.accent, ratatui::style::Color::Red);
        assert_eq!(
            light.background,
            Theme::dark().background,
            "the rest from dark"
        );
    }

    #[test]
    fn no_color_gives_mono() {
        let themes = Registry::new(None)
            .choose(Start {
                no_color: true,
                saved: Some("light"),
                ..Start::default()
            })
            .unwrap();
        assert!(themes.current.mono);
        assert_eq!(themes.current, Theme::mono());
        assert!(themes.warnings.is_empty());
    }

    #[test]
    fn explicit_theme_beats_no_color_beats_saved_beats_dark() {
        let registry = Registry::new(None);
        let chosen = |cli, no_color, saved| {
            let start = Start {
                cli,
                no_color,
                saved,
            };
            registry.choose(start).unwrap().current.name
        };
        assert_eq!(chosen(Some("light"), true, Some("high-contrast")), "light");
        assert_eq!(chosen(None, true, Some("high-contrast")), MONO);
        assert_eq!(chosen(None, false, Some("high-contrast")), "high-contrast");
        assert_eq!(chosen(None, false, None), "dark");
    }

    #[test]
    fn a_bad_explicit_theme_is_an_error_but_a_bad_saved_one_a_warning() {
        let registry = Registry::new(None);
        let err = registry
            .choose(Start {
                cli: Some("nosuch"),
                ..Start::default()
            })
            .unwrap_err();
        assert!(matches!(err, ThemeError::Unknown { .. }), "{err:?}");
        let themes = registry
            .choose(Start {
                saved: Some("gone"),
                ..Start::default()
            })
            .unwrap();
        assert_eq!(themes.current.name, "dark");
        assert_eq!(themes.warnings.len(), 1);
        let zh = &themes.warnings[0].zh;
        assert!(
            zh.starts_with("没有叫 `gone` 的主题") && zh.ends_with("；改用 dark 主题"),
            "{zh}"
        );
        assert!(
            themes.warnings[0].en.starts_with("no theme `gone`")
                && themes.warnings[0].en.ends_with("; using the dark theme"),
            "{:?}",
            themes.warnings
        );
    }

    #[test]
    fn the_cycle_skips_broken_themes_and_keeps_one_given_by_path() {
        let (dir, registry) = with_user_themes(&[("broken.toml", "text = 3\n")]);
        let own = dir.path().join("talk.toml");
        std::fs::write(&own, "name = \"talk\"\naccent = \"red\"\n").unwrap();
        let themes = registry
            .choose(Start {
                cli: own.to_str(),
                ..Start::default()
            })
            .unwrap();
        assert_eq!(themes.current.name, "talk");
        assert_eq!(
            names(&themes.cycle),
            ["dark", "high-contrast", "light", MONO, "talk"]
        );
        assert_eq!(themes.warnings.len(), 1, "{:?}", themes.warnings);
        assert!(
            themes.warnings[0].en.contains("broken.toml:1: `text`")
                && themes.warnings[0].en.ends_with("; theme skipped")
                && themes.warnings[0].zh.ends_with("；跳过这个主题"),
            "{:?}",
            themes.warnings
        );
    }
}
