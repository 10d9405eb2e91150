// The tasks every lane runs. Which runtime accepts which
// version is checked by the compiler, as the comments say.
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use tokio::task::yield_now;

use super::compute_for;
use crate::demo::{Cancel, Clock};

// 1. A ticker that wants to run every `tick`. It reports each
// gap: how long it really waited since its last tick.
pub async fn ticker(clock: Clock, tick: Duration, mut on_tick: impl FnMut(Duration)) {
    let mut last = clock.now();
    loop {
        clock.sleep(tick).await;
        let now = clock.now();
        on_tick(now.saturating_sub(last)); // the gap
        last = now;
    }
}

// A task that computes for `cpu` and never awaits: it keeps
// its thread until it is done. tokio cannot take it away.
pub async fn hog(cpu: Duration, stop: Cancel) -> Duration {
    compute_for(cpu, &stop) // real work, no .await inside
}

// 2. Many tasks add 1 to one counter: a read, then a write.
//
// current-thread and multi-thread: tokio::spawn demands a
// Send + 'static future on BOTH runtimes, so the counter is
// shared through an Arc. No lock: load and store are two
// separate steps. On one thread, with no .await between
// them, no other task can run in between: exact. On worker
// threads another task can, at any instant: updates lost.
pub async fn add_unlocked(n: Arc<AtomicU64>, rounds: u64, await_inside: bool) {
    for i in 0..rounds {
        let v = n.load(Relaxed); // read
        if await_inside {
            yield_now().await; // others run here, on any runtime
        }
        n.store(v + 1, Relaxed); // write
        take_turns(i).await;
    }
}

// local-set: Rc and RefCell are not Send, so tokio::spawn
// refuses this future (on the current-thread runtime too);
// spawn_local on a LocalSet accepts it. One thread: exact,
// unless an .await sits between the read and the write.
pub async fn add_local(n: Rc<RefCell<u64>>, rounds: u64, await_inside: bool) {
    for i in 0..rounds {
        let v = *n.borrow(); // read
        if await_inside {
            yield_now().await;
        }
        *n.borrow_mut() = v + 1; // write
        take_turns(i).await;
    }
}

// multi-thread, done right: one lock from the read to the
// write. tokio's Mutex, because its guard may be held across
// an .await: std's guard is not Send, and a future holding it
// there is refused by tokio::spawn.
pub async fn add_locked(n: Arc<Mutex<u64>>, rounds: u64, await_inside: bool) {
    for i in 0..rounds {
        let mut guard = n.lock().await;
        let v = *guard; // read
        if await_inside {
            yield_now().await;
        }
        *guard = v + 1; // write
        drop(guard);
        take_turns(i).await;
    }
}

// Between two updates (every 64th), let the other tasks run.
async fn take_turns(i: u64) {
    if i % 64 == 63 {
        yield_now().await;
    }
}

// 3. A channel filled in advance: recv() is always ready, the
// loop never has to wait. tokio's budget still makes recv()
// return Pending now and then, so other tasks get a turn.
pub async fn drain(mut rx: mpsc::UnboundedReceiver<u64>, got: Arc<AtomicU64>) -> u64 {
    let mut sum = 0u64;
    while let Some(x) = rx.recv().await {
        sum = sum.wrapping_add(x);
        got.fetch_add(1, Relaxed);
    }
    sum
}
