//! Demo time: wall time run through an adjustable time scale, with pause and
//! single-step. Every sleep and every measured figure of a demo goes through
//! its clock, so a demo slowed to 0.1x still reports the figures of a 1x run.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::cancel::{Cancel, Cancelled};

/// The speeds an instructor can pick, slowest first.
pub const SCALES: [f64; 4] = [0.1, 0.25, 0.5, 1.0];

/// How often a blocking sleeper looks again at the clock (scale changes, pause).
const RECHECK: Duration = Duration::from_millis(25);

#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

struct State {
    scale: f64,
    paused: bool,
    /// Set by `step`: run until the lane sends its next visible event, then pause.
    stepping: bool,
    wall_anchor: Instant,
    demo_anchor: Duration,
}

impl State {
    fn now(&self) -> Duration {
        if self.paused {
            self.demo_anchor
        } else {
            self.demo_anchor + self.wall_anchor.elapsed().mul_f64(self.scale)
        }
    }

    fn reanchor(&mut self) {
        self.demo_anchor = self.now();
        self.wall_anchor = Instant::now();
    }
}

impl Clock {
    pub fn new(scale: f64) -> Self {
        let (changed, _) = watch::channel(0);
        Clock {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    scale: sanitize(scale),
                    paused: false,
                    stepping: false,
                    wall_anchor: Instant::now(),
                    demo_anchor: Duration::ZERO,
                }),
                changed,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|g| *g += 1);
    }

    /// Demo time since the clock started.
    pub fn now(&self) -> Duration {
        self.state().now()
    }

    pub fn scale(&self) -> f64 {
        self.state().scale
    }

    pub fn is_paused(&self) -> bool {
        self.state().paused
    }

    /// Running for one step only (`n` while paused): Python lanes stay stopped.
    pub fn is_stepping(&self) -> bool {
        self.state().stepping
    }

    pub fn set_scale(&self, scale: f64) {
        {
            let mut s = self.state();
            s.reanchor();
            s.scale = sanitize(scale);
        }
        self.notify();
    }

    pub fn set_paused(&self, paused: bool) {
        {
            let mut s = self.state();
            s.reanchor();
            s.paused = paused;
            s.stepping = false;
        }
        self.notify();
    }

    /// While paused, lets the demo run until its next visible event.
    pub fn step(&self) {
        {
            let mut s = self.state();
            if !s.paused {
                return;
            }
            s.reanchor();
            s.paused = false;
            s.stepping = true;
        }
        self.notify();
    }

    /// Called for every visible event a lane sends; ends a single step.
    pub(crate) fn on_visible_event(&self) {
        let paused_now = {
            let mut s = self.state();
            if s.stepping {
                s.reanchor();
                s.stepping = false;
                s.paused = true;
                true
            } else {
                false
            }
        };
        if paused_now {
            self.notify();
        }
    }

    /// Blocks while the clock is paused; then whether it runs for one step
    /// only (`n`) rather than freely (play).
    pub fn wait_unpaused(&self, cancel: &Cancel) -> Result<bool, Cancelled> {
        loop {
            cancel.check()?;
            {
                let s = self.state();
                if !s.paused {
                    return Ok(s.stepping);
                }
            }
            cancel.wait_for(RECHECK)?;
        }
    }

    /// Converts a wall-clock duration measured now into demo time.
    pub fn to_demo(&self, wall: Duration) -> Duration {
        wall.mul_f64(self.scale())
    }

    /// Wall time left until demo time `target`; `None` while paused.
    fn wall_until(&self, target: Duration) -> Option<Duration> {
        let s = self.state();
        if s.paused {
            return None;
        }
        let now = s.now();
        Some(target.saturating_sub(now).div_f64(s.scale))
    }

    /// Blocks this thread until demo time `target` (or cancellation).
    pub fn sleep_until_blocking(&self, target: Duration, cancel: &Cancel) -> Result<(), Cancelled> {
        loop {
            cancel.check()?;
            let wait = match self.wall_until(target) {
                Some(d) if d.is_zero() => return Ok(()),
                Some(d) => d.min(RECHECK),
                None => RECHECK,
            };
            cancel.wait_for(wait)?;
        }
    }

    /// Blocks this thread for `d` of demo time: the "slow blocking call".
    pub fn sleep_blocking(&self, d: Duration, cancel: &Cancel) -> Result<(), Cancelled> {
        let target = self.now() + d;
        self.sleep_until_blocking(target, cancel)
    }

    /// Waits (asynchronously) until demo time `target`.
    pub async fn sleep_until(&self, target: Duration) {
        loop {
            let mut changed = self.inner.changed.subscribe();
            match self.wall_until(target) {
                Some(d) if d.is_zero() => return,
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = changed.changed() => {}
                    }
                }
                None => {
                    let _ = changed.changed().await;
                }
            }
        }
    }

    /// Waits (asynchronously) for `d` of demo time.
    pub async fn sleep(&self, d: Duration) {
        let target = self.now() + d;
        self.sleep_until(target).await
    }
}

fn sanitize(scale: f64) -> f64 {
    if scale.is_finite() && scale > 0.0 {
        scale.clamp(0.01, 100.0)
    } else {
        1.0
    }
}

/// The next slower (`faster == false`) or faster speed in [`SCALES`].
pub fn next_scale(current: f64, faster: bool) -> f64 {
    if faster {
        SCALES
            .iter()
            .copied()
            .find(|s| *s > current + 1e-9)
            .unwrap_or(SCALES[SCALES.len() - 1])
    } else {
        SCALES
            .iter()
            .rev()
            .copied()
            .find(|s| *s < current - 1e-9)
            .unwrap_or(SCALES[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_stands_still() {
        let c = Clock::new(1.0);
        c.set_paused(true);
        let a = c.now();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(c.now(), a);
    }

    #[test]
    fn slow_clock_runs_slower() {
        let c = Clock::new(0.1);
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(50));
        let demo = c.now();
        // 0.1x: demo time is a tenth of wall time (with room for a slow machine).
        assert!(demo <= start.elapsed().mul_f64(0.1) + Duration::from_millis(1));
        assert!(demo >= Duration::from_millis(4));
    }

    #[test]
    fn step_runs_until_the_next_visible_event() {
        let c = Clock::new(1.0);
        c.set_paused(true);
        c.step();
        assert!(!c.is_paused());
        c.on_visible_event();
        assert!(c.is_paused());
        // Events while not stepping do not pause.
        c.set_paused(false);
        c.on_visible_event();
        assert!(!c.is_paused());
    }

    #[test]
    fn scales_step_through_the_list() {
        assert_eq!(next_scale(1.0, false), 0.5);
        assert_eq!(next_scale(0.5, false), 0.25);
        assert_eq!(next_scale(0.1, false), 0.1);
        assert_eq!(next_scale(0.25, true), 0.5);
        assert_eq!(next_scale(1.0, true), 1.0);
    }

    #[test]
    fn blocking_sleep_wakes_on_cancel() {
        let c = Clock::new(1.0);
        let cancel = Cancel::new();
        let (c2, k2) = (c.clone(), cancel.clone());
        let t = std::thread::spawn(move || c2.sleep_blocking(Duration::from_secs(60), &k2));
        std::thread::sleep(Duration::from_millis(10));
        cancel.cancel();
        assert_eq!(t.join().unwrap(), Err(Cancelled));
    }
}
