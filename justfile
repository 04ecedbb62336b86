# SpanishGas churn platform — `just` lists the recipes; `just run` is the main job.
set shell := ["bash", "-euo", "pipefail", "-c"]
set dotenv-load := false

lake := env_var_or_default("SPANISHGAS_LAKE", "data/lake")

# list the recipes, grouped
default:
    @just --list --unsorted

# install the locked environment (.venv) with uv
[group('setup')]
setup:
    uv sync --frozen

# main job: generate data if the lake has none, check its profile, run the whole pipeline, print a summary
[group('pipeline')]
run: setup
    if [ ! -e "{{lake}}/raw/churn_label.csv" ] && [[ "{{lake}}" != s3://* ]]; then uv run --frozen spanishgas generate --lake "{{lake}}"; fi
    uv run --frozen spanishgas profile --lake "{{lake}}"
    uv run --frozen spanishgas run --lake "{{lake}}"

# write a synthetic raw/ folder (pass e.g. --customers 2000 --seed 7)
[group('pipeline')]
generate *ARGS: setup
    uv run --frozen spanishgas generate --lake "{{lake}}" {{ARGS}}

# compare the lake's raw/ with the real extracts' reference statistics
[group('pipeline')]
profile: setup
    uv run --frozen spanishgas profile --lake "{{lake}}"

# render the DAG to dag.png (needs graphviz)
[group('pipeline')]
dag out="dag.png": setup
    uv run --frozen spanishgas dag --out "{{out}}"

# regenerate docs/nodes.md (every DAG node with its layer, inputs, publish folder and meaning)
[group('pipeline')]
nodes: setup
    uv run --frozen spanishgas nodes

# what a node or raw file feeds and depends on
[group('pipeline')]
lineage name: setup
    uv run --frozen spanishgas lineage "{{name}}"

# the test suite (the same command CI runs): formatting and lint first, then pytest
[group('quality')]
test *ARGS: setup
    uv run --frozen ruff format --check .
    uv run --frozen ruff check .
    uv run --frozen pytest {{ARGS}}

# ruff lint and format check (`just fmt` rewrites)
[group('quality')]
lint: setup
    uv run --frozen ruff format --check .
    uv run --frozen ruff check .

# apply ruff's formatting
[group('quality')]
fmt: setup
    uv run --frozen ruff format .
    uv run --frozen ruff check --fix .

# full-scale benchmark: per-stage times and peak memory → bench/results.json
[group('quality')]
bench *ARGS: setup
    uv run --frozen python -m dataflow.bench {{ARGS}}

# start the whole stack in Docker Compose: emulator (localstack | moto), pipeline, dashboard, notebooks
[group('aws')]
up emulator="localstack":
    EMULATOR_ACCOUNT_ID={{ if emulator == "moto" { "123456789012" } else { "000000000000" } }} docker compose --profile {{emulator}} up --build -d
    @echo "dashboard http://localhost:8501 · notebooks http://localhost:2718 · just logs pipeline"

# stop the stack and remove its volumes
[group('aws')]
down:
    docker compose --profile localstack --profile moto --profile watch down --volumes --remove-orphans

# follow the stack's logs (optionally one service)
[group('aws')]
logs service="":
    docker compose --profile localstack --profile moto --profile watch logs -f {{service}}

# static checks of the Terraform (checkov, every skip justified inline)
[group('aws')]
tf-check:
    uvx checkov -d terraform --quiet --compact

# validate docker-compose.yml with a real Compose v2 binary (no Docker engine needed)
[group('aws')]
compose-check:
    uv run --frozen docker-compose --profile localstack config --quiet
    uv run --frozen docker-compose --profile moto config --quiet

# serve the dashboard on http://127.0.0.1:8501 over the lake's published run
[group('pipeline')]
dashboard: setup
    uv run --frozen spanishgas dashboard --lake "{{lake}}"

# compare E0–E8 × logistic / random forest / XGBoost on the published run's data
[group('pipeline')]
experiments: setup
    uv run --frozen spanishgas experiments --lake "{{lake}}"

# score the published run against the generator's truth/ (generated data only)
[group('pipeline')]
evaluate-truth: setup
    uv run --frozen spanishgas evaluate-truth --lake "{{lake}}"
