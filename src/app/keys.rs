//! The keymap as data: update reads it, the status line and help overlay are
//! built from it, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Back,
    Help,
    Up,
    Down,
    Open,
    NextStep,
    PrevStep,
    FirstStep,
    LastStep,
    ScrollDown,
    ScrollUp,
    PageDown,
    PageUp,
    /// Code lines sideways (to read the end of a line cut with `…`).
    CodeLeft,
    CodeRight,
    ToggleDemo,
    RestartDemo,
    SwitchLang,
    OpenQuiz,
    /// A digit: pick choice N (1-based).
    Choose(u8),
    Select,
    Submit,
    Undo,
    Retry,
    InjectFailure,
    Slower,
    Faster,
    Pause,
    StepOnce,
    Zoom,
    NextTheme,
    TogglePresent,
    Blank,
    /// Run every demo of the lesson once, before class.
    Prerun,
    GoTo,
    Contents,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Home,
    Lesson,
    Quiz,
}

/// A key as the user presses it. Letters and symbols ignore Shift (the
/// character already says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    Code(KeyCode),
    Char(char),
    Ctrl(char),
    /// 1-9: `Choose(n)`.
    Digits,
}

/// What needs to be true for a binding to be shown in help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Always,
    /// Only where the demo on screen can fail on purpose (`f`).
    WithFailure,
}

