use std::os::unix::fs::{PermissionsExt, symlink};
use std::sync::mpsc;
use std::time::Duration;

use super::*;

const MAX: u64 = 1 << 20;

/// Runs `f` on its own thread and fails (instead of hanging the suite) if it
/// has not returned within a generous bound: the bug was a hang forever.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what}: still blocked after 20 s"))
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn is_link(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

#[test]
fn reads_a_file_and_a_missing_one_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.json");
    assert_eq!(read_state_file(&p, MAX).unwrap(), None);
    fs::write(&p, b"{}").unwrap();
    assert_eq!(read_state_file(&p, MAX).unwrap(), Some(b"{}".to_vec()));
    fs::write(&p, vec![b'x'; 11]).unwrap();
    let e = read_state_file(&p, 10).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
}

#[test]
fn non_regular_files_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    let sock = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let dev = dir.path().join("dev");
    symlink("/dev/null", &dev).unwrap();
    let to_fifo = dir.path().join("to-fifo");
    symlink(&fifo, &to_fifo).unwrap();
    for (path, what) in [
        (fifo.clone(), "a named pipe (FIFO)"),
        (to_fifo, "a named pipe (FIFO)"),
        (sub, "a directory"),
        (sock, "a socket"),
        (dev, "a device"),
    ] {
        let p = path.clone();
        let e = within("reading", move || read_state_file(&p, MAX)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("it is {what}, not a regular file"),
            "{}",
            path.display()
        );
        let p = path.clone();
        let e = within("reading text", move || read_state_text(&p, MAX)).unwrap_err();
        assert!(e.to_string().contains(what), "{e}");
        let p = path.clone();
        let e = within("writing", move || write_atomic(&p, b"x")).unwrap_err();
        assert!(e.to_string().contains(what), "{e}");
    }
    // Nothing was replaced.
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(dir.path()), ["dev", "fifo", "sock", "sub", "to-fifo"]);
}

#[test]
fn text_that_is_not_utf8_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s");
    fs::write(&p, b"{\n\"a\": \"\xff\"}").unwrap();
    let e = read_state_text(&p, MAX).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert_eq!(e.to_string(), "not UTF-8 text (line 2, byte 8)");
}

#[test]
fn writes_leave_no_temp_files_and_keep_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("new").join("state.json");
    write_atomic(&p, b"one").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"one");
    assert_eq!(names(p.parent().unwrap()), ["state.json"]);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    write_atomic(&p, b"two").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"two");
    let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(names(p.parent().unwrap()), ["state.json"]);
}

#[test]
fn a_symlink_is_written_through_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let dotfiles = dir.path().join("dotfiles");
    let data = dir.path().join("data");
    fs::create_dir_all(&dotfiles).unwrap();
    fs::create_dir_all(&data).unwrap();
    let target = dotfiles.join("progress.json");
    fs::write(&target, b"old").unwrap();
    // Absolute, relative, and a chain of two links.
    let abs = data.join("abs.json");
    symlink(&target, &abs).unwrap();
    let rel = data.join("rel.json");
    symlink("../dotfiles/progress.json", &rel).unwrap();
    let chain = data.join("chain.json");
    symlink("rel.json", &chain).unwrap();
    for (i, link) in [&abs, &rel, &chain].into_iter().enumerate() {
        let text = format!("new {i}");
        write_atomic(link, text.as_bytes()).unwrap();
        assert!(is_link(link), "{} was replaced", link.display());
        assert_eq!(fs::read_to_string(&target).unwrap(), text);
        assert_eq!(read_state_file(link, MAX).unwrap(), Some(text.into_bytes()));
    }
    assert!(is_link(&rel));
    assert_eq!(names(&dotfiles), ["progress.json"]);
    assert_eq!(names(&data), ["abs.json", "chain.json", "rel.json"]);
}

