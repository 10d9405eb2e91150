//! A step's visible text drawn once into cells and kept. Laying out and
//! styling every grapheme is most of a lesson frame's work; a step change
//! back to a step drawn before, or to a neighbour painted while the app was
//! idle, copies rows of cells instead.

use std::cell::RefCell;
use std::rc::Rc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// Paintings kept: the step on screen and its two neighbours.
const KEPT: usize = 3;

/// What the visible text is: which lines (the text cache's own `Rc`, held
/// here so its address cannot be reused by other lines), from which line,
/// how many, on what background, at what size.
struct Painting {
    lines: Rc<Vec<Line<'static>>>,
    scroll: usize,
    rows: usize,
    base: Style,
    cells: Buffer,
}

impl Painting {
    fn is(
        &self,
        lines: &Rc<Vec<Line<'static>>>,
        scroll: usize,
        rows: usize,
        base: Style,
        size: (u16, u16),
    ) -> bool {
        Rc::ptr_eq(&self.lines, lines)
            && self.scroll == scroll
            && self.rows == rows
            && self.base == base
            && (self.cells.area.width, self.cells.area.height) == size
    }
}

#[derive(Default)]
pub(super) struct Painted {
    kept: RefCell<Vec<Painting>>,
}

impl std::fmt::Debug for Painted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Painted({})", self.kept.borrow().len())
    }
}

/// The text to show: `rows` lines of `lines` from `scroll` on.
pub(super) struct Visible<'a> {
    pub lines: &'a Rc<Vec<Line<'static>>>,
    pub scroll: usize,
    pub rows: usize,
}

impl Painted {
    /// Draws the visible lines into `area` of `buf`, whose cells there carry
    /// only `base` (the screen's background): exactly what a `Paragraph` of
    /// them would draw.
    pub(super) fn draw(&self, text: &Visible, base: Style, area: Rect, buf: &mut Buffer) {
        if area.is_empty() || area.intersection(buf.area) != area {
            paragraph(text, area, buf);
            return;
        }
        let i = self.paint(text, base, (area.width, area.height));
        let kept = self.kept.borrow();
        let cells = &kept[i].cells;
        let w = area.width as usize;
        for row in 0..area.height {
            let to = buf.index_of(area.x, area.y + row);
            let from = row as usize * w;
            buf.content[to..to + w].clone_from_slice(&cells.content[from..from + w]);
        }
    }

    /// Paints the text ahead of time (a neighbour, while the app is idle).
    pub(super) fn prepare(&self, text: &Visible, base: Style, size: (u16, u16)) {
        if size.0 > 0 && size.1 > 0 {
            self.paint(text, base, size);
        }
    }

    /// The index of the painting of `text`, painted now if it is not kept.
    fn paint(&self, text: &Visible, base: Style, size: (u16, u16)) -> usize {
        let mut kept = self.kept.borrow_mut();
        if let Some(i) = kept
            .iter()
            .position(|p| p.is(text.lines, text.scroll, text.rows, base, size))
        {
            return i;
        }
        let area = Rect::new(0, 0, size.0, size.1);
        let mut cells = Buffer::empty(area);
        cells.set_style(area, base);
        paragraph(text, area, &mut cells);
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push(Painting {
            lines: text.lines.clone(),
            scroll: text.scroll,
            rows: text.rows,
            base,
            cells,
        });
        kept.len() - 1
    }
}

fn paragraph(text: &Visible, area: Rect, buf: &mut Buffer) {
    let visible: Vec<Line> = text
        .lines
        .iter()
        .skip(text.scroll)
        .take(text.rows)
        .cloned()
        .collect();
    Paragraph::new(visible).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::{Catalog, Lang, Source};
    use crate::ui::markdown::render_blocks;
    use crate::ui::theme::Theme;

    /// For every step of every built-in lesson, in both languages and at
    /// two widths, scrolled and not: the kept cells drawn anywhere on a
    /// screen are the cells a Paragraph draws there.
    #[test]
    fn painted_text_is_what_a_paragraph_draws() {
        let catalog = Catalog::load(&Source::Builtin);
        let theme = Theme::dark();
        let base = theme.base();
        let painted = Painted::default();
        let screen = Rect::new(0, 0, 120, 40);
        let mut checked = 0;
        for set in &catalog.lessons {
            for lang in [Lang::En, Lang::Zh] {
                for step in set.get(lang).steps.iter() {
                    for (width, height, scroll) in [(96u16, 30u16, 0usize), (60, 12, 3)] {
                        let lines = Rc::new(render_blocks(&step.blocks, width as usize, &theme));
                        let text = Visible {
                            lines: &lines,
                            scroll,
                            rows: height as usize - 1,
                        };
                        let area = Rect::new(3, 5, width, height);
                        let mut want = Buffer::empty(screen);
                        want.set_style(screen, base);
                        paragraph(&text, area, &mut want);
                        for _ in 0..2 {
                            // Painted, then taken from the kept cells.
                            let mut got = Buffer::empty(screen);
                            got.set_style(screen, base);
                            painted.draw(&text, base, area, &mut got);
                            assert_eq!(got, want, "{}: step `{}` at {width}", set.id, step.title);
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn other_lines_a_scroll_or_a_background_are_painted_anew() {
        let theme = Theme::dark();
        let base = theme.base();
        let a = Rc::new(vec![Line::raw("one"), Line::raw("two")]);
        let b = Rc::new(vec![Line::raw("uno"), Line::raw("dos")]);
        let painted = Painted::default();
        let area = Rect::new(0, 0, 10, 2);
        let draw = |lines: &Rc<Vec<Line<'static>>>, scroll: usize, base: Style| {
            let mut buf = Buffer::empty(area);
            buf.set_style(area, base);
            let text = Visible {
                lines,
                scroll,
                rows: 2,
            };
            painted.draw(&text, base, area, &mut buf);
            buf
        };
        let row = |buf: &Buffer| (0..10).map(|x| buf[(x, 0)].symbol()).collect::<String>();
        assert_eq!(row(&draw(&a, 0, base)), "one       ");
        assert_eq!(row(&draw(&b, 0, base)), "uno       ");
        assert_eq!(row(&draw(&a, 1, base)), "two       ");
        let other = Style::new().bg(ratatui::style::Color::Blue);
        assert_eq!(draw(&a, 0, other)[(5, 0)].bg, ratatui::style::Color::Blue);
        // A screen too small for the area: drawn directly, clipped, no panic.
        let mut small = Buffer::empty(Rect::new(0, 0, 4, 1));
        let text = Visible {
            lines: &a,
            scroll: 0,
            rows: 2,
        };
        painted.draw(&text, base, area, &mut small);
        assert_eq!(small[(0, 0)].symbol(), "o");
    }
}
