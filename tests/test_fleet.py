"""The fleet files are checked, since they cannot be run here (no GitHub runner, no cluster):
the workflow against GitHub's workflow schema (vendored by check-jsonschema), the Jobs against
the Kubernetes schemas (vendored by kubernetes-validate, strict: no unknown field), and both for
what they must do: run the README's main command on an x86-64 and an Arm host, keep each
host's results file, and merge them into one report."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import kubernetes_validate
import yaml

from tests.conftest import PROJECT_ROOT

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
        text = yaml.safe_dump(job)
        return text.replace("amd64", "ARCH").replace("arm64", "ARCH")

    assert without_arch(found["amd64"]) == without_arch(found["arm64"])  # the same but the arch
