//! The binary is linked with `link/startup.ld`: the functions a start runs
//! sit together in their own section ahead of the rest of the code (build.rs
//! says why). A build that drops the script still works, only heavier, so
//! nothing else would notice.

use std::fs;

/// (name, address, size) of every section, from an ELF64 little-endian file.
fn sections(elf: &[u8]) -> Vec<(String, u64, u64)> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    assert_eq!(&elf[..5], b"\x7fELF\x02", "an ELF64 file");
    let (shoff, shentsize, shnum, shstrndx) = (
        u64_at(0x28) as usize,
        u16_at(0x3a),
        u16_at(0x3c),
        u16_at(0x3e),
    );
    let header = |i: usize| shoff + i * shentsize;
    let names = u64_at(header(shstrndx) + 0x18) as usize;
    (0..shnum)
        .map(|i| {
            let h = header(i);
            let start = names + u32_at(h);
            let end = start + elf[start..].iter().position(|&b| b == 0).unwrap();
            let name = String::from_utf8_lossy(&elf[start..end]).into_owned();
            (name, u64_at(h + 0x10), u64_at(h + 0x20))
        })
        .collect()
}

#[test]
#[cfg(target_os = "linux")]
fn start_up_code_is_laid_out_ahead_of_the_rest() {
    if option_env!("CONCUR_PLAIN_LAYOUT").is_some() {
        return; // asked for the linker's own layout
    }
    let elf = fs::read(env!("CARGO_BIN_EXE_concur")).unwrap();
    let all = sections(&elf);
    let find = |name: &str| all.iter().find(|s| s.0 == name).cloned();
    let text = find(".text").expect("a .text section");
    let early =
        find(".text.startup_path").expect("the start-up path was laid out (link/startup.ld)");
    assert!(
        early.2 > 64 * 1024,
        "most of the script's functions were found: {} bytes",
        early.2
    );
    assert!(
        early.1 + early.2 <= text.1,
        "ahead of the rest of the code: {early:?} {text:?}"
    );
}
