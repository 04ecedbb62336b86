# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
# Two targets from one Dockerfile, every base pinned by digest (bump tag and digest together):
#   runtime  (default, last) = the pipeline, the dashboard (`spanishgas dashboard`) and the notebooks (`marimo edit`)
#   pipeline                 = `spanishgas run` only: no Streamlit/marimo/Altair, no graphviz (~27 % smaller venv);
#                              what the Fargate pipeline task can run: docker build --target pipeline .
# Build: docker build -t spanishgas:local .
#
# Read-only root filesystem (Fargate readonlyRootFilesystem, Compose read_only): the app writes only under
# $SPANISHGAS_SCRATCH (default /tmp/spanishgas) and, for Streamlit/marimo, $HOME. Both are declared below and
# owned by uid 10001; the task definition / Compose mount a volume or tmpfs there.
FROM ghcr.io/astral-sh/uv:0.13.0@sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168 AS uv

# python:3.11-slim-bookworm (3.11.16), multi-arch index digest
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS python

# ---- builders: resolve the locked dependencies into /app/.venv ---------------------------------------------------
FROM python AS builder-pipeline
COPY --from=uv /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# dependencies first (cached while only the code changes), then the project itself
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-default-groups --no-install-project
COPY dataflow ./dataflow
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-default-groups --no-editable

FROM builder-pipeline AS builder
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-default-groups --group ui --no-editable

# ---- the common runtime base: non-root user, its writable paths --------------------------------------------------
FROM python AS base
RUN useradd --uid 10001 --create-home --home-dir /home/spanishgas --shell /usr/sbin/nologin spanishgas \
    && install -d -o 10001 -g 10001 -m 0700 /tmp/spanishgas /app/data
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/spanishgas
# The only writable paths. Declared as volumes so that an ECS bind mount (the task's scratch/home volume) takes
# this ownership and mode (/tmp 1777, home 10001); undeclared, Fargate mounts them root:root 0755 and uid 10001
# could not write (AWS ECS docs, "Use bind mounts"). Compose mounts tmpfs here instead.
VOLUME ["/tmp", "/home/spanishgas"]
WORKDIR /app
EXPOSE 8501 2718
# No image-wide HEALTHCHECK: the pipeline is a one-shot task. The dashboard's check lives in
# docker-compose.yml and in the ECS task definition (GET /_stcore/health).
HEALTHCHECK NONE
ENTRYPOINT ["spanishgas"]
CMD ["--help"]

# ---- pipeline: `spanishgas run` only -------------------------------------------------------------------------------
FROM base AS pipeline
COPY --from=builder-pipeline /app/.venv /app/.venv
USER spanishgas

# ---- runtime (default): pipeline, dashboard, notebooks; graphviz for DAG images ------------------------------------
FROM base AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /app/.venv /app/.venv
COPY app ./app
COPY --chown=spanishgas:spanishgas notebooks ./notebooks
USER spanishgas
