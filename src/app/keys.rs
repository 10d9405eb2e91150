//! The keymap as data: update reads it, the status line and help overlay are
//! built from it, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::lesson::Lang;

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
    NextTheme,
    TogglePresent,
    Blank,
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

pub struct Binding {
    pub action: Action,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in hints, e.g. "←/→ h/l".
    pub label: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
    pub contexts: &'static [Context],
    /// The short form for the status line (keys, en, zh); `None`: help only.
    pub hint: Option<(&'static str, &'static str, &'static str)>,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const ALL: &[Context] = &[Context::Home, Context::Lesson, Context::Quiz];
const HOME: &[Context] = &[Context::Home];
const LESSON: &[Context] = &[Context::Lesson];
const QUIZ: &[Context] = &[Context::Quiz];
const HOME_QUIZ: &[Context] = &[Context::Home, Context::Quiz];

pub static BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Up,
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        label: "↑/↓ k/j",
        en: "move",
        zh: "移动",
        contexts: HOME_QUIZ,
        hint: Some(("↑↓", "move", "移动")),
    },
    Binding {
        action: Action::Down,
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        label: "",
        en: "",
        zh: "",
        contexts: HOME_QUIZ,
        hint: None,
    },
    Binding {
        action: Action::Open,
        keys: &[
            (KeyCode::Enter, NONE),
            (KeyCode::Right, NONE),
            (KeyCode::Char('l'), NONE),
        ],
        label: "Enter",
        en: "open the lesson",
        zh: "打开课程",
        contexts: HOME,
        hint: Some(("Enter", "open", "打开")),
    },
    Binding {
        action: Action::NextStep,
        keys: &[
            (KeyCode::Right, NONE),
            (KeyCode::Char('l'), NONE),
            (KeyCode::PageDown, NONE),
        ],
        label: "→/← l/h PgDn/PgUp",
        en: "next / previous step",
        zh: "下一步 / 上一步",
        contexts: LESSON,
        hint: Some(("←→", "step", "翻页")),
    },
    Binding {
        action: Action::PrevStep,
        keys: &[
            (KeyCode::Left, NONE),
            (KeyCode::Char('h'), NONE),
            (KeyCode::PageUp, NONE),
        ],
        label: "",
        en: "",
        zh: "",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::FirstStep,
        keys: &[(KeyCode::Home, NONE)],
        label: "Home/End G",
        en: "first / last step",
        zh: "第一步 / 最后一步",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::LastStep,
        keys: &[
            (KeyCode::End, NONE),
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
        ],
        label: "",
        en: "",
        zh: "",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::ScrollDown,
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        label: "↓/↑ j/k",
        en: "scroll the text (also the mouse wheel)",
        zh: "滚动文字（鼠标滚轮也可以）",
        contexts: LESSON,
        hint: Some(("↑↓", "scroll", "滚动")),
    },
    Binding {
        action: Action::ScrollUp,
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        label: "",
        en: "",
        zh: "",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::ToggleDemo,
        keys: &[(KeyCode::Char(' '), NONE)],
        label: "Space",
        en: "start / stop the demo",
        zh: "启动 / 停止演示",
        contexts: LESSON,
        hint: Some(("Space", "demo", "演示")),
    },
    Binding {
        action: Action::RestartDemo,
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        en: "restart the demo",
        zh: "重新运行演示",
        contexts: LESSON,
        hint: Some(("r", "restart", "重来")),
    },
    Binding {
        action: Action::SwitchLang,
        keys: &[(KeyCode::Char('L'), SHIFT), (KeyCode::Char('L'), NONE)],
        label: "L",
        en: "English / 中文",
        zh: "English / 中文",
        contexts: ALL,
        hint: Some(("L", "中文/English", "English/中文")),
    },
    Binding {
        action: Action::NextTheme,
        keys: &[(KeyCode::Char('T'), SHIFT), (KeyCode::Char('T'), NONE)],
        label: "T",
        en: "next colour theme (kept for next time)",
        zh: "下一个配色主题（下次继续使用）",
        contexts: ALL,
        hint: None,
    },
    Binding {
        action: Action::TogglePresent,
        keys: &[(KeyCode::Char('p'), NONE)],
        label: "p",
        en: "presenter mode: big titles, no chrome",
        zh: "演讲模式：大标题，无边框",
        contexts: &[Context::Home, Context::Lesson],
        hint: None,
    },
    Binding {
        action: Action::GoTo,
        keys: &[(KeyCode::Char('g'), NONE)],
        label: "g N Enter",
        en: "go to step N (g g: first step)",
        zh: "跳到第 N 步（g g：第一步）",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Contents,
        keys: &[(KeyCode::Char('o'), NONE)],
        label: "o",
        en: "the lesson's steps (table of contents)",
        zh: "本课的步骤（目录）",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Blank,
        keys: &[(KeyCode::Char('b'), NONE)],
        label: "b",
        en: "blank the screen (any key brings it back)",
        zh: "黑屏（按任意键恢复）",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Help,
        keys: &[
            (KeyCode::Char('?'), NONE),
            (KeyCode::Char('?'), SHIFT),
            (KeyCode::F(1), NONE),
        ],
        label: "?",
        en: "help",
        zh: "帮助",
        contexts: ALL,
        hint: Some(("?", "help", "帮助")),
    },
    Binding {
        action: Action::Back,
        keys: &[(KeyCode::Esc, NONE), (KeyCode::Backspace, NONE)],
        label: "Esc",
        en: "back",
        zh: "返回",
        contexts: &[Context::Home, Context::Lesson],
        hint: Some(("Esc", "back", "返回")),
    },
    Binding {
        action: Action::Quit,
        keys: &[
            (KeyCode::Char('q'), NONE),
            (KeyCode::Char('c'), KeyModifiers::CONTROL),
        ],
        label: "q",
        en: "quit",
        zh: "退出",
        contexts: ALL,
        hint: Some(("q", "quit", "退出")),
    },
    Binding {
        action: Action::InjectFailure,
        keys: &[(KeyCode::Char('f'), NONE)],
        label: "f",
        en: "demo failure: step 2 → unchecked → none",
        zh: "演示故障：第 2 步 → 不检查 → 无",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Slower,
        keys: &[(KeyCode::Char('-'), NONE), (KeyCode::Char('['), NONE)],
        label: "- +  [ ]",
        en: "demo speed: 0.1x 0.25x 0.5x 1x",
        zh: "演示速度：0.1x 0.25x 0.5x 1x",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Faster,
        keys: &[
            (KeyCode::Char('+'), NONE),
            (KeyCode::Char('='), NONE),
            (KeyCode::Char(']'), NONE),
        ],
        label: "",
        en: "",
        zh: "",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Pause,
        keys: &[(KeyCode::Char('.'), NONE)],
        label: ".",
        en: "pause / resume the demo",
        zh: "暂停 / 继续演示",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::StepOnce,
        keys: &[(KeyCode::Char('n'), NONE)],
        label: "n",
        en: "while paused: one more event",
        zh: "暂停时：再走一个事件",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::OpenQuiz,
        keys: &[(KeyCode::Char('t'), NONE)],
        label: "t",
        en: "take the quiz",
        zh: "做测验",
        contexts: LESSON,
        hint: Some(("t", "quiz", "测验")),
    },
    Binding {
        action: Action::Choose(0),
        keys: &[],
        label: "1-9",
        en: "pick a choice (order questions: pick in order)",
        zh: "选择选项（排序题：按顺序选）",
        contexts: QUIZ,
        hint: Some(("1-9", "pick", "选择")),
    },
    Binding {
        action: Action::Choose(0),
        keys: &[],
        label: "1-9",
        en: "demos with many lanes: show lane N beside the last one",
        zh: "多泳道的演示：把第 N 条泳道和上一条并排显示",
        contexts: LESSON,
        hint: None,
    },
    Binding {
        action: Action::Select,
        keys: &[(KeyCode::Char(' '), NONE)],
        label: "Space",
        en: "pick the highlighted choice",
        zh: "选择高亮的选项",
        contexts: QUIZ,
        hint: None,
    },
    Binding {
        action: Action::Undo,
        keys: &[(KeyCode::Backspace, NONE)],
        label: "Backspace",
        en: "take back the last pick of an order question",
        zh: "撤回排序题的上一次选择",
        contexts: QUIZ,
        hint: None,
    },
    Binding {
        action: Action::Submit,
        keys: &[
            (KeyCode::Enter, NONE),
            (KeyCode::Right, NONE),
            (KeyCode::Char('l'), NONE),
        ],
        label: "Enter",
        en: "answer / next question",
        zh: "回答 / 下一题",
        contexts: QUIZ,
        hint: Some(("Enter", "answer", "回答")),
    },
    Binding {
        action: Action::Retry,
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        en: "retry the questions you got wrong (at the end)",
        zh: "重做答错的题（在最后）",
        contexts: QUIZ,
        hint: None,
    },
    Binding {
        action: Action::Back,
        keys: &[(KeyCode::Esc, NONE)],
        label: "Esc",
        en: "back to the lesson",
        zh: "返回课程",
        contexts: QUIZ,
        hint: Some(("Esc", "back", "返回")),
    },
];

