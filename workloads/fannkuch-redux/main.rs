// fannkuch-redux (sequential), after the Computer Language Benchmarks Game.
// For every permutation of 0..n-1, count the prefix reversals ("flips") needed
// to bring 0 to the front; print a checksum (flips with alternating sign, in
// permutation order) and the largest flip count. Stresses integer arithmetic,
// unpredictable branches and small arrays.
// The C version in main.c follows the same steps and prints the same bytes.
use std::process::ExitCode;

const MAX_N: usize = 12;

fn fannkuch(n: usize) -> (i64, i32) {
    let mut perm = [0usize; MAX_N];
    let mut perm1 = [0usize; MAX_N];
    let mut count = [0usize; MAX_N];
    let mut max_flips = 0i32;
    let mut checksum = 0i64;
    let mut perm_index = 0i64;
    let mut r = n;

    for (i, p) in perm1.iter_mut().enumerate().take(n) {
        *p = i;
    }
    loop {
        while r != 1 {
            count[r - 1] = r;
            r -= 1;
        }
        perm[..n].copy_from_slice(&perm1[..n]);

        let mut flips = 0i32;
        let mut k = perm[0];
        while k != 0 {
            perm[..=k].reverse();
            flips += 1;
            k = perm[0];
        }
        max_flips = max_flips.max(flips);
        checksum += if perm_index % 2 == 0 { flips as i64 } else { -(flips as i64) };

        // Next permutation in the counting order of the original program.
        loop {
            if r == n {
                return (checksum, max_flips);
            }
            let perm0 = perm1[0];
            for i in 0..r {
                perm1[i] = perm1[i + 1];
            }
            perm1[r] = perm0;
            count[r] -= 1;
            if count[r] > 0 {
                break;
            }
            r += 1;
        }
        perm_index += 1;
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: fannkuch-redux N   (3 <= N <= {})", MAX_N);
        return ExitCode::from(2);
    }
    let n = match args[1].parse::<usize>() {
        Ok(n) if (3..=MAX_N).contains(&n) => n,
        _ => {
            eprintln!("fannkuch-redux: N must be an integer in 3..{}, got '{}'", MAX_N, args[1]);
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let (checksum, max_flips) = fannkuch(n);
    println!("{}\nPfannkuchen({}) = {}", checksum, n, max_flips);
    ExitCode::SUCCESS
}
