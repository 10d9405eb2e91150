//! The event loop: one queue of messages, one update, a draw only when
//! something changed, and the side effects (demos, progress) done here.
//! This is the only place with a terminal and threads.

use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use crossterm::event::{self, Event};

use super::{App, DemoCommand, Effect, Msg};
use crate::config::{Config, ConfigStore};
use crate::demo::{self, DemoRun, EventStream, Senders, channels};
use crate::i18n::Notice;
use crate::lesson::Source;
use crate::progress::{Progress, Store};
use crate::terminal::{self, Tui};

/// The fastest a running demo is redrawn.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// How long quitting waits for a running demo to clean up (its temp files,
/// sockets and child processes go before the process does).
const STOP_WAIT: Duration = Duration::from_secs(5);
/// How often the presenter's clock is redrawn.
const TICK: Duration = Duration::from_secs(1);
/// How long to wait for a message when nothing needs drawing.
const IDLE_WAIT: Duration = Duration::from_secs(3600);
/// Progress is written this long after the last change: paging through a
/// lesson writes once, not at every key (and never while a key is drawn).
const SAVE_DELAY: Duration = Duration::from_millis(700);
/// `CONCUR_TEST_PANIC=running` panics this long into a demo (mid-work).
const PANIC_AFTER: Duration = Duration::from_secs(2);

/// Why the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The user quit (q, Ctrl-C as a key).
    Quit,
    /// SIGTERM, SIGINT or SIGHUP: exit with 128 + its number.
    Signal(i32),
    /// A helper thread died; the message says which and why.
    Fatal(String),
}

/// Helper threads report their own death instead of leaving a half-alive app.
enum Control {
    App(Msg),
    Fatal(String),
}

/// The loop's own state beside the app's: the terminal, the running demo,
/// the writers.
struct Runtime {
    term: Tui,
    demo: Option<DemoRun>,
    /// The speaker-notes socket, from the first time presenter mode is on.
    notes: Option<super::presenter::NotesServer>,
    /// The slide last sent to notes views.
    slide: Option<super::presenter::Slide>,
    /// Starting the socket was tried (once is enough).
    notes_tried: bool,
    /// The warm-up of the demos, while it runs.
    prerun: Option<super::prerun::PrerunJob>,
    /// Where helper threads report.
    tx: Sender<Control>,
    /// When the running demo started (for the panic test hook).
    demo_since: Option<Instant>,
    /// Asks for a redraw once the code grammars have loaded; taken when a
    /// screen that may show code first appears (home never does).
    grammars: Option<Sender<Control>>,
    writer: ProgressWriter,
    /// When unsaved progress is to be written.
    save_due: Option<Instant>,
    settings: ConfigStore,
    /// The demos' channels, made when the first demo starts: a bounded
    /// channel allocates all its slots at once, and home needs none.
    channels: Option<(Senders, EventStream)>,
    dirty: bool,
    /// The user pressed a key: draw now, not at the next frame.
    urgent: bool,
    last_draw: Instant,
}

impl Runtime {
    fn new(
        term: Tui,
        tx: Sender<Control>,
        writer: ProgressWriter,
        settings: ConfigStore,
    ) -> Runtime {
        Runtime {
            term,
            demo: None,
            notes: None,
            slide: None,
            notes_tried: false,
            prerun: None,
            grammars: Some(tx.clone()),
            tx,
            demo_since: None,
            writer,
            save_due: None,
            settings,
            channels: None,
            dirty: true,
            urgent: true,
            last_draw: Instant::now() - FRAME_INTERVAL,
        }
    }

