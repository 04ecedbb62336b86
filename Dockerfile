# syntax=docker/dockerfile:1.7
# One image for the pipeline (`spanishgas run`), the dashboard (`spanishgas dashboard`) and the notebooks
# (`marimo edit ...`). Build: docker build -t spanishgas:local .
FROM ghcr.io/astral-sh/uv:0.13 AS uv

# ---- builder: resolve the locked dependencies into /app/.venv ------------------------------------------------
FROM python:3.11-slim-bookworm AS builder
COPY --from=uv /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# dependencies first (cached while only the code changes), then the project itself
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY dataflow ./dataflow
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---- runtime: slim Python, graphviz for DAG images, non-root ---------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --home-dir /home/spanishgas --shell /usr/sbin/nologin spanishgas
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY app ./app
COPY --chown=spanishgas:spanishgas notebooks ./notebooks
RUN mkdir -p /app/data && chown spanishgas:spanishgas /app/data
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/spanishgas
USER spanishgas
EXPOSE 8501 2718
# No image-wide HEALTHCHECK: the pipeline is a one-shot task. The dashboard's check lives in
# docker-compose.yml and in the ECS task definition (GET /_stcore/health).
HEALTHCHECK NONE
ENTRYPOINT ["spanishgas"]
CMD ["--help"]
