"""The HTML report from scripted results files: exact figures, escaping, self-containment,
several hosts, and what it refuses to mix. (The real-browser test is tests/test_browser.py.)"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import cast

import pytest
from matplotlib.patches import Patch

from harness.cli import main
from harness.header import SCHEMA_VERSION
from harness.report import figures, write_report
from harness.report.model import (
    FASTER,
    INCONCLUSIVE,
    SLOWER,
    WITHIN,
    Ratio,
    load_runs,
    phase_medians,
)
from harness.results import Status, read_results
from tests.reportdata import MS, cell, header, run_samples, write_results, write_two_hosts

HOSTILE = "<script>alert(1)</script>"


def render(tmp_path: Path, *files: Path) -> str:
    output = tmp_path / "out" / "report.html"
    write_report(list(files), output)
    return output.read_text(encoding="utf-8")


def table_rows(html: str, section: str) -> list[str]:
    """The text of each table row of a section, tags stripped, whitespace collapsed."""
    body = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_the_verdict_gives_each_ratio_to_native_with_its_interval(tmp_path: Path) -> None:
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", run_samples()))
    for section in ("verdict", "startup", "throughput", "memory", "environment", "quality",
                    "method", "files"):  # fmt: skip
        assert f'<section id="{section}">' in html
    assert '<section id="hosts">' not in html  # one host: no cross-host section
    # sieve: wasm 20 ms vs native 10 ms; net of noop (2 vs 1 ms): 18 / 9, in wall and in CPU
    # time (0.9 of wall on both sides); wasmtime's peak (4 MiB) is an in-host instance's, what it
    # adds to a running host: marginal, and never divided by native's whole process (2 MiB)
    assert (
        "sieve c default 10 — 2.00× 2.00–2.00 2.00× 2.00–2.00 2.00× 2.00–2.00 marginal 4.0 MiB —"
        in (table_rows(html, "verdict"))
    )
    assert (
        "wasmtime in-host warm c 5/5 2.000 2.000–2.000 2.00 1.800 load 0.200, instantiate 0.200, "
        "run 1.600" in (table_rows(html, "startup"))
    )
    assert (
        "wasmtime (warm), compute time net of startup, in CPU time: within 10% of native on 0 of "
        "1 workload builds (the whole 95% interval inside that band), slower on 1, faster on 0, "
        "inconclusive on 0; geometric mean 2.00× native (95% CI 2.00×–2.00×); furthest behind: "
        "sieve (c) at 2.00×." in html
    )
    assert html.count("<svg") == 4  # startup, throughput, distributions, memory


def test_a_compute_time_within_noise_of_the_floor_has_no_geometric_mean(tmp_path: Path) -> None:
    # tiny sizes: wasm's sieve (1.5 ms) ends sooner than wasm's own noop median (2 ms)
    samples = (
        cell("noop", "native", 1.0) + cell("noop", "wasmtime", 2.0)
        + cell("sieve", "native", 2.0) + cell("sieve", "wasmtime", 1.5)
    )  # fmt: skip
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", samples))
    assert (
        "slower on 0, faster on 0, inconclusive on 1; furthest behind: sieve (c) at -0.50×." in html
    )
    assert "geometric mean" not in html


@pytest.mark.parametrize(
    ("interval", "verdict", "grade"),
    [
        ((0.95, 1.08), WITHIN, "good"),
        ((1.02, 1.09), WITHIN, "good"),  # within the band, though surely slower: within wins
        ((1.05, 1.15), SLOWER, "fair"),  # the point is within 10%; the interval is not
        ((0.85, 0.95), FASTER, "good"),
        ((0.95, 1.15), INCONCLUSIVE, "fair"),
        ((0.80, 1.50), INCONCLUSIVE, "fair"),
        (None, INCONCLUSIVE, "good"),  # no interval: nothing claimed; the colour is the point's
        ((-0.2, 1.03), INCONCLUSIVE, "fair"),  # a net time within noise of the floor
    ],
)
def test_a_ratio_says_only_what_its_interval_supports(
    interval: tuple[float, float] | None, verdict: str, grade: str
) -> None:
    ratio = Ratio(sum(interval) / 2 if interval else 1.06, interval)
    assert ratio.verdict == verdict
    assert ratio.grade == grade


def test_the_same_results_give_the_same_bytes(tmp_path: Path) -> None:
    results = write_results(tmp_path / "a.jsonl", run_samples())
    assert render(tmp_path, results) == render(tmp_path, results)


def test_strings_from_results_files_are_escaped_everywhere(tmp_path: Path) -> None:
    # A name (workload, variant...) is refused at reading (tests/faults/test_hostile_inputs.py);
    # free text is kept and escaped: the host, the tools, a failure's detail
    samples = run_samples()
    samples.append(
        dataclasses.replace(samples[-1], status=Status.WRONG_OUTPUT, detail=HOSTILE, wall_ns=None)
    )
    run_header = header(hostname=HOSTILE)
    run_header["tools"] = {"compilers": {"c": HOSTILE}}
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", samples, run_header))
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # in every table that shows it


def test_the_report_fetches_nothing(tmp_path: Path) -> None:
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", run_samples()))
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:|//|data:)""", html)
    assert not re.search(r"<(script|link|iframe|img|object|embed)\b", html, re.IGNORECASE)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only the SVGs' own clip paths


