// spectral-norm: the spectral norm of the infinite matrix A, a(i,j) = 1/((i+j)(i+j+1)/2+i+1),
// truncated to N x N, by 10 power iterations of A^T A (after the Computer Language Benchmarks
// Game). Stresses floating-point division and streaming over vectors of N doubles.
// main.c performs the same operations in the same order and prints the same bytes.
use std::process::ExitCode;

fn a(i: usize, j: usize) -> f64 {
    1.0 / ((i + j) * (i + j + 1) / 2 + i + 1) as f64
}

fn multiply_av(v: &[f64], av: &mut [f64]) {
    for (i, out) in av.iter_mut().enumerate() {
        let mut sum = 0.0;
        for (j, x) in v.iter().enumerate() {
            sum += a(i, j) * x;
        }
        *out = sum;
    }
}

fn multiply_atv(v: &[f64], atv: &mut [f64]) {
    for (i, out) in atv.iter_mut().enumerate() {
        let mut sum = 0.0;
        for (j, x) in v.iter().enumerate() {
            sum += a(j, i) * x;
        }
        *out = sum;
    }
}

fn multiply_atav(v: &[f64], atav: &mut [f64], scratch: &mut [f64]) {
    multiply_av(v, scratch);
    multiply_atv(scratch, atav);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let n = match args.get(1).map(|s| s.parse::<usize>()) {
        Some(Ok(n)) if args.len() == 2 && n >= 1 => n,
        _ => {
            eprintln!("usage: spectral-norm N");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let mut u = vec![1.0; n];
    let mut v = vec![0.0; n];
    let mut scratch = vec![0.0; n];
    for _ in 0..10 {
        multiply_atav(&u, &mut v, &mut scratch);
        multiply_atav(&v, &mut u, &mut scratch);
    }
    let (mut vbv, mut vv) = (0.0, 0.0);
    for i in 0..n {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    println!("{:.9}", (vbv / vv).sqrt());
    ExitCode::SUCCESS
}
