"""Independent references for the workloads' expected outputs.

Where a workload's result can be computed another way (Python's hashlib, a plain dict), this
script computes it here, from the workload's own manifest arguments, and writes (or, with
--check, compares against) the expected stdout files. The C and Rust programs are then held
against an answer neither of them produced.

    python3 workloads/tools/expected.py [--check] [--sizes tiny,default] [WORKLOAD ...]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from splitmix64 import SplitMix64

WORKLOADS = Path(__file__).resolve().parent.parent


def sha256_output(args: list[str]) -> bytes:
    mib = int(args[0])
    digest = hashlib.sha256(SplitMix64(42).stream(mib << 20)).hexdigest()
    return f"{digest}  {mib} MiB\n".encode()


def memtouch_output(args: list[str]) -> bytes:
    mib = int(args[0])
    pages = (mib << 20) // 4096
    checksum = sum((page * 7 + 1) & 0xFF for page in range(pages))
    return f"touched {mib} MiB: {pages} pages, checksum {checksum}\n".encode()


def fnv1a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & ((1 << 64) - 1)
    return value


def word_freq_output(args: list[str]) -> bytes:
    words, vocabulary_size = int(args[0]), 4096
    rng = SplitMix64(42)
    vocabulary = []
    for _ in range(vocabulary_size):
        word = bytearray()
        for _ in range(1 + rng.below(3)):
            word.append(b"bcdfghjklmnprstvwz"[rng.below(18)])
            word.append(b"aeiou"[rng.below(5)])
            if rng.below(4) == 0:
                word.append(b"bcdfghjklmnprstvwz"[rng.below(18)])
        vocabulary.append(bytes(word))
    counts: dict[bytes, int] = {}
    for _ in range(words):
        word = vocabulary[
            rng.below(vocabulary_size) * rng.below(vocabulary_size) // vocabulary_size
        ]
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    checksum = sum(fnv1a(word) * count for word, count in counts.items()) & ((1 << 64) - 1)
    lines = [f"words {words}", f"distinct {len(counts)}"]
    lines += [f"{count} {word.decode()}" for word, count in ranked[:10]]
    lines.append(f"checksum {checksum:016x}")
    return ("\n".join(lines) + "\n").encode()


def lz_compress_output(args: list[str]) -> bytes:
    length = int(args[0]) << 10
    rng = SplitMix64(42)
    vocabulary = []
    for _ in range(512):
        word = bytearray()
        for _ in range(1 + rng.below(3)):
            word.append(b"bcdfghjklmnprstvwz"[rng.below(18)])
            word.append(b"aeiou"[rng.below(5)])
        vocabulary.append(bytes(word))
    data = bytearray()
    index = 0
    while len(data) < length:
        if index % 64 == 63:
            data += rng.next_u64().to_bytes(8, "little")
        else:
            data += vocabulary[rng.below(512) * rng.below(512) // 512] + b" "
        index += 1
    data = bytes(data[:length])

    table = [-1] * (1 << 15)
    out = bytearray()

    def literals(chunk: bytes) -> None:
        for start in range(0, len(chunk), 128):
            run = chunk[start : start + 128]
            out.append(len(run) - 1)
            out.extend(run)

    position = literal_start = 0
    while position + 4 <= length:
        word = int.from_bytes(data[position : position + 4], "little")
        slot = ((word * 2654435761) & 0xFFFFFFFF) >> 17
        candidate, table[slot] = table[slot], position
        if (
            candidate >= 0
            and position - candidate <= 65535
            and data[candidate : candidate + 4] == data[position : position + 4]
        ):
            match = 4
            while (
                position + match < length
                and match < 131
                and data[candidate + match] == data[position + match]
            ):
                match += 1
            literals(data[literal_start:position])
            distance = position - candidate
            out += bytes([0x80 | (match - 4), distance & 0xFF, distance >> 8])
            position += match
            literal_start = position
        else:
            position += 1
    literals(data[literal_start:])
    return (
        f"input {length} bytes\ncompressed {len(out)} bytes\nround trip ok\n"
        f"checksum {fnv1a(bytes(out)):016x}\n"
    ).encode()


def fileio_output(args: list[str], input_dir: Path) -> bytes:
    passes = int(args[2])
    summary = bytearray()
    total_bytes = total_lines = 0
    names = sorted((p.name for p in input_dir.iterdir() if not p.name.startswith(".")),
                   key=str.encode)  # fmt: skip
    for name in names:
        data = (input_dir / name).read_bytes()
        summary += f"{name} {len(data)} {data.count(10)} {fnv1a(data):016x}\n".encode()
        total_bytes += len(data)
        total_lines += data.count(10)
    checksum = 0xCBF29CE484222325
    for _ in range(passes):
        for byte in summary:
            checksum = ((checksum ^ byte) * 0x100000001B3) & ((1 << 64) - 1)
    return (
        f"files {len(names)}\npasses {passes}\nbytes read {total_bytes * passes}\n"
        f"lines {total_lines * passes}\nchecksum {checksum:016x}\n"
    ).encode()


def webhook_output(args: list[str], stdin: bytes) -> bytes:
    """The webhook's actions, from a plain header split, Python's hmac and json."""
    secret, repeat = args[0].encode(), int(args[1])
    head, _, rest = stdin.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers.setdefault(name.strip().lower().decode(), value.strip().decode())
    body = rest[: int(headers["content-length"])]
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(headers.get("x-hub-signature-256", "").lower(), signature):
        return b""  # exit code 3: nothing on stdout
    try:
        payload = json.loads(body)
    except ValueError:
        return b""  # exit code 4: nothing on stdout
    event = headers["x-github-event"]
    lines = [f"event {event} delivery {headers.get('x-github-delivery', '-')}"]
    if event == "push":
        repository = payload["repository"]
        lines.append(f"push {repository['full_name']} {payload['ref']}, "
                     f"{len(payload['commits'])} commit(s)")  # fmt: skip
        for commit in payload["commits"]:
            first_line = commit["message"].split("\n")[0]
            lines.append(f"check {commit['id'][:12]} by {commit['author']['name']}: {first_line}")
        if payload["ref"] == f"refs/heads/{repository['default_branch']}":
            lines.append(f"deploy {repository['full_name']} at {payload['after'][:12]}")
        lines.append(f"notify {payload['pusher']['name']}")
    elif event == "ping":
        lines.append(f"pong hook {payload['hook_id']}")
    elif event == "pull_request":
        if payload["action"] in ("opened", "reopened", "synchronize"):
            lines.append(f"build {payload['repository']['full_name']} pull request "
                         f"#{payload['number']}: {payload['pull_request']['title']}")  # fmt: skip
        else:
            lines.append(f"ignore pull_request action {payload['action']}")
    else:
        lines.append(f"ignore event {event}")
    actions = ("\n".join(lines) + "\n").encode()
    checksum = fnv1a(actions * repeat)
    return actions + f"handled {repeat} request(s), checksum {checksum:016x}\n".encode()


REFERENCES: dict[str, Callable[[list[str]], bytes]] = {
    "sha256": sha256_output,
    "memtouch": memtouch_output,
    "word-freq": word_freq_output,
    "lz-compress": lz_compress_output,
}
# References that also read the size's input folder, or its stdin.
FOLDER_REFERENCES: dict[str, Callable[[list[str], Path], bytes]] = {
    "fileio": fileio_output,
}
STDIN_REFERENCES: dict[str, Callable[[list[str], bytes], bytes]] = {
    "webhook": webhook_output,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--sizes", default="", help="comma-separated sizes (default: all)")
    parser.add_argument(
        "workloads",
        nargs="*",
        default=sorted({*REFERENCES, *FOLDER_REFERENCES, *STDIN_REFERENCES}),
    )
    options = parser.parse_args()
    wanted_sizes = set(filter(None, options.sizes.split(",")))
    mismatches = 0
    for name in options.workloads:
        manifest = tomllib.loads((WORKLOADS / name / "workload.toml").read_text())
        for size, table in manifest["sizes"].items():
            if wanted_sizes and size not in wanted_sizes:
                continue
            if name in STDIN_REFERENCES:
                stdin = (WORKLOADS / name / table["stdin"]).read_bytes()
                output = STDIN_REFERENCES[name](table["args"], stdin)
            elif name in FOLDER_REFERENCES:
                output = FOLDER_REFERENCES[name](
                    table["args"], WORKLOADS / name / table["input_dir"]
                )
            else:
                output = REFERENCES[name](table["args"])
            path = WORKLOADS / name / table["expected_stdout"]
            if options.check:
                same = path.read_bytes() == output
                mismatches += not same
                print(f"{'ok' if same else 'MISMATCH'}  {name} {size}")
            else:
                path.write_bytes(output)
                print(f"wrote {path.relative_to(WORKLOADS)}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
