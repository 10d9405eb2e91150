//! The event loop: one queue of messages, one update, a draw only when
//! something changed, and the side effects (demos, progress) done here.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use crossterm::event::{self, Event};

use super::{App, DemoCommand, Effect, Msg};
use crate::config::{Config, ConfigStore};
use crate::demo::{self, DemoRun, sink};
use crate::lesson::Source;
use crate::progress::{Progress, Store};
use crate::terminal;

/// The fastest a running demo is redrawn.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// How long quitting waits for a running demo to clean up.
const STOP_WAIT: Duration = Duration::from_secs(3);
/// How often the presenter's clock is redrawn.
const TICK: Duration = Duration::from_secs(1);
/// How long to wait for a message when nothing needs drawing.
const IDLE_WAIT: Duration = Duration::from_secs(3600);

pub fn run(
    mut app: App,
    store: Store,
    settings: ConfigStore,
    initial: Effect,
) -> anyhow::Result<()> {
    let (mut term, guard) = terminal::init()?;
    let (tx, rx) = crossbeam_channel::unbounded::<Msg>();
    spawn_input(tx.clone());
    spawn_signals(tx.clone())?;
    let writer = ProgressWriter::spawn(store, tx.clone());
    let redraw = tx.clone();
    crate::ui::highlight::warm_up(move || {
        let _ = redraw.send(Msg::Resize);
    });
    let _watch = match &app.catalog.source {
        Source::Dir(dir) => match super::watch::watch(dir.clone(), tx.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                app.notices
                    .push(format!("cannot watch {} for changes: {e}", dir.display()));
                None
            }
        },
        Source::Builtin => None,
    };
    let (senders, stream) = sink::channels();
    let mut current: Option<DemoRun> = None;

    let mut dirty = true;
    let mut urgent = true;
    let mut last_draw = Instant::now() - FRAME_INTERVAL;
    let mut quit = false;
    let mut pending = vec![initial];
    let test_panic = std::env::var_os("CONCUR_TEST_PANIC").is_some();

    while !quit {
        for effect in pending.drain(..) {
            dirty |= effect.redraw;
            quit |= effect.quit;
            if effect.save_progress {
                writer.save(&app.progress);
            }
            if effect.save_config {
                let config = Config {
                    theme: Some(app.theme.name.clone()),
                };
                if let Err(e) = settings.save(&config) {
                    app.notices.push(format!("cannot save the settings: {e}"));
                }
            }
            match effect.demo {
                Some(DemoCommand::Start {
                    id,
                    params,
                    scale,
                    interactive,
                }) => {
                    current = None;
                    if let Some(d) = demo::find(&id) {
                        let run =
                            DemoRun::start_with(d, params, scale, senders.clone(), interactive);
                        app.demo_started(run.run, scale);
                        current = Some(run);
                    }
                }
                Some(DemoCommand::Stop) => current = None,
                Some(DemoCommand::SetScale(scale)) => {
                    if let Some(run) = &current {
                        run.clock().set_scale(scale);
                    }
                }
                Some(DemoCommand::Pause(paused)) => {
                    if let Some(run) = &current {
                        run.clock().set_paused(paused);
                    }
                }
                Some(DemoCommand::Step) => {
                    if let Some(run) = &current {
                        run.clock().step();
                    }
                }
                None => {}
            }
        }
        if quit {
            break;
        }
        if let Some(run) = &current {
            if !app.demo_running() {
                current = None;
            } else {
                app.note_dropped(run.dropped());
            }
        }
        if dirty && (urgent || last_draw.elapsed() >= FRAME_INTERVAL) {
            term.draw(|f| f.render_widget(&app, f.area()))?;
            dirty = false;
            urgent = false;
            last_draw = Instant::now();
            if test_panic {
                panic!("CONCUR_TEST_PANIC: panicking after the first frame, as asked");
            }
        }
        let timeout = if dirty {
            FRAME_INTERVAL.saturating_sub(last_draw.elapsed())
        } else if app.wants_tick() {
            // The presenter's clock: wake when its seconds change.
            TICK.saturating_sub(Duration::from_nanos(
                (last_draw.elapsed().as_nanos() % TICK.as_nanos()) as u64,
            ))
        } else {
            IDLE_WAIT
        };
        let first = crossbeam_channel::select! {
            recv(rx) -> m => m.ok(),
            recv(stream.events) -> ev => ev.ok().map(Msg::Demo),
            recv(stream.lifecycle) -> ev => ev.ok().map(Msg::Demo),
            default(timeout) => {
                dirty |= app.wants_tick();
                None
            }
        };
        // Take everything that is waiting before drawing again. A lane sends
        // its last figures before its Done, on the other channel: apply
        // lifecycle events only after the figures sent before them.
        let (life, first): (Vec<Msg>, Vec<Msg>) = first
            .into_iter()
            .partition(|m| matches!(m, Msg::Demo(ev) if ev.kind.is_lifecycle()));
        let msgs = first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            .chain(std::iter::from_fn(|| {
                stream.events.try_recv().ok().map(Msg::Demo)
            }))
            .chain(life)
            .chain(std::iter::from_fn(|| {
                stream.lifecycle.try_recv().ok().map(Msg::Demo)
            }))
            .collect::<Vec<_>>();
        for msg in msgs {
            let from_user = matches!(
                msg,
                Msg::Key(_) | Msg::Mouse(_) | Msg::Resize | Msg::Terminate
            );
            let effect = app.update(msg);
            urgent |= from_user && effect.redraw;
            pending.push(effect);
        }
    }
    // Quitting (q, Ctrl-C, SIGTERM, SIGHUP) stops the demo and waits a
    // little for its lanes, so their temp files and sockets are gone
    // before the process is.
    if let Some(run) = current {
        run.stop_and_wait(STOP_WAIT);
    }
    writer.finish(&app.progress);
    drop(guard);
    Ok(())
}

fn spawn_input(tx: Sender<Msg>) {
    let _ = std::thread::Builder::new()
        .name("concur-input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                let msg = match ev {
                    Event::Key(k) if k.is_press() || k.is_repeat() => Msg::Key(k),
                    Event::Mouse(m) => Msg::Mouse(m),
                    Event::Resize(..) => Msg::Resize,
                    _ => continue,
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
}

fn spawn_signals(tx: Sender<Msg>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    std::thread::Builder::new()
        .name("concur-signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(Msg::Terminate);
            }
        })?;
    Ok(())
}

/// Saves progress off the UI thread; only the newest snapshot matters.
struct ProgressWriter {
    tx: Option<Sender<Progress>>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressWriter {
    fn spawn(store: Store, notices: Sender<Msg>) -> Self {
        let (tx, rx): (Sender<Progress>, Receiver<Progress>) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("concur-progress".into())
            .spawn(move || {
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
                        let _ = notices
                            .send(Msg::Notice(format!("cannot save progress to {path}: {e}")));
                    }
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
    fn finish(mut self, p: &Progress) {
        self.save(p);
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