    /// Performs what an update asked for; whether to quit.
    fn perform(&mut self, app: &mut App, e: Effect) -> bool {
        self.dirty |= e.redraw;
        if e.save_progress {
            self.save_due
                .get_or_insert_with(|| Instant::now() + SAVE_DELAY);
        }
        if e.save_config {
            let config = Config {
                theme: Some(app.theme.name.clone()),
                ..self.settings.current()
            };
            if let Err(err) = self.settings.save(&config) {
                app.notices.push(Notice::CannotSaveSettings {
                    error: err.to_string(),
                });
            }
        }
        if let Some(demos) = e.prerun {
            self.prerun = None;
            let tx = self.tx.clone();
            let report = move |s| {
                let _ = tx.send(Control::App(Msg::Prerun(s)));
            };
            match super::prerun::PrerunJob::start(demos, report) {
                Ok(job) => self.prerun = Some(job),
                Err(e) => app.notices.push(Notice::Text(crate::tr!(
                    "cannot warm up the demos: {e}",
                    "无法预热演示：{e}"
                ))),
            }
        }
        if let Some(command) = e.demo {
            self.command(app, command);
        }
        e.quit
    }

    fn command(&mut self, app: &mut App, command: DemoCommand) {
        let clock = self.demo.as_ref().map(|r| r.clock());
        match command {
            DemoCommand::Start {
                id,
                params,
                scale,
                watched,
            } => {
                self.demo = None;
                // A demo in front of the class has the machine to itself.
                if self.prerun.take().is_some()
                    && let Some(p) = &mut app.prerun
                    && !p.finished
                {
                    p.finished = true;
                    p.stopped = true;
                }
                let Some(d) = demo::find(&id) else { return };
                crate::tempfiles::sweep_quietly();
                let senders = self.channels.get_or_insert_with(channels).0.clone();
                match DemoRun::start(d, &params, scale, senders, watched) {
                    Ok(run) => {
                        app.demo_started(run.run, scale, run.clock().is_paused());
                        self.demo = Some(run);
                        self.demo_since = Some(Instant::now());
                    }
                    Err(e) => app.demo_refused(e.to_string()),
                }
            }
            DemoCommand::SetScale(scale) => clock.map_or((), |c| c.set_scale(scale)),
            DemoCommand::Pause(paused) => clock.map_or((), |c| c.set_paused(paused)),
            DemoCommand::Step => clock.map_or((), |c| c.step()),
        }
    }

    /// The one rule for when a demo stops: a run lives only while the
    /// visible demo pane shows it running. Dropping it cancels its lanes.
    fn reconcile(&mut self, app: &mut App) {
        let active = app.active_run();
        if self.demo.as_ref().is_some_and(|r| Some(r.run) != active) {
            self.demo = None;
        }
        if let Some(run) = &self.demo {
            app.set_dropped(run.dropped());
        }
    }

    /// In presenter mode, tells notes views (`concur --notes`) where the
    /// lesson is whenever that changes.
    fn publish_slide(&mut self, app: &mut App) {
        if !app.present {
            return;
        }
        if !self.notes_tried {
            self.notes_tried = true;
            match super::presenter::NotesServer::start(&super::presenter::socket_dir()) {
                Ok(server) => self.notes = Some(server),
                Err(e) => {
                    // Presenting works without notes; say why they are off.
                    app.present_notes_failed(e.to_string());
                }
            }
        }
        let (Some(server), Some(slide)) = (&self.notes, app.slide()) else {
            return;
        };
        if self.slide.as_ref().is_some_and(|s| s.same_place(&slide)) {
            return;
        }
        server.publish(&slide);
        self.slide = Some(slide);
    }

    fn draw_if_due(&mut self, app: &App) -> std::io::Result<()> {
        if self.dirty && (self.urgent || self.last_draw.elapsed() >= FRAME_INTERVAL) {
            self.term.draw(|f| f.render_widget(app, f.area()))?;
            self.dirty = false;
            self.urgent = false;
            self.last_draw = Instant::now();
            // After the frame is out, never before it: code is drawn plain
            // until the grammars are in, then redrawn.
            if !matches!(app.screen, super::Screen::Home(_))
                && let Some(tx) = self.grammars.take()
            {
                crate::ui::highlight::warm_up(move || {
                    let _ = tx.send(Control::App(Msg::Redraw));
                });
            }
        }
        Ok(())
    }

