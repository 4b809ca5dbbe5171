//! webhook: the service case. Reads one webhook delivery (HTTP/1.1 request line, headers, JSON
//! body) on stdin, and REPEAT times: finds the headers, verifies the X-Hub-Signature-256
//! HMAC-SHA256 of the body under SECRET, parses the JSON and routes on X-GitHub-Event, building
//! the actions it would take. Prints the actions and a checksum (FNV-1a 64) over every
//! repetition's actions.
//! Exit codes: 0 handled, 2 usage, 3 missing or wrong signature, 4 malformed JSON,
//! 5 malformed request or unexpected payload. Errors go to stderr as one line.
//!
//! `webhook SECRET --serve` is the long-lived form: it reads requests framed as a decimal byte
//! count, a newline and that many bytes, until stdin ends, and answers each with a frame of the
//! same shape holding exactly what `webhook SECRET 1` prints for that request alone (or
//! `rejected CODE` and a newline when it would exit CODE), flushed at once.
//! The C version (../c) makes the same decisions and prints the same bytes.
mod json;
mod sha256;

use std::io::{BufRead, Read, Write};

use json::Json;

const USAGE: u8 = 2;
const BAD_SIGNATURE: u8 = 3;
const MALFORMED_JSON: u8 = 4;
const BAD_REQUEST: u8 = 5;

struct Failure(u8, String);

fn bad_request(message: &str) -> Failure {
    Failure(BAD_REQUEST, message.to_string())
}

/// The value of header `name` (case-insensitive), trimmed.
fn find_header<'a>(headers: &'a [u8], name: &str) -> Option<&'a [u8]> {
    for line in headers.split(|&byte| byte == b'\n').skip(1) {
        let colon = match line.iter().position(|&byte| byte == b':') {
            Some(colon) => colon,
            None => continue,
        };
        if !line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
            continue;
        }
        let mut value = &line[colon + 1..];
        while let [b' ' | b'\t', rest @ ..] = value {
            value = rest;
        }
        while let [rest @ .., b' ' | b'\t' | b'\r'] = value {
            value = rest;
        }
        return Some(value);
    }
    None
}

fn first_line(text: &[u8]) -> &[u8] {
    text.split(|&byte| byte == b'\n').next().unwrap_or(text)
}

fn route_push(body: &Json, actions: &mut Vec<u8>) -> Result<(), Failure> {
    let fields = (
        body.text("repository.full_name"),
        body.text("ref"),
        body.text("after"),
        body.text("repository.default_branch"),
        body.text("pusher.name"),
        body.path("commits"),
    );
    let (repository, reference, after, default_branch, pusher, commits) = match fields {
        (Some(r), Some(f), Some(a), Some(d), Some(p), Some(Json::Array(c))) => (r, f, a, d, p, c),
        _ => {
            return Err(bad_request(
                "unexpected payload: a push needs repository, ref, after, pusher and commits",
            ))
        }
    };
    actions.extend_from_slice(b"push ");
    actions.extend_from_slice(repository);
    actions.push(b' ');
    actions.extend_from_slice(reference);
    writeln!(actions, ", {} commit(s)", commits.len()).unwrap();
    for commit in commits {
        let (id, author, message) = match (commit.text("id"), commit.text("author.name"), commit.text("message")) {
            (Some(i), Some(a), Some(m)) => (i, a, m),
            _ => {
                return Err(bad_request(
                    "unexpected payload: a commit needs id, author.name and message",
                ))
            }
        };
        actions.extend_from_slice(b"check ");
        actions.extend_from_slice(&id[..id.len().min(12)]);
        actions.extend_from_slice(b" by ");
        actions.extend_from_slice(author);
        actions.extend_from_slice(b": ");
        actions.extend_from_slice(first_line(message));
        actions.push(b'\n');
    }
    if reference.strip_prefix(b"refs/heads/") == Some(default_branch) {
        actions.extend_from_slice(b"deploy ");
        actions.extend_from_slice(repository);
        actions.extend_from_slice(b" at ");
        actions.extend_from_slice(&after[..after.len().min(12)]);
        actions.push(b'\n');
    }
    actions.extend_from_slice(b"notify ");
    actions.extend_from_slice(pusher);
    actions.push(b'\n');
    Ok(())
}

fn route(event: &[u8], body: &Json, actions: &mut Vec<u8>) -> Result<(), Failure> {
    match event {
        b"push" => route_push(body, actions),
        b"ping" => {
            let hook = body
                .text("hook_id")
                .ok_or_else(|| bad_request("unexpected payload: a ping needs hook_id"))?;
            actions.extend_from_slice(b"pong hook ");
            actions.extend_from_slice(hook);
            actions.push(b'\n');
            Ok(())
        }
        b"pull_request" => {
            let fields = (
                body.text("action"),
                body.text("number"),
                body.text("pull_request.title"),
                body.text("repository.full_name"),
            );
            let (action, number, title, repository) = match fields {
                (Some(a), Some(n), Some(t), Some(r)) => (a, n, t, r),
                _ => {
                    return Err(bad_request(
                        "unexpected payload: a pull_request needs action, number, title and repository",
                    ))
                }
            };
            if matches!(action, b"opened" | b"reopened" | b"synchronize") {
                actions.extend_from_slice(b"build ");
                actions.extend_from_slice(repository);
                actions.extend_from_slice(b" pull request #");
                actions.extend_from_slice(number);
                actions.extend_from_slice(b": ");
                actions.extend_from_slice(title);
            } else {
                actions.extend_from_slice(b"ignore pull_request action ");
                actions.extend_from_slice(action);
            }
            actions.push(b'\n');
            Ok(())
        }
        _ => {
            actions.extend_from_slice(b"ignore event ");
            actions.extend_from_slice(event);
            actions.push(b'\n');
            Ok(())
        }
    }
}

