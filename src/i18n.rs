//! Every word the app shows that is not lesson content, in English and
//! Chinese. The types make a missing translation a compile error: a [`Text`]
//! needs both fields, [`tr!`] needs both format strings, and [`Strings`] is
//! filled twice, once per language.

/// A language the lessons and the app's chrome are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The language a locale string (`$LANG`, `zh_CN.UTF-8`) asks for.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

/// A fixed text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub en: &'static str,
    pub zh: &'static str,
}

impl Text {
    pub const fn new(en: &'static str, zh: &'static str) -> Text {
        Text { en, zh }
    }

    pub const fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// A text made at run time (a demo's log line), in both languages, so the
/// language can change while a demo runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalText {
    pub en: String,
    pub zh: String,
}

impl LocalText {
    /// Text that reads the same in every language: code, a system call, a
    /// number.
    pub fn same(s: impl Into<String>) -> LocalText {
        let s = s.into();
        LocalText {
            zh: s.clone(),
            en: s,
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

impl From<Text> for LocalText {
    fn from(t: Text) -> Self {
        LocalText {
            en: t.en.to_string(),
            zh: t.zh.to_string(),
        }
    }
}

/// `tr!("{n} frames", "{n} 帧")`: a [`LocalText`], both formats filled from
/// the same arguments. Names after a `;` are `LocalText`s themselves: each
/// language's format sees that language's text (`tr!("on {x}", "在{x}"; x)`).
#[macro_export]
macro_rules! tr {
    ($en:literal, $zh:literal $(, $arg:expr)* ; $($loc:ident),+ $(,)?) => {{
        let en = {
            $(let $loc = &$loc.en;)+
            format!($en $(, $arg)*)
        };
        let zh = {
            $(let $loc = &$loc.zh;)+
            format!($zh $(, $arg)*)
        };
        $crate::i18n::LocalText { en, zh }
    }};
    ($en:literal, $zh:literal $(, $arg:expr)* $(,)?) => {
        $crate::i18n::LocalText {
            en: format!($en $(, $arg)*),
            zh: format!($zh $(, $arg)*),
        }
    };
}

/// `yes` / `no` in the user's language (flags in tables and feedback).
pub fn yes_no(flag: bool, lang: Lang) -> &'static str {
    let s = lang.strings();
    if flag { s.yes } else { s.no }
}

/// Every chrome string of the app, once per language.
pub struct Strings {
    pub app_tagline: &'static str,
    pub lessons: &'static str,
    pub viewed: &'static str,
    pub not_viewed: &'static str,
    pub no_lessons: &'static str,
    pub problems_loading: &'static str,
    pub check_hint: &'static str,
    pub step: &'static str,
    pub demo: &'static str,
    pub press_space: &'static str,
    pub running: &'static str,
    pub waiting: &'static str,
    pub done: &'static str,
    pub failed: &'static str,
    pub stopped: &'static str,
    pub idle: &'static str,
    pub log: &'static str,
    pub measured: &'static str,
    pub loop_lag: &'static str,
    pub lag_worst: &'static str,
    pub loop_blocked: &'static str,
    pub dropped: &'static str,
    pub unknown_demo: &'static str,
    pub end_of_lesson: &'static str,
    pub too_small: &'static str,
    pub quit_hint: &'static str,
    pub help_title: &'static str,
    pub help_close: &'static str,
    pub more_below: &'static str,
    pub translation_missing: &'static str,
    pub quiz: &'static str,
    pub paused: &'static str,
    pub last_good: &'static str,
    pub demo_time: &'static str,
    pub wall_time: &'static str,
    pub frame: &'static str,
    pub timeline_title: &'static str,
    pub timeline_running: &'static str,
    pub timeline_waiting: &'static str,
    pub timeline_blocked: &'static str,
    pub demo_needs_room: &'static str,
    pub go_to_step: &'static str,
    pub contents: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub from_before: &'static str,
    pub lane: &'static str,
    pub no_failure_here: &'static str,
    pub no_demo_here: &'static str,
    pub theme_now: &'static str,
    pub incomplete_answer: &'static str,
    pub zoomed: &'static str,
    pub prerun_nothing: &'static str,
}

pub static EN: Strings = Strings {
    app_tagline: "concurrency, run for real",
    lessons: "Lessons",
    viewed: "viewed",
    not_viewed: "new",
    no_lessons: "No lessons could be loaded.",
    problems_loading: "problems in",
    check_hint: "for the reasons, run:",
    step: "step",
    demo: "demo",
    press_space: "Press Space to start",
    running: "running",
    waiting: "waiting",
    done: "done",
    failed: "failed",
    stopped: "stopped",
    idle: "ready",
    log: "log",
    measured: "measured",
    loop_lag: "loop lag",
    lag_worst: "worst",
    loop_blocked: "LOOP BLOCKED · no wake-up for",
    dropped: "events dropped (UI behind)",
    unknown_demo: "This step names a demo that does not exist",
    end_of_lesson: "End of the lesson. t or →: the quiz · Esc: back to the lessons",
    too_small: "Terminal too small",
    quit_hint: "q: quit",
    help_title: "Keys",
    help_close: "any key closes this",
    more_below: "more below ↓",
    translation_missing: "not translated yet: shown in English",
    quiz: "quiz",
    paused: "paused",
    last_good: "showing the last good version",
    demo_time: "demo",
    wall_time: "wall",
    frame: "frame",
    timeline_title: "timeline: one row per OS thread",
    timeline_running: "running",
    timeline_waiting: "waiting",
    timeline_blocked: "blocked",
    demo_needs_room: "▶ this step has a live demo: make the terminal taller to run it",
    go_to_step: "go to step",
    contents: "Contents",
    yes: "yes",
    no: "no",
    from_before: "results of the last run; Space runs it again",
    lane: "lane",
    no_failure_here: "this demo has no failure to inject (f)",
    no_demo_here: "this step has no demo",
    theme_now: "theme",
    incomplete_answer: "pick an answer first",
    zoomed: "zoomed: z back · PgUp/PgDn scroll the log",
    prerun_nothing: "no demo to warm up here",
};

pub static ZH: Strings = Strings {
    app_tagline: "真实运行的并发课程",
    lessons: "课程",
    viewed: "已读",
    not_viewed: "未读",
    no_lessons: "没有能加载的课程。",
    problems_loading: "这些文件有问题：",
    check_hint: "查看原因请运行：",
    step: "步骤",
    demo: "演示",
    press_space: "按空格键开始",
    running: "运行中",
    waiting: "等待中",
    done: "完成",
    failed: "失败",
    stopped: "已停止",
    idle: "就绪",
    log: "日志",
    measured: "测量值",
    loop_lag: "循环延迟",
    lag_worst: "最差",
    loop_blocked: "循环被阻塞 · 已有这么久没醒来：",
    dropped: "个事件被丢弃（界面跟不上）",
    unknown_demo: "这一步引用了不存在的演示",
    end_of_lesson: "本课结束。t 或 →：测验 · Esc：返回课程列表",
    too_small: "终端太小",
    quit_hint: "q：退出",
    help_title: "按键",
    help_close: "按任意键关闭",
    more_below: "下面还有 ↓",
    translation_missing: "尚未翻译：显示英文版",
    quiz: "测验",
    paused: "已暂停",
    last_good: "显示上一个正确的版本",
    demo_time: "演示时间",
    wall_time: "墙钟",
    frame: "帧",
    timeline_title: "时间线：每个操作系统线程一行",
    timeline_running: "运行",
    timeline_waiting: "等待",
    timeline_blocked: "阻塞",
    demo_needs_room: "▶ 这一步有演示：把终端拉高一些才能运行它",
    go_to_step: "跳到步骤",
    contents: "目录",
    yes: "是",
    no: "否",
    from_before: "上一次运行的结果；按空格键重新运行",
    lane: "泳道",
    no_failure_here: "这个演示没有可注入的故障（f）",
    no_demo_here: "这一步没有演示",
    theme_now: "主题",
    incomplete_answer: "请先选出答案",
    zoomed: "已放大：z 返回 · PgUp/PgDn 滚动日志",
    prerun_nothing: "这里没有需要预热的演示",
};

/// A warning for the user, kept as data so it is shown in the language of
/// the moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    CannotSaveProgress {
        path: String,
        error: String,
    },
    CannotSaveSettings {
        error: String,
    },
    CannotWatch {
        dir: String,
        error: String,
    },
    /// A message from a layer that reports in both languages already.
    Text(LocalText),
}

