// lz-compress: generates N KiB of text-like data, compresses it with an LZ77 coder, decompresses
// it and checks the round trip; prints the sizes and a checksum (FNV-1a 64) of the compressed
// bytes. Stresses byte handling, unaligned loads, hash lookups and data-dependent branches.
//
// Input (SplitMix64, seed 42, see ../PRNG.md): a 512-word vocabulary (1 + below(3) syllables of
// consonant + vowel), then words picked with idx = below(512) * below(512) / 512, each followed
// by a space; every word i with i % 64 == 63 is replaced by 8 raw bytes of next_u64()
// (little-endian). The text is cut at exactly N KiB.
// Coder: a 2^15-entry table of the last position of each 4-byte hash
// (hash = (le32 * 2654435761) mod 2^32 >> 17); a candidate within 65535 bytes whose 4 bytes
// match starts a match, extended up to 131 bytes. Tokens: 0x00-0x7F = (count - 1) literals
// follow; 0x80-0xFF = a match of length (token & 0x7F) + 4, then its distance, 2 bytes LE.
// main.c implements the same steps and prints the same bytes.
use std::process::ExitCode;

const VOCABULARY: u64 = 512;
const HASH_BITS: u32 = 15;
const MAX_DISTANCE: usize = 65535;
const MIN_MATCH: usize = 4;
const MAX_MATCH: usize = 127 + MIN_MATCH;
const MAX_LITERALS: usize = 128;

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

fn generate(length: usize) -> Vec<u8> {
    let mut rng = SplitMix64(42);
    let mut vocabulary: Vec<Vec<u8>> = Vec::new();
    for _ in 0..VOCABULARY {
        let mut word = Vec::new();
        for _ in 0..1 + rng.below(3) {
            word.push(b"bcdfghjklmnprstvwz"[rng.below(18) as usize]);
            word.push(b"aeiou"[rng.below(5) as usize]);
        }
        vocabulary.push(word);
    }
    let mut data = Vec::with_capacity(length + 9);
    let mut i: u64 = 0;
    while data.len() < length {
        if i % 64 == 63 {
            data.extend_from_slice(&rng.next_u64().to_le_bytes());
        } else {
            let index = rng.below(VOCABULARY) * rng.below(VOCABULARY) / VOCABULARY;
            data.extend_from_slice(&vocabulary[index as usize]);
            data.push(b' ');
        }
        i += 1;
    }
    data.truncate(length);
    data
}

fn load32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn emit_literals(out: &mut Vec<u8>, mut literals: &[u8]) {
    while !literals.is_empty() {
        let run = literals.len().min(MAX_LITERALS);
        out.push((run - 1) as u8);
        out.extend_from_slice(&literals[..run]);
        literals = &literals[run..];
    }
}

fn compress(input: &[u8]) -> Vec<u8> {
    let mut table = vec![-1i32; 1 << HASH_BITS];
    let mut out = Vec::with_capacity(input.len() + input.len() / 128 + 1);
    let (mut position, mut literal_start) = (0usize, 0usize);
    while position + MIN_MATCH <= input.len() {
        let word = load32(input, position);
        let slot = (word.wrapping_mul(2654435761) >> (32 - HASH_BITS)) as usize;
        let candidate = table[slot];
        table[slot] = position as i32;
        if candidate >= 0
            && position - candidate as usize <= MAX_DISTANCE
            && load32(input, candidate as usize) == word
        {
            let candidate = candidate as usize;
            let mut length = MIN_MATCH;
            while position + length < input.len()
                && length < MAX_MATCH
                && input[candidate + length] == input[position + length]
            {
                length += 1;
            }
            emit_literals(&mut out, &input[literal_start..position]);
            let distance = position - candidate;
            out.push(0x80 | (length - MIN_MATCH) as u8);
            out.push((distance & 0xFF) as u8);
            out.push((distance >> 8) as u8);
            position += length;
            literal_start = position;
        } else {
            position += 1;
        }
    }
    emit_literals(&mut out, &input[literal_start..]);
    out
}

fn decompress(input: &[u8], room: usize) -> Result<Vec<u8>, &'static str> {
    let mut out: Vec<u8> = Vec::with_capacity(room);
    let mut position = 0;
    while position < input.len() {
        let token = input[position] as usize;
        position += 1;
        if token < 0x80 {
            let run = token + 1;
            if position + run > input.len() || out.len() + run > room {
                return Err("corrupt stream (literals)");
            }
            out.extend_from_slice(&input[position..position + run]);
            position += run;
        } else {
            if position + 2 > input.len() {
                return Err("corrupt stream (match)");
            }
            let length = (token & 0x7F) + MIN_MATCH;
            let distance = input[position] as usize | (input[position + 1] as usize) << 8;
            position += 2;
            if distance == 0 || distance > out.len() || out.len() + length > room {
                return Err("corrupt stream (distance)");
            }
            for _ in 0..length {
                out.push(out[out.len() - distance]);
            }
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let kib = match args.get(1).map(|s| s.parse::<usize>()) {
        Some(Ok(kib)) if args.len() == 2 && (1..=1_048_576).contains(&kib) => kib,
        _ => {
            eprintln!("usage: lz-compress KIB   (1..1048576)");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let input = generate(kib << 10);
    let compressed = compress(&input);
    match decompress(&compressed, input.len()) {
        Ok(restored) if restored == input => {}
        Ok(_) => {
            eprintln!("lz-compress: round trip failed");
            return ExitCode::from(1);
        }
        Err(message) => {
            eprintln!("lz-compress: {}", message);
            return ExitCode::from(1);
        }
    }
    let mut checksum: u64 = 0xcbf29ce484222325;
    for &byte in &compressed {
        checksum ^= byte as u64;
        checksum = checksum.wrapping_mul(0x100000001b3);
    }
    println!(
        "input {} bytes\ncompressed {} bytes\nround trip ok\nchecksum {:016x}",
        input.len(),
        compressed.len(),
        checksum
    );
    ExitCode::SUCCESS
}