/// The action a key press means in `ctx`, if any.
pub fn action_for(key: &KeyEvent, ctx: Context) -> Option<Action> {
    // Shift is implied by the character itself for letters and symbols.
    let mods = key.modifiers - KeyModifiers::SHIFT;
    if matches!(ctx, Context::Quiz | Context::Lesson)
        && mods.is_empty()
        && let KeyCode::Char(c @ '1'..='9') = key.code
    {
        return Some(Action::Choose(c as u8 - b'0'));
    }
    BINDINGS
        .iter()
        .filter(|b| b.contexts.contains(&ctx))
        .find(|b| {
            b.keys
                .iter()
                .any(|(code, m)| *code == key.code && (*m - KeyModifiers::SHIFT) == mods)
        })
        .map(|b| b.action)
}

impl Binding {
    pub fn describe(&self, lang: Lang) -> &'static str {
        if lang.is_zh() { self.zh } else { self.en }
    }
}

/// The bindings worth listing in `ctx` (help overlay), in order.
pub fn listed(ctx: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.contexts.contains(&ctx) && !b.label.is_empty())
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
    }

    #[test]
    fn no_key_means_two_things_in_one_context() {
        for ctx in [Context::Home, Context::Lesson, Context::Quiz] {
            let mut seen = std::collections::HashMap::new();
            for b in BINDINGS.iter().filter(|b| b.contexts.contains(&ctx)) {
                for (code, m) in b.keys {
                    let k = (*code, *m - KeyModifiers::SHIFT);
                    if let Some(other) = seen.insert(k, b.action) {
                        assert_eq!(other, b.action, "{k:?} in {ctx:?}");
                    }
                }
            }
        }
    }
}
