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

# what a node or raw file feeds and depends on
[group('pipeline')]
lineage name: setup
    uv run --frozen spanishgas lineage "{{name}}"

# the test suite (the same command CI runs)
[group('quality')]
test *ARGS: setup
    uv run --frozen pytest {{ARGS}}

# ruff lint
[group('quality')]
lint: setup
    uv run --frozen ruff check .

# full-scale benchmark: per-stage times and peak memory → bench/results.json
[group('quality')]
bench *ARGS: setup
    uv run --frozen python -m dataflow.bench {{ARGS}}
