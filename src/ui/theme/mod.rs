//! Colours by meaning. A theme is a TOML file (assets/themes/) that names
//! only the colours it changes from `dark`. `NO_COLOR` gives a monochrome
//! theme that shows every state by glyph and weight, never by colour alone.
//!
//! Every colour name is written once, in the `palette!` call below: it makes
//! the resolved [`Palette`], the all-optional `PalettePatch` that a theme file
//! deserializes into, and the monochrome palette. Colours are parsed by
//! ratatui's own `Deserialize` for `Color`; error lines come from toml's spans.
//! Which themes exist and which one to start with is [`registry`].

pub mod registry;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::i18n::LocalText;
use crate::problem::{LineIndex, Problem};

/// The monochrome theme's name (also what `NO_COLOR` picks).
pub const MONO: &str = "mono";

/// The base every other theme patches: it must name every colour.
const DARK_PATH: &str = "assets/themes/dark.toml";
const DARK_TEXT: &str = include_str!("../../../assets/themes/dark.toml");

/// What ratatui's `Color` deserializer says for a value it cannot read; we
/// replace it with a message that names the key and the accepted forms. A
/// test pins it, so a ratatui upgrade that rewords it is noticed.
const RATATUI_BAD_COLOUR: &str = "Failed to parse Colors";
const COLOUR_FORMS: &str =
    "use a name such as red or lightblue, \"#rrggbb\", or a palette index \"0\" to \"255\"";

/// Declares the named colours once. Besides them a theme file has `name`,
/// `background` (default: the terminal's own) and `jobs` (a list), which the
/// patch carries too: serde's `flatten` cannot be combined with
/// `deny_unknown_fields`, so they are written out here instead.
macro_rules! palette {
    ($($(#[doc = $doc:literal])* $field:ident),* $(,)?) => {
        /// Every named colour of a theme, resolved.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Palette {
            $($(#[doc = $doc])* pub $field: Color,)*
        }

        impl Palette {
            /// Every colour `Reset`: the terminal's own colours (NO_COLOR).
            const MONO: Palette = Palette { $($field: Color::Reset,)* };
        }

        /// What a theme file may say: every key optional, unknown keys an error.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PalettePatch {
            name: Option<String>,
            background: Option<Color>,
            /// Spanned: an empty list is reported at its own line.
            jobs: Option<Spanned<Vec<JobColour>>>,
            $($field: Option<Color>,)*
        }

        impl Palette {
            /// Sets the colour a theme file calls `key`; false for no such colour.
            fn set(&mut self, key: &str, c: Color) -> bool {
                match key {
                    $(k if k == stringify!($field).trim_start_matches("r#") => self.$field = c,)*
                    _ => return false,
                }
                true
            }
        }

        impl PalettePatch {
            /// Overwrites the colours this file names; the rest stay.
            fn apply(&self, palette: &mut Palette) {
                $(if let Some(c) = self.$field {
                    palette.$field = c;
                })*
            }

            /// The colours this file leaves out, as written in a file.
            #[cfg(test)]
            fn missing(&self) -> Vec<&'static str> {
                let mut out = Vec::new();
                $(if self.$field.is_none() {
                    out.push(stringify!($field).trim_start_matches("r#"));
                })*
                out
            }
        }
    };
}

palette! {
    text, muted, accent, heading, strong, emphasis, code, code_bg, quote, link,
    border, border_active, bar_fg, bar_bg, key, ok, warn, bad,
    /// Not drawn yet: lane and timeline states use `ok` and the job colours.
    running,
    /// Not drawn yet, like `running`.
    waiting,
    blocked,
    keyword, string, comment, number, function, r#type, r#macro,
}

/// One colour of `jobs`. A newtype, not a bare `Color`: toml gives a bad
/// value the span of the newtype it was read into, so the error names the
/// element's line rather than the line where the list starts.
#[derive(Debug, Clone, Copy, Deserialize)]
struct JobColour(Color);

/// A resolved theme: every colour known.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// No colours at all (NO_COLOR): meaning is carried by weight and glyphs.
    pub mono: bool,
    /// `Reset` leaves the terminal's own background.
    pub background: Color,
    /// Cycled through by [`Theme::job`]; never empty.
    jobs: Vec<Color>,
    pub palette: Palette,
}