#[test]
fn a_dangling_symlink_is_written_through_if_its_folder_exists() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("progress.json");
    let target = dir.path().join("elsewhere.json");
    symlink(&target, &link).unwrap();
    assert_eq!(read_state_file(&link, MAX).unwrap(), None);
    write_atomic(&link, b"saved").unwrap();
    assert!(is_link(&link));
    assert_eq!(fs::read(&target).unwrap(), b"saved");

    let nowhere = dir.path().join("gone").join("x.json");
    let link2 = dir.path().join("config.toml");
    symlink(&nowhere, &link2).unwrap();
    let e = write_atomic(&link2, b"x").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "it is a symlink to {}, whose folder does not exist",
            nowhere.display()
        )
    );
    assert!(is_link(&link2), "the link was replaced");
    assert!(
        !dir.path().join("gone").exists(),
        "no folder is made for a link"
    );
}

#[test]
fn a_symlink_loop_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    symlink(&b, &a).unwrap();
    symlink(&a, &b).unwrap();
    let self_loop = dir.path().join("self");
    symlink("self", &self_loop).unwrap();
    for p in [&a, &self_loop] {
        let e = read_state_file(p, MAX).unwrap_err();
        assert!(e.to_string().contains("symlink loop"), "{e}");
        let e = write_atomic(p, b"x").unwrap_err();
        assert!(e.to_string().contains("symlink loop"), "{e}");
        assert!(is_link(p));
    }
    assert_eq!(names(dir.path()), ["a", "b", "self"]);
}

/// A pid that no process has: a child that has exited and been reaped.
pub(crate) fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    assert!(!pid_alive(pid), "pid {pid} was reused at once");
    pid
}

#[test]
fn pids() {
    assert!(pid_alive(std::process::id()));
    assert!(pid_alive(1), "init exists (EPERM would count as alive too)");
    assert!(!pid_alive(dead_pid()));
    assert_eq!(leading_pid("123-x"), Some((123, "-x")));
    assert_eq!(leading_pid("0123"), None);
    assert_eq!(leading_pid("0"), None);
    assert_eq!(leading_pid("-1"), None);
    assert_eq!(leading_pid("4294967295"), None, "beyond i32::MAX");
    assert_eq!(leading_pid("99999999999999999999"), None);
}

#[test]
fn stale_temp_files_of_dead_processes_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("progress.json");
    fs::write(&p, b"{}").unwrap();
    let dead = dead_pid();
    let me = std::process::id();
    let stale = [
        format!(".progress.json.{dead}.tmp"),
        format!(".progress.json.{dead}.aB3xYz.tmp"),
    ];
    let kept = [
        format!(".progress.json.{me}.tmp"),
        format!(".progress.json.{me}.aB3xYz.tmp"),
        ".progress.json.1.tmp".to_string(),
        ".progress.json.tmp".to_string(),
        format!(".progress.json.{dead}.aB3xY.tmp"),
        format!(".progress.json.{dead}x.tmp"),
        format!("progress.json.{dead}.tmp"),
        format!(".config.toml.{dead}.tmp"),
        format!(".progress.json.{dead}.tmp.bak"),
    ];
    for n in stale.iter().chain(&kept) {
        fs::write(dir.path().join(n), b"x").unwrap();
    }
    // A folder with a stale name is not a file of ours.
    let folder = format!(".progress.json.{dead}.zzzzzz.tmp");
    fs::create_dir(dir.path().join(&folder)).unwrap();
    let mut removed = sweep_stale_writes(&p);
    removed.sort();
    let mut want: Vec<PathBuf> = stale.iter().map(|n| dir.path().join(n)).collect();
    want.sort();
    assert_eq!(removed, want);
    let mut left: Vec<String> = kept.to_vec();
    left.push(folder);
    left.push("progress.json".into());
    left.sort();
    assert_eq!(names(dir.path()), left);

    // Beside a symlink's target too.
    let other = tempfile::tempdir().unwrap();
    let target = other.path().join("real.json");
    fs::write(&target, b"{}").unwrap();
    let stale_there = other.path().join(format!(".real.json.{dead}.Q1w2E3.tmp"));
    fs::write(&stale_there, b"x").unwrap();
    let link = dir.path().join("linked.json");
    symlink(&target, &link).unwrap();
    assert_eq!(sweep_stale_writes(&link), vec![stale_there]);
}

#[test]
fn aside_paths_keep_the_folder() {
    let p = Path::new("/x/y/progress.json");
    let a = aside_path(p, "corrupt");
    assert_eq!(a.parent(), p.parent());
    let name = a.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("progress.json.corrupt-"), "{name}");
}
