//! `concur --notes`: the presenter's second screen. It follows the
//! presenting concur over its socket (see `presenter`) and shows the
//! current step's speaker notes, the next step's title, the time of day and
//! the time on the lesson. It never changes the presentation.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use crossterm::event::{self, Event, KeyCode, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::presenter::{Slide, find_presenter, slides, socket_dir, wall_clock};
use crate::i18n::{Lang, Text};
use crate::ui::theme::Theme;
use crate::ui::wrap::{truncate, wrap_runs};

/// How often a notes view looks for a presenting concur while it has none.
const RETRY: Duration = Duration::from_secs(1);
/// The clocks tick in seconds.
const TICK: Duration = Duration::from_secs(1);

/// What the notes view knows.
pub struct NotesView {
    pub slide: Option<Slide>,
    /// When the slide arrived (its time on the lesson runs on from there).
    pub since: Instant,
    pub connected: bool,
    pub dir: PathBuf,
    pub theme: Theme,
    /// Fixes both clocks, for tests.
    pub clock_override: Option<(String, Duration)>,
}

const fn t(en: &'static str, zh: &'static str) -> Text {
    Text::new(en, zh)
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

impl NotesView {
    fn lang(&self) -> Lang {
        match self.slide.as_ref().map(|s| s.lang.as_str()) {
            Some("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    fn clocks(&self) -> (String, Option<String>) {
        if let Some((wall, on)) = &self.clock_override {
            return (wall.clone(), Some(hms(*on)));
        }
        let on = self
            .slide
            .as_ref()
            .map(|s| hms(Duration::from_millis(s.elapsed_ms) + self.since.elapsed()));
        (wall_clock(), on)
    }
}

impl NotesView {
    /// The top bar: the lesson's name on the left, the clocks on the right.
    fn render_head(&self, head: Rect, buf: &mut Buffer) {
        let th = &self.theme;
        let lang = self.lang();
        let (wall, on) = self.clocks();
        let clocks = match &on {
            Some(on) => format!(" {wall} · {on} "),
            None => format!(" {wall} "),
        };
        let name = self
            .slide
            .as_ref()
            .map_or(String::new(), |s| format!("  {}", s.lesson_title));
        let room = (head.width as usize).saturating_sub(clocks.width() + 16);
        Line::from(vec![
            Span::styled(
                format!(" concur {} ", t("notes", "备注").get(lang)),
                th.bar(),
            ),
            Span::styled(truncate(&name, room), th.accent()),
        ])
        .render(head, buf);
        let cw = clocks.width() as u16;
        buf.set_string(
            head.right().saturating_sub(cw),
            head.y,
            &clocks,
            th.strong().add_modifier(Modifier::BOLD),
        );
    }

    fn render_waiting(&self, body: Rect, buf: &mut Buffer) {
        let waiting = format!(
            "{} {}",
            t(
                "Waiting for a presenting concur (concur --present, or p in concur); looking in",
                "正在等待演讲模式的 concur（concur --present，或在 concur 里按 p）；查找位置：",
            )
            .get(self.lang()),
            self.dir.display()
        );
        Paragraph::new(wrap_runs(
            &[(waiting, self.theme.muted())],
            body.width as usize,
        ))
        .render(body, buf);
    }

    fn render_slide(&self, slide: &Slide, [title, rule, body, next]: [Rect; 4], buf: &mut Buffer) {
        let th = &self.theme;
        let lang = self.lang();
        let step = format!(
            "{} {}/{}  ",
            t("step", "步骤").get(lang),
            slide.step,
            slide.steps
        );
        Line::from(vec![
            Span::styled(step, th.muted()),
            Span::styled(
                slide.title.clone(),
                th.heading(1).add_modifier(Modifier::BOLD),
            ),
        ])
        .render(title, buf);
        buf.set_string(rule.x, rule.y, "─".repeat(rule.width as usize), th.border());
        let w = body.width as usize;
        Paragraph::new(notes_lines(slide, w, th, lang)).render(body, buf);
        let next_text = match &slide.next_title {
            Some(title) => format!("{} {title}", t("next:", "下一步：").get(lang)),
            None => t("last step (then the quiz)", "最后一步（之后是测验）")
                .get(lang)
                .to_string(),
        };
        let [_, next_line] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(next);
        Line::styled(truncate(&next_text, w), th.accent()).render(next_line, buf);
    }
}

impl Widget for &NotesView {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let th = &self.theme;
        buf.set_style(area, th.base());
        let area = area.inner(Margin::new(1, 0));
        let [head, _, title, rule, body, next] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(2),
        ])
        .areas(area);
        self.render_head(head, buf);
        match self.slide.as_ref().filter(|_| self.connected) {
            Some(slide) => self.render_slide(slide, [title, rule, body, next], buf),
            None => self.render_waiting(body, buf),
        }
    }
}

/// The step's notes, paragraph by paragraph, wrapped to `w`.
fn notes_lines(slide: &Slide, w: usize, th: &Theme, lang: Lang) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
    if slide.notes.is_empty() {
        lines.push(Line::styled(
            t("(no notes for this step)", "（这一步没有备注）").get(lang),
            th.muted(),
        ));
    }
    for (i, para) in slide.notes.iter().flat_map(|n| paragraphs(n)).enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        lines.extend(wrap_runs(&[(para, th.text())], w));
    }
    lines
}