/// Why a theme could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    /// Something wrong at a line of a theme file.
    #[error("{0}")]
    At(Problem),
    /// A file that could not be read, or a problem that has no line.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// A name that is neither a theme nor a file's path.
    #[error(
        "no theme `{name}` (the themes are {}; or give a theme file's path)",
        .known.join(", ")
    )]
    Unknown { name: String, known: Vec<String> },
}

impl ThemeError {
    /// The error for the notices line in both languages. A file's own
    /// problem (`path:line: message`) reads the same in both: the message
    /// is often the TOML parser's.
    pub fn local(&self) -> LocalText {
        match self {
            ThemeError::Unknown { name, known } => LocalText {
                en: self.to_string(),
                zh: format!(
                    "没有叫 `{name}` 的主题（可选的主题：{}；也可以给出主题文件的路径）",
                    known.join(", ")
                ),
            },
            other => LocalText::same(other.to_string()),
        }
    }

    /// A toml error at its exact line; a colour ratatui cannot read is named
    /// by its key and shown with the forms that work.
    fn from_toml(path: &str, text: &str, e: &toml::de::Error) -> ThemeError {
        let message = e.message().trim_end().to_string();
        let Some(span) = e.span() else {
            return ThemeError::File {
                path: path.into(),
                message,
            };
        };
        let line = LineIndex::new(text, 1).line(span.start);
        let message = match key_holding(text, span.start) {
            Some(key) if message.starts_with(RATATUI_BAD_COLOUR) => {
                let value = text.get(span).unwrap_or("").trim_matches(['"', '\'']);
                format!("`{key}`: `{value}` is not a colour ({COLOUR_FORMS})")
            }
            _ => message,
        };
        ThemeError::At(Problem::new(path, line, message))
    }
}

/// The top-level key whose value contains byte `at`, from toml's own spans.
fn key_holding(text: &str, at: usize) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    doc.get_ref()
        .iter()
        .find(|(_, value)| value.span().contains(&at))
        .map(|(key, _)| key.get_ref().to_string())
}

/// A theme colour: `"#rrggbb"` read directly (it is what `Color::from_str`
/// makes of it, without trying it against every colour name first: start-up
/// reads ~100 of them), anything else through `Color::from_str`.
fn colour(value: &str) -> Option<Color> {
    match value.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok().map(Color::from_u32)
        }
        _ => value.parse().ok(),
    }
}

impl Theme {
    /// The default theme, from its embedded file.
    pub fn dark() -> Theme {
        // Parsed once: it is the base every other theme is read onto.
        static DARK: std::sync::OnceLock<Theme> = std::sync::OnceLock::new();
        DARK.get_or_init(|| {
            // The file's values, read at build time; should one not be a
            // colour (a test checks they all are), the file is parsed here.
            Theme::built_in("dark", &Theme::mono()).unwrap_or_else(|| {
                Theme::parse(DARK_PATH, DARK_TEXT, &Theme::mono()).unwrap_or_else(|_| Theme::mono())
            })
        })
        .clone()
    }

