//! Colours by meaning. Themes are TOML files (assets/themes/); a theme names
//! only what it changes from `dark`. `NO_COLOR` gives a monochrome theme that
//! shows every state by glyph and weight, never by colour alone.

use std::str::FromStr;

use include_dir::{Dir, include_dir};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::problem::{LineIndex, Problem};

static THEMES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/themes");

/// Every field optional: what a theme file may say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: Option<String>,
    text: Option<String>,
    muted: Option<String>,
    accent: Option<String>,
    heading: Option<String>,
    strong: Option<String>,
    emphasis: Option<String>,
    code: Option<String>,
    code_bg: Option<String>,
    quote: Option<String>,
    link: Option<String>,
    border: Option<String>,
    border_active: Option<String>,
    bar_fg: Option<String>,
    bar_bg: Option<String>,
    key: Option<String>,
    ok: Option<String>,
    warn: Option<String>,
    bad: Option<String>,
    running: Option<String>,
    waiting: Option<String>,
    blocked: Option<String>,
    jobs: Option<Vec<String>>,
    keyword: Option<String>,
    string: Option<String>,
    comment: Option<String>,
    number: Option<String>,
    function: Option<String>,
    r#type: Option<String>,
    r#macro: Option<String>,
    background: Option<String>,
}

/// A resolved theme: every colour known.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// No colours at all (NO_COLOR): meaning is carried by weight and glyphs.
    pub mono: bool,
    pub background: Color,
    pub text: Color,
    pub muted: Color,
    pub accent: Color,
    pub heading: Color,
    pub strong: Color,
    pub emphasis: Color,
    pub code: Color,
    pub code_bg: Color,
    pub quote: Color,
    pub link: Color,
    pub border: Color,
    pub border_active: Color,
    pub bar_fg: Color,
    pub bar_bg: Color,
    pub key: Color,
    pub ok: Color,
    pub warn: Color,
    pub bad: Color,
    pub running: Color,
    pub waiting: Color,
    pub blocked: Color,
    pub jobs: Vec<Color>,
    pub keyword: Color,
    pub string: Color,
    pub comment: Color,
    pub number: Color,
    pub function: Color,
    pub type_: Color,
    pub macro_: Color,
}

fn parse_color(path: &str, line: usize, field: &str, s: &str) -> Result<Color, Problem> {
    Color::from_str(s.trim())
        .map_err(|_| Problem::new(path, line, format!("`{field}`: `{s}` is not a colour")))
}