    /// Writes progress once it has been quiet long enough.
    fn save_if_due(&mut self, app: &App) {
        if self.save_due.is_some_and(|t| Instant::now() >= t) {
            self.save_due = None;
            self.writer.save(&app.progress);
        }
    }

    /// How long to wait for the next message.
    fn timeout(&self, app: &App) -> Duration {
        let wait = self.frame_wait(app);
        match self.save_due {
            Some(t) => wait.min(t.saturating_duration_since(Instant::now())),
            None => wait,
        }
    }

    fn frame_wait(&self, app: &App) -> Duration {
        if self.dirty {
            FRAME_INTERVAL.saturating_sub(self.last_draw.elapsed())
        } else if app.wants_tick() {
            // The presenter's clock: wake when its seconds change.
            TICK.saturating_sub(Duration::from_nanos(
                (self.last_draw.elapsed().as_nanos() % TICK.as_nanos()) as u64,
            ))
        } else {
            IDLE_WAIT
        }
    }
}

/// Waits for the next message, then takes everything that is waiting. A
/// lane sends its last figures before its Done, on the other channel:
/// lifecycle events are applied only after the figures sent before them.
fn next_batch(
    rx: &Receiver<Control>,
    stream: &EventStream,
    timeout: Duration,
) -> (Vec<Msg>, Option<String>) {
    let first = crossbeam_channel::select! {
        recv(rx) -> m => m.ok(),
        recv(stream.events) -> ev => ev.ok().map(|e| Control::App(Msg::Demo(e))),
        recv(stream.lifecycle) -> ev => ev.ok().map(|e| Control::App(Msg::Demo(e))),
        default(timeout) => None,
    };
    let mut fatal = None;
    let mut msgs = Vec::new();
    let mut life = Vec::new();
    for c in first
        .into_iter()
        .chain(std::iter::from_fn(|| rx.try_recv().ok()))
    {
        match c {
            Control::Fatal(why) => fatal = Some(why),
            Control::App(Msg::Demo(ev)) if ev.kind.is_lifecycle() => life.push(Msg::Demo(ev)),
            Control::App(m) => msgs.push(m),
        }
    }
    msgs.extend(std::iter::from_fn(|| {
        stream.events.try_recv().ok().map(Msg::Demo)
    }));
    msgs.extend(life);
    msgs.extend(std::iter::from_fn(|| {
        stream.lifecycle.try_recv().ok().map(Msg::Demo)
    }));
    (msgs, fatal)
}

/// Removes the temp folders of concur processes that were killed (see
/// `tempfiles`), saying so; whether there is a notice to draw.
fn sweep_left_behind(app: &mut App) -> bool {
    let n = crate::tempfiles::sweep_stale().len();
    if n > 0 {
        app.notices.push(Notice::Text(crate::tr!(
            "removed {n} temp folder(s) a killed concur left behind",
            "删除了 {n} 个被强行结束的 concur 留下的临时文件夹"
        )));
    }
    n > 0
}

/// A test hook: `1` panics after the first frame, `running` two seconds
/// into a demo, `input` in the input thread (the e2e tests check that each
/// ends cleanly).
fn panic_if_asked(test_panic: Option<&str>, demo_since: Option<Instant>) {
    match test_panic {
        Some("running") if demo_since.is_some_and(|t| t.elapsed() > PANIC_AFTER) => {
            panic!("CONCUR_TEST_PANIC: panicking while a demo runs, as asked")
        }
        Some("1") => panic!("CONCUR_TEST_PANIC: panicking after the first frame, as asked"),
        _ => {}
    }
}

