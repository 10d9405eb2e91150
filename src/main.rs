//! The `concur` command: the TUI by default, and `list`, `check`, `demo`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use concur::app::App;
use concur::app::run::{self, Exit};
use concur::config::{self, ConfigStore};
use concur::demo::{self, HeadlessOptions, Params, Watched};
use concur::i18n::Notice;
use concur::lesson::{Catalog, Lang, Source, check::check};
use concur::plain;
use concur::progress::{self, Store};
use concur::ui::theme::registry::{self, Registry};

/// A terminal app that teaches concurrency: lessons beside live demos that
/// run real threads, event loops and system calls, and measure themselves.
#[derive(Parser)]
#[command(name = "concur", version, about, after_help = KEYS_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Open this lesson directly (see `concur list`)
    #[arg(long, value_name = "ID")]
    lesson: Option<String>,
    /// Load lessons from this directory instead of the built-in ones
    #[arg(long, value_name = "DIR", global = true)]
    lessons: Option<PathBuf>,
    /// Language of the lessons and the app [default: from $LANG, else en]
    #[arg(long, value_enum, global = true)]
    lang: Option<LangArg>,
    /// Start in presenter mode (big titles, no chrome; `p` toggles it)
    #[arg(long)]
    present: bool,
    /// The presenter's second screen: follow a presenting concur (in another
    /// terminal) and show each step's speaker notes, the next step and the time
    #[arg(long, conflicts_with_all = ["lesson", "present"])]
    notes: bool,
    /// Colour theme: dark, light, high-contrast, mono, one of yours, or a
    /// theme file's path [default: the last one chosen with T, or dark]
    #[arg(long, value_name = "NAME|PATH")]
    theme: Option<String>,
    /// The Python interpreter of the demos' Python lanes (3.11 or newer)
    /// [default: python = "…" in config.toml, else python3 on PATH]
    #[arg(long, value_name = "PATH", global = true)]
    python: Option<std::ffi::OsString>,
}

const KEYS_HELP: &str = "Keys: →/← l/h PgDn/PgUp step · ↓/↑ j/k scroll · Space start/stop the demo · \
r restart it · L English/中文 · ? help · Esc back · q quit";

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Zh,
}

#[derive(Subcommand)]
enum Command {
    /// List the lessons: id, title, languages, demos, quiz questions
    List {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Check lesson files (default: the built-in ones); problems as path:line: message
    Check {
        /// A directory of lessons (with en/ and zh/, or Markdown files)
        dir: Option<PathBuf>,
    },
    /// Run a demo outside the TUI, or list the demos
    Demo(DemoArgs),
    /// Present a lesson to a class: presenter mode (big titles, no chrome,
    /// speaker notes for `concur --notes` in another terminal)
    Present {
        /// The lesson to open (see `concur list`); the lesson list without it
        lesson: Option<String>,
        /// Run every demo of the lesson once first (of every lesson without
        /// one), so nothing is a cold start in front of the class; the screen
        /// says when they are ready
        #[arg(long)]
        prerun: bool,
    },
    /// Show your progress (lessons viewed, quiz scores), or reset it
    Progress {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// Forget all progress (the old file is kept beside it as a backup)
        #[arg(long)]
        reset: bool,
    },
}

#[derive(Args)]
struct DemoArgs {
    /// The demo to run (see --list)
    #[arg(required_unless_present = "list")]
    id: Option<String>,
    /// List the demos, their lanes and parameters
    #[arg(long)]
    list: bool,
    /// Draw the demo on this terminal with spinners (the default)
    #[arg(long, conflicts_with = "json")]
    plain: bool,
    /// Print what the demo measured as one JSON object
    #[arg(long)]
    json: bool,
    /// Slow motion: run demo time at this speed (0.1, 0.25, 0.5 or 1)
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// Stop after this many seconds even if the demo is still running
    #[arg(long, value_name = "S", value_parser = plain::parse_seconds)]
    seconds: Option<f64>,
    /// Record what --plain draws into an asciinema v2 file (asciinema play FILE)
    #[arg(long, value_name = "FILE.cast", conflicts_with = "json")]
    record: Option<PathBuf>,
    /// Set a demo parameter (repeatable), e.g. -p call_ms=1000 (see --list)
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = Params::parse_assignment)]
    params: Vec<(String, String)>,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && (0.01..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("the speed must be between 0.01 and 1".into())
    }
}

/// Demo flags of earlier versions, still accepted: each is one `-p`.
/// (flag, parameter, the value a flag without one sets)
const PARAM_ALIASES: &[(&str, &str, Option<&str>)] = &[
    ("--workload", "workload", None),
    ("--fail-step", "fail_step", None),
    ("--forget-check", "forget_check", Some("crash")),
];

