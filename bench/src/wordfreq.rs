// Rust: HashMap/BTreeMap, String, Vec sorting and iterators over a generated
// text. Argument: number of words.
use std::collections::{BTreeMap, HashMap};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200000);
    let mut x: u32 = 2463534242;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let vocab: Vec<String> = (0..3000)
        .map(|k| (0..(2 + k % 8)).map(|_| (b'a' + (next() % 26) as u8) as char).collect())
        .collect();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let mut lens: BTreeMap<usize, u64> = BTreeMap::new();
    for _ in 0..n {
        let w = &vocab[(next() as usize) % vocab.len()];
        *counts.entry(w.as_str()).or_insert(0) += 1;
        *lens.entry(w.len()).or_insert(0) += 1;
    }
    let mut top: Vec<(&str, u64)> = counts.iter().map(|(k, v)| (*k, *v)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let joined: String = top.iter().take(5).map(|(k, v)| format!("{}={}", k, v)).collect::<Vec<_>>().join(",");
    let h = lens.iter().fold(0u64, |h, (l, c)| h.wrapping_mul(31).wrapping_add((*l as u64) * c));
    println!("words {} distinct {} top {} lens {}", n, counts.len(), joined, h);
}
