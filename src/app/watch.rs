//! Live reload: with `--lessons DIR`, a saved lesson is read again in the
//! background and handed to the app; the UI thread never parses files.

use std::path::PathBuf;
use std::time::Duration;

use crossbeam_channel::Sender;
use notify::{RecursiveMode, Watcher};

use super::Msg;
use crate::lesson::{Catalog, Source};

/// Editors save in bursts (write, rename, chmod): wait for quiet.
const QUIET: Duration = Duration::from_millis(150);

/// Keeps the watch alive; dropping it stops watching.
pub struct LessonWatch {
    _watcher: notify::RecommendedWatcher,
}

pub fn watch(dir: PathBuf, tx: Sender<Msg>) -> notify::Result<LessonWatch> {
    let (ev_tx, ev_rx) = crossbeam_channel::unbounded();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev
            && !ev.kind.is_access()
        {
            let _ = ev_tx.send(());
        }
    })?;
    watcher.watch(&dir, RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("concur-watch".into())
        .spawn(move || {
            while ev_rx.recv().is_ok() {
                while ev_rx.recv_timeout(QUIET).is_ok() {}
                let catalog = Catalog::load(&Source::Dir(dir.clone()));
                if tx.send(Msg::Reloaded(Box::new(catalog))).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(LessonWatch { _watcher: watcher })
}
