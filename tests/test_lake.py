"""The lake interface behaves the same on a folder and on S3 (moto server over real HTTP)."""

from __future__ import annotations

import polars as pl
import pytest

from dataflow.lake import Lake, LakeError, LocalLake, S3Lake
from dataflow.runs import current_run_id, publish, run_id_for


def _exercise(lake: Lake) -> None:
    assert lake.list("raw/") == []
    lake.write_text("raw/a.csv", "x,y\n1,2\n")
    lake.write_bytes("raw/sub/b.bin", b"\x00\x01")
    lake.write_json("runs/r1/manifest.json", {"run_id": "r1", "n": 3})
    df = pl.DataFrame({"customer_id": ["C00001", "C00002"], "v": [1.5, None]})
    lake.write_parquet("runs/r1/gold/t.parquet", df)

    assert lake.list("raw/") == ["raw/a.csv", "raw/sub/b.bin"]
    assert lake.read_text("raw/a.csv") == "x,y\n1,2\n"
    assert lake.size("raw/sub/b.bin") == 2
    assert lake.exists("raw/a.csv") and not lake.exists("raw/zzz.csv")
    assert lake.read_json("runs/r1/manifest.json") == {"n": 3, "run_id": "r1"}
    assert lake.read_parquet("runs/r1/gold/t.parquet").equals(df)
    assert lake.local_path("raw/a.csv").read_text() == "x,y\n1,2\n"
    # sha256 of "x,y\n1,2\n" worked out with `printf 'x,y\n1,2\n' | sha256sum`
    assert lake.sha256("raw/a.csv") == "81bf9fa83c6f7f151bd491a98cd7d933de3965289e3ebd77c6c425f7eaa16392"
    with pytest.raises(LakeError, match="does not exist"):
        lake.read_bytes("raw/missing.csv")
    lake.delete("raw/sub/b.bin")
    assert lake.list("raw/") == ["raw/a.csv"]

    assert current_run_id(lake) is None
    publish(lake, "r1")
    assert current_run_id(lake) == "r1"


def test_local_lake(tmp_path):
    lake = Lake.open(str(tmp_path / "lake"))
    assert isinstance(lake, LocalLake)
    _exercise(lake)


def test_s3_lake_over_http(s3_bucket):
    lake = Lake.open(f"s3://{s3_bucket}/some/prefix")
    assert isinstance(lake, S3Lake)
    _exercise(lake)
    # keys really live under the prefix in the bucket
    import boto3

    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert "some/prefix/raw/a.csv" in keys


def test_s3_missing_bucket_is_a_clear_error(moto_endpoint):
    lake = Lake.open("s3://no-such-bucket-here/x")
    with pytest.raises(LakeError, match="s3://no-such-bucket-here/x/raw/a.csv"):
        lake.write_text("raw/a.csv", "x")


def test_run_id_depends_on_inputs_code_and_config_only():
    a = run_id_for(["h1", "h2"], "code1", {"k": 1})
    assert a == run_id_for(["h2", "h1"], "code1", {"k": 1})  # order of inputs does not matter
    assert a != run_id_for(["h1", "h3"], "code1", {"k": 1})
    assert a != run_id_for(["h1", "h2"], "code2", {"k": 1})
    assert a != run_id_for(["h1", "h2"], "code1", {"k": 2})
    assert a.startswith("run-") and len(a) == 16
