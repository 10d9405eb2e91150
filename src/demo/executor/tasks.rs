//! The three small tasks both executors run, written once: each user
//! coroutine awaits a library coroutine, which awaits a leaf future.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use super::traced::Traced;

pub type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// What the executor underneath provides: the leaf futures and side effects.
pub trait Env {
    /// A timer: ready after `ms` milliseconds.
    fn sleep(&self, ms: u64) -> Boxed<()>;
    /// Ready when the socket has data; the data.
    fn readable(&self) -> Boxed<Vec<u8>>;
    /// Writes to the other end of the socket pair (a real write).
    fn send(&self, bytes: &[u8]);
    fn say(&self, text: String);
}

// -- library coroutines ---------------------------------------------------

async fn pause(env: Rc<dyn Env>, ms: u64) {
    env.sleep(ms).await
}

async fn fetch_greeting(env: Rc<dyn Env>) -> String {
    let bytes = env.readable().await;
    String::from_utf8_lossy(&bytes).into_owned()
}

// -- user coroutines -------------------------------------------------------

async fn greeter(env: Rc<dyn Env>) {
    let msg = Traced::new("fetch_greeting()", fetch_greeting(env.clone())).await;
    env.say(format!("greeter: got {msg:?}"));
}

async fn sender(env: Rc<dyn Env>) {
    Traced::new("pause(300)", pause(env.clone(), 300)).await;
    env.send(b"hello");
    env.say("sender: wrote \"hello\" to the socket".into());
}

async fn ticker(env: Rc<dyn Env>) {
    for n in 1..=2 {
        Traced::new("pause(200)", pause(env.clone(), 200)).await;
        env.say(format!("ticker: tick {n}"));
    }
}

/// The tasks, by name, ready to be spawned.
pub fn tasks(env: &Rc<dyn Env>) -> Vec<(&'static str, Boxed<()>)> {
    vec![
        (
            "greeter",
            Box::pin(Traced::new("greeter()", greeter(env.clone()))),
        ),
        (
            "sender",
            Box::pin(Traced::new("sender()", sender(env.clone()))),
        ),
        (
            "ticker",
            Box::pin(Traced::new("ticker()", ticker(env.clone()))),
        ),
    ]
}

/// A coroutine that is created and never awaited or spawned.
pub fn lazy(env: &Rc<dyn Env>) -> Boxed<()> {
    Box::pin(Traced::new("ticker()", ticker(env.clone())))
}
