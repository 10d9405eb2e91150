//! The status line: key hints generated from the keymap.

use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::app::keys::{BINDINGS, Context};
use crate::lesson::Lang;

/// Key hints for `ctx`, with `extra` (e.g. the step counter) on the left.
pub fn status_line(ctx: Context, lang: Lang, theme: &Theme, extra: Option<String>) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(extra) = extra {
        spans.push(Span::styled(format!(" {extra} "), theme.bar()));
        spans.push(Span::raw(" "));
    }
    for b in BINDINGS
        .iter()
        .filter(|b| b.hint && b.contexts.contains(&ctx))
    {
        spans.push(Span::styled(b.label.to_string(), theme.key()));
        spans.push(Span::styled(format!(" {}  ", short(b.describe(lang))), theme.muted()));
    }
    Line::from(spans)
}

/// The part of a description before any parenthesis: hints stay short.
fn short(desc: &str) -> &str {
    desc.split(['(', '（']).next().unwrap_or(desc).trim_end()
}
