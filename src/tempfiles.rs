//! Temp folders of concur's demos, named so that a later run can tell which
//! ones a killed run left behind: `$TMPDIR/concur-<pid>-<demo>-XXXXXX`.
//!
//! A demo's own cleanup removes its folder on every exit that runs code; only
//! `kill -9` (or a power cut) leaves one. [`sweep_stale`] removes those: the
//! folders matching that exact pattern, owned by this user, whose pid is no
//! longer a live process. Nothing else in the temp folder is ever touched.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::fsutil::{leading_pid, pid_alive};

const PREFIX: &str = "concur-";
/// Random characters tempfile adds after the prefix (`[A-Za-z0-9]`).
const RANDOM_LEN: usize = 6;

fn valid_demo(demo: &str) -> bool {
    !demo.is_empty()
        && demo
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A new temp folder for `demo` (an id: lowercase letters, digits, `-`),
/// removed when the returned value drops.
pub fn demo_dir(demo: &str) -> io::Result<tempfile::TempDir> {
    if !valid_demo(demo) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("demo id `{demo}` cannot name a temp folder"),
        ));
    }
    let prefix = format!("{PREFIX}{}-{demo}-", std::process::id());
    tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(RANDOM_LEN)
        .tempdir()
}

/// The pid in `name` if it is exactly `concur-<pid>-<demo>-XXXXXX`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, rest) = leading_pid(rest)?;
    let rest = rest.strip_prefix('-')?;
    let (demo, random) = rest.rsplit_once('-')?;
    let random_ok = random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric());
    (random_ok && valid_demo(demo)).then_some(pid)
}

/// Removes the demo temp folders in `$TMPDIR` that belong to a process that
/// no longer exists. Returns the folders removed.
pub fn sweep_stale() -> Vec<PathBuf> {
    sweep_stale_in(&tempfile::env::temp_dir())
}

/// [`sweep_stale`] where nobody is told: before a demo makes new folders.
pub fn sweep_quietly() {
    let _ = sweep_stale();
}

/// Removes this process's own demo folders. Called on the way out, after
/// the lanes had their bounded time to clean up themselves: a lane stuck in
/// a long write cannot leave its files behind.
pub fn remove_owned() -> Vec<PathBuf> {
    remove_in(&tempfile::env::temp_dir(), |pid| pid == std::process::id())
}

/// [`sweep_stale`] in a given folder.
pub fn sweep_stale_in(dir: &Path) -> Vec<PathBuf> {
    remove_in(dir, |pid| !pid_alive(pid))
}

/// Removes our folders in `dir` whose owner pid `doomed` picks.
fn remove_in(dir: &Path, doomed: impl Fn(u32) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    // SAFETY: geteuid cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(owner_pid) else {
            continue;
        };
        let path = entry.path();
        // symlink_metadata: a link named like ours is not followed anywhere.
        let ours = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == me);
        if ours && doomed(pid) && fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::tests::dead_pid;

    #[test]
    fn names_carry_the_pid_and_the_demo() {
        let d = demo_dir("file-io").unwrap();
        let name = d.path().file_name().unwrap().to_str().unwrap().to_string();
        let want = format!("concur-{}-file-io-", std::process::id());
        assert!(name.starts_with(&want), "{name}");
        assert_eq!(name.len(), want.len() + RANDOM_LEN, "{name}");
        assert_eq!(owner_pid(&name), Some(std::process::id()));
        assert!(demo_dir("../etc").is_err());
        assert!(demo_dir("").is_err());
        assert!(demo_dir("File").is_err());
    }

    #[test]
    fn only_dead_processes_folders_of_the_exact_pattern_are_removed() {
        let base = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        let me = std::process::id();
        let mk = |name: &str| {
            let p = base.path().join(name);
            fs::create_dir(&p).unwrap();
            fs::write(p.join("file-0.bin"), b"data").unwrap();
            p
        };
        let stale = [
            mk(&format!("concur-{dead}-file-io-AbC123")),
            mk(&format!("concur-{dead}-io-models-zz9ZZ9")),
        ];
        let kept = [
            // Live: this process, and init (alive; EPERM counts as alive).
            mk(&format!("concur-{me}-file-io-AbC123")),
            mk("concur-1-file-io-AbC123"),
            // Not the exact pattern.
            mk("concur-file-io-AbC123"),
            mk(&format!("concur-{dead}-file-io-AbC12")),
            mk(&format!("concur-{dead}-file-io-AbC1234")),
            mk(&format!("concur-{dead}-File-io-AbC123")),
            mk(&format!("concur-{dead}--AbC123")),
            mk(&format!("concur-0{dead}-file-io-AbC123")),
            mk(&format!("concur-{dead}-file-io-AbC12!")),
            mk(&format!("other-{dead}-file-io-AbC123")),
            mk(&format!("concur-{dead}")),
        ];
        // A regular file and a symlink with our pattern are not ours either;
        // the symlink's target must survive.
        let file = base.path().join(format!("concur-{dead}-x-AbC123"));
        fs::write(&file, b"f").unwrap();
        let target = mk("precious");
        let link = base.path().join(format!("concur-{dead}-y-AbC123"));
        std::os::unix::fs::symlink(&target, &link).unwrap();

        let mut removed = sweep_stale_in(base.path());
        removed.sort();
        assert_eq!(removed, stale.to_vec());
        for p in &stale {
            assert!(!p.exists(), "{}", p.display());
        }
        for p in kept.iter().chain([&file, &link, &target]) {
            assert!(
                fs::symlink_metadata(p).is_ok(),
                "{} was removed",
                p.display()
            );
        }
        assert!(target.join("file-0.bin").exists());
        // A second sweep finds nothing more.
        assert!(sweep_stale_in(base.path()).is_empty());
    }

    #[test]
    fn a_missing_temp_folder_is_not_an_error() {
        assert!(sweep_stale_in(Path::new("/nonexistent/concur-test")).is_empty());
    }
}
