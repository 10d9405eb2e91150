// Withdraw `amount` from a shared balance: read it, check it, do `gap`
// steps of real work (what a program does between the two: a fee, a log
// line, a query), write the new balance back. Four ways, one per lane.
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};

use tokio::task::yield_now;

use super::work;

// threads-unlocked: each load and each store is atomic; the pair is not.
pub fn unlocked(balance: &AtomicU64, amount: u64, gap: u32) -> bool {
    let seen = balance.load(Relaxed);
    if seen >= amount {
        work(gap); // another thread may write here...
        balance.store(seen - amount, Relaxed); // ...and this undoes it
        return true;
    }
    false
}

// threads-mutex: the lock is held from the check to the update.
pub fn locked(balance: &Mutex<u64>, amount: u64, gap: u32) -> bool {
    let mut b = balance.lock().unwrap_or_else(PoisonError::into_inner);
    if *b >= amount {
        work(gap); // the others wait for the lock
        *b -= amount;
        return true;
    }
    false
}

// coroutines: tasks on one thread, no await between check and update.
pub async fn no_await(balance: &Cell<u64>, amount: u64, gap: u32) -> bool {
    let seen = balance.get();
    if seen >= amount {
        work(gap); // no await: no other task can run here
        balance.set(seen - amount);
        return true;
    }
    false
}

// coroutines-await: the same, with an await between check and update.
pub async fn with_await(balance: &Cell<u64>, amount: u64, gap: u32) -> bool {
    let seen = balance.get();
    if seen >= amount {
        work(gap);
        yield_now().await; // the other tasks run here
        balance.set(seen - amount);
        return true;
    }
    false
}