impl Notice {
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Notice::CannotSaveProgress { path, error }, Lang::En) => {
                format!("cannot save progress to {path}: {error}")
            }
            (Notice::CannotSaveProgress { path, error }, Lang::Zh) => {
                format!("无法把进度保存到 {path}：{error}")
            }
            (Notice::CannotSaveSettings { error }, Lang::En) => {
                format!("cannot save the settings: {error}")
            }
            (Notice::CannotSaveSettings { error }, Lang::Zh) => format!("无法保存设置：{error}"),
            (Notice::CannotWatch { dir, error }, Lang::En) => {
                format!("cannot watch {dir} for changes: {error}")
            }
            (Notice::CannotWatch { dir, error }, Lang::Zh) => {
                format!("无法监视 {dir} 的变化：{error}")
            }
            (Notice::Text(t), lang) => t.get(lang).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tr_fills_both_languages_from_the_same_arguments() {
        let n = 3;
        let t = tr!("{n} frames", "{n} 帧");
        assert_eq!(t.get(Lang::En), "3 frames");
        assert_eq!(t.get(Lang::Zh), "3 帧");
        let t = tr!("{} of {}", "{} / {}", 1, 2);
        assert_eq!((t.en.as_str(), t.zh.as_str()), ("1 of 2", "1 / 2"));
        let on = tr!("a timer", "定时器");
        let t = tr!("waits on {on} ({n})", "等待{on}（{n}）"; on);
        assert_eq!(t.en, "waits on a timer (3)");
        assert_eq!(t.zh, "等待定时器（3）");
    }

    #[test]
    fn locales() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }
}