pub fn run(
    mut app: App,
    store: Store,
    settings: ConfigStore,
    initial: Effect,
) -> anyhow::Result<Exit> {
    let (term, guard) = terminal::init()?;
    let (tx, rx) = crossbeam_channel::unbounded::<Control>();
    if let Ok((w, h)) = crossterm::terminal::size() {
        app.size = (w, h);
    }
    // The input thread and the sweep of temp folders wait until the first
    // frame is out (keys wait in the terminal meanwhile).
    let mut after_first_frame = Some(tx.clone());
    spawn_signals(tx.clone())?;
    let writer = ProgressWriter::spawn(store, tx.clone());
    let _watch = watch_lessons(&mut app, &tx);
    let mut rt = Runtime::new(term, tx, writer, settings);
    // Until a demo starts, nothing arrives on these.
    let idle = EventStream {
        events: crossbeam_channel::never(),
        lifecycle: crossbeam_channel::never(),
    };
    let test_panic = std::env::var("CONCUR_TEST_PANIC").ok();
    let mut pending = vec![initial];
    let mut exit = None;
    while exit.is_none() {
        for effect in pending.drain(..) {
            if rt.perform(&mut app, effect) {
                exit.get_or_insert(Exit::Quit);
            }
        }
        if exit.is_some() {
            break;
        }
        rt.reconcile(&mut app);
        rt.publish_slide(&mut app);
        rt.draw_if_due(&app)?;
        if !rt.dirty
            && let Some(input) = after_first_frame.take()
        {
            let tx = input.clone();
            spawn_helper("concur-input", tx, move || input_loop(input));
            rt.dirty |= sweep_left_behind(&mut app);
        }
        panic_if_asked(test_panic.as_deref(), rt.demo_since);
        if !rt.dirty && rx.is_empty() {
            app.prepare();
            rt.save_if_due(&app);
        }
        let stream = rt.channels.as_ref().map_or(&idle, |(_, s)| s);
        let (msgs, fatal) = next_batch(&rx, stream, rt.timeout(&app));
        if let Some(why) = fatal {
            exit = Some(Exit::Fatal(why));
        }
        if msgs.is_empty() {
            rt.dirty |= app.wants_tick();
        }
        for msg in msgs {
            let from_user = matches!(msg, Msg::Key(_) | Msg::Mouse(_) | Msg::Resize(..));
            if let Msg::Terminate(sig) = msg {
                exit.get_or_insert(Exit::Signal(sig));
            }
            let effect = app.update(msg);
            rt.urgent |= from_user && effect.redraw;
            pending.push(effect);
        }
    }
    rt.stop_demo();
    rt.writer.finish(&app.progress);
    drop(guard);
    Ok(exit.unwrap_or(Exit::Quit))
}

impl Runtime {
    /// Every way out (q, Ctrl-C, a signal, a dead helper, a panic) stops
    /// the demo and waits, bounded, for its lanes: their temp files,
    /// sockets and child processes go before the process does.
    fn stop_demo(&mut self) {
        self.prerun = None;
        if let Some(run) = self.demo.take() {
            run.stop_and_wait(STOP_WAIT);
        }
        crate::tempfiles::remove_owned();
    }
}

impl Drop for Runtime {
    /// Unwinding from a panic drops the runtime: the same cleanup as a quit.
    fn drop(&mut self) {
        self.stop_demo();
    }
}

fn watch_lessons(app: &mut App, tx: &Sender<Control>) -> Option<super::watch::LessonWatch> {
    let Source::Dir(dir) = &app.catalog.source else {
        return None;
    };
    let (mtx, mrx) = crossbeam_channel::unbounded::<Msg>();
    // The watcher speaks `Msg`; forward it, and report its death.
    let forward = tx.clone();
    spawn_helper("concur-watch-fwd", tx.clone(), move || {
        while let Ok(m) = mrx.recv() {
            if forward.send(Control::App(m)).is_err() {
                break;
            }
        }
    });
    match super::watch::watch(dir.clone(), mtx) {
        Ok(w) => Some(w),
        Err(e) => {
            app.notices.push(Notice::CannotWatch {
                dir: dir.display().to_string(),
                error: e.to_string(),
            });
            None
        }
    }
}

