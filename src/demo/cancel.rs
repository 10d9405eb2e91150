//! A cancellation flag that both blocking threads and async tasks can wait on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// The stop signal of one demo run. Cloning shares it.
#[derive(Clone, Default)]
pub struct Cancel {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    flag: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
    token: CancellationToken,
}

/// Returned by waits that ended because the run was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        // Take the lock so a waiter between its check and its wait cannot miss this.
        let _guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.cv.notify_all();
        self.inner.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst)
    }

    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Blocks the calling thread until `deadline` or cancellation.
    pub fn wait_until(&self, deadline: Instant) -> Result<(), Cancelled> {
        let mut guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.is_cancelled() {
                return Err(Cancelled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            guard = self
                .inner
                .cv
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub fn wait_for(&self, d: Duration) -> Result<(), Cancelled> {
        self.wait_until(Instant::now() + d)
    }

    /// Resolves when the run is cancelled.
    pub async fn cancelled(&self) {
        self.inner.token.cancelled().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_returns_early_on_cancel() {
        let c = Cancel::new();
        let c2 = c.clone();
        let t = std::thread::spawn(move || c2.wait_for(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        let start = Instant::now();
        c.cancel();
        assert_eq!(t.join().unwrap(), Err(Cancelled));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn wait_completes_without_cancel() {
        let c = Cancel::new();
        assert_eq!(c.wait_for(Duration::from_millis(5)), Ok(()));
        assert!(!c.is_cancelled());
    }
}