def test_two_hosts_compare_ratios_of_ratios(tmp_path: Path) -> None:
    html = render(tmp_path, *write_two_hosts(tmp_path))
    rows = table_rows(html, "hosts")
    # wasm's compute is 2x native's on x86 and 3x on Arm: 1.5x as far behind on Arm
    assert (
        "sieve c default wasmtime warm net 2.00× 2.00–2.00 3.00× 3.00–3.00 1.50× 1.50–1.50" in rows
    )
    # the same startup ratio on both: the interval holds 1
    assert (
        "noop c default wasmtime warm startup 2.00× 2.00–2.00 2.00× 2.00–2.00 "
        "1.00× 1.00–1.00" in rows
    )
    environment = table_rows(html, "environment")
    assert "host.arch x86_64 aarch64" in environment
    assert re.search(r'<tr class="differs"><td><code>host.arch</code>', html)


def test_workloads_whose_revision_differs_are_not_compared_across_hosts(tmp_path: Path) -> None:
    x86 = write_results(tmp_path / "x86.jsonl", run_samples())
    arm = write_results(tmp_path / "arm.jsonl", run_samples(), header("arm-box", revision="r2"))
    html = render(tmp_path, x86, arm)
    assert "sieve: its sources differ between the runs (revisions differ)" in html
    assert not any(row.startswith("sieve") for row in table_rows(html, "hosts"))
    assert any(row.startswith("noop c default wasmtime") for row in table_rows(html, "hosts"))


