// mandelbrot: the Mandelbrot set on [-1.5, 0.5] x [-1, 1] as an N x N portable bitmap (PBM P4),
// 50 iterations per point, escape at |z|^2 > 4 (after the Computer Language Benchmarks Game).
// Stresses floating point in a data-dependent loop, and bit packing of binary output.
// main.c performs the same operations in the same order and prints the same bytes.
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const ITERATIONS: u32 = 50;
const LIMIT_SQUARED: f64 = 4.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let n = match args.get(1).map(|s| s.parse::<usize>()) {
        Some(Ok(n)) if args.len() == 2 && n >= 1 => n,
        _ => {
            eprintln!("usage: mandelbrot N");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let row_bytes = (n + 7) / 8;
    let mut row = vec![0u8; row_bytes];
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write!(out, "P4\n{} {}\n", n, n).unwrap();
    for y in 0..n {
        let ci = 2.0 * y as f64 / n as f64 - 1.0;
        for (byte, cell) in row.iter_mut().enumerate() {
            let mut bits = 0u8;
            for bit in 0..8 {
                let x = byte * 8 + bit;
                let mut inside = 0u8;
                if x < n {
                    let cr = 2.0 * x as f64 / n as f64 - 1.5;
                    let (mut zr, mut zi, mut tr, mut ti) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
                    let mut i = 0;
                    while i < ITERATIONS && tr + ti <= LIMIT_SQUARED {
                        zi = 2.0 * zr * zi + ci;
                        zr = tr - ti + cr;
                        tr = zr * zr;
                        ti = zi * zi;
                        i += 1;
                    }
                    inside = (tr + ti <= LIMIT_SQUARED) as u8;
                }
                bits = (bits << 1) | inside;
            }
            *cell = bits;
        }
        out.write_all(&row).unwrap();
    }
    out.flush().unwrap();
    ExitCode::SUCCESS
}
