//! The user's state files (progress, settings): read without ever blocking,
//! written atomically and through symlinks, temp files of killed runs swept.
//!
//! The rules, and why:
//! - Only a regular file is read or replaced. A named pipe would block the
//!   open until some writer came (start-up hung with no message); a device
//!   or socket is not a settings file; a directory cannot be renamed over.
//! - A symlink (a dotfiles setup) is written *through*: the file at the end
//!   of the chain is replaced atomically in its own folder and the link is
//!   left as it is. A dangling link is written through too, if the folder it
//!   points into exists; a loop is an error. A link is never replaced.
//! - A save goes to a temp file named `.<name>.<pid>.XXXXXX.tmp` beside the
//!   target, then is renamed over it: a crash at any moment leaves the old
//!   file or the new one, never half of one. The pid in the name lets the
//!   next run remove what a `kill -9` left ([`sweep_stale_writes`]).

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Links followed before calling it a loop: Linux's own limit (MAXSYMLINKS).
const MAX_LINKS: usize = 40;

/// The folder a file is in; `.` for a bare relative name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// What a non-regular file is, in words for a message.
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "an unusual kind of file"
    }
}

fn ensure_regular(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", kind_of(meta)),
    ))
}

fn symlink_loop() -> io::Error {
    io::Error::other(format!(
        "it is a symlink loop (more than {MAX_LINKS} links to follow)"
    ))
}

/// Says a symlink loop in words; other errors pass unchanged.
fn explain(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        symlink_loop()
    } else {
        e
    }
}

/// Reads a state file, or `Ok(None)` if there is none (a dangling symlink
/// counts as none: saving will create its target). Never blocks: anything
/// but a regular file is an error, checked before opening (following links)
/// and again on the opened file, in case the path changed in between; the
/// open itself is non-blocking, so even a FIFO swapped in at that moment
/// cannot hang it. A file longer than `max_len` is an error of kind
/// `FileTooLarge`: it is not one of ours, and is not read into memory.
pub fn read_state_file(path: &Path, max_len: u64) -> io::Result<Option<Vec<u8>>> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(explain(e)),
    };
    ensure_regular(&meta)?;
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(explain(e)),
    };
    let meta = file.metadata()?;
    ensure_regular(&meta)?;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is larger than {max_len} bytes, far more than concur writes there"),
        )
    };
    if meta.len() > max_len {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take` also bounds a file that grows while it is read.
    file.take(max_len + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_len {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

/// [`read_state_file`] as text: bytes that are not UTF-8 are an error of
/// kind `InvalidData` saying where they start.
pub fn read_state_text(path: &Path, max_len: u64) -> io::Result<Option<String>> {
    match read_state_file(path, max_len)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "not UTF-8 text (line {}, byte {})",
                    line_at(e.as_bytes(), e.utf8_error().valid_up_to()),
                    e.utf8_error().valid_up_to()
                ),
            )
        }),
    }
}

/// The 1-based line of byte `offset`.
pub fn line_at(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

/// The file that writing `path` must replace: `path` itself, or the end of
/// its chain of symlinks, so that the links stay as they are. Errors (with a
/// message for the user) for a loop, for anything but a regular file at the
/// end, and for a dangling link whose target's folder does not exist.
pub fn write_target(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Our own file may be new, and its folder is made on save;
                // a link's target folder is the user's to make.
                if p != path && !fs::metadata(folder_of(&p)).is_ok_and(|m| m.is_dir()) {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!(
                            "it is a symlink to {}, whose folder does not exist",
                            p.display()
                        ),
                    ));
                }
                return Ok(p);
            }
            Err(e) => return Err(explain(e)),
            Ok(m) if m.file_type().is_symlink() => {
                // A relative link is relative to the folder the link is in;
                // an absolute one replaces the whole path when joined.
                let link = fs::read_link(&p)?;
                p = folder_of(&p).join(link);
            }
            Ok(m) => {
                ensure_regular(&m)?;
                return Ok(p);
            }
        }
    }
    Err(symlink_loop())
}

/// The start of our temp files' names for `target`: `.<name>.<pid>.`.
fn temp_prefix(target: &Path) -> String {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.{}.", std::process::id())
}

/// Writes `bytes` to `path` atomically: to a temp file beside the target
/// (through symlinks, see [`write_target`]), synced, renamed over the target,
/// then the folder synced so the rename itself survives a power cut. An
/// existing target keeps its permissions; a new one is private (0600).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = write_target(path)?;
    let dir = folder_of(&target);
    if target == path {
        fs::create_dir_all(dir)?;
    }
    let prefix = temp_prefix(&target);
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Ok(m) = fs::metadata(&target) {
        tmp.as_file().set_permissions(m.permissions())?;
    }
    tmp.as_file().sync_all()?;
    // On failure the temp file is removed when `e.file` drops.
    tmp.persist(&target).map_err(|e| e.error)?;
    // The data is in place already; a folder that cannot be synced (some
    // file systems refuse) is no reason to report the save as failed.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether process `pid` exists. `kill(pid, 0)` sends nothing and only
/// checks: ESRCH means no such process; EPERM means it exists but is not
/// ours, which still counts as alive.
pub fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // 0 and negative numbers would name process groups: never ask for them.
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if p <= 0 {
        return true;
    }
    // SAFETY: signal 0 performs only the existence and permission checks.
    let r = unsafe { libc::kill(p, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// The pid in a name of the form `<digits>` followed by `rest`, if the
/// digits are a plausible pid (1 to i32::MAX, no leading zero or sign).
pub(crate) fn leading_pid(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, rest) = s.split_at(end);
    if digits.is_empty() || digits.starts_with('0') {
        return None;
    }
    let pid: u32 = digits.parse().ok()?;
    (pid <= i32::MAX as u32).then_some((pid, rest))
}

/// If `name` is one of our temp files for `file_name`, whose pid: the old
/// naming `.<file>.<pid>.tmp` or the current `.<file>.<pid>.XXXXXX.tmp`.
fn temp_write_pid(name: &str, file_name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_prefix(file_name)?;
    let rest = rest.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (pid, tail) = leading_pid(rest)?;
    let random_ok = tail.is_empty()
        || tail
            .strip_prefix('.')
            .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    random_ok.then_some(pid)
}

/// Removes the temp files of saves of `path` that a killed run left behind
/// (their pid is gone), beside `path` and beside its symlink target. Only
/// regular files named exactly as [`write_atomic`] names them are touched;
/// a live process's are kept. Returns what was removed.
pub fn sweep_stale_writes(path: &Path) -> Vec<PathBuf> {
    let mut places = vec![path.to_path_buf()];
    if let Ok(t) = write_target(path)
        && t != path
    {
        places.push(t);
    }
    let mut removed = Vec::new();
    for place in places {
        let Some(file_name) = place.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Ok(entries) = fs::read_dir(folder_of(&place)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| temp_write_pid(n, file_name)) else {
                continue;
            };
            let p = entry.path();
            let regular = fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_file());
            if regular && !pid_alive(pid) && fs::remove_file(&p).is_ok() {
                removed.push(p);
            }
        }
    }
    removed
}

/// `path` with `.<tag>-<unix seconds>` added: where a bad file is set aside.
pub fn aside_path(path: &Path, tag: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}-{stamp}"));
    path.with_file_name(name)
}

#[cfg(test)]
pub(crate) mod tests;
