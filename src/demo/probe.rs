//! The loop-lag probe: a task that asks to wake every few milliseconds and
//! reports how late it woke. A free event loop wakes it on time; a loop that a
//! blocking call holds wakes it late by the length of that call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::clock::Clock;
use super::sink::LaneSink;
use super::stats::Samples;

/// How often the probe asks to wake (demo time).
pub const PROBE_INTERVAL: Duration = Duration::from_millis(5);
/// How often it reports to the UI, at most (demo time); a late wake reports at once.
const REPORT_INTERVAL: Duration = Duration::from_millis(50);

/// The probe's measurements, shared with the lane that owns the loop.
#[derive(Clone, Default)]
pub struct LagStats {
    inner: Arc<Mutex<Samples>>,
}

impl LagStats {
    fn push(&self, lag_ms: f64) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(lag_ms);
    }

    pub fn max_ms(&self) -> f64 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).max()
    }

    pub fn p99_ms(&self) -> f64 {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .percentile(99.0)
    }

    /// The worst sample taken since there were `from` samples.
    pub fn max_since(&self, from: usize) -> f64 {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .max_since(from)
    }

    pub fn samples(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Sends the final lag figures of the lane.
    pub fn report(&self, sink: &LaneSink) {
        sink.metric("max_lag_ms", self.max_ms());
    }

    /// Sends the p99 too (demos that report it).
    pub fn report_p99(&self, sink: &LaneSink) {
        sink.metric("p99_lag_ms", self.p99_ms());
    }
}

pub struct LagProbe {
    sink: LaneSink,
    clock: Clock,
    stats: LagStats,
}

impl LagProbe {
    pub fn new(sink: LaneSink, clock: Clock, stats: LagStats) -> Self {
        LagProbe { sink, clock, stats }
    }

    pub async fn run(self) {
        let mut window_max = 0.0f64;
        let mut last_report = self.clock.now();
        let mut reported_max = 0.0f64;
        loop {
            let target = self.clock.now() + PROBE_INTERVAL;
            self.clock.sleep_until(target).await;
            let now = self.clock.now();
            let lag_ms = now.saturating_sub(target).as_secs_f64() * 1000.0;
            self.stats.push(lag_ms);
            window_max = window_max.max(lag_ms);
            if now.saturating_sub(last_report) >= REPORT_INTERVAL {
                self.sink.lag(window_max);
                let max = self.stats.max_ms();
                if max > reported_max {
                    reported_max = max;
                    self.sink.metric("max_lag_ms", max);
                }
                window_max = 0.0;
                last_report = now;
            }
        }
    }
}