pub struct Binding {
    /// The first action is what the keys mean; a second one (the pair's
    /// other direction) lists its own keys in `alt_keys`.
    pub action: Action,
    pub keys: &'static [KeySpec],
    pub alt: Option<(Action, &'static [KeySpec])>,
    pub contexts: &'static [Context],
    /// In help: how the keys are written, and what they do.
    pub help: (&'static str, Text),
    /// In the status line: the short form, if any.
    pub hint: Option<(&'static str, Text)>,
    pub shown: Shown,
}

use Context::{Home as H, Lesson as L, Quiz as Q};
use KeySpec::{Char, Code, Ctrl, Digits};

const ALL: &[Context] = &[H, L, Q];
const HOME: &[Context] = &[H];
const LESSON: &[Context] = &[L];
const QUIZ: &[Context] = &[Q];

const fn bind(
    action: Action,
    keys: &'static [KeySpec],
    contexts: &'static [Context],
    label: &'static str,
    help: Text,
) -> Binding {
    Binding {
        action,
        keys,
        alt: None,
        contexts,
        help: (label, help),
        hint: None,
        shown: Shown::Always,
    }
}

impl Binding {
    const fn and(mut self, action: Action, keys: &'static [KeySpec]) -> Self {
        self.alt = Some((action, keys));
        self
    }

    const fn hint(mut self, keys: &'static str, text: Text) -> Self {
        self.hint = Some((keys, text));
        self
    }

    const fn only(mut self, shown: Shown) -> Self {
        self.shown = shown;
        self
    }

    fn matches(&self, key: &KeyEvent) -> Option<Action> {
        if hit(self.keys, key) {
            return Some(self.action);
        }
        self.alt.filter(|(_, keys)| hit(keys, key)).map(|(a, _)| a)
    }
}

const fn t(en: &'static str, zh: &'static str) -> Text {
    Text::new(en, zh)
}

pub static BINDINGS: &[Binding] = &[
    bind(
        Action::Up,
        &[Code(KeyCode::Up), Char('k')],
        &[H, Q],
        "↑/↓ k/j",
        t("move", "移动"),
    )
    .and(Action::Down, &[Code(KeyCode::Down), Char('j')])
    .hint("↑↓", t("move", "移动")),
    bind(
        Action::Open,
        &[Code(KeyCode::Enter), Code(KeyCode::Right), Char('l')],
        HOME,
        "Enter",
        t("open the lesson", "打开课程"),
    )
    .hint("Enter", t("open", "打开")),
    bind(
        Action::NextStep,
        &[Code(KeyCode::Right), Char('l'), Code(KeyCode::PageDown)],
        LESSON,
        "→/← l/h PgDn/PgUp",
        t("next / previous step", "下一步 / 上一步"),
    )
    .and(
        Action::PrevStep,
        &[Code(KeyCode::Left), Char('h'), Code(KeyCode::PageUp)],
    )
    .hint("←→", t("step", "翻页")),
    bind(
        Action::FirstStep,
        &[Code(KeyCode::Home)],
        LESSON,
        "Home/End G",
        t("first / last step", "第一步 / 最后一步"),
    )
    .and(Action::LastStep, &[Code(KeyCode::End), Char('G')]),
    bind(
        Action::ScrollDown,
        &[Code(KeyCode::Down), Char('j')],
        LESSON,
        "↓/↑ j/k",
        t(
            "scroll the text (also the mouse wheel)",
            "滚动文字（鼠标滚轮也可以）",
        ),
    )
    .and(Action::ScrollUp, &[Code(KeyCode::Up), Char('k')])
    .hint("↑↓", t("scroll", "滚动")),
    bind(
        Action::CodeRight,
        &[Char('>')],
        LESSON,
        "> <",
        t(
            "scroll code sideways (lines cut with …)",
            "横向滚动代码（被 … 截断的行）",
        ),
    )
    .and(Action::CodeLeft, &[Char('<')]),
    bind(
        Action::ToggleDemo,
        &[Char(' ')],
        LESSON,
        "Space",
        t("start / stop the demo", "启动 / 停止演示"),
    )
    .hint("Space", t("demo", "演示")),
    bind(
        Action::RestartDemo,
        &[Char('r')],
        LESSON,
        "r",
        t("restart the demo", "重新运行演示"),
    )
    .hint("r", t("restart", "重来")),
    bind(
        Action::Zoom,
        &[Char('z')],
        &[L, Q],
        "z  PgUp/PgDn",
        t(
            "zoom the demo's lane (again: the next lane); its log scrolls",
            "放大演示的泳道（再按：下一条）；其日志可以滚动",
        ),
    ),
    bind(
        Action::SwitchLang,
        &[Char('L')],
        ALL,
        "L",
        t("English / 中文", "English / 中文"),
    )
    .hint("L", t("中文/English", "English/中文")),
    bind(
        Action::NextTheme,
        &[Char('T')],
        ALL,
        "T",
        t(
            "next colour theme (kept for next time)",
            "下一个配色主题（下次继续使用）",
        ),
    ),
    bind(
        Action::TogglePresent,
        &[Char('p')],
        &[H, L],
        "p",
        t(
            "presenter mode: big titles, no chrome (notes: concur --notes)",
            "演讲模式：大标题，无边框（备注：concur --notes）",
        ),
    ),
    bind(
        Action::GoTo,
        &[Char('g')],
        LESSON,
        "g N Enter",
        t(
            "go to step N (g g: first step)",
            "跳到第 N 步（g g：第一步）",
        ),
    ),
    bind(
        Action::Contents,
        &[Char('o')],
        LESSON,
        "o",
        t(
            "the lesson's steps (table of contents)",
            "本课的步骤（目录）",
        ),
    ),
    bind(
        Action::Prerun,
        &[Char('P')],
        &[H, L],
        "P",
        t(
            "warm up: run every demo of the lesson once before class",
            "预热：课前把本课的每个演示都运行一次",
        ),
    ),
    bind(
        Action::Blank,
        &[Char('b')],
        LESSON,
        "b",
        t(
            "blank the screen (any key brings it back)",
            "黑屏（按任意键恢复）",
        ),
    ),
    bind(
        Action::Help,
        &[Char('?'), Code(KeyCode::F(1))],
        ALL,
        "?",
        t("help", "帮助"),
    )
    .hint("?", t("help", "帮助")),
    bind(
        Action::Back,
        &[Code(KeyCode::Esc), Code(KeyCode::Backspace)],
        LESSON,
        "Esc",
        t("back to the lessons", "返回课程列表"),
    )
    .hint("Esc", t("back", "返回")),
    bind(
        Action::Quit,
        &[Char('q'), Ctrl('c')],
        ALL,
        "q",
        t("quit", "退出"),
    )
    .hint("q", t("quit", "退出")),
    bind(
        Action::InjectFailure,
        &[Char('f')],
        LESSON,
        "f",
        t(
            "make the demo fail on purpose (again: the next failure)",
            "让演示故意出错（再按：下一种故障）",
        ),
    )
    .only(Shown::WithFailure),
    bind(
        Action::Slower,
        &[Char('-'), Char('[')],
        LESSON,
        "- +  [ ]",
        t(
            "demo speed: 0.1x 0.25x 0.5x 1x",
            "演示速度：0.1x 0.25x 0.5x 1x",
        ),
    )
    .and(Action::Faster, &[Char('+'), Char('='), Char(']')]),
    bind(
        Action::Pause,
        &[Char('.')],
        LESSON,
        ".",
        t("pause / resume the demo", "暂停 / 继续演示"),
    ),
    bind(
        Action::StepOnce,
        &[Char('n')],
        LESSON,
        "n",
        t(
            "while paused: one more event (Rust lanes)",
            "暂停时：再走一个事件（Rust 泳道）",
        ),
    ),
    bind(
        Action::OpenQuiz,
        &[Char('t')],
        LESSON,
        "t",
        t("take the quiz", "做测验"),
    )
    .hint("t", t("quiz", "测验")),
    bind(
        Action::Choose(0),
        &[Digits],
        QUIZ,
        "1-9",
        t(
            "pick a choice (order questions: pick in order)",
            "选择选项（排序题：按顺序选）",
        ),
    )
    .hint("1-9", t("pick", "选择")),
    bind(
        Action::Choose(0),
        &[Digits],
        LESSON,
        "1-9",
        t(
            "demos with many lanes: show lane N beside the last one",
            "多泳道的演示：把第 N 条泳道和上一条并排显示",
        ),
    ),
    bind(
        Action::Select,
        &[Char(' ')],
        QUIZ,
        "Space",
        t("pick the highlighted choice", "选择高亮的选项"),
    ),
    bind(
        Action::Undo,
        &[Code(KeyCode::Backspace)],
        QUIZ,
        "Backspace",
        t(
            "take back the last pick of an order question",
            "撤回排序题的上一次选择",
        ),
    ),
    bind(
        Action::Submit,
        &[Code(KeyCode::Enter), Code(KeyCode::Right), Char('l')],
        QUIZ,
        "Enter",
        t("answer / next question", "回答 / 下一题"),
    )
    .hint("Enter", t("answer", "回答")),
    bind(
        Action::Retry,
        &[Char('r')],
        QUIZ,
        "r",
        t(
            "retry the questions you got wrong (at the end)",
            "重做答错的题（在最后）",
        ),
    ),
    bind(
        Action::PageDown,
        &[Code(KeyCode::PageDown)],
        QUIZ,
        "PgDn/PgUp",
        t("scroll the question and its feedback", "滚动题目和讲解"),
    )
    .and(Action::PageUp, &[Code(KeyCode::PageUp)]),
    bind(
        Action::Back,
        &[Code(KeyCode::Esc)],
        QUIZ,
        "Esc",
        t("back to the lesson", "返回课程"),
    )
    .hint("Esc", t("back", "返回")),
];

fn hit(keys: &[KeySpec], key: &KeyEvent) -> bool {
    // Shift is implied by the character itself for letters and symbols.
    let mods = key.modifiers - KeyModifiers::SHIFT;
    keys.iter().any(|k| match (*k, key.code) {
        (Code(code), pressed) => code == pressed && mods.is_empty(),
        (Char(c), KeyCode::Char(p)) => c == p && mods.is_empty(),
        (Ctrl(c), KeyCode::Char(p)) => c == p && mods == KeyModifiers::CONTROL,
        _ => false,
    })
}

/// The action a key press means in `ctx`, if any.
pub fn action_for(key: &KeyEvent, ctx: Context) -> Option<Action> {
    let digits = BINDINGS
        .iter()
        .any(|b| b.contexts.contains(&ctx) && b.keys.contains(&Digits));
    if digits
        && (key.modifiers - KeyModifiers::SHIFT).is_empty()
        && let KeyCode::Char(c @ '1'..='9') = key.code
    {
        return Some(Action::Choose(c as u8 - b'0'));
    }
    BINDINGS
        .iter()
        .filter(|b| b.contexts.contains(&ctx))
        .find_map(|b| b.matches(key))
}

/// The bindings worth listing in `ctx` (help overlay), in order.
pub fn listed(ctx: Context, with_failure: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.contexts.contains(&ctx) && (b.shown == Shown::Always || with_failure))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_and_vim_keys_mean_the_same() {
        for code in [KeyCode::Right, KeyCode::Char('l'), KeyCode::PageDown] {
            assert_eq!(
                action_for(&key(code), Context::Lesson),
                Some(Action::NextStep)
            );
        }
        for code in [KeyCode::Left, KeyCode::Char('h'), KeyCode::PageUp] {
            assert_eq!(
                action_for(&key(code), Context::Lesson),
                Some(Action::PrevStep)
            );
        }
        assert_eq!(
            action_for(&key(KeyCode::Char('j')), Context::Lesson),
            Some(Action::ScrollDown)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('j')), Context::Home),
            Some(Action::Down)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c, Context::Lesson), Some(Action::Quit));
        assert_eq!(action_for(&key(KeyCode::Char('c')), Context::Lesson), None);
        assert_eq!(
            action_for(&key(KeyCode::Char('3')), Context::Quiz),
            Some(Action::Choose(3))
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('3')), Context::Lesson),
            Some(Action::Choose(3))
        );
        assert_eq!(action_for(&key(KeyCode::Char('3')), Context::Home), None);
        assert_eq!(
            action_for(&key(KeyCode::Backspace), Context::Quiz),
            Some(Action::Undo)
        );
        assert_eq!(
            action_for(&key(KeyCode::Backspace), Context::Lesson),
            Some(Action::Back)
        );
        let shifted_q = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&shifted_q, Context::Home), Some(Action::Help));
        let shifted_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            action_for(&shifted_g, Context::Lesson),
            Some(Action::LastStep)
        );
        // Esc on the home screen does not quit.
        assert_eq!(action_for(&key(KeyCode::Esc), Context::Home), None);
    }

    #[test]
    fn no_key_means_two_things_in_one_context() {
        for ctx in [Context::Home, Context::Lesson, Context::Quiz] {
            let mut seen: Vec<(KeySpec, Action)> = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.contexts.contains(&ctx)) {
                let pairs = std::iter::once((b.action, b.keys)).chain(b.alt);
                for (action, keys) in pairs {
                    for k in keys {
                        if let Some((_, other)) = seen.iter().find(|(s, _)| s == k) {
                            assert_eq!(*other, action, "{k:?} in {ctx:?}");
                        }
                        seen.push((*k, action));
                    }
                }
            }
        }
    }

    #[test]
    fn help_lists_f_only_where_a_demo_can_fail() {
        let with: Vec<_> = listed(Context::Lesson, true).map(|b| b.help.0).collect();
        let without: Vec<_> = listed(Context::Lesson, false).map(|b| b.help.0).collect();
        assert!(with.contains(&"f"));
        assert!(!without.contains(&"f"));
    }
}
