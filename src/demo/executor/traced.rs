//! Futures that say who they are: while one is polled its name is on a
//! thread-local stack, so the innermost future can report the whole chain
//! of awaits (user coroutine → library coroutine → leaf future).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

thread_local! {
    static STACK: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static LAST_CHAIN: RefCell<String> = const { RefCell::new(String::new()) };
}

pub struct Traced<F> {
    name: String,
    inner: Pin<Box<F>>,
}

impl<F: Future> Traced<F> {
    pub fn new(name: impl Into<String>, inner: F) -> Self {
        Traced {
            name: name.into(),
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let name = self.name.clone();
        STACK.with(|s| s.borrow_mut().push(name));
        let out = self.inner.as_mut().poll(cx);
        STACK.with(|s| s.borrow_mut().pop());
        out
    }
}

/// Called by a leaf future when polled: remembers the chain down to it.
pub fn note_chain(leaf: &str) {
    let mut chain = STACK.with(|s| s.borrow().clone());
    chain.push(leaf.to_string());
    LAST_CHAIN.with(|c| *c.borrow_mut() = chain.join(" → "));
}

/// The chain of the last leaf polled (and forgets it).
pub fn take_chain() -> String {
    LAST_CHAIN.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// A future that counts every poll it gets: the proof that a coroutine
/// nobody awaits is never run (its count stays 0), and the same wrapper
/// counts when it is awaited.
pub struct PollCount<F> {
    polls: Rc<Cell<u64>>,
    inner: Pin<Box<F>>,
}

impl<F: Future> PollCount<F> {
    pub fn new(inner: F) -> Self {
        PollCount {
            polls: Rc::default(),
            inner: Box::pin(inner),
        }
    }

    /// The counter, readable while the future lives elsewhere.
    pub fn polls(&self) -> Rc<Cell<u64>> {
        self.polls.clone()
    }
}

impl<F: Future> Future for PollCount<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_count_sees_every_poll_of_an_awaited_future() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Three yields: four polls (each yield is one Pending, then Ready).
        let counted = PollCount::new(async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        });
        let polls = counted.polls();
        rt.block_on(counted);
        assert_eq!(polls.get(), 4);
        let never = PollCount::new(async {});
        assert_eq!(never.polls().get(), 0);
    }
}
