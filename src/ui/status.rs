//! The status line: key hints generated from the keymap.

use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::app::keys::{BINDINGS, Context};
use crate::lesson::Lang;

/// Key hints for `ctx`, with `extra` (e.g. the step counter) on the left.
pub fn status_line(
    ctx: Context,
    lang: Lang,
    theme: &Theme,
    extra: Option<String>,
) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(extra) = extra {
        spans.push(Span::styled(format!(" {extra} "), theme.bar()));
        spans.push(Span::raw(" "));
    }
    for b in BINDINGS.iter().filter(|b| b.contexts.contains(&ctx)) {
        let Some((keys, en, zh)) = b.hint else {
            continue;
        };
        spans.push(Span::styled(keys, theme.key()));
        let desc = if lang.is_zh() { zh } else { en };
        spans.push(Span::styled(format!(" {desc}  "), theme.muted()));
    }
    Line::from(spans)
}
