// word-freq: generates N words of text from a 4096-word vocabulary (both from SplitMix64, seed
// 42, see ../PRNG.md and the steps below), splits it into words and counts them in an
// open-addressing hash table (FNV-1a 64, linear probing, doubled when half full). Prints the
// word count, the distinct count, the ten most frequent words and a checksum of all counts.
// Stresses hashing, a hash map growing under load, byte scanning and sorting.
//
// Vocabulary word: 1 + below(3) syllables; a syllable is a consonant and a vowel, plus a second
// consonant when below(4) == 0. Text: for each word i, idx = below(4096) * below(4096) / 4096
// (a skew towards low indices), then a space, or a newline when i % 16 == 15.
// main.c implements the same steps (the same table, not std's HashMap) and prints the same bytes.
use std::process::ExitCode;

const VOCABULARY: u64 = 4096;
const CONSONANTS: &[u8] = b"bcdfghjklmnprstvwz";
const VOWELS: &[u8] = b"aeiou";

struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for &byte in bytes {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

#[derive(Clone, Copy)]
struct Entry {
    hash: u64,
    count: u64, // 0: empty slot
    start: usize,
    length: usize,
}

const EMPTY: Entry = Entry { hash: 0, count: 0, start: 0, length: 0 };

struct Table {
    slots: Vec<Entry>,
    used: usize,
}

impl Table {
    fn insert(&mut self, text: &[u8], new: Entry) {
        let mask = self.slots.len() - 1;
        let mut slot = (new.hash as usize) & mask;
        loop {
            let entry = &mut self.slots[slot];
            if entry.count == 0 {
                *entry = new;
                self.used += 1;
                return;
            }
            if entry.hash == new.hash
                && entry.length == new.length
                && text[entry.start..entry.start + entry.length]
                    == text[new.start..new.start + new.length]
            {
                entry.count += new.count;
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    fn grow(&mut self, text: &[u8]) {
        let bigger = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        self.used = 0;
        for entry in old.into_iter().filter(|entry| entry.count != 0) {
            self.insert(text, entry);
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let words = match args.get(1).map(|s| s.parse::<u64>()) {
        Some(Ok(words)) if args.len() == 2 && (1..=100_000_000).contains(&words) => words,
        _ => {
            eprintln!("usage: word-freq WORDS   (1..100000000)");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let mut rng = SplitMix64(42);
    let mut vocabulary: Vec<Vec<u8>> = Vec::with_capacity(VOCABULARY as usize);
    for _ in 0..VOCABULARY {
        let mut word = Vec::new();
        let syllables = 1 + rng.below(3);
        for _ in 0..syllables {
            word.push(CONSONANTS[rng.below(18) as usize]);
            word.push(VOWELS[rng.below(5) as usize]);
            if rng.below(4) == 0 {
                word.push(CONSONANTS[rng.below(18) as usize]);
            }
        }
        vocabulary.push(word);
    }

    let mut text: Vec<u8> = Vec::with_capacity(words as usize * 11);
    for i in 0..words {
        let index = rng.below(VOCABULARY) * rng.below(VOCABULARY) / VOCABULARY;
        text.extend_from_slice(&vocabulary[index as usize]);
        text.push(if i % 16 == 15 { b'\n' } else { b' ' });
    }

    let mut table = Table { slots: vec![EMPTY; 1024], used: 0 };
    let mut total: u64 = 0;
    let mut position = 0;
    while position < text.len() {
        while position < text.len() && !text[position].is_ascii_lowercase() {
            position += 1;
        }
        let start = position;
        while position < text.len() && text[position].is_ascii_lowercase() {
            position += 1;
        }
        if position == start {
            break;
        }
        if 2 * (table.used + 1) > table.slots.len() {
            table.grow(&text);
        }
        let word = &text[start..position];
        table.insert(&text, Entry { hash: fnv1a(word), count: 1, start, length: word.len() });
        total += 1;
    }

    let mut distinct: Vec<Entry> = table.slots.iter().copied().filter(|e| e.count != 0).collect();
    let checksum = distinct
        .iter()
        .fold(0u64, |sum, e| sum.wrapping_add(e.hash.wrapping_mul(e.count)));
    let word_of = |e: &Entry| &text[e.start..e.start + e.length];
    distinct.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| word_of(a).cmp(word_of(b))));
    println!("words {}\ndistinct {}", total, distinct.len());
    for entry in distinct.iter().take(10) {
        println!("{} {}", entry.count, String::from_utf8_lossy(word_of(entry)));
    }
    println!("checksum {:016x}", checksum);
    ExitCode::SUCCESS
}