/// Starts a helper thread whose panic ends the app cleanly (the terminal
/// restored, the reason printed) instead of leaving it half alive.
fn spawn_helper(name: &str, tx: Sender<Control>, body: impl FnOnce() + Send + 'static) {
    let thread = name.to_string();
    let _ = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(body)) {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                let _ = tx.send(Control::Fatal(format!("{thread} panicked: {msg}")));
            }
        });
}

/// Reads terminal input. After every event the size is compared with the
/// last one seen: a resize that arrives together with a key is never lost.
fn input_loop(tx: Sender<Control>) {
    let mut size = crossterm::terminal::size().ok();
    // A test hook: the input thread dies at the first key.
    let die = std::env::var("CONCUR_TEST_PANIC").is_ok_and(|v| v == "input");
    while let Ok(ev) = event::read() {
        if die && matches!(ev, Event::Key(_)) {
            panic!("CONCUR_TEST_PANIC: the input thread panics, as asked");
        }
        let msg = match ev {
            Event::Key(k) if k.is_press() || k.is_repeat() => Some(Msg::Key(k)),
            Event::Mouse(m) => Some(Msg::Mouse(m)),
            Event::Resize(w, h) => {
                size = Some((w, h));
                Some(Msg::Resize(w, h))
            }
            _ => None,
        };
        if let Some(msg) = msg
            && tx.send(Control::App(msg)).is_err()
        {
            break;
        }
        let now = crossterm::terminal::size().ok();
        if now != size
            && let Some((w, h)) = now
        {
            size = now;
            if tx.send(Control::App(Msg::Resize(w, h))).is_err() {
                break;
            }
        }
    }
}

fn spawn_signals(tx: Sender<Control>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGWINCH])?;
    spawn_helper("concur-signals", tx.clone(), move || {
        for sig in signals.forever() {
            // Our own SIGWINCH watch: the input thread may sit in a read
            // that a resize alone does not end.
            let msg = if sig == SIGWINCH {
                match crossterm::terminal::size() {
                    Ok((w, h)) => Msg::Resize(w, h),
                    Err(_) => continue,
                }
            } else {
                Msg::Terminate(sig)
            };
            if tx.send(Control::App(msg)).is_err() {
                break;
            }
        }
    });
    Ok(())
}

/// Saves progress off the UI thread; only the newest snapshot matters.
struct ProgressWriter {
    tx: Option<Sender<Progress>>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressWriter {
    fn spawn(store: Store, notices: Sender<Control>) -> Self {
        let (tx, rx): (Sender<Progress>, Receiver<Progress>) = crossbeam_channel::unbounded();
        let fatal = notices.clone();
        let thread = std::thread::Builder::new()
            .name("concur-progress".into())
            .spawn(move || {
                let saving = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let mut warned = false;
                    while let Ok(mut p) = rx.recv() {
                        while let Ok(newer) = rx.try_recv() {
                            p = newer;
                        }
                        if let Err(e) = store.save(&p)
                            && !warned
                        {
                            warned = true;
                            let path = store
                                .path()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default();
                            let _ = notices.send(Control::App(Msg::Notice(
                                Notice::CannotSaveProgress {
                                    path,
                                    error: e.to_string(),
                                },
                            )));
                        }
                    }
                }));
                if saving.is_err() {
                    let _ = fatal.send(Control::Fatal("concur-progress panicked".into()));
                }
            })
            .ok();
        ProgressWriter {
            tx: Some(tx),
            thread,
        }
    }

    fn save(&self, p: &Progress) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(p.clone());
        }
    }

    /// Saves the final state and waits for the writer to finish.
    fn finish(&mut self, p: &Progress) {
        self.save(p);
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