/// A note's paragraphs (split at blank lines), each joined into one line
/// to wrap at the view's width: lines meet with a space between Latin
/// words and without one next to Chinese.
fn paragraphs(note: &str) -> Vec<String> {
    let wide = |c: char| unicode_width::UnicodeWidthChar::width(c) == Some(2);
    let mut out: Vec<String> = Vec::new();
    let mut para = String::new();
    for line in note.lines().map(str::trim) {
        if line.is_empty() {
            if !para.is_empty() {
                out.push(std::mem::take(&mut para));
            }
            continue;
        }
        let joins = para.chars().last().is_some_and(|c| !wide(c))
            && line.chars().next().is_some_and(|c| !wide(c));
        if joins {
            para.push(' ');
        }
        para.push_str(line);
    }
    if !para.is_empty() {
        out.push(para);
    }
    out
}

enum Msg {
    Slide(Slide),
    Connected(bool),
    Key(KeyCode, KeyModifiers),
    Resize,
}

/// Runs the notes view until q, Esc or Ctrl-C.
pub fn run(theme: Theme) -> anyhow::Result<()> {
    let (mut term, guard) = crate::terminal::init()?;
    let (tx, rx) = crossbeam_channel::unbounded::<Msg>();
    let dir = socket_dir();
    let current: Arc<Mutex<Option<UnixStream>>> = Arc::default();
    spawn_follower(dir.clone(), tx.clone(), current.clone());
    spawn_input(tx);
    let mut view = NotesView {
        slide: None,
        since: Instant::now(),
        connected: false,
        dir,
        theme,
        clock_override: None,
    };
    loop {
        term.draw(|f| f.render_widget(&view, f.area()))?;
        if !next(&rx, &mut view) {
            break;
        }
    }
    // The follower may sit in a read: end its connection.
    if let Ok(Some(s)) = current.lock().map(|mut c| c.take()) {
        let _ = s.shutdown(std::net::Shutdown::Both);
    }
    drop(guard);
    Ok(())
}

/// Waits for the next message (or the clocks' tick); false to quit.
fn next(rx: &Receiver<Msg>, view: &mut NotesView) -> bool {
    let msg = match rx.recv_timeout(TICK) {
        Ok(m) => m,
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => return true,
        Err(_) => return false,
    };
    match msg {
        Msg::Slide(s) => {
            view.slide = Some(s);
            view.since = Instant::now();
            view.connected = true;
        }
        Msg::Connected(c) => view.connected = c,
        Msg::Key(KeyCode::Char('c'), m) if m.contains(KeyModifiers::CONTROL) => return false,
        Msg::Key(KeyCode::Char('q') | KeyCode::Esc, _) => return false,
        Msg::Key(..) | Msg::Resize => {}
    }
    true
}

/// Finds the presenting concur, reads its slides, and starts over when it
/// goes away.
fn spawn_follower(dir: PathBuf, tx: Sender<Msg>, current: Arc<Mutex<Option<UnixStream>>>) {
    let _ = std::thread::Builder::new()
        .name("concur-notes-follow".into())
        .spawn(move || {
            loop {
                if let Some(path) = find_presenter(&dir)
                    && let Ok(stream) = UnixStream::connect(&path)
                {
                    if let (Ok(mut c), Ok(clone)) = (current.lock(), stream.try_clone()) {
                        *c = Some(clone);
                    }
                    for slide in slides(stream) {
                        if tx.send(Msg::Slide(slide)).is_err() {
                            return;
                        }
                    }
                    if tx.send(Msg::Connected(false)).is_err() {
                        return;
                    }
                }
                std::thread::sleep(RETRY);
                if tx.is_empty() && tx.send(Msg::Connected(false)).is_err() {
                    return;
                }
            }
        });
}

fn spawn_input(tx: Sender<Msg>) {
    let _ = std::thread::Builder::new()
        .name("concur-notes-input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                let msg = match ev {
                    Event::Key(k) if k.is_press() => Msg::Key(k.code, k.modifiers),
                    Event::Resize(..) => Msg::Resize,
                    _ => continue,
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(slide: Option<Slide>) -> NotesView {
        NotesView {
            connected: slide.is_some(),
            slide,
            since: Instant::now(),
            dir: PathBuf::from("/run/user/1000"),
            theme: Theme::mono(),
            clock_override: Some(("14:05".into(), Duration::from_secs(754))),
        }
    }

    fn draw(v: &NotesView) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, 72, 12));
        v.render(buf.area, &mut buf);
        crate::ui::test_util::buffer_text(&buf)
    }

    #[test]
    fn notes_are_reflowed_into_paragraphs() {
        assert_eq!(
            paragraphs("one line\nand the next\n\n第二段的\n文字"),
            ["one line and the next", "第二段的文字"]
        );
    }

    #[test]
    fn the_notes_view_shows_notes_next_title_and_clocks() {
        let slide = Slide {
            lesson: "callbacks-vs-coroutines".into(),
            lesson_title: "3. Callbacks vs coroutines".into(),
            step: 5,
            steps: 9,
            title: "Where the error goes".into(),
            notes: vec!["Run it clean first, then press f twice.".into()],
            next_title: Some("Coroutines keep their frame".into()),
            lang: "en".into(),
            elapsed_ms: 0,
        };
        let text = draw(&view(Some(slide)));
        assert!(text.contains("14:05 · 12:34"), "{text}");
        assert!(text.contains("step 5/9  Where the error goes"), "{text}");
        assert!(text.contains("press f twice"), "{text}");
        assert!(text.contains("next: Coroutines keep their frame"), "{text}");
        insta::assert_snapshot!("notes_view", text);
        let waiting = draw(&view(None));
        assert!(
            waiting.contains("Waiting for a presenting concur"),
            "{waiting}"
        );
    }
}
