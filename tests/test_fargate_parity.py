"""The container runs the way Fargate runs it: read-only root filesystem, working directory and HOME not
writable, only the system temp dir (the task's scratch volume) writable, and exactly the environment of the
Terraform task definition (parsed from terraform/ with python-hcl2, so this follows the real definition).

`spanishgas generate` and `spanishgas run` run as subprocesses in a private mount namespace (``unshare
--mount``, root needed: CI runs as root) against the moto server over HTTP, and the run publishes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import hcl2
import pytest

from dataflow.aws.bootstrap import bootstrap
from dataflow.aws.run_history import DynamoRunHistory
from dataflow.config import RAW_FILES
from tests.test_infra import TF, _clean

ROOT = Path(__file__).resolve().parents[1]
# The image's own ENV (Dockerfile) besides the task definition's: PATH to the venv, HOME of uid 10001.
IMAGE_ENV = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
# What only the emulator needs: its endpoint and dummy keys (on Fargate: the task role's credentials).
EMULATOR_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"}


def _terraform() -> dict:
    out: dict = {"locals": {}, "variable": {}, "resource": {}}
    for path in sorted(TF.glob("*.tf")):
        doc = _clean(hcl2.loads(path.read_text()))
        for block in doc.get("locals", []):
            out["locals"].update(block)
        for block in doc.get("variable", []):
            out["variable"].update(block)
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                out["resource"].setdefault(rtype, {}).update(named)
    return out


def _can_unshare() -> str | None:
    """None if a private mount namespace with read-only binds works here, else why not."""
    if not shutil.which("unshare"):
        return "util-linux unshare is not installed"
    if os.geteuid() != 0:
        return "needs root for mount namespaces with bind mounts (CI runs as root)"
    probe = tempfile.mkdtemp(prefix="sg-ro-probe-")
    try:
        script = f"mount --bind {probe} {probe} && mount -o remount,bind,ro {probe} && ! touch {probe}/x"
        out = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
        return (
            None if out.returncode == 0 else "the kernel refused a read-only bind mount in a mount namespace"
        )
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _task_environment(tf: dict, *, lake: str, table: str, topic_arn: str) -> dict[str, str]:
    """The pipeline task definition's environment, each Terraform reference resolved to its moto resource."""
    td = tf["resource"]["aws_ecs_task_definition"]["pipeline"]["container_definitions"]
    assert re.findall(r"environment\s*=\s*([\w.]+)", td) == ["local.pipeline_environment"]
    variables = tf["variable"]
    # app_environment merged with the Dask settings, which are empty at the default dask_workers = 0 (dask.tf)
    assert variables["dask_workers"]["default"] == 0
    assert tf["locals"]["dask_environment"] == "${local.dask_enabled ? local.dask_pipeline_settings : {}}"
    resolve = {
        "${local.lake_uri}": lake,
        "${aws_dynamodb_table.runs.name}": table,
        "${aws_sns_topic.alerts.arn}": topic_arn,
        "${local.metrics_namespace}": "SpanishGas/fargate-parity",
        "${var.log_level}": variables["log_level"]["default"],
        "${tostring(var.pipeline_timeout_minutes)}": str(variables["pipeline_timeout_minutes"]["default"]),
        "${var.region}": variables["region"]["default"],
    }
    env = {}
    for name, ref in tf["locals"]["app_environment"].items():
        assert ref in resolve, f"{name} = {ref}: new task variable, teach this test its local value"
        env[name] = resolve[ref]
    return env


def _run_read_only(cmd: list[str], *, workdir: Path, home: Path, env: dict, timeout: int = 600):
    """Run ``cmd`` with the root filesystem read-only (this repository and its .venv included), ``workdir``
    and ``home`` read-only, and only the system temp dir writable, as a Fargate task with
    readonlyRootFilesystem and a scratch volume on /tmp."""
    tmp = tempfile.gettempdir()
    steps = [
        f"mount --bind {tmp} {tmp}",  # its own mount, so it stays writable ...
        "mount -o remount,bind,ro /",  # ... when everything else becomes read-only
        f"mount --bind {ROOT} {ROOT}",  # this checkout (and its .venv) too, even when it lies in the temp dir
        f"mount -o remount,bind,ro {ROOT}",
        f"mount --bind {workdir} {workdir}",
        f"mount -o remount,bind,ro {workdir}",
        f"mount --bind {home} {home}",
        f"mount -o remount,bind,ro {home}",
        f"cd {workdir}",
        "exec " + shlex.join(cmd),
    ]
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", " && ".join(steps)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_generate_and_run_publish_on_a_read_only_filesystem_with_the_task_environment(
    moto_endpoint, s3_bucket, tmp_path
):
    why = _can_unshare()
    if why:
        pytest.skip(why)
    tf = _terraform()
    table, topic = f"{s3_bucket}-runs", f"{s3_bucket}-alerts"
    info = bootstrap(s3_bucket, table, topic)
    lake = f"s3://{s3_bucket}/lake"
    task_env = _task_environment(tf, lake=lake, table=table, topic_arn=info["topic_arn"])
    assert (
        "SPANISHGAS_CACHE" not in task_env and "SPANISHGAS_SCRATCH" not in task_env
    )  # the defaults are used

    workdir, home = tmp_path / "app", tmp_path / "home"
    workdir.mkdir()
    home.mkdir()
    env = {
        **task_env,
        **IMAGE_ENV,
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    assert set(env) - set(task_env) - set(IMAGE_ENV) == {"PATH", "HOME"} | EMULATOR_ENV

    # the filesystem really is read-only outside the temp dir
    probe = _run_read_only(
        ["sh", "-c", f"touch {workdir}/x || touch {home}/x || touch {ROOT}/x || exit 0; exit 1"],
        workdir=workdir,
        home=home,
        env=env,
    )
    assert probe.returncode == 0, "a path that should be read-only was writable"

    spanishgas = str(Path(sys.executable).with_name("spanishgas"))
    gen = _run_read_only(
        [spanishgas, "generate", "--customers", "600", "--seed", "5"], workdir=workdir, home=home, env=env
    )
    assert gen.returncode == 0, gen.stdout[-2000:] + gen.stderr[-3000:]
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="lake/raw/")["Contents"]]
    assert "lake/raw/_READY" in keys  # the upload-complete marker, written last
    assert {f"lake/raw/{name}" for name in RAW_FILES.values()} <= set(keys)

    # the task's command (["run"]); the 600-customer book has ~15 test churners, so the model gate is relaxed
    td = tf["resource"]["aws_ecs_task_definition"]["pipeline"]["container_definitions"]
    assert re.findall(r"command\s*=\s*(\[[^\]]*\])", td) == ['["run"]']
    run = _run_read_only(
        [
            spanishgas,
            "run",
            "--model-setting",
            "gate_skill_multiple=0",
            "--model-setting",
            "gate_baseline=false",
        ],
        workdir=workdir,
        home=home,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "published" in run.stdout

    run_id = json.loads(s3.get_object(Bucket=s3_bucket, Key="lake/CURRENT")["Body"].read())["run_id"]
    record = DynamoRunHistory(table).get(run_id)
    assert record["status"] == "succeeded" and record["published"] is True
    assert list(workdir.iterdir()) == [] and list(home.iterdir()) == []
