"""The lake: one small interface over a local folder or an ``s3://bucket/prefix``.

Every reader and writer of the platform (generator, pipeline, dashboard, notebooks) goes through
:class:`Lake`, so the same code runs on a laptop folder, on LocalStack/moto and on AWS S3. Keys are
always POSIX-style paths relative to the lake root (``raw/customer_attributes.csv``).
S3 endpoints come from the standard AWS environment (``AWS_ENDPOINT_URL``, ``AWS_REGION``, keys).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl

DEFAULT_LAKE = "data/lake"
LAKE_ENV = "SPANISHGAS_LAKE"


class LakeError(RuntimeError):
    """A lake operation failed (missing key, unreachable bucket, refused write)."""


def file_sha256(path: str | Path) -> str:
    """Content hash of a local file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lake_uri(uri: str | None = None) -> str:
    """The lake location to use: the explicit one, else ``$SPANISHGAS_LAKE``, else ``data/lake``."""
    return uri or os.environ.get(LAKE_ENV) or DEFAULT_LAKE


class Lake:
    """Base class: the operations every lake supports. Use :meth:`open` to get one."""

    uri: str

    @staticmethod
    def open(uri: str | None = None) -> Lake:
        """Open a lake from a folder path or an ``s3://bucket/prefix`` URI."""
        uri = lake_uri(uri)
        if uri.startswith("s3://"):
            return S3Lake(uri)
        return LocalLake(uri)

    # --- primitives every backend implements -------------------------------------------------
    def read_bytes(self, key: str) -> bytes:
        raise NotImplementedError

    def write_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def write_file(self, key: str, path: str | Path) -> None:
        """Upload/copy a local file to ``key``."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list(self, prefix: str = "") -> list[str]:
        """All keys under ``prefix`` (recursive), sorted."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def size(self, key: str) -> int:
        raise NotImplementedError

    def local_path(self, key: str) -> Path:
        """A local file with the key's content (the file itself for a folder lake, a cached download for S3)."""
        raise NotImplementedError

    def uri_of(self, key: str) -> str:
        """Human-readable location of a key, for messages."""
        raise NotImplementedError

    # --- conveniences built on the primitives ------------------------------------------------
    def read_text(self, key: str) -> str:
        return self.read_bytes(key).decode("utf-8")

    def write_text(self, key: str, text: str) -> None:
        self.write_bytes(key, text.encode("utf-8"))

    def read_json(self, key: str) -> Any:
        return json.loads(self.read_bytes(key))

    def write_json(self, key: str, obj: Any) -> None:
        self.write_bytes(key, json.dumps(obj, indent=2, sort_keys=True, default=str).encode("utf-8"))

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pl.DataFrame:
        return pl.read_parquet(self.local_path(key), columns=columns)

    def write_parquet(self, key: str, df: pl.DataFrame) -> None:
        """Written to a file under the scratch root, then uploaded: a large table's Parquet bytes are never
        held in memory (twice, as a buffer and its copy)."""
        import tempfile

        from dataflow.runtime import scratch_dir

        folder = scratch_dir() / "parquet"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            path = Path(tmp) / "table.parquet"
            df.write_parquet(path, compression="zstd", statistics=True)
            self.write_file(key, path)

    def sha256(self, key: str) -> str:
        return file_sha256(self.local_path(key))


class LocalLake(Lake):
    """A lake in a local folder (default ``data/lake``)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.uri = str(self.root)

    def _p(self, key: str) -> Path:
        return self.root / key

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._p(key).read_bytes()
        except FileNotFoundError as exc:
            raise LakeError(f"{self.uri_of(key)} does not exist") from exc

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._p(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic on one filesystem: readers never see half a file

    def write_parquet(self, key: str, df: pl.DataFrame) -> None:
        """Written next to its destination and renamed into place: no copy in memory, readers never see half."""
        path = self._p(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        df.write_parquet(tmp, compression="zstd", statistics=True)
        os.replace(tmp, path)

    def write_file(self, key: str, path: str | Path) -> None:
        dest = self._p(key)
        if Path(path).resolve() == dest.resolve():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)

    def exists(self, key: str) -> bool:
        return self._p(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        base = self.root
        if not base.exists():
            return []
        keys = []
        for p in base.rglob("*"):
            if p.is_file() and not p.name.startswith("."):
                k = p.relative_to(base).as_posix()
                if k.startswith(prefix):
                    keys.append(k)
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._p(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        return self._p(key).stat().st_size

    def local_path(self, key: str) -> Path:
        p = self._p(key)
        if not p.is_file():
            raise LakeError(f"{self.uri_of(key)} does not exist")
        return p

    def uri_of(self, key: str) -> str:
        return str(self._p(key))


class S3Lake(Lake):
    """A lake under ``s3://bucket/prefix`` (AWS, LocalStack or a moto server via ``AWS_ENDPOINT_URL``)."""

    def __init__(self, uri: str):
        rest = uri[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise LakeError(f"bad S3 lake URI {uri!r}: expected s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = uri.rstrip("/")
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import boto3

            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
            self._client = boto3.client(
                "s3", region_name=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None
            )
        return self._client

    def _k(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, key: str, fn, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise LakeError(f"{self.uri_of(key)} does not exist") from exc
            raise LakeError(f"S3 {what} of {self.uri_of(key)} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise LakeError(f"S3 {what} of {self.uri_of(key)} failed: {exc}") from exc

    def read_bytes(self, key: str) -> bytes:
        resp = self._call("read", key, self.client.get_object, Bucket=self.bucket, Key=self._k(key))
        return resp["Body"].read()

    def write_bytes(self, key: str, data: bytes) -> None:
        self._call("write", key, self.client.put_object, Bucket=self.bucket, Key=self._k(key), Body=data)

    def write_file(self, key: str, path: str | Path) -> None:
        self._call("upload", key, self.client.upload_file, str(path), self.bucket, self._k(key))

    def exists(self, key: str) -> bool:
        try:
            self._call("head", key, self.client.head_object, Bucket=self.bucket, Key=self._k(key))
            return True
        except LakeError as exc:
            if "does not exist" in str(exc):
                return False
            raise

    def list(self, prefix: str = "") -> list[str]:
        full = self._k(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        keys = []
        paginator = self.client.get_paginator("list_objects_v2")
        strip = len(self.prefix) + 1 if self.prefix else 0
        pages = self._call("list", prefix, lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=full)))
        for page in pages:
            for obj in page.get("Contents", []):
                keys.append(obj["Key"][strip:])
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._call("delete", key, self.client.delete_object, Bucket=self.bucket, Key=self._k(key))

    def size(self, key: str) -> int:
        resp = self._call("head", key, self.client.head_object, Bucket=self.bucket, Key=self._k(key))
        return int(resp["ContentLength"])

    def local_path(self, key: str) -> Path:
        """Download once into a cache keyed by bucket, key and ETag; later calls reuse it."""
        head = self._call("head", key, self.client.head_object, Bucket=self.bucket, Key=self._k(key))
        etag = head["ETag"].strip('"').replace("-", "_")
        from dataflow.runtime import cache_root

        cache = cache_root() / "s3"
        dest = cache / self.bucket / self._k(key) / etag / Path(key).name
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
            self._call("download", key, self.client.download_file, self.bucket, self._k(key), str(tmp))
            os.replace(tmp, dest)
        return dest

    def uri_of(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._k(key)}"
