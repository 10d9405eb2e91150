//! Futures that say who they are: while one is polled its name is on a
//! thread-local stack, so the innermost future can report the whole chain
//! of awaits (user coroutine → library coroutine → leaf future).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
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
