//! Lanes that take turns (so they never compete for the cores): each waits
//! for the previous one to hand over.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::{Cancelled, LaneCtx};

/// One lane's turn: done when the lane before it has finished.
#[derive(Default)]
pub struct Turn {
    done: Mutex<bool>,
    cv: Condvar,
}

impl Turn {
    pub fn hand_over(&self) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }

    /// Whether the lane before has handed over (for lanes that cannot block
    /// their thread while they wait: an event loop that serves meanwhile).
    pub fn is_done(&self) -> bool {
        *self.done.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn wait(&self, lane: &LaneCtx) -> Result<(), Cancelled> {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while !*done {
            lane.cancel.check()?;
            done = self
                .cv
                .wait_timeout(done, Duration::from_millis(25))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }
}

/// Makes a lane's turn end even when the lane fails or is stopped.
pub struct HandOver(pub Arc<Turn>);

impl Drop for HandOver {
    fn drop(&mut self) {
        self.0.hand_over();
    }
}
