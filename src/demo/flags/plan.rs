//! What the server serves: `count` made-up flags with two-letter codes, and
//! which of them fail. The failures are seeded, so every lane (and every
//! run with the same seed) meets the same ones: exactly
//! round(count × error_rate) flags, half answering 404 and half 500.

use std::collections::HashMap;
use std::time::Duration;

/// Two letters: 26 × 26 codes, enough for any `count` the demo allows.
pub const MAX_COUNT: u32 = 26 * 26;

#[derive(Debug, Clone)]
pub struct Plan {
    pub codes: Vec<String>,
    pub latency_ms: u64,
    pub drip: bool,
    /// Code → the status it answers with (200, 404 or 500).
    status: HashMap<String, u16>,
}

/// A small seeded generator (xorshift64*): the same seed, the same flags.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Code number `i`: a fixed walk through the 676 pairs of letters, so
/// neighbouring numbers do not look alike.
fn code(i: u32) -> String {
    // 263 is coprime with 676, so this visits every pair once.
    let k = (i * 263 + 17) % MAX_COUNT;
    let letter = |n: u32| char::from(b'A' + n as u8);
    format!("{}{}", letter(k / 26), letter(k % 26))
}

impl Plan {
    pub fn new(count: u32, latency_ms: u64, error_rate: f64, seed: u64, drip: bool) -> Self {
        let codes: Vec<String> = (0..count.min(MAX_COUNT)).map(code).collect();
        let failing = (codes.len() as f64 * error_rate.clamp(0.0, 1.0)).round() as usize;
        // A seeded shuffle; the first `failing` codes fail, alternately 404 and 500.
        let mut order: Vec<usize> = (0..codes.len()).collect();
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut status: HashMap<String, u16> = codes.iter().map(|c| (c.clone(), 200)).collect();
        for (n, &i) in order.iter().take(failing).enumerate() {
            status.insert(codes[i].clone(), if n % 2 == 0 { 404 } else { 500 });
        }
        Plan {
            codes,
            latency_ms,
            drip,
            status,
        }
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }

    /// The status flag `cc` answers with; `None` for a code not served.
    pub fn status_of(&self, cc: &str) -> Option<u16> {
        self.status.get(cc).copied()
    }

    /// How many flags answer with `status`.
    #[cfg(test)]
    pub fn count_of(&self, status: u16) -> usize {
        self.status.values().filter(|s| **s == status).count()
    }
}

/// A made-up flag: three stripes in colours taken from its code.
pub fn svg(cc: &str) -> String {
    let seed = cc
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let colour = |n: u32| {
        format!(
            "#{:06x}",
            seed.wrapping_mul(2_654_435_761).rotate_left(n * 8) & 0xFF_FFFF
        )
    };
    let stripes: String = (0..3)
        .map(|n| {
            format!(
                "<rect x=\"{}\" width=\"20\" height=\"40\" fill=\"{}\"/>",
                n * 20,
                colour(n)
            )
        })
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"60\" height=\"40\">{stripes}\
         <text x=\"30\" y=\"26\" text-anchor=\"middle\">{cc}</text></svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let plan = Plan::new(MAX_COUNT, 0, 0.0, 1, false);
        let mut codes = plan.codes.clone();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), MAX_COUNT as usize);
    }

    #[test]
    fn failures_are_exact_seeded_and_split() {
        let a = Plan::new(20, 0, 0.2, 7, false);
        assert_eq!(a.count_of(404), 2);
        assert_eq!(a.count_of(500), 2);
        assert_eq!(a.count_of(200), 16);
        let b = Plan::new(20, 0, 0.2, 7, false);
        let fails = |p: &Plan| -> Vec<String> {
            p.codes
                .iter()
                .filter(|c| p.status_of(c) != Some(200))
                .cloned()
                .collect()
        };
        assert_eq!(fails(&a), fails(&b));
        assert_ne!(fails(&a), fails(&Plan::new(20, 0, 0.2, 8, false)));
        assert_eq!(Plan::new(20, 0, 0.0, 7, false).count_of(200), 20);
        assert_eq!(a.status_of("??"), None);
    }

    #[test]
    fn flags_are_small_svg() {
        let s = svg("BR");
        assert!(
            s.starts_with("<svg") && s.contains(">BR<") && s.len() < 600,
            "{s}"
        );
    }
}
