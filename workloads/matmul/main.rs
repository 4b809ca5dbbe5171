// matmul: C = A x B for dense N x N matrices of doubles drawn from SplitMix64 (seed 42, see
// ../PRNG.md; A then B, row by row, each entry next_f64() - 0.5), in i-k-j loop order so the
// inner loop streams over rows and can be vectorised without reordering any sum. Prints the
// trace of C and the sum of all its entries (summed row by row, left to right).
// Stresses dense floating point, cache reuse, and what auto-vectorisation and SIMD change.
// main.c performs the same operations in the same order and prints the same bytes.
use std::process::ExitCode;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9007199254740992.0)
    }
}

/// Formats like C's "%.9e": one digit, point, 9 decimals, "e", sign, at least two exponent digits.
fn c_exponent(value: f64) -> String {
    let text = format!("{:.9e}", value);
    let (mantissa, exponent) = text.split_once('e').unwrap();
    let exponent: i32 = exponent.parse().unwrap();
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{}e{}{:02}", mantissa, sign, exponent.abs())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let n = match args.get(1).map(|s| s.parse::<usize>()) {
        Some(Ok(n)) if args.len() == 2 && (1..=8192).contains(&n) => n,
        _ => {
            eprintln!("usage: matmul N   (1..8192)");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let mut rng = SplitMix64(42);
    let a: Vec<f64> = (0..n * n).map(|_| rng.next_f64() - 0.5).collect();
    let b: Vec<f64> = (0..n * n).map(|_| rng.next_f64() - 0.5).collect();
    let mut c = vec![0.0f64; n * n];
    for i in 0..n {
        let c_row = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let a_ik = a[i * n + k];
            let b_row = &b[k * n..(k + 1) * n];
            for (cell, b_kj) in c_row.iter_mut().zip(b_row) {
                *cell += a_ik * b_kj;
            }
        }
    }
    let mut trace = 0.0;
    for i in 0..n {
        trace += c[i * n + i];
    }
    let mut sum = 0.0;
    for value in &c {
        sum += value;
    }
    println!("trace {}\nsum {}", c_exponent(trace), c_exponent(sum));
    ExitCode::SUCCESS
}
