"""The ``spanishgas`` command: one entry point with a subcommand per job.

Every subcommand that touches data takes ``--lake DIR|s3://bucket/prefix`` (default ``data/lake`` or
``$SPANISHGAS_LAKE``). Failures print one paragraph and exit non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable

from hamilton.data_quality.base import DataValidationError

from dataflow.errors import UserError
from dataflow.lake import LakeError, lake_uri


def _lake_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lake",
        default=None,
        help="lake folder or s3://bucket/prefix (default: $SPANISHGAS_LAKE or data/lake)",
    )


# ---- generate -------------------------------------------------------------------------------------
def add_generate(p: argparse.ArgumentParser) -> None:
    from dataflow.generate.worlds import DEFAULT_WORLD, WORLDS

    _lake_arg(p)
    p.add_argument(
        "--world",
        default=DEFAULT_WORLD,
        choices=list(WORLDS),
        help="named world preset (signal strength, churn rate, contact share, text style; see docs/worlds.md)",
    )
    p.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers active on the scoring date (default: the world's size, "
        + "; ".join(f"{w.name} {w.customers:,}" for w in WORLDS.values())
        + ")",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (same arguments → same bytes)")
    p.add_argument("--consumption-format", choices=["parquet", "csv"], default="parquet")


def run_generate(a: argparse.Namespace) -> int:
    from dataflow.generate import generate

    summary = generate(
        lake_uri(a.lake),
        customers=a.customers,
        seed=a.seed,
        consumption_format=a.consumption_format,
        progress=print,
        world=a.world,
    )
    print(summary.describe())
    return 0


# ---- profile --------------------------------------------------------------------------------------
def run_profile(a: argparse.Namespace) -> int:
    from dataflow.profile import profile

    report = profile(lake_uri(a.lake), progress=print)
    print(report.table())
    return 0 if report.passed else 1


# ---- run ------------------------------------------------------------------------------------------
def add_run(p: argparse.ArgumentParser) -> None:
    _lake_arg(p)
    p.add_argument("--force", action="store_true", help="recompute even if this run was already published")
    p.add_argument(
        "--scoring-date", default=None, help="as-of date to score (default: day after the latest reading)"
    )
    p.add_argument("--experiment", default="E5", help="feature set of the champion (E0–E8, default E5)")
    p.add_argument(
        "--settle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait until raw/ has not changed for this long (for runs started by an upload event)",
    )
    p.add_argument(
        "--model-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a model setting, e.g. min_pr_auc=0.6 or target_recall=0.8 (repeatable)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "dask"],
        default=None,
        help="where the hourly map's tasks (one per consumption file) run: this process (local, the default) or a "
        "Dask cluster (default: $SPANISHGAS_EXECUTOR or local); the results are the same",
    )
    p.add_argument(
        "--dask-scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --executor dask: a running scheduler, e.g. tcp://10.0.1.5:8786 "
        "(default: $SPANISHGAS_DASK_SCHEDULER, else a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --executor dask and no scheduler: worker processes of the local cluster (default: the CPU count)",
    )


def run_run(a: argparse.Namespace) -> int:
    from dataflow.config import PipelineConfig
    from dataflow.pipeline import run_pipeline

    if a.settle > 0:
        from dataflow.aws.watch import wait_until_settled

        wait_until_settled(lake_uri(a.lake), quiet_s=a.settle)
    config = PipelineConfig(
        scoring_date=_iso_date(a.scoring_date, "--scoring-date") if a.scoring_date else None,
        champion_experiment=a.experiment,
        model_overrides=_settings(a.model_setting),
    )
    from dataflow.runtime import time_budget

    with time_budget():  # $SPANISHGAS_RUN_TIMEOUT_MINUTES; SIGTERM too: recorded as a failed run, alerted
        result = run_pipeline(
            lake_uri(a.lake),
            config,
            force=a.force,
            progress=print,
            executor=a.executor,
            dask_scheduler=a.dask_scheduler,
            workers=a.workers,
        )
    print(result.describe())
    return 0 if result.status in ("published", "skipped") else 1


def _iso_date(text: str, flag: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} expects a date like 2025-01-01, got {text!r}") from None


def _settings(pairs: list[str]) -> dict:
    """KEY=VALUE strings → dict, values parsed as JSON when possible (numbers, booleans), else text."""
    import json

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--model-setting expects KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


# ---- watch ----------------------------------------------------------------------------------------
def add_watch(p: argparse.ArgumentParser) -> None:
    _lake_arg(p)
    p.add_argument("--interval", type=float, default=30, help="seconds between polls (default 30)")
    p.add_argument("--debounce", type=float, default=60, help="seconds raw/ must stay unchanged (default 60)")
    p.add_argument("--once", action="store_true", help="exit after the first run")


def run_watch(a: argparse.Namespace) -> int:
    from dataflow.aws.watch import main as watch_main

    args = ["--interval", str(a.interval), "--debounce", str(a.debounce)] + (["--once"] if a.once else [])
    return watch_main(args + (["--lake", a.lake] if a.lake else []))


# ---- dag / lineage --------------------------------------------------------------------------------
def add_dag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="dag.png", help="image file to write (.png, .svg or .pdf)")


def run_dag(a: argparse.Namespace) -> int:
    from dataflow.lineage import render_dag

    path = render_dag(a.out)
    print(f"DAG written to {path}")
    return 0


def add_lineage(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="a node (e.g. gold_features) or a raw file (e.g. price_history.csv)")


def run_lineage(a: argparse.Namespace) -> int:
    from dataflow.lineage import lineage

    print(lineage(a.name).describe())
    return 0


def add_nodes(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--check", action="store_true", help="only check that docs/nodes.md is current (exit 1 if not)"
    )


def run_nodes(a: argparse.Namespace) -> int:
    from dataflow.lineage import NODES_DOC, node_catalogue

    text = node_catalogue()
    current = NODES_DOC.is_file() and NODES_DOC.read_text(encoding="utf-8") == text
    if a.check:
        print(f"{NODES_DOC} is " + ("current" if current else "out of date: run `spanishgas nodes`"))
        return 0 if current else 1
    NODES_DOC.write_text(text, encoding="utf-8")
    print(f"node catalogue written to {NODES_DOC}")
    return 0


# ---- dashboard ------------------------------------------------------------------------------------
def _in_container() -> bool:
    import os
    from pathlib import Path

    return Path("/.dockerenv").exists() or "ECS_CONTAINER_METADATA_URI_V4" in os.environ


def add_dashboard(p: argparse.ArgumentParser) -> None:
    _lake_arg(p)
    p.add_argument(
        "--host", default=None, help="address to listen on (default 127.0.0.1; 0.0.0.0 inside a container)"
    )
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")


def run_dashboard(a: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    candidates = [
        Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py",  # a source checkout
        Path.cwd() / "app" / "streamlit_app.py",
    ]  # the container image (WORKDIR /app)
    script = next((c for c in candidates if c.is_file()), None)
    if script is None:
        raise UserError(
            "the dashboard (app/streamlit_app.py) was not found next to the package or in the "
            "current folder: run it from the repository root"
        )
    host = a.host or ("0.0.0.0" if _in_container() else "127.0.0.1")
    env = {**os.environ, "SPANISHGAS_LAKE": lake_uri(a.lake)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        host,
        "--server.port",
        str(a.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    print(
        f"dashboard on http://{host}:{a.port} for lake {env['SPANISHGAS_LAKE']} (Ctrl+C stops it)", flush=True
    )
    os.execve(sys.executable, cmd, env)  # the server replaces this process: signals reach it directly
    return 0


# ---- experiments / evaluate-truth (modeling) ------------------------------------------------------
def add_experiments(p: argparse.ArgumentParser) -> None:
    _lake_arg(p)
    p.add_argument(
        "--max-train-rows",
        type=int,
        default=None,
        help="cap on training rows per fit (default 120,000; 0 = all)",
    )


def run_experiments(a: argparse.Namespace) -> int:
    from dataflow.experiments_job import format_table
    from dataflow.experiments_job import run_experiments as ladder

    overrides = {} if a.max_train_rows is None else {"experiment_max_train_rows": a.max_train_rows}
    print("running experiments E0–E8 × logistic / random forest / XGBoost …")
    run_id, table, seconds = ladder(lake_uri(a.lake), overrides)
    print(format_table(table))
    print(
        f"experiments of run {run_id}: {table.height} fits in {seconds:.0f}s → registry/experiments.parquet"
    )
    return 0


def add_evaluate_truth(p: argparse.ArgumentParser) -> None:
    _lake_arg(p)
    p.add_argument(
        "--all-worlds",
        action="store_true",
        help="generate every world preset into the system temp dir, run the pipeline, print one table",
    )
    p.add_argument("--worlds", default=None, help="with --all-worlds: comma-separated subset of presets")
    p.add_argument("--seeds", default="42", help="with --all-worlds: comma-separated seeds (default 42)")
    p.add_argument(
        "--customers", type=int, default=None, help="with --all-worlds: book size (default: each world's)"
    )
    p.add_argument("--keep", action="store_true", help="with --all-worlds: keep the generated lakes")


def run_evaluate_truth(a: argparse.Namespace) -> int:
    from dataflow.truth import evaluate_truth, evaluate_worlds, format_world_table, world_table_legend

    if not a.all_worlds:
        print(evaluate_truth(lake_uri(a.lake)).describe())
        return 0
    try:
        seeds = tuple(int(s) for s in a.seeds.split(",") if s.strip())
    except ValueError:
        raise UserError(f"--seeds expects comma-separated integers, got {a.seeds!r}") from None
    names = [w.strip() for w in a.worlds.split(",")] if a.worlds else None
    rows = evaluate_worlds(names, seeds, a.customers, progress=print, keep=a.keep)
    print(format_world_table(rows))
    print(world_table_legend())
    return 0 if all(r["passes"] for r in rows) else 1


COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {
    "generate": (
        "write a synthetic raw/ folder (and truth/) in the raw contract's layout",
        add_generate,
        run_generate,
    ),
    "profile": (
        "compare a raw/ folder's statistics with the real extracts' reference values",
        _lake_arg,
        run_profile,
    ),
    "run": ("run the pipeline on <lake>/raw/ and publish the outputs under <lake>/runs/", add_run, run_run),
    "watch": (
        "poll <lake>/raw/ and start one run per settled change (the local S3-event stand-in)",
        add_watch,
        run_watch,
    ),
    "dag": ("render the pipeline DAG as an image (needs graphviz)", add_dag, run_dag),
    "lineage": ("show what a node or raw file feeds and depends on", add_lineage, run_lineage),
    "nodes": ("write docs/nodes.md, the catalogue of every DAG node, from the DAG", add_nodes, run_nodes),
    "dashboard": (
        "serve the Streamlit dashboard over the lake's published run",
        add_dashboard,
        run_dashboard,
    ),
    "experiments": (
        "compare experiments E0–E8 × 3 model families on the current run's data",
        add_experiments,
        run_experiments,
    ),
    "evaluate-truth": (
        "score the current run against the generator's truth/ (generated data only; --all-worlds: every preset)",
        add_evaluate_truth,
        run_evaluate_truth,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spanishgas", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, _run) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    run = COMMANDS[args.command][2]
    from dataflow.runtime import configure_logging

    configure_logging()  # $SPANISHGAS_LOG_LEVEL; JSON lines on Fargate ($SPANISHGAS_LOG_FORMAT overrides)
    if not args.debug:
        # Hamilton logs every node failure with a traceback; our messages already say what went wrong
        logging.getLogger("hamilton").setLevel(logging.CRITICAL)
    try:
        return run(args)
    except (UserError, LakeError, DataValidationError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"spanishgas {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: still one paragraph unless --debug
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"spanishgas {args.command}: unexpected {type(exc).__name__}: {exc} "
                "(re-run with --debug for the traceback)",
                file=sys.stderr,
            )
        return 1


if __name__ == "__main__":
    sys.exit(main())