    /// A built-in theme from the values build.rs read from its file
    /// (assets/themes/STEM.toml), the colours it leaves out from `base`:
    /// what [`Theme::parse`] of the file gives, without a TOML parser.
    /// `None` for a file build.rs left to be parsed.
    pub fn built_in(stem: &str, base: &Theme) -> Option<Theme> {
        mod values {
            include!(concat!(env!("OUT_DIR"), "/themes.rs"));
        }
        let (_, pairs, jobs) = values::BUILTIN_THEMES.iter().find(|(s, ..)| *s == stem)?;
        let mut theme = base.clone();
        theme.mono = false;
        theme.name = stem.to_string();
        for (key, value) in *pairs {
            match *key {
                "name" => theme.name = value.to_string(),
                "background" => theme.background = colour(value)?,
                _ if theme.palette.set(key, colour(value)?) => {}
                _ => return None,
            }
        }
        if let Some(jobs) = jobs {
            theme.jobs = jobs.iter().map(|j| colour(j)).collect::<Option<_>>()?;
        }
        Some(theme)
    }

    /// No colour at all, for `NO_COLOR`.
    pub fn mono() -> Theme {
        Theme {
            name: MONO.into(),
            mono: true,
            background: Color::Reset,
            jobs: vec![Color::Reset],
            palette: Palette::MONO,
        }
    }