def test_results_of_different_schema_versions_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_results(tmp_path / "new.jsonl", run_samples())
    old = write_results(tmp_path / "old.jsonl", run_samples(), {**header(), "schema_version": 4})
    code = main(["report", str(new), str(old), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 2
    assert "different schema versions" in err
    assert f"new.jsonl (schema {SCHEMA_VERSION})" in err
    assert "old.jsonl (schema 4)" in err
    assert not (tmp_path / "r.html").exists()


def test_emulated_samples_are_shown_apart_and_never_in_a_figure(tmp_path: Path) -> None:
    emulated = cell("sieve", "wasmtime", 900.0, emulated=True, arch="aarch64")
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", run_samples() + emulated))
    assert "sieve c default 10 — 2.00× 2.00–2.00" in " ".join(table_rows(html, "verdict"))
    assert "a.jsonl" in html
    assert any(
        row == "x86-box (x86_64) sieve (c, wasmtime warm, default, aarch64) 5 5"
        for row in table_rows(html, "quality")
    )


def test_failed_samples_are_listed_with_why_and_never_averaged_in(tmp_path: Path) -> None:
    failed = cell("sieve", "wasmtime", 1.0, count=2, status=Status.CRASHED, detail="trap: oob")
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", run_samples() + failed))
    assert "2.00× 2.00–2.00" in " ".join(table_rows(html, "verdict"))
    assert "x86-box (x86_64) sieve (c, wasmtime warm, default, portable) crashed 2 trap: oob" in (
        table_rows(html, "quality")
    )


def test_a_cell_whose_every_sample_failed_has_no_phases_to_show(tmp_path: Path) -> None:
    failed = cell("noop", "wasmtime", 2.0, status=Status.CRASHED, detail="trap")
    kept = [s for s in run_samples() if (s.workload, s.variant) != ("noop", "wasmtime")]
    results = read_results(write_results(tmp_path / "a.jsonl", kept + failed))
    (run,) = load_runs([results], tmp_path / "report.html")
    medians = phase_medians(run, "noop")
    assert ("wasmtime", "warm", "c") not in medians  # no bar of nothing
    assert medians[("native", "warm", "c")] == {"spawn_to_exit": MS}


def test_report_verb_writes_to_reports_and_links_the_raw_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    write_results(results_dir / "20260101T000000Z-h-1.jsonl", run_samples())
    assert main(["--results-dir", str(results_dir), "report"]) == 0
    written = Path("reports/20260101T000000Z-h-1.html")
    assert f"report: {written}" in capsys.readouterr().out
    assert 'href="../results/20260101T000000Z-h-1.jsonl"' in written.read_text()


def test_an_unwritable_report_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = write_results(tmp_path / "a.jsonl", run_samples())
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(results), "-o", str(blocker / "r.html")]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_artifact_sizes_come_from_the_artifacts_the_samples_ran(tmp_path: Path) -> None:
    artifacts = [
        {"id": "n1", "kind": "native", "workload": "sieve", "language": "c",
         "profile": "portable", "size_bytes": 700_000, "extra": {"build_ns": 90_000_000}},
        {"id": "w1", "kind": "cli-cwasm", "workload": "sieve", "language": "c",
         "profile": "portable", "size_bytes": 2048, "extra": {}},
    ]  # fmt: skip
    samples = [
        dataclasses.replace(s, artifact_id={"native": "n1", "wasmtime": "w1"}[s.variant])
        if s.workload == "sieve"
        else s
        for s in run_samples()
    ]
    # what each kind is called: recorded by the run, from the variants themselves
    captions = {"native": "native executable", "cli-cwasm": "AOT (wasmtime CLI)"}
    run_header = {**header(), "artifacts": artifacts, "artifact_kinds": captions}
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", samples, run_header))
    assert "sieve c default 10 683.6 KiB 2.00×" in " ".join(table_rows(html, "verdict"))
    assert "2.0 KiB" in " ".join(table_rows(html, "verdict"))
    memory = table_rows(html, "memory")
    assert "sieve c portable 683.6 KiB built in 90 ms 2.0 KiB" in memory
    assert "AOT (wasmtime CLI)" in html


def test_a_variant_without_a_warm_state_is_judged_in_the_one_it_has(tmp_path: Path) -> None:
    node = [
        dataclasses.replace(s, variant="node", state="cold")
        for s in run_samples()
        if s.variant == "wasmtime"
    ]
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", run_samples() + node))
    assert "node (cold), compute time net of startup" in html
    assert "wasmtime (warm), compute time net of startup" in html


def test_startup_is_ranked_within_one_kind_of_instance_and_only_where_the_interval_says(
    tmp_path: Path,
) -> None:
    run_header = header()
    run_header["variants"] = {
        **run_header["variants"],
        "wasmtime-cli": {**run_header["variants"]["native"], "instance": "process"},
        "node": {**run_header["variants"]["native"], "instance": "process"},
    }
    walls = {"native": [1.0, 1.1, 0.9, 1.0, 1.2], "wasmtime-cli": [1.1, 0.9, 1.0, 1.3, 1.0],
             "node": [70.0, 71.0, 69.0, 70.0, 72.0]}  # fmt: skip
    samples = [
        dataclasses.replace(sample, wall_ns=round(wall * 1e6))
        for variant, values in walls.items()
        for sample, wall in zip(cell("noop", variant, 1.0), values, strict=True)
    ] + cell("noop", "wasmtime", 0.3)
    html = render(tmp_path, write_results(tmp_path / "a.jsonl", samples, run_header))
    assert (
        "Startup floor (noop, c), a process per instance, started by the kernel: native warm in "
        "1 ms fastest, node warm in 70 ms slowest (70×, 95% CI" in html
    )  # an in-host instance (0.3 ms) is never ranked against processes
    assert (
        "Startup floor (noop, c), an instance inside an already running host process (a warm "
        "host): wasmtime warm in 0.3 ms." in html
    )
    two = render(tmp_path / "two", write_results(
        tmp_path / "b.jsonl", [s for s in samples if s.variant in ("native", "wasmtime-cli")],
        run_header))  # fmt: skip
    assert re.search(
        r"native warm in 1 ms, wasmtime-cli warm in 1 ms: no difference can be claimed "
        r"\(1\.00×, 95% CI 0\.\d+×–1\.\d+×\)",
        two,
    )


def test_cells_that_missed_the_precision_target_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every cell exact (+-0%) but wasm's sieve, spread 2.0-2.8 ms: far wider than +-2%
    samples = [s for s in run_samples() if (s.workload, s.variant) != ("sieve", "wasmtime")]
    samples += [dataclasses.replace(s, wall_ns=round((20 + 2 * i) * MS / 10),
                                    cpu_ns=round((20 + 2 * i) * MS / 10))
                for i, s in enumerate(cell("sieve", "wasmtime", 2.0))]  # fmt: skip
    run_header = header()
    run_header["plan"] = {**run_header["plan"], "precision": 0.02, "budget_s": 900.0,
                          "warmup": 1, "max_repetitions": 1000}  # fmt: skip
    results = write_results(tmp_path / "a.jsonl", samples, run_header)
    html = render(tmp_path, results)
    quality = html.split('<section id="quality">', 1)[1]
    assert "±2.0% wanted" in quality
    assert "met by 3 of 4 cells" in quality
    assert "sieve (c, wasmtime warm, default): ±" in quality
    assert "% CPU with 5 ok samples" in quality
    assert "while the run&#39;s budget (15 min) lasted" in html
    assert main(["summary", str(results)]) == 0
    out = capsys.readouterr().out
    assert "met by 3 of 4 cells" in out
    assert "missed (the budget was spent, or samples failed): sieve (c, wasmtime warm" in out


def test_the_startup_figure_keeps_each_panels_legend_inside_and_its_colours_apart(
    tmp_path: Path,
) -> None:
    """On the committed example (docker's five phases, wasmtime's ten bars): every legend
    lies inside the figure, each names its panel's phases once, in colours of their own."""
    (path,) = (Path(__file__).parent.parent / "results" / "example").glob("*.jsonl")
    (run,) = load_runs([read_results(path)], tmp_path / "report.html")
    with figures.styled():
        figure = figures.startup_figure(run)
        assert figure is not None
        figure.draw_without_rendering()
        for ax in figure.axes:
            legend = ax.get_legend()
            assert legend is not None
            extent = legend.get_window_extent()
            assert figure.bbox.x0 <= extent.x0
            assert extent.x1 <= figure.bbox.x1
            assert extent.y1 <= figure.bbox.y1
            handles = legend.legend_handles
            assert all(isinstance(handle, Patch) for handle in handles)  # the bars' swatches
            colours = [tuple(cast("Patch", handle).get_facecolor()) for handle in handles]
            assert len(set(colours)) == len(colours)
