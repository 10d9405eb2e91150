//! The character finder's index: every word of every character name (from
//! `unicode_names2`) → the code points whose name has it. Built once per
//! process, in the background, the first time the demo starts; shared
//! read-only by every connection of every lane afterwards.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::demo::lane::thread_name;
use crate::demo::{Cancel, Cancelled};

/// At most this many rows per answer; a query such as `cjk` matches
/// tens of thousands of characters.
pub const MAX_ROWS: usize = 500;

pub struct Index {
    words: HashMap<Box<str>, Vec<u32>>,
    pub chars: usize,
    pub built_in: Duration,
}

static INDEX: OnceLock<Index> = OnceLock::new();

/// Starts building the index on a thread of its own unless it exists. The
/// thread gives up when `cancel` is set, so it never outlives the run.
pub fn build_in_background(demo: &str, cancel: Cancel) -> Option<JoinHandle<()>> {
    if INDEX.get().is_some() {
        return None;
    }
    std::thread::Builder::new()
        .name(thread_name(demo, "index"))
        .spawn(move || {
            if let Ok(index) = build(&cancel) {
                // Another run may have finished first: either index will do.
                let _ = INDEX.set(index);
            }
        })
        .ok()
}

/// The index, once built; waits for it (or for `cancel`).
pub fn wait(cancel: &Cancel) -> Result<&'static Index, Cancelled> {
    loop {
        if let Some(index) = INDEX.get() {
            return Ok(index);
        }
        cancel.wait_for(Duration::from_millis(20))?;
    }
}

/// The index if it is ready.
pub fn ready() -> Option<&'static Index> {
    INDEX.get()
}

fn build(cancel: &Cancel) -> Result<Index, Cancelled> {
    let started = Instant::now();
    let mut words: HashMap<Box<str>, Vec<u32>> = HashMap::new();
    let mut chars = 0;
    for cp in 32..=0x10FFFFu32 {
        if cp % 8192 == 0 {
            cancel.check()?;
        }
        let Some(name) = char::from_u32(cp).and_then(unicode_names2::name) else {
            continue;
        };
        chars += 1;
        for word in name.to_string().split_whitespace() {
            // Code points go in rising order, so each list stays sorted.
            words.entry(word.into()).or_default().push(cp);
        }
    }
    Ok(Index {
        words,
        chars,
        built_in: started.elapsed(),
    })
}

impl Index {
    pub fn words(&self) -> usize {
        self.words.len()
    }

    /// The code points whose name has every word of `query`, in order.
    pub fn find(&self, query: &str) -> Vec<u32> {
        let mut lists: Vec<&[u32]> = Vec::new();
        for w in query.split_whitespace() {
            match self.words.get(w.to_uppercase().as_str()) {
                Some(list) => lists.push(list),
                None => return Vec::new(),
            }
        }
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return Vec::new();
        };
        first
            .iter()
            .copied()
            .filter(|cp| rest.iter().all(|l| l.binary_search(cp).is_ok()))
            .collect()
    }
}

/// Writes every named character to `path`, one `HEX NAME` line each, in
/// rising order: the table the index is built from, for the Python lane
/// (its own `unicodedata` may know an older Unicode, and answer
/// differently). Returns how many it wrote.
pub fn write_names(path: &std::path::Path, cancel: &Cancel) -> std::io::Result<usize> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut n = 0;
    for cp in 32..=0x10FFFFu32 {
        if cp % 8192 == 0 && cancel.is_cancelled() {
            return Err(std::io::Error::from(std::io::ErrorKind::Interrupted));
        }
        if let Some(name) = char::from_u32(cp).and_then(unicode_names2::name) {
            writeln!(out, "{cp:X} {name}")?;
            n += 1;
        }
    }
    out.flush()?;
    Ok(n)
}

/// One character as the finder shows it: code point, the character, its name.
pub fn row(cp: u32) -> String {
    let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
    let name = unicode_names2::name(ch)
        .map(|n| n.to_string())
        .unwrap_or_default();
    format!("U+{cp:04X}  {ch}  {name}")
}

#[cfg(test)]
pub fn for_tests() -> &'static Index {
    let cancel = Cancel::new();
    if let Some(t) = build_in_background("charfinder", cancel.clone()) {
        let _ = t.join();
    }
    wait(&cancel).expect("never cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_every_word() {
        let index = for_tests();
        assert!(index.chars > 30_000, "{}", index.chars);
        let cat = index.find("cat face");
        assert!(cat.contains(&0x1F431), "{cat:x?}");
        assert!(cat.iter().all(|cp| row(*cp).contains("CAT FACE")));
        assert_eq!(row(0x1F431), "U+1F431  🐱  CAT FACE");
        let kings = index.find("CHESS black king");
        assert_eq!(kings.first(), Some(&0x265A));
        let has_all = |r: String| ["BLACK", "CHESS", "KING"].iter().all(|w| r.contains(w));
        assert!(kings.iter().all(|cp| has_all(row(*cp))));
        assert!(index.find("no-such-word").is_empty());
        assert!(index.find("  ").is_empty());
    }

    #[test]
    fn the_names_table_is_the_index_s() {
        let dir = crate::tempfiles::demo_dir("charfinder").unwrap();
        let path = dir.path().join("names.txt");
        let t0 = Instant::now();
        let n = write_names(&path, &Cancel::new()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        eprintln!("{n} names, {} bytes, in {:?}", text.len(), t0.elapsed());
        assert_eq!(n, for_tests().chars);
        assert!(text.lines().any(|l| l == "1F431 CAT FACE"));
    }
}
