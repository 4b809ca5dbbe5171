// fileio: PASSES times, lists INPUT_DIR (names sorted bytewise, dot files skipped), reads every
// file whole and computes its size, line count and FNV-1a 64; writes one summary line per file
// ("name bytes lines fnv") to OUTPUT_DIR/summary.txt, then reads that file back. Prints totals
// and a checksum (FNV-1a 64 over every summary read back, in order).
// Stresses the filesystem path: directory listing, open/read/write/close, which is a host
// directory natively, a bind mount in Docker and a WASI preopened directory in wasm.
// main.c does the same and prints the same bytes.
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

fn fnv1a(mut hash: u64, data: &[u8]) -> u64 {
    for &byte in data {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

fn run(input_dir: &Path, output_dir: &Path, passes: u64) -> Result<String, String> {
    let summary_path = output_dir.join("summary.txt");
    let (mut checksum, mut total_bytes, mut total_lines, mut files) = (FNV_OFFSET, 0u64, 0u64, 0);
    for _ in 0..passes {
        let listing = fs::read_dir(input_dir)
            .map_err(|e| format!("cannot list: {}: {}", input_dir.display(), e))?;
        let mut names: Vec<String> = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| format!("cannot list: {}", e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                names.push(name);
            }
        }
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));

        let mut summary = Vec::new();
        for name in &names {
            let path = input_dir.join(name);
            let data = fs::read(&path).map_err(|e| format!("cannot read: {}: {}", path.display(), e))?;
            let lines = data.iter().filter(|&&byte| byte == b'\n').count() as u64;
            writeln!(summary, "{} {} {} {:016x}", name, data.len(), lines, fnv1a(FNV_OFFSET, &data))
                .unwrap();
            total_bytes += data.len() as u64;
            total_lines += lines;
        }
        fs::write(&summary_path, &summary)
            .map_err(|e| format!("cannot write: {}: {}", summary_path.display(), e))?;
        files = names.len();

        let written = fs::read(&summary_path)
            .map_err(|e| format!("cannot read: {}: {}", summary_path.display(), e))?;
        checksum = fnv1a(checksum, &written);
    }
    Ok(format!(
        "files {}\npasses {}\nbytes read {}\nlines {}\nchecksum {:016x}",
        files, passes, total_bytes, total_lines, checksum
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let passes = match args.get(3).map(|s| s.parse::<u64>()) {
        Some(Ok(passes)) if args.len() == 4 && passes >= 1 => passes,
        _ => {
            eprintln!("usage: fileio INPUT_DIR OUTPUT_DIR PASSES");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    match run(Path::new(&args[1]), Path::new(&args[2]), passes) {
        Ok(report) => {
            println!("{}", report);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("fileio: {}", message);
            ExitCode::from(1)
        }
    }
}
