// Withdraw `amount` from a shared
// balance: read it, check it, do `gap`
// steps of real work (what code does
// between the two: a fee, a log line),
// then write the new balance back.
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};

use tokio::task::yield_now;

use super::work;

// threads-unlocked: no lock. The load
// and the store are each atomic; the
// pair is not.
pub fn unlocked(b: &AtomicU64, amount: u64, gap: u32) -> bool {
    let seen = b.load(Relaxed);
    if seen >= amount {
        // another thread may write now
        work(gap);
        b.store(seen - amount, Relaxed);
        return true;
    }
    false
}

// threads-mutex: the lock is held from
// the check to the update.
pub fn locked(m: &Mutex<u64>, amount: u64, gap: u32) -> bool {
    let mut b = m.lock().unwrap_or_else(PoisonError::into_inner);
    if *b >= amount {
        // the others wait for the lock
        work(gap);
        *b -= amount;
        return true;
    }
    false
}

// coroutines: tasks on one thread, no
// await between check and update.
pub async fn no_await(b: &Cell<u64>, amount: u64, gap: u32) -> bool {
    let seen = b.get();
    if seen >= amount {
        // no await: no task can cut in
        work(gap);
        b.set(seen - amount);
        return true;
    }
    false
}

// coroutines-await: the same, with an
// await between check and update.
pub async fn with_await(b: &Cell<u64>, amount: u64, gap: u32) -> bool {
    let seen = b.get();
    if seen >= amount {
        work(gap);
        // the other tasks run here
        yield_now().await;
        b.set(seen - amount);
        return true;
    }
    false
}