/// Rewrites the aliases in `args` into `-p NAME=VALUE`.
fn expand_aliases(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        let (flag, inline) = match text.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (text.clone(), None),
        };
        let Some((_, name, fixed)) = PARAM_ALIASES.iter().find(|(f, ..)| *f == flag) else {
            out.push(arg);
            continue;
        };
        let value = match (inline, fixed) {
            (Some(v), _) => v,
            (None, Some(v)) => v.to_string(),
            (None, None) => args
                .next()
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        out.push("-p".into());
        out.push(format!("{name}={value}").into());
    }
    out
}

/// A demo lane that panics is reported as a failed lane (and a callback
/// that panics, by the demo's loop): the default message would only repeat
/// it, on top of `--plain`'s drawing.
fn quiet_demo_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let demo = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with(demo::THREAD_PREFIX));
        if !demo {
            previous(info);
        }
    }));
}

fn main() -> ExitCode {
    quiet_demo_panics();
    let cli = Cli::parse_from(expand_aliases(std::env::args_os()));
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("concur: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn lang_of(arg: Option<LangArg>) -> Lang {
    match arg {
        Some(LangArg::En) => Lang::En,
        Some(LangArg::Zh) => Lang::Zh,
        None => {
            let env = ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .filter_map(|k| std::env::var(k).ok())
                .find(|v| !v.is_empty())
                .unwrap_or_default();
            if env.starts_with("zh") {
                Lang::Zh
            } else {
                Lang::En
            }
        }
    }
}

fn source_of(dir: Option<PathBuf>) -> Source {
    dir.map(Source::Dir).unwrap_or(Source::Builtin)
}

fn real_main(cli: Cli) -> anyhow::Result<ExitCode> {
    let lang = lang_of(cli.lang);
    // Read-only here: the TUI loads the config again and reports problems.
    let saved_python = ConfigStore::in_dir(config::default_dir()).load().0.python;
    demo::python::choose(cli.python.clone(), saved_python);
    match cli.command {
        Some(Command::List { json }) => list(&Catalog::load(&source_of(cli.lessons)), json, lang),
        Some(Command::Check { dir }) => {
            let catalog = Catalog::load_eager(&source_of(dir.or(cli.lessons)));
            let problems = check(&catalog);
            let warnings = concur::ui::fit::warnings(&catalog);
            for p in &problems {
                println!("{p}");
            }
            for w in &warnings {
                println!("{}", warning(w));
            }
            let files: usize = catalog.lessons.iter().map(|s| s.by_lang.len()).sum();
            let counted =
                |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
            if problems.is_empty() {
                println!(
                    "ok: {} lessons, {files} lesson files, no errors, {}",
                    catalog.lessons.len(),
                    counted(warnings.len(), "warning")
                );
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "{}, {}",
                    counted(problems.len(), "error"),
                    counted(warnings.len(), "warning")
                );
                Ok(ExitCode::from(1))
            }
        }
        Some(Command::Demo(args)) => run_demo(args, lang),
        Some(Command::Progress { json, reset }) => {
            show_progress(&Catalog::load(&source_of(cli.lessons)), json, reset, lang)
        }
        Some(Command::Present { lesson, prerun }) => tui(Start {
            lesson,
            source: source_of(cli.lessons),
            lang,
            theme: cli.theme,
            present: true,
            prerun,
        }),
        None if cli.notes => notes(cli.theme),
        None => tui(Start {
            lesson: cli.lesson,
            source: source_of(cli.lessons),
            lang,
            theme: cli.theme,
            present: cli.present,
            prerun: false,
        }),
    }
}

/// One lesson as `concur list` shows it (the table and `--json` alike).
#[derive(serde::Serialize)]
struct LessonRow<'a> {
    id: &'a str,
    order: u32,
    title: &'a str,
    languages: Vec<&'static str>,
    steps: usize,
    demos: &'a [String],
    quiz_questions: usize,
}