impl Theme {
    /// The built-in themes' names, `dark` first.
    pub fn builtin_names() -> Vec<String> {
        let mut names: Vec<String> = THEMES
            .files()
            .filter_map(|f| {
                f.path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .collect();
        names.sort_by_key(|n| (n != "dark", n.clone()));
        names
    }

    fn builtin_text(name: &str) -> Option<&'static str> {
        THEMES
            .get_file(format!("{name}.toml"))
            .and_then(|f| f.contents_utf8())
    }

    /// The default theme, from its embedded file.
    pub fn dark() -> Theme {
        let text = Self::builtin_text("dark").unwrap_or("");
        Theme::parse("assets/themes/dark.toml", text, None).unwrap_or_else(|_| Theme::mono())
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Result<Theme, Problem>> {
        let text = Self::builtin_text(name)?;
        Some(Theme::parse(
            &format!("assets/themes/{name}.toml"),
            text,
            Some(&Theme::dark()),
        ))
    }

    /// Parses a theme file; missing colours come from `base` (or it must be complete).
    pub fn parse(path: &str, text: &str, base: Option<&Theme>) -> Result<Theme, Problem> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| LineIndex::new(text, 1).line(s.start))
                .unwrap_or(1);
            Problem::new(path, line, e.message().to_string())
        })?;
        let lines = LineIndex::new(text, 1);
        let line_of = |field: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(field))
                .map(|i| i + 1)
                .unwrap_or_else(|| lines.line(0))
        };
        let pick =
            |field: &str, v: &Option<String>, fallback: Option<Color>| -> Result<Color, Problem> {
                match (v, fallback) {
                    (Some(s), _) => parse_color(path, line_of(field), field, s),
                    (None, Some(c)) => Ok(c),
                    (None, None) => Err(Problem::new(path, 1, format!("`{field}` is missing"))),
                }
            };
        macro_rules! field {
            ($name:ident, $key:literal) => {
                pick($key, &raw.$name, base.map(|b| b.$name))?
            };
        }
        let jobs = match (&raw.jobs, base) {
            (Some(list), _) if !list.is_empty() => list
                .iter()
                .map(|s| parse_color(path, line_of("jobs"), "jobs", s))
                .collect::<Result<Vec<_>, _>>()?,
            (_, Some(b)) => b.jobs.clone(),
            _ => return Err(Problem::new(path, 1, "`jobs` needs at least one colour")),
        };
        Ok(Theme {
            name: raw
                .name
                .clone()
                .or_else(|| {
                    std::path::Path::new(path)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .unwrap_or_default(),
            mono: false,
            background: match &raw.background {
                Some(s) => parse_color(path, line_of("background"), "background", s)?,
                None => base.map(|b| b.background).unwrap_or(Color::Reset),
            },
            text: field!(text, "text"),
            muted: field!(muted, "muted"),
            accent: field!(accent, "accent"),
            heading: field!(heading, "heading"),
            strong: field!(strong, "strong"),
            emphasis: field!(emphasis, "emphasis"),
            code: field!(code, "code"),
            code_bg: field!(code_bg, "code_bg"),
            quote: field!(quote, "quote"),
            link: field!(link, "link"),
            border: field!(border, "border"),
            border_active: field!(border_active, "border_active"),
            bar_fg: field!(bar_fg, "bar_fg"),
            bar_bg: field!(bar_bg, "bar_bg"),
            key: field!(key, "key"),
            ok: field!(ok, "ok"),
            warn: field!(warn, "warn"),
            bad: field!(bad, "bad"),
            running: field!(running, "running"),
            waiting: field!(waiting, "waiting"),
            blocked: field!(blocked, "blocked"),
            jobs,
            keyword: field!(keyword, "keyword"),
            string: field!(string, "string"),
            comment: field!(comment, "comment"),
            number: field!(number, "number"),
            function: field!(function, "function"),
            type_: pick("type", &raw.r#type, base.map(|b| b.type_))?,
            macro_: pick("macro", &raw.r#macro, base.map(|b| b.macro_))?,
        })
    }

    /// No colour at all, for `NO_COLOR`.
    pub fn mono() -> Theme {
        let r = Color::Reset;
        Theme {
            name: "mono".into(),
            mono: true,
            background: r,
            text: r,
            muted: r,
            accent: r,
            heading: r,
            strong: r,
            emphasis: r,
            code: r,
            code_bg: r,
            quote: r,
            link: r,
            border: r,
            border_active: r,
            bar_fg: r,
            bar_bg: r,
            key: r,
            ok: r,
            warn: r,
            bad: r,
            running: r,
            waiting: r,
            blocked: r,
            jobs: vec![r],
            keyword: r,
            string: r,
            comment: r,
            number: r,
            function: r,
            type_: r,
            macro_: r,
        }
    }

    fn fg(&self, c: Color) -> Style {
        Style::new().fg(c)
    }

    pub fn text(&self) -> Style {
        self.fg(self.text)
    }
    pub fn muted(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            self.fg(self.muted)
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }
    pub fn heading(&self, level: u8) -> Style {
        let s = self.fg(self.heading).add_modifier(Modifier::BOLD);
        if level <= 1 {
            s.add_modifier(Modifier::UNDERLINED)
        } else {
            s
        }
    }
    pub fn strong(&self) -> Style {
        self.fg(self.strong).add_modifier(Modifier::BOLD)
    }
    pub fn emphasis(&self) -> Style {
        self.fg(self.emphasis).add_modifier(Modifier::ITALIC)
    }
    pub fn code_inline(&self) -> Style {
        let s = self.fg(self.code);
        if self.mono {
            s.add_modifier(Modifier::BOLD)
        } else {
            s.bg(self.code_bg)
        }
    }
    pub fn code_block(&self) -> Style {
        if self.mono {
            Style::new()
        } else {
            Style::new().fg(self.text).bg(self.code_bg)
        }
    }
    pub fn quote(&self) -> Style {
        self.fg(self.quote).add_modifier(Modifier::ITALIC)
    }
    pub fn link(&self) -> Style {
        self.fg(self.link).add_modifier(Modifier::UNDERLINED)
    }
    pub fn border(&self) -> Style {
        self.fg(self.border)
    }
    pub fn border_active(&self) -> Style {
        self.fg(self.border_active)
    }
    pub fn bar(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.bar_fg).bg(self.bar_bg)
        }
    }
    pub fn key(&self) -> Style {
        self.fg(self.key).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(self.ok)
    }
    pub fn warn(&self) -> Style {
        self.fg(self.warn).add_modifier(Modifier::BOLD)
    }
    pub fn bad(&self) -> Style {
        let s = self.fg(self.bad).add_modifier(Modifier::BOLD);
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
            Style::new().fg(self.bar_fg).bg(self.accent)
        }
    }
    pub fn job(&self, job: usize) -> Color {
        self.jobs[job % self.jobs.len()]
    }
    pub fn syntax(&self, kind: SyntaxKind) -> Style {
        let (c, m) = match kind {
            SyntaxKind::Keyword => (self.keyword, Modifier::BOLD),
            SyntaxKind::String => (self.string, Modifier::empty()),
            SyntaxKind::Comment => (self.comment, Modifier::ITALIC),
            SyntaxKind::Number => (self.number, Modifier::empty()),
            SyntaxKind::Function => (self.function, Modifier::empty()),
            SyntaxKind::Type => (self.type_, Modifier::empty()),
            SyntaxKind::Macro => (self.macro_, Modifier::empty()),
            SyntaxKind::Plain => (self.text, Modifier::empty()),
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

    #[test]
    fn every_builtin_theme_loads() {
        let dark_text = Theme::builtin_text("dark").unwrap();
        Theme::parse("dark.toml", dark_text, None).expect("dark is complete");
        for name in Theme::builtin_names() {
            let theme = Theme::builtin(&name).unwrap().unwrap();
            assert_eq!(theme.name, name);
        }
        assert_eq!(Theme::builtin_names()[0], "dark");
    }

    #[test]
    fn broken_theme_reports_its_line() {
        let err = Theme::parse(
            "t.toml",
            "name = \"x\"\ntext = \"nocolour\"\n",
            Some(&Theme::dark()),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.toml:2: `text`: `nocolour` is not a colour"
        );
        let err =
            Theme::parse("t.toml", "name = \"x\"\nbogus = 1\n", Some(&Theme::dark())).unwrap_err();
        assert_eq!(err.line, 2);
        let partial = Theme::parse("t.toml", "accent = \"red\"\n", Some(&Theme::dark())).unwrap();
        assert_eq!(partial.accent, Color::Red);
        assert_eq!(partial.text, Theme::dark().text);
    }
}