    /// Parses a theme file (`path` is only for messages and the default
    /// name); the colours it leaves out come from `base`.
    pub fn parse(path: &str, text: &str, base: &Theme) -> Result<Theme, ThemeError> {
        let patch: PalettePatch =
            toml::from_str(text).map_err(|e| ThemeError::from_toml(path, text, &e))?;
        let mut palette = base.palette;
        patch.apply(&mut palette);
        let jobs = match patch.jobs {
            Some(list) if list.get_ref().is_empty() => {
                let line = LineIndex::new(text, 1).line(list.span().start);
                let message = "`jobs` needs at least one colour";
                return Err(ThemeError::At(Problem::new(path, line, message)));
            }
            Some(list) => list.into_inner().into_iter().map(|j| j.0).collect(),
            None => base.jobs.clone(),
        };
        let name = patch.name.unwrap_or_else(|| {
            std::path::Path::new(path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Ok(Theme {
            name,
            mono: false,
            background: patch.background.unwrap_or(base.background),
            jobs,
            palette,
        })
    }

    fn fg(&self, c: Color) -> Style {
        Style::new().fg(c)
    }

    pub fn text(&self) -> Style {
        self.fg(self.palette.text)
    }
    /// Every cell of a screen before anything is drawn on it.
    pub fn base(&self) -> Style {
        self.text().bg(self.background)
    }
    pub fn muted(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            self.fg(self.palette.muted)
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(self.palette.accent).add_modifier(Modifier::BOLD)
    }
    pub fn heading(&self, level: u8) -> Style {
        let s = self.fg(self.palette.heading).add_modifier(Modifier::BOLD);
        if level <= 1 {
            s.add_modifier(Modifier::UNDERLINED)
        } else {
            s
        }
    }
    pub fn strong(&self) -> Style {
        self.fg(self.palette.strong).add_modifier(Modifier::BOLD)
    }
    pub fn emphasis(&self) -> Style {
        self.fg(self.palette.emphasis)
            .add_modifier(Modifier::ITALIC)
    }
    pub fn code_inline(&self) -> Style {
        let s = self.fg(self.palette.code);
        if self.mono {
            s.add_modifier(Modifier::BOLD)
        } else {
            s.bg(self.palette.code_bg)
        }
    }
    pub fn code_block(&self) -> Style {
        if self.mono {
            Style::new()
        } else {
            Style::new().fg(self.palette.text).bg(self.palette.code_bg)
        }
    }
    pub fn quote(&self) -> Style {
        self.fg(self.palette.quote).add_modifier(Modifier::ITALIC)
    }
    pub fn link(&self) -> Style {
        self.fg(self.palette.link)
            .add_modifier(Modifier::UNDERLINED)
    }
    pub fn border(&self) -> Style {
        self.fg(self.palette.border)
    }
    pub fn border_active(&self) -> Style {
        self.fg(self.palette.border_active)
    }
    pub fn bar(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.palette.bar_fg).bg(self.palette.bar_bg)
        }
    }
    pub fn key(&self) -> Style {
        self.fg(self.palette.key).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(self.palette.ok)
    }
    pub fn warn(&self) -> Style {
        self.fg(self.palette.warn).add_modifier(Modifier::BOLD)
    }
    pub fn bad(&self) -> Style {
        let s = self.fg(self.palette.bad).add_modifier(Modifier::BOLD);
        if self.mono {
            s.add_modifier(Modifier::REVERSED)
        } else {
            s
        }
    }
    pub fn selected(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.palette.bar_fg).bg(self.palette.accent)
        }
    }
    pub fn job(&self, job: usize) -> Color {
        self.jobs[job % self.jobs.len()]
    }
    pub fn syntax(&self, kind: SyntaxKind) -> Style {
        let (c, m) = match kind {
            SyntaxKind::Keyword => (self.palette.keyword, Modifier::BOLD),
            SyntaxKind::String => (self.palette.string, Modifier::empty()),
            SyntaxKind::Comment => (self.palette.comment, Modifier::ITALIC),
            SyntaxKind::Number => (self.palette.number, Modifier::empty()),
            SyntaxKind::Function => (self.palette.function, Modifier::empty()),
            SyntaxKind::Type => (self.palette.r#type, Modifier::empty()),
            SyntaxKind::Macro => (self.palette.r#macro, Modifier::empty()),
            SyntaxKind::Plain => (self.palette.text, Modifier::empty()),
        };
        let s = self.code_block().fg(c);
        if self.mono {
            // Only keywords and comments keep a mark without colour.
            match kind {
                SyntaxKind::Keyword => s.add_modifier(Modifier::BOLD),
                SyntaxKind::Comment => s.add_modifier(Modifier::DIM),
                _ => s,
            }
        } else if kind == SyntaxKind::Keyword || kind == SyntaxKind::Comment {
            s.add_modifier(m)
        } else {
            s
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxKind {
    Keyword,
    String,
    Comment,
    Number,
    Function,
    Type,
    Macro,
    Plain,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patched(text: &str) -> Result<Theme, ThemeError> {
        Theme::parse("t.toml", text, &Theme::dark())
    }

    fn line_of(err: ThemeError) -> usize {
        match err {
            ThemeError::At(p) => p.line,
            other => panic!("expected a located error, got {other:?}"),
        }
    }

    #[test]
    fn dark_from_build_time_values_is_dark_from_its_file() {
        let built = Theme::built_in("dark", &Theme::mono()).expect("every value is a colour");
        let parsed = Theme::parse(DARK_PATH, DARK_TEXT, &Theme::mono()).unwrap();
        assert_eq!(built, parsed);
        assert_eq!(Theme::dark(), parsed);
        // And a colour is really read, not left at the mono default.
        assert_ne!(built.palette, Palette::MONO);
    }

    #[test]
    fn every_built_in_theme_from_build_time_values_is_its_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/themes");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let shown = format!("assets/themes/{stem}.toml");
            let parsed = Theme::parse(&shown, &text, &Theme::dark()).unwrap();
            let built = Theme::built_in(&stem, &Theme::dark())
                .unwrap_or_else(|| panic!("{stem}: no build-time values"));
            assert_eq!(built, parsed, "{stem}");
            seen += 1;
        }
        assert!(seen >= 3, "{seen}");
        assert_eq!(Theme::built_in("no-such-theme", &Theme::dark()), None);
    }

    #[test]
    fn a_colour_is_what_color_from_str_makes_of_it() {
        for value in [
            "#d8dee9",
            "#A3BE8C",
            "#000000",
            "#ffffff",
            "#12345",
            "#1234567",
            "#+12345",
            "#gg0000",
            "red",
            "LightBlue",
            "dark-gray",
            "grey",
            "7",
            "255",
            "256",
            "",
            "#",
        ] {
            assert_eq!(colour(value), value.parse::<Color>().ok(), "{value:?}");
        }
    }

    #[test]
    fn dark_names_every_colour_and_is_not_mono() {
        let patch: PalettePatch = toml::from_str(DARK_TEXT).unwrap();
        assert_eq!(patch.missing(), Vec::<&str>::new());
        assert!(patch.jobs.is_some(), "dark lists the job colours");
        let dark = Theme::parse(DARK_PATH, DARK_TEXT, &Theme::mono()).unwrap();
        assert!(!dark.mono);
        assert_eq!(dark.name, "dark");
        assert_eq!(dark.palette.r#type, Color::Rgb(0xeb, 0xcb, 0x8b));
        assert_eq!(dark.palette.r#macro, Color::Rgb(0x8f, 0xbc, 0xbb));
        assert_eq!(dark.job(1), Color::Rgb(0xb4, 0x8e, 0xad));
        assert_eq!(dark.background, Color::Reset);
    }

    #[test]
    fn a_partial_theme_keeps_the_rest_of_its_base() {
        let t = patched("accent = \"red\"\nbackground = \"#000000\"\n").unwrap();
        assert_eq!(t.palette.accent, Color::Red);
        assert_eq!(t.background, Color::Rgb(0, 0, 0));
        let dark = Theme::dark();
        assert_eq!(t.palette.text, dark.palette.text);
        assert_eq!(t.job(0), dark.job(0));
        assert_eq!(t.name, "t", "no `name`: the file's stem");
    }

    #[test]
    fn ratatui_colour_forms_are_accepted() {
        let t = patched("text = \"lightblue\"\nmuted = \"42\"\nkey = \"#0A0b0C\"\n").unwrap();
        assert_eq!(t.palette.text, Color::LightBlue);
        assert_eq!(t.palette.muted, Color::Indexed(42));
        assert_eq!(t.palette.key, Color::Rgb(10, 11, 12));
    }

    #[test]
    fn a_bad_colour_is_named_at_its_own_line_when_a_longer_key_comes_first() {
        // The old text scan found `code_bg` (line 2) for a bad `code`.
        let err = patched("name = \"x\"\ncode_bg = \"#000000\"\ncode = \"nope\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("t.toml:3: `code`: `nope` is not a colour ({COLOUR_FORMS})")
        );
        let err = patched("keyword = \"red\"\n\nkey = \"blurple\"\n").unwrap_err();
        assert_eq!(line_of(err), 3);
        let err = patched("border_active = \"red\"\nborder = 7\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("t.toml:2: `border`: `7` is not a colour"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_job_colour_is_found_inside_a_long_list() {
        let err = patched("jobs = [\n  \"red\",\n  \"#12345\",\n]\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("t.toml:3: `jobs`: `#12345` is not"),
            "{text}"
        );
        let err = patched("name = \"x\"\njobs = []\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.toml:2: `jobs` needs at least one colour"
        );
    }

    #[test]
    fn an_unknown_key_is_an_error_at_its_line() {
        let err = patched("name = \"x\"\naccent = \"red\"\ncolour = \"red\"\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("t.toml:3: unknown field `colour`"),
            "{text}"
        );
        let err = patched("text = \"red\"\n[code]\nfg = \"red\"\n").unwrap_err();
        assert_eq!(line_of(err), 2, "a table where a colour belongs");
    }

    #[test]
    fn broken_toml_is_an_error_at_its_line() {
        let err = patched("text = \"red\"\nmuted = \n").unwrap_err();
        assert_eq!(line_of(err), 2);
    }

    #[test]
    fn mono_has_no_colour_and_marks_by_weight() {
        let m = Theme::mono();
        assert!(m.mono);
        assert_eq!(m.job(5), Color::Reset);
        assert_eq!(m.muted(), Style::new().add_modifier(Modifier::DIM));
        assert!(m.bad().add_modifier.contains(Modifier::REVERSED));
    }
}
