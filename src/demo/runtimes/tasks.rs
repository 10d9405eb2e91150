// The tasks every lane runs. The comments
// say which runtime accepts which version;
// the compiler checks it.

// 1. A ticker that wants to run every
// `tick`. It reports each gap: the time it
// really waited since its last tick.
pub async fn ticker(
    clock: Clock,
    tick: Duration,
    mut on_tick: impl FnMut(Duration),
) {
    let mut last = clock.now();
    loop {
        clock.sleep(tick).await;
        let now = clock.now();
        let gap = now.saturating_sub(last);
        on_tick(gap);
        last = now;
    }
}

// A task that computes for `cpu` and never
// awaits: it keeps its thread until it is
// done. tokio cannot take it away.
pub async fn hog(
    cpu: Duration,
    stop: Cancel,
) -> Duration {
    compute_for(cpu, &stop) // no .await
}

// 2. Tasks add 1 to one counter: a read,
// then a write.
//
// current-thread and multi-thread:
// tokio::spawn demands Send + 'static on
// BOTH runtimes, so the counter is shared
// through an Arc. No lock: load and store
// are two steps. One thread, no .await
// between them: no other task can run in
// between, exact. Worker threads: another
// task can, at any instant: updates lost.
pub async fn add_unlocked(
    n: Arc<AtomicU64>,
    rounds: u64,
    await_between: bool,
) {
    for i in 0..rounds {
        let v = n.load(Relaxed); // read
        if await_between {
            // other tasks run here
            yield_now().await;
        }
        n.store(v + 1, Relaxed); // write
        take_turns(i).await;
    }
}

// local-set: Rc and RefCell are not Send,
// so tokio::spawn refuses this future (on
// current-thread too); spawn_local on a
// LocalSet accepts it. One thread: exact,
// unless an .await splits read and write.
pub async fn add_local(
    n: Rc<RefCell<u64>>,
    rounds: u64,
    await_between: bool,
) {
    for i in 0..rounds {
        let v = *n.borrow(); // read
        if await_between {
            yield_now().await;
        }
        *n.borrow_mut() = v + 1; // write
        take_turns(i).await;
    }
}

// multi-thread, done right: one lock from
// the read to the write. tokio's Mutex, as
// its guard may be held across an .await
// (std's guard is not Send: tokio::spawn
// refuses a future holding it there).
pub async fn add_locked(
    n: Arc<Mutex<u64>>,
    rounds: u64,
    await_between: bool,
) {
    for i in 0..rounds {
        let mut guard = n.lock().await;
        let v = *guard; // read
        if await_between {
            yield_now().await;
        }
        *guard = v + 1; // write
        drop(guard);
        take_turns(i).await;
    }
}

// Every 64th update, let the others run.
async fn take_turns(i: u64) {
    if i % 64 == 63 {
        yield_now().await;
    }
}

// 3. A channel filled in advance: recv()
// is always ready. tokio's budget still
// makes it return Pending now and then, so
// other tasks get a turn.
pub async fn drain(
    mut rx: UnboundedReceiver<u64>,
    got: Arc<AtomicU64>,
) {
    while rx.recv().await.is_some() {
        got.fetch_add(1, Relaxed);
    }
}

// What the code above uses.
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::yield_now;

use super::compute_for;
use crate::demo::{Cancel, Clock};
