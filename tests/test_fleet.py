"""The fleet files, as far as this machine can run them (no GitHub runner, no cluster): the
workflow against GitHub's workflow schema (vendored by check-jsonschema), the Jobs against the
Kubernetes schemas (vendored by kubernetes-validate, strict: no unknown field), both for what
they must do (run the README's main command on an x86-64 and an Arm host, keep each host's
results file, merge them into one report); then the workflow's report job run step by step as
written (a clean venv's `pip install .`, the report of two hosts, the regression gate's shell)
and the Kubernetes README's `collect` on a pod's log. The Job itself runs in `nox -s
kubernetes` (tests/rehearse_kubernetes.py)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.conftest import PROJECT_ROOT
from tests.rehearse_kubernetes import collect, job_for
from tests.reportdata import run_samples, spread, write_results, write_two_hosts

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "fleet.yml"
JOBS = PROJECT_ROOT / "deploy" / "kubernetes" / "isobench-jobs.yaml"
KUBERNETES_VERSION = "1.30.0"


def readme_main_command() -> str:
    """The README's first command (build, measure, report), as written there."""
    text = (PROJECT_ROOT / "README.md").read_text()
    match = re.search(r"^(bash \.ci/setup && \.venv/bin/isobench all)\b", text, re.MULTILINE)
    assert match, "the README's main command is not where it should be"
    return match.group(1)


def test_the_workflow_is_valid_for_github() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
         "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_workflow_measures_on_x86_and_arm_and_merges_one_report() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    measure = workflow["jobs"]["measure"]
    runners = {entry["arch"]: entry["runner"] for entry in measure["strategy"]["matrix"]["include"]}
    assert set(runners) == {"x86_64", "aarch64"}
    assert runners["aarch64"].endswith("-arm")  # GitHub's Arm Linux runners
    runs = [step.get("run", "") for step in measure["steps"]]
    main_command = readme_main_command()
    assert any(run.replace("sudo ", "") == main_command for run in runs), runs
    uploads = [step for step in measure["steps"] if step.get("uses", "").startswith(
        "actions/upload-artifact")]  # fmt: skip
    assert any(step["with"]["path"] == "results/*.jsonl" for step in uploads)
    report = workflow["jobs"]["report"]
    assert report["needs"] == "measure"
    report_runs = " ".join(step.get("run", "") for step in report["steps"])
    assert "isobench report collected/results-x86_64/" in report_runs
    assert "collected/results-aarch64/" in report_runs
    assert "--fail-on-regression" in report_runs


def jobs() -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(JOBS.read_text()) if document]


def test_the_jobs_are_valid_kubernetes() -> None:
    for job in jobs():
        kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)  # raises if not


def test_one_job_per_architecture_each_running_the_main_command() -> None:
    found = {}
    for job in jobs():
        spec = job["spec"]["template"]["spec"]
        arch = spec["nodeSelector"]["kubernetes.io/arch"]
        (container,) = spec["containers"]
        script = "\n".join(container["args"])
        assert readme_main_command() in script
        assert "--- isobench results" in script  # how the results file is collected
        found[arch] = job
    assert set(found) == {"amd64", "arm64"}

    def without_arch(job: dict[str, Any]) -> str:
        text = str(yaml.safe_dump(job))
        return text.replace("amd64", "ARCH").replace("arm64", "ARCH")

    assert without_arch(found["amd64"]) == without_arch(found["arm64"])  # the same but the arch


def report_job_step(name: str) -> str:
    """The shell of one step of the workflow's report job, as GitHub would run it."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["report"]["steps"]
    (run,) = [step["run"] for step in steps if step.get("name") == name]
    return str(run)


def run_step(script: str, cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    """`script` as a runner's `run:` is: bash -e, in the checkout, the installed tools on PATH."""
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=environment,
                          capture_output=True, text=True, check=False, timeout=600)  # fmt: skip


def collected_checkout(tmp_path: Path) -> Path:
    """The report job's working folder after checkout and download-artifact: each host's
    results file under collected/results-<arch>/, and the repository's reports/."""
    checkout = tmp_path / "checkout"
    for arch in ("x86_64", "aarch64"):
        (checkout / "collected" / f"results-{arch}").mkdir(parents=True)
    (checkout / "reports").mkdir()
    x86, arm = write_two_hosts(tmp_path)
    shutil.copy(x86, checkout / "collected/results-x86_64" / "20261201T000000Z-x86.jsonl")
    shutil.copy(arm, checkout / "collected/results-aarch64" / "20261201T000000Z-arm.jsonl")
    return checkout


