//! The status line: key hints generated from the keymap, or a brief notice
//! when the last key did nothing here.

use ratatui::text::{Line, Span};

use super::keys::{BINDINGS, Context};
use crate::i18n::Lang;
use crate::ui::theme::Theme;

/// Key hints for `ctx`; a `flash` (what the last key could not do) first.
pub fn status_line(ctx: Context, lang: Lang, theme: &Theme, flash: Option<&str>) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(flash) = flash {
        spans.push(Span::styled(format!(" {flash} "), theme.warn()));
        spans.push(Span::raw(" "));
    }
    for b in BINDINGS.iter().filter(|b| b.contexts.contains(&ctx)) {
        let Some((keys, text)) = b.hint else {
            continue;
        };
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::styled(
            format!(" {}  ", text.get(lang)),
            theme.muted(),
        ));
    }
    Line::from(spans)
}
