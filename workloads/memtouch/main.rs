// memtouch: allocates N MiB in one block and writes one byte in every 4 KiB page, then reads
// them all back. The memory-measurement calibrator: its peak must come out as N MiB plus the
// variant's floor, in every variant. Prints the page count and a checksum of what it read.
// main.c does the same and prints the same bytes.
use std::process::ExitCode;

const PAGE: usize = 4096;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mib = match args.get(1).map(|s| s.parse::<usize>()) {
        Some(Ok(mib)) if args.len() == 2 && (1..=3072).contains(&mib) => mib,
        _ => {
            eprintln!("usage: memtouch MIB   (1..3072)");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let bytes = mib << 20;
    // vec! of zeros is a calloc: the pages are only mapped, not touched, until written below.
    let mut block = vec![0u8; bytes];
    let pages = bytes / PAGE;
    for page in 0..pages {
        block[page * PAGE] = (page * 7 + 1) as u8;
    }
    let mut checksum: u64 = 0;
    for page in 0..pages {
        checksum += block[page * PAGE] as u64;
    }
    println!("touched {} MiB: {} pages, checksum {}", mib, pages, checksum);
    ExitCode::SUCCESS
}