/// Handles the delivery once: the actions go to `actions`.
fn handle(request: &[u8], secret: &[u8], actions: &mut Vec<u8>) -> Result<(), Failure> {
    let blank = request
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| bad_request("bad request: no blank line after the headers"))?;
    let headers = &request[..blank];
    if !headers.starts_with(b"POST ") {
        return Err(bad_request("bad request: not a POST"));
    }
    let content_length = find_header(headers, "Content-Length")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| bad_request("bad request: no Content-Length"))?;
    let mut body_length: usize = 0;
    for &c in content_length {
        if !c.is_ascii_digit() || body_length > 100_000_000 {
            return Err(bad_request("bad request: bad Content-Length"));
        }
        body_length = body_length * 10 + (c - b'0') as usize;
    }
    let body_start = blank + 4;
    if request.len() - body_start < body_length {
        return Err(bad_request("bad request: body shorter than Content-Length"));
    }
    let body = &request[body_start..body_start + body_length];

    let signature = find_header(headers, "X-Hub-Signature-256")
        .ok_or_else(|| Failure(BAD_SIGNATURE, "missing X-Hub-Signature-256".to_string()))?;
    let expected = sha256::hmac_sha256_hex(secret, body);
    if signature.len() != 71
        || !signature[..7].eq_ignore_ascii_case(b"sha256=")
        || !signature[7..].eq_ignore_ascii_case(expected.as_bytes())
    {
        return Err(Failure(BAD_SIGNATURE, "signature mismatch".to_string()));
    }

    let event = find_header(headers, "X-GitHub-Event")
        .filter(|value| !value.is_empty() && value.len() <= 64)
        .ok_or_else(|| bad_request("bad request: no X-GitHub-Event"))?;
    let delivery = find_header(headers, "X-GitHub-Delivery").unwrap_or(b"-");

    let parsed = json::parse(body).map_err(|at| {
        Failure(MALFORMED_JSON, format!("malformed JSON at byte {}", at))
    })?;
    actions.extend_from_slice(b"event ");
    actions.extend_from_slice(event);
    actions.extend_from_slice(b" delivery ");
    actions.extend_from_slice(delivery);
    actions.push(b'\n');
    route(event, &parsed, actions)
}

/// Exits with `code`. Not `ExitCode`: on wasm32-wasi, Rust 1.63's std keeps only whether an
/// ExitCode is zero, so every failure would exit 1; process::exit passes the code to proc_exit.
fn fail(code: u8, message: &str) -> ! {
    eprintln!("webhook: {}", message);
    std::process::exit(code as i32)
}

fn checksum_of(actions: &[u8], mut checksum: u64) -> u64 {
    for &byte in actions {
        checksum ^= byte as u64;
        checksum = checksum.wrapping_mul(0x100000001b3);
    }
    checksum
}

fn serve(secret: &[u8]) {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut header, mut request, mut actions) = (String::new(), Vec::new(), Vec::new());
    loop {
        header.clear();
        match input.read_line(&mut header) {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => fail(BAD_REQUEST, "cannot read stdin"),
        }
        let count = match header.strip_suffix('\n').map(|count| count.parse::<usize>()) {
            Some(Ok(count)) => count,
            _ => fail(BAD_REQUEST, "bad frame header"),
        };
        request.resize(count, 0);
        if input.read_exact(&mut request).is_err() {
            fail(BAD_REQUEST, "request frame cut short");
        }
        actions.clear();
        let response = match handle(&request, secret, &mut actions) {
            Ok(()) => {
                let checksum = checksum_of(&actions, 0xcbf29ce484222325);
                let mut response = actions.clone();
                response.extend(format!("handled 1 request(s), checksum {:016x}\n", checksum).bytes());
                response
            }
            Err(Failure(code, message)) => {
                eprintln!("webhook: {}", message);
                format!("rejected {}\n", code).into_bytes()
            }
        };
        write!(out, "{}\n", response.len()).unwrap();
        out.write_all(&response).unwrap();
        out.flush().unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[2] == "--serve" {
        serve(args[1].as_bytes());
        return;
    }
    let repeat = match args.get(2).map(|s| s.parse::<u64>()) {
        Some(Ok(repeat)) if args.len() == 3 && repeat >= 1 => repeat,
        _ => {
            eprintln!("usage: webhook SECRET REPEAT < request | webhook SECRET --serve");
            std::process::exit(USAGE as i32);
        }
    };
    let mut request = Vec::new();
    if std::io::stdin().read_to_end(&mut request).is_err() {
        fail(BAD_REQUEST, "cannot read stdin");
    }
    let mut checksum: u64 = 0xcbf29ce484222325;
    let mut actions = Vec::new();
    for _ in 0..repeat {
        actions.clear();
        if let Err(Failure(code, message)) = handle(&request, args[1].as_bytes(), &mut actions) {
            fail(code, &message);
        }
        checksum = checksum_of(&actions, checksum);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(&actions).unwrap();
    writeln!(out, "handled {} request(s), checksum {:016x}", repeat, checksum).unwrap();
}