fn list(catalog: &Catalog, json: bool, lang: Lang) -> anyhow::Result<ExitCode> {
    let rows: Vec<LessonRow> = catalog
        .lessons
        .iter()
        .map(|set| {
            let lesson = set.get(lang);
            LessonRow {
                id: &set.id,
                order: set.order,
                title: &lesson.title,
                languages: set.langs().map(Lang::code).collect(),
                steps: lesson.steps.len(),
                demos: &lesson.demos,
                quiz_questions: set.question_total(Lang::En),
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!(
            "{:>3}  {:<28} {} {:<6} {:<24} quiz",
            "#",
            "id",
            pad("title", 36),
            "langs",
            "demos"
        );
        for r in &rows {
            println!(
                "{:>3}  {:<28} {} {:<6} {:<24} {}",
                r.order,
                r.id,
                pad(r.title, 36),
                r.languages.join(","),
                r.demos.join(","),
                r.quiz_questions
            );
        }
    }
    for p in &catalog.problems {
        eprintln!("{p}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A warning as `concur check` prints it: `path:line: warning: message`.
fn warning(p: &concur::problem::Problem) -> String {
    let mut w = p.clone();
    w.message = format!("warning: {}", p.message);
    w.to_string()
}

/// `text` padded to `width` display columns (CJK counts double).
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn show_progress(
    catalog: &Catalog,
    json: bool,
    reset: bool,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let dir =
        progress::default_dir().context("no data directory ($XDG_DATA_HOME or ~/.local/share)")?;
    let store = Store::in_dir(&dir);
    let path = dir.join(progress::FILE_NAME);
    if reset {
        match store
            .reset()
            .with_context(|| format!("moving {} aside", path.display()))?
        {
            Some(aside) => println!(
                "progress reset; the old file is kept as {}",
                aside.display()
            ),
            None => println!("no progress to reset ({} does not exist)", path.display()),
        }
        return Ok(ExitCode::SUCCESS);
    }
    // A report only reads: a corrupt file is named, not moved aside.
    let (p, warnings) = store.peek();
    for w in &warnings {
        eprintln!("warning: {}", w.get(lang));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&p)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("progress file: {}", path.display());
    for set in &catalog.lessons {
        let lesson = set.get(lang);
        let title = &lesson.title;
        let steps = lesson.steps.len();
        let seen = p
            .lessons
            .get(&set.id)
            .map_or(0, |l| l.seen.len().min(steps));
        let done = p.is_finished(&set.id, set.has_quiz(lang));
        let viewed = format!("{}{seen}/{steps}", if done { "✓ " } else { "" });
        let quiz = match p.quiz(&set.id) {
            Some(r) if r.attempts > 0 => format!(
                "quiz best {}/{} (last {}/{}, {} attempt{}){}",
                r.best,
                r.total,
                r.last,
                r.total,
                r.attempts,
                if r.attempts == 1 { "" } else { "s" },
                if r.wrong.is_empty() {
                    String::new()
                } else {
                    format!(", {} to retry", r.wrong.len())
                }
            ),
            _ => "quiz not taken".into(),
        };
        println!("{:>3}  {} {:<9} {quiz}", set.order, pad(title, 36), viewed);
    }
    Ok(ExitCode::SUCCESS)
}

fn list_demos(lang: Lang) {
    let python = python_lanes_here(lang);
    for d in demo::all() {
        let info = d.info();
        println!("{:<12} {}", info.id, info.title.get(lang));
        for lane in info.lanes {
            let metrics: Vec<&str> = lane.metrics.iter().map(|m| m.name).collect();
            println!("    lane {:<18} {}", lane.name, lane.title.get(lang));
            if lane.is_python() {
                println!("         {:<18} {python}", "");
            }
            println!("         {:<18} [{}]", "", metrics.join(", "));
        }
        let params = d.params();
        let w = params
            .iter()
            .map(|p| p.name.len() + p.default.len() + 1)
            .max()
            .unwrap_or(0);
        for p in params {
            let assignment = format!("{}={}", p.name, p.default);
            println!("    -p {assignment:<w$}  {}", p.help.get(lang));
        }
    }
}

/// Whether the Python lanes run here, and in what, or why not.
fn python_lanes_here(lang: Lang) -> String {
    let interp = demo::python::interpreter().shown();
    match demo::python::availability() {
        Ok(p) => {
            let detail = p.detail();
            match lang {
                Lang::En => format!("runs here: {} ({interp})", detail.en),
                Lang::Zh => format!("可在此运行：{}（{interp}）", detail.zh),
            }
        }
        Err(u) => match lang {
            Lang::En => format!("not available here: {}; {}", u.reason.en, u.fix.en),
            Lang::Zh => format!("此处不可用：{}；{}", u.reason.zh, u.fix.zh),
        },
    }
}

fn run_demo(args: DemoArgs, lang: Lang) -> anyhow::Result<ExitCode> {
    if args.list {
        list_demos(lang);
        return Ok(ExitCode::SUCCESS);
    }
    let id = args.id.unwrap_or_default();
    let Some(d) = demo::find(&id) else {
        let ids: Vec<&str> = demo::all().iter().map(|d| d.info().id).collect();
        bail!("no demo `{id}`; the demos are: {}", ids.join(", "));
    };
    let mut params = Params::new();
    for (k, v) in args.params {
        params.set(k, &v);
    }
    d.check(&params).map_err(|e| {
        let known: Vec<&str> = d.params().iter().map(|p| p.name).collect();
        anyhow::anyhow!(
            "demo `{id}`: {e} (its parameters: {}; see concur demo --list)",
            known.join(", ")
        )
    })?;
    let opts = HeadlessOptions {
        seconds: args.seconds,
        scale: args.speed,
    };
    // With a time limit the run ends when it is up: a demo's server keeps
    // serving until then, so it can be tried from another terminal.
    let watched = if args.seconds.is_some() {
        Watched::Timed
    } else {
        Watched::Headless
    };
    let outcome = if args.json {
        let outcome = demo::run_headless_as(d, params, opts, watched, |_, _| {})?;
        println!(
            "{}",
            serde_json::to_string_pretty(&plain::to_json(&outcome))?
        );
        outcome
    } else {
        let cast = match &args.record {
            Some(path) => Some(
                concur::record::CastTerm::create(path, &format!("concur demo {id}"))
                    .with_context(|| format!("creating {}", path.display()))?,
            ),
            None => None,
        };
        plain::run_plain(d, params, opts, watched, cast.as_ref(), lang)?
    };
    // A machine without a usable `python3` on PATH still runs the Rust
    // lanes, and its Python lanes say why: not a failed run. An interpreter
    // the user named (`--python`, config) that does not work is one.
    let forgiven = demo::python::availability().is_err()
        && demo::python::interpreter().origin == demo::python::Origin::Path;
    let failed = outcome
        .view
        .lanes
        .iter()
        .any(|l| l.error.is_some() && !(forgiven && l.info.is_python()));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How the TUI starts.
struct Start {
    lesson: Option<String>,
    source: Source,
    lang: Lang,
    theme: Option<String>,
    present: bool,
    /// Warm up the demos first (`concur present --prerun`).
    prerun: bool,
}

fn needs_terminal() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "concur needs a terminal (stdin and stdout must be one); \
             to run a demo without one: concur demo ID --plain (or --json)"
        );
    }
    Ok(())
}

/// `concur --notes`: the speaker notes of a presenting concur.
fn notes(theme: Option<String>) -> anyhow::Result<ExitCode> {
    needs_terminal()?;
    let mut settings = ConfigStore::in_dir(config::default_dir());
    let (cfg, _) = settings.load();
    let themes = Registry::new(settings.dir()).choose(registry::Start {
        cli: theme.as_deref(),
        no_color: registry::no_color_env(),
        saved: cfg.theme.as_deref(),
    })?;
    concur::app::notes_view::run(themes.current)?;
    Ok(ExitCode::SUCCESS)
}

fn tui(start: Start) -> anyhow::Result<ExitCode> {
    let Start {
        lesson,
        source,
        lang,
        theme,
        present,
        prerun,
    } = start;
    needs_terminal()?;
    if let Source::Dir(dir) = &source
        && !dir.is_dir()
    {
        bail!("{}: not a directory of lessons", dir.display());
    }
    let catalog = Catalog::load(&source);
    let mut store = progress::default_dir()
        .map(|d| Store::in_dir(&d))
        .unwrap_or_else(Store::none);
    let (progress, mut notices) = store.load();
    let mut settings = ConfigStore::in_dir(config::default_dir());
    let (cfg, warnings) = settings.load();
    notices.extend(warnings);
    let themes = Registry::new(settings.dir()).choose(registry::Start {
        cli: theme.as_deref(),
        no_color: registry::no_color_env(),
        saved: cfg.theme.as_deref(),
    })?;
    notices.extend(themes.warnings);
    let mut app = App::new(catalog, lang, themes.current, progress);
    app.themes = themes.cycle;
    app.present = present;
    app.notices.extend(notices.into_iter().map(Notice::Text));
    let initial = match &lesson {
        Some(id) => app.open_lesson(id).with_context(|| {
            let ids: Vec<&str> = app.catalog.lessons.iter().map(|l| l.id.as_str()).collect();
            format!("no lesson `{id}`; the lessons are: {}", ids.join(", "))
        })?,
        None => concur::app::Effect::redraw(),
    };
    // The warm-up starts with the first frame.
    let initial = if prerun {
        let warm = app.start_prerun();
        app.flash = warm.flash;
        concur::app::Effect {
            prerun: warm.prerun,
            ..initial
        }
    } else {
        initial
    };
    match run::run(app, store, settings, initial)? {
        Exit::Quit => Ok(ExitCode::SUCCESS),
        // As shells expect: 128 + the signal's number.
        Exit::Signal(sig) => Ok(ExitCode::from((128 + sig).clamp(0, 255) as u8)),
        Exit::Fatal(why) => bail!("{why}"),
    }
}