@pytest.mark.integration
def test_the_report_job_installs_isobench_in_a_clean_venv_and_reports_two_hosts(
    tmp_path: Path,
) -> None:
    """`pip install .` as the report job runs it (not editable: package data must be in the
    wheel), then its report step, from a folder where the source tree cannot be imported."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = report_job_step("install isobench (the report and compare need no toolchain)")
    assert install == "python -m pip install ."
    installed = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", str(PROJECT_ROOT)],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    checkout = collected_checkout(tmp_path)
    where = run_step("python -c 'import harness; print(harness.__file__)'", checkout, venv / "bin")
    assert where.stdout.startswith(str(venv)), where  # the wheel's harness, not the source's
    report = run_step(report_job_step("one report from every host's results"), checkout,
                      venv / "bin")  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr
    html = (checkout / "reports/fleet.html").read_text()
    assert "arm-box" in html  # both hosts are in it
    assert "aarch64" in html
    assert "x86_64" in html


REGRESSION_STEP = "fail on regressions against the baselines"


def test_the_regression_step_notices_missing_baselines_and_passes(tmp_path: Path) -> None:
    checkout = collected_checkout(tmp_path)
    step = run_step(report_job_step(REGRESSION_STEP), checkout, Path(sys.executable).parent)
    assert step.returncode == 0, step.stdout + step.stderr
    assert "::notice::no results/baseline/x86_64.jsonl: x86_64 not compared" in step.stdout
    assert "::notice::no results/baseline/aarch64.jsonl: aarch64 not compared" in step.stdout


@pytest.mark.parametrize(("factor", "exit_code"), [(1.0, 0), (1.5, 1)])
def test_the_regression_step_fails_on_a_regression_against_a_baseline(
    tmp_path: Path, factor: float, exit_code: int
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "results/baseline").mkdir(parents=True)
    collected = checkout / "collected/results-x86_64"
    collected.mkdir(parents=True)
    write_results(checkout / "results/baseline/x86_64.jsonl",
                  spread(run_samples(count=10), steps=10))  # fmt: skip
    write_results(collected / "20261201T000000Z-x86.jsonl",
                  spread(run_samples(count=10), factor, steps=10))  # fmt: skip
    step = run_step(report_job_step(REGRESSION_STEP), checkout, Path(sys.executable).parent)
    assert step.returncode == exit_code, step.stdout + step.stderr
    assert "::notice::no results/baseline/aarch64.jsonl" in step.stdout


def test_the_readme_collect_takes_the_results_file_out_of_a_pods_log(tmp_path: Path) -> None:
    """A log as the Job's script writes it (setup's noise, then the marked tar.gz in base64),
    through the README's own collect()."""
    results = write_results(tmp_path / "20261201T000000Z-pod.jsonl", run_samples(count=2))
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(results, arcname=f"results/{results.name}")
    encoded = base64.encodebytes(archive.getvalue()).decode()
    log = tmp_path / "pod.log"
    log.write_text(
        "setup: debian 12 (bookworm), amd64\nsummary ...\n"
        f"--- isobench results (tar.gz, base64) ---\n{encoded}--- end of isobench results ---\n"
    )
    (found,) = collect(log, "x86_64", tmp_path / "collected")
    assert found.read_bytes() == results.read_bytes()
    assert found.parent == tmp_path / "collected/collected-amd64/results"


def test_the_rehearsal_reads_the_job_as_written() -> None:
    pod = job_for("x86_64")
    assert pod.job == "isobench-amd64"
    assert pod.image == "debian:12"
    assert pod.argv[:3] == ("bash", "-euo", "pipefail")
    assert readme_main_command() in pod.argv[-1]
    assert pod.empty_dirs == ("/var/lib/docker",)
    assert pod.privileged
    assert set(pod.environment) >= {"ISOBENCH_REPOSITORY", "ISOBENCH_REF", "ISOBENCH_OPTIONS"}
