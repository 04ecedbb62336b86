"""Every dashboard page rendered with Streamlit's AppTest against a published lake, numbers checked against
the lake's own files (expected values computed here with Polars, independently of the app's DuckDB queries)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from conftest_app import ROOT, copy_without, current_run, published_lake_dir, run_again
from streamlit.testing.v1 import AppTest

APP = ROOT / "app" / "streamlit_app.py"
PAGES = [
    "overview",
    "data_explorer",
    "model_performance",
    "customer_risk",
    "customer_lookup",
    "recommendations",
    "drift_monitor",
    "pipeline_status",
]
TIERS = ["Low", "Medium", "High", "Critical"]


@pytest.fixture(scope="module")
def lake() -> Path:
    return published_lake_dir()


@pytest.fixture(scope="module")
def run_dir(lake: Path) -> Path:
    return lake / "runs" / current_run(lake)


@pytest.fixture(scope="module")
def scores(run_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(run_dir / "scored" / "scores.parquet")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def open_page(monkeypatch, lake: Path, page: str) -> AppTest:
    """Run the app on ``lake`` and switch to ``page``; fails on any exception element."""
    monkeypatch.setenv("SPANISHGAS_LAKE", str(lake))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def widget(at: AppTest, kind: str, label: str):
    found = [w for w in getattr(at, kind) if w.label == label]
    assert found, f"no {kind} {label!r}; have {[w.label for w in getattr(at, kind)]}"
    return found[0]


def charts(at: AppTest) -> list[tuple[dict, list[pl.DataFrame]]]:
    """Every Altair chart on the page: its Vega-Lite spec and its datasets."""
    out = []
    for el in at.get("vega_lite_chart"):
        frames = [pl.from_arrow(pa.ipc.open_stream(d.data.data).read_all()) for d in el.proto.datasets]
        out.append((json.loads(el.proto.spec), frames))
    return out


def chart_titled(at: AppTest, title: str) -> pl.DataFrame:
    """The data of the chart whose category tooltip is called ``title``."""
    for spec, frames in charts(at):
        if any(t.get("title") == title for t in spec.get("encoding", {}).get("tooltip", [])):
            return frames[0]
    raise AssertionError(f"no chart titled {title!r}")


def eur(x: float) -> str:
    return f"-€{abs(x):,.0f}" if x < 0 else f"€{x:,.0f}"


def eur2(x: float) -> str:
    return f"-€{abs(x):,.2f}" if x < 0 else f"€{x:,.2f}"


# ---- pages ----------------------------------------------------------------------------------------------
def test_overview_numbers(monkeypatch, lake, run_dir, scores):
    at = open_page(monkeypatch, lake, "overview")
    n = scores.height
    at_risk = scores.filter(pl.col("risk_tier").is_in(["High", "Critical"])).height
    assert metric(at, "Customers scored") == f"{n:,}"
    assert metric(at, "At-risk share") == f"{at_risk / n:.1%}"
    assert metric(at, "Monthly margin at risk") == eur(scores["expected_monthly_loss"].sum())
    counts = dict(scores.group_by("risk_tier").len().iter_rows())
    for tier in TIERS:
        assert metric(at, f"{tier} tier") == f"{counts.get(tier, 0):,}"
    ev = read_json(run_dir / "model" / "evaluation.json")
    assert metric(at, "PR-AUC") == f"{ev['pr_auc']:.3f}"
    assert metric(at, "ROC-AUC") == f"{ev['roc_auc']:.3f}"
    assert metric(at, "ECE") == f"{ev['ece']:.3f}"
    assert read_json(run_dir / "manifest.json")["status"] == "published"
    assert metric(at, "Status") == "Published"
    promotion = read_json(run_dir / "model" / "promotion.json")
    assert any(promotion["decision"] in m.value for m in at.markdown)


def test_summary_dashboard_and_csv_agree_on_tiers(monkeypatch, lake, run_dir, scores):
    """One notion of "at risk": the run's tier summary (what `spanishgas run` prints), the overview page and the
    recommendations CSV count the same customers per tier and in the action tiers."""
    from app import data, queries

    summary = read_json(run_dir / "scored" / "tiers.json")
    at = open_page(monkeypatch, lake, "overview")
    for row in summary["tiers"]:
        assert metric(at, f"{row['risk_tier']} tier") == f"{row['n']:,}"
    assert summary["at_risk"] == scores.filter(pl.col("churn_pred")).height
    assert metric(at, "At-risk share") == f"{summary['at_risk_share']:.1%}"
    assert metric(at, "Expected churners (Σ p)") == f"{summary['expected_churners']:,.0f}"
    assert summary["expected_churners"] == pytest.approx(scores["churn_proba"].sum())
    run = data.Run(str(lake), current_run(lake))
    raw = queries.reco_csv(run, (), tuple(summary["action_tiers"]), ())
    csv = pl.read_csv(raw[3:], infer_schema=False)  # after the UTF-8 BOM; headers in words
    assert csv.height == summary["at_risk"]
    assert set(csv[queries.CSV_HEADERS["customer_id"]]) == set(
        scores.filter(pl.col("churn_pred"))["customer_id"]
    )


def test_data_explorer_browse_filter_and_raw(monkeypatch, lake, run_dir):
    at = open_page(monkeypatch, lake, "data_explorer")
    gold_rows = pl.scan_parquet(run_dir / "gold" / "gold_features.parquet").select(pl.len()).collect().item()
    assert any(f"of {gold_rows:,} rows" in c.value for c in at.caption)
    assert at.dataframe[0].value.shape[0] == min(50, gold_rows)

    widget(at, "selectbox", "Layer").set_value("silver").run()
    widget(at, "selectbox", "Table").set_value(f"runs/{run_dir.name}/silver/silver_customer.parquet").run()
    silver = pl.read_parquet(run_dir / "silver" / "silver_customer.parquet", columns=["segment"])
    segment = silver["segment"].drop_nulls().mode().sort()[0]
    widget(at, "multiselect", "Columns").set_value(["customer_id", "segment"])
    widget(at, "selectbox", "Column 1").set_value("segment")
    widget(at, "text_input", "Value 1").set_value(segment).run()
    expected = silver.filter(pl.col("segment") == segment).height
    assert any(f"of {expected:,} rows matching 1 filter(s)" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["customer_id", "segment"] and set(shown["segment"]) == {segment}

    widget(at, "selectbox", "Layer").set_value("raw").run()
    widget(at, "selectbox", "Table").set_value("raw/customer_attributes.csv").run()
    raw_rows = pl.read_csv(lake / "raw" / "customer_attributes.csv", infer_schema=False).height
    assert any(f"of {raw_rows:,} rows" in c.value for c in at.caption)
    assert not at.exception


def test_data_explorer_churn_charts_match_gold(monkeypatch, lake, run_dir):
    at = open_page(monkeypatch, lake, "data_explorer")
    assert not at.get("vega_lite_chart"), "the closed tab must not render"
    at.session_state["explorer_tab"] = "Churn drivers"
    at.run()
    gold = pl.read_parquet(
        run_dir / "gold" / "gold_features.parquet",
        columns=["churned_within_horizon", "renewal_bucket", "sales_channel"],
    )
    labelled = gold.filter(pl.col("churned_within_horizon").is_not_null())
    for column, title in (("renewal_bucket", "Months to renewal"), ("sales_channel", "Sales channel")):
        want = labelled.group_by(column).agg(
            pl.col("churned_within_horizon").cast(pl.Float64).mean().alias("rate"), pl.len().alias("n")
        )
        got = chart_titled(at, title)
        want = want.with_columns(pl.col(column).cast(pl.String).fill_null("unknown"))
        joined = got.join(want, left_on="value", right_on=column)
        assert joined.height == want.height
        assert (joined["snapshots"] == joined["n"]).all()
        assert ((joined["churn_rate"] - joined["rate"]).abs() < 1e-9).all()


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open a tab of the Model Performance page (only the open tab's content is rendered)."""
    at.session_state["model_tab"] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_model_performance(monkeypatch, lake, run_dir):
    at = open_page(monkeypatch, lake, "model_performance")
    ev = read_json(run_dir / "model" / "evaluation.json")
    c = ev["confusion"]
    assert metric(at, "PR-AUC") == f"{ev['pr_auc']:.3f}"
    assert metric(at, "ROC-AUC") == f"{ev['roc_auc']:.3f}"
    assert metric(at, "Precision") == f"{c['tp'] / (c['tp'] + c['fp']):.3f}"
    assert metric(at, "Recall") == f"{c['tp'] / (c['tp'] + c['fn']):.3f}"
    assert not any("actual" in fs[0].columns for spec, fs in charts(at)), "closed tabs are not rendered"
    open_tab(at, "Curves and calibration")
    matrix = next(frames[0] for spec, frames in charts(at) if "actual" in frames[0].columns)
    assert sorted(matrix["customers"].to_list()) == sorted([c["tp"], c["fp"], c["fn"], c["tn"]])
    open_tab(at, "Experiments and promotion")
    ladder = lake / "registry" / "experiments.parquet"
    if ladder.is_file():
        rows = pl.read_parquet(ladder).height
        assert any(df.value.shape[0] == rows for df in at.dataframe)
    else:
        assert any("just experiments" in i.value for i in at.info)
    top = max(ev["feature_importance"], key=lambda r: r["mean_abs_shap"])["feature"]
    importance = next(frames[0] for spec, frames in charts(at) if "mean_abs_shap" in frames[0].columns)
    assert importance["feature"][0] == top
    decision = read_json(run_dir / "model" / "promotion.json")["decision"]
    assert any(f"Candidate **{decision}**" in a.value for a in [*at.success, *at.warning])


def test_customer_risk_filters(monkeypatch, lake, run_dir, scores):
    at = open_page(monkeypatch, lake, "customer_risk")
    risky = scores.filter(pl.col("risk_tier").is_in(["High", "Critical"]))
    assert metric(at, "Customers matching") == f"{risky.height:,}"
    assert metric(at, "Their margin at risk (€/month)") == eur(risky["expected_monthly_loss"].sum())
    table = at.dataframe[-1].value
    if risky.height:
        best = risky.sort(
            ["expected_monthly_loss", "churn_proba", "customer_id"], descending=[True, True, False]
        )
        assert table["customer_id"].iloc[0] == best["customer_id"][0]
    assert len(table) == min(50, risky.height)
    tiers = read_json(run_dir / "model" / "evaluation.json")["tiers"]
    shown = at.dataframe[0].value
    assert list(shown["risk_tier"]) == [t["risk_tier"] for t in tiers]
    for got, want in zip(shown["observed_churn_rate"], tiers, strict=True):  # a missing rate shows as a dash
        if want["observed_churn_rate"] is None:
            assert got == "—"
        else:
            value = float(str(got).rstrip("%")) / 100 if isinstance(got, str) else float(got)
            assert abs(value - want["observed_churn_rate"]) < (5e-5 if isinstance(got, str) else 1e-12)

    segment = scores["segment"].drop_nulls().mode().sort()[0]
    widget(at, "multiselect", "Risk tier").set_value(TIERS)
    widget(at, "multiselect", "Segment").set_value([segment]).run()
    chosen = scores.filter(pl.col("segment") == segment)
    assert metric(at, "Customers matching") == f"{chosen.height:,}"
    assert set(at.dataframe[-1].value["segment"]) == {segment}


def test_customer_lookup(monkeypatch, lake, run_dir, scores):
    at = open_page(monkeypatch, lake, "customer_lookup")
    top = scores.sort(["expected_monthly_loss", "customer_id"], descending=[True, False]).row(0, named=True)
    assert at.text_input[0].value == top["customer_id"]
    assert metric(at, "Churn probability") == f"{top['churn_proba']:.1%}"
    assert metric(at, "Risk tier") == top["risk_tier"]

    other = scores.sort("churn_proba").row(0, named=True)
    at.text_input[0].set_value(other["customer_id"].lower() + " ").run()
    assert not at.exception
    assert metric(at, "Churn probability") == f"{other['churn_proba']:.1%}"
    assert metric(at, "Risk tier") == other["risk_tier"]
    assert any(other["reason_text_1"] in m.value for m in at.markdown)
    at.session_state["lookup_months"] = True  # open the "Monthly rows" expander (its content is lazy)
    at.run()
    months = pl.read_parquet(run_dir / "silver" / "silver_customer_month.parquet", columns=["customer_id"])
    n_months = months.filter(pl.col("customer_id") == other["customer_id"]).height
    assert any(df.value.shape[0] == n_months and "month" in df.value.columns for df in at.dataframe)
    reco = (
        pl.read_parquet(run_dir / "scored" / "recommendations.parquet")
        .filter(pl.col("customer_id") == other["customer_id"])
        .row(0, named=True)
    )
    assert metric(at, "Offer cost (€)") == f"€{reco['offer_cost_eur']:,.2f}"
    assert metric(at, "Expected net value (€)") == eur2(reco["expected_net_value_eur"])

    at.text_input[0].set_value("NOPE-404").run()
    assert any("No customer **NOPE-404**" in w.value for w in at.warning)


def test_recommendations_filters(monkeypatch, lake, run_dir):
    at = open_page(monkeypatch, lake, "recommendations")
    reco = pl.read_parquet(run_dir / "scored" / "recommendations.parquet")
    assert metric(at, "Customers") == f"{reco.height:,}"
    assert metric(at, "Offers selected") == f"{reco['selected'].sum():,}"
    assert metric(at, "Control group") == f"{reco['is_control'].sum():,}"
    assert metric(at, "Offer cost (12 months)") == eur(
        reco.filter(pl.col("selected"))["offer_cost_eur"].sum()
    )
    assert at.get("download_button")
    tier = reco.group_by("risk_tier").len().sort("len", descending=True)["risk_tier"][0]
    widget(at, "multiselect", "Risk tier").set_value([tier]).run()
    assert metric(at, "Customers") == f"{reco.filter(pl.col('risk_tier') == tier).height:,}"
    assert set(at.dataframe[-1].value["risk_tier"]) == {tier}


def test_recommendations_csv_is_the_call_list(monkeypatch, lake, run_dir):
    monkeypatch.setenv("SPANISHGAS_LAKE", str(lake))
    from app import data, queries

    reco = pl.read_parquet(run_dir / "scored" / "recommendations.parquet")
    scores = pl.read_parquet(run_dir / "scored" / "scores.parquet")
    silver = pl.read_parquet(run_dir / "silver" / "silver_customer.parquet")
    run = data.Run(str(lake), current_run(lake))
    raw = queries.reco_csv(run, (), ("Critical",), ())
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    got = pl.read_csv(raw[3:], infer_schema=False)
    critical = reco.filter(pl.col("risk_tier") == "Critical")
    assert got.height == critical.height
    assert set(got["Customer"]) == set(critical["customer_id"])
    for header in (
        "Risk tier",
        "Churn probability",
        "Expected monthly loss (EUR)",
        "Action",
        "When to call",
        "Offer cost, 12 months (EUR)",
        "Reason 1",
        "Reason 2",
        "Reason 3",
        "Sales channel",
        "Region",
        "Province code",
        "Renewal date",
        "Last contact channel",
    ):
        assert header in got.columns, header
    assert not any("_" in a for a in got["Action"].to_list()), "actions in words, not codes"
    if got.height:
        first = got.row(0, named=True)
        cid = first["Customer"]
        s = scores.filter(pl.col("customer_id") == cid).row(0, named=True)
        c = silver.filter(pl.col("customer_id") == cid).row(0, named=True)
        assert abs(float(first["Churn probability"]) - s["churn_proba"]) < 1e-4
        assert first["Sales channel"] == s["sales_channel"]
        assert first["Renewal date"] == str(c["next_renewal_date"])


def test_drift_monitor(monkeypatch, lake, run_dir):
    at = open_page(monkeypatch, lake, "drift_monitor")
    drift = pl.read_parquet(run_dir / "monitoring" / "drift.parquet")
    inputs = drift.filter(pl.col("kind") == "input")
    assert metric(at, "Features monitored") == f"{inputs.height:,}"
    assert metric(at, "Features drifted") == f"{inputs['drifted'].sum():,}"
    assert any(df.value.shape[0] == inputs.height for df in at.dataframe)
    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "None" not in text and "e-0" not in text
    for row in inputs.filter(pl.col("drifted")).to_dicts():  # a sentence per drifted feature, in plain words
        assert any(m.value.startswith("- ") and f"PSI {row['psi']:.2f}" in m.value for m in at.markdown), row
    evidence = next(df.value for df in at.dataframe if "ks_pvalue" in df.value.columns)
    assert not any("e-" in str(v) for v in evidence["ks_pvalue"]), "p-values without scientific notation"


def test_pipeline_status(monkeypatch, lake, run_dir):
    at = open_page(monkeypatch, lake, "pipeline_status")
    manifests = [read_json(p) for p in (lake / "runs").glob("*/manifest.json")]
    assert metric(at, "Runs") == f"{len(manifests):,}"
    assert metric(at, "Published") == f"{sum(m['status'] == 'published' for m in manifests):,}"
    manifest = read_json(run_dir / "manifest.json")
    rec = next(df.value for df in at.dataframe if "balanced" in df.value.columns)
    assert len(rec) == len(manifest["reconciliation"]) and rec["balanced"].all()
    files = list((lake / "quarantine" / run_dir.name).glob("*.parquet"))
    quarantined = sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in files)
    assert quarantined == sum(manifest["quarantined"].values())
    assert any(m.value == f"**Quarantine** ({quarantined:,} rows)" for m in at.markdown)
    # the generator's dirt (empty price ids, duplicates) stays within the error budget: shown as warnings
    warned = manifest["quality"]["within_budget"]
    assert warned and set(warned) <= {w.value for w in at.warning}
    from dataflow.lineage import lineage

    feeds = lineage("price_history.csv").downstream
    assert any(m.value == f"**Feeds** ({len(feeds)})" for m in at.markdown)
    if shutil.which("dot"):
        problems = [i.value for i in at.info if "DAG could not" in i.value]
        assert not problems, problems
        widget(at, "toggle", "Show the whole pipeline DAG (Hamilton)").set_value(True).run()
        assert at.get("image"), "the DAG image is missing although graphviz is installed: " + str(
            [i.value for i in at.info]
        )


# ---- lakes without a run or without model outputs -----------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_no_published_run_is_friendly(monkeypatch, tmp_path, page):
    at = open_page(monkeypatch, tmp_path / "empty-lake", page)
    assert any("No published run" in i.value for i in at.info)
    assert any("spanishgas run --lake" in m.value for m in at.markdown)


@pytest.fixture(scope="module")
def lake_without_scores(lake, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("noscores") / "lake"
    out = copy_without(lake, dest, "scored", "model", "monitoring/drift.parquet")
    shutil.rmtree(out / "registry", ignore_errors=True)
    return out


@pytest.mark.parametrize("page", PAGES)
def test_run_without_model_outputs_says_so(monkeypatch, lake_without_scores, page):
    at = open_page(monkeypatch, lake_without_scores, page)
    assert not at.error
    if page not in ("data_explorer", "pipeline_status"):
        assert any("is not in this run" in i.value for i in at.info), [i.value for i in at.info]


def test_pages_read_an_s3_lake(monkeypatch, lake, scores, s3_bucket, tmp_path):
    """The same pages over s3://bucket/prefix (moto over HTTP): files come through Lake.local_path downloads."""
    import boto3

    s3 = boto3.client("s3")
    for path in lake.rglob("*"):
        rel = path.relative_to(lake).as_posix()
        if path.is_file() and not rel.startswith(("raw/consumption", "truth/")):
            s3.upload_file(str(path), s3_bucket, f"lake/{rel}")
    monkeypatch.setenv("SPANISHGAS_CACHE", str(tmp_path / "s3-cache"))
    uri = f"s3://{s3_bucket}/lake"
    monkeypatch.setenv("SPANISHGAS_LAKE", uri)
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "Customers scored") == f"{scores.height:,}"
    for page in ("customer_risk", "recommendations", "pipeline_status"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])


def test_dashboard_command_is_registered():
    from dataflow.cli import COMMANDS, build_parser

    args = build_parser().parse_args(
        ["dashboard", "--lake", "s3://b/p", "--host", "0.0.0.0", "--port", "8600"]
    )
    assert (args.command, args.lake, args.host, args.port) == ("dashboard", "s3://b/p", "0.0.0.0", 8600)
    assert COMMANDS["dashboard"][2].__name__ == "run_dashboard"
    assert build_parser().parse_args(["dashboard"]).host is None  # 127.0.0.1, or 0.0.0.0 in a container


# ---- a second run: drift across runs, a rejected candidate served by the previous champion -----------------
@pytest.fixture(scope="module")
def lake_two_runs(lake, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("tworuns") / "lake"
    return run_again(lake, dest, "--scoring-date", "2024-12-01", "--model-setting", "min_pr_auc=0.999")


def test_second_run_history_drift_and_served_champion(monkeypatch, lake, lake_two_runs):
    first, second = current_run(lake), current_run(lake_two_runs)
    assert first != second
    promotion = read_json(lake_two_runs / "runs" / second / "model" / "promotion.json")
    assert promotion["decision"] == "rejected"

    at = open_page(monkeypatch, lake_two_runs, "overview")
    served = read_json(lake / "runs" / first / "model" / "evaluation.json")
    assert metric(at, "PR-AUC") == f"{served['pr_auc']:.3f}"  # the champion that scored, not the rejected one
    assert any(f"trained in run `{first}`" in m.value for m in at.markdown)

    at = open_page(monkeypatch, lake_two_runs, "model_performance")
    candidate = read_json(lake_two_runs / "runs" / second / "model" / "evaluation.json")
    assert metric(at, "PR-AUC") == f"{candidate['pr_auc']:.3f}"
    assert any(first in i.value for i in at.info)
    open_tab(at, "Experiments and promotion")
    assert any("Candidate **rejected**" in w.value for w in at.warning)
    open_tab(at, "Trends over the runs")  # PR-AUC of the serving model and drifted features, per run
    trend = next(df.value for df in at.dataframe if "served_pr_auc" in df.value.columns)
    assert set(trend["run_id"]) == {first, second}
    assert sum(1 for spec, fs in charts(at) if any("finished_at" in f.columns for f in fs)) == 2

    at = open_page(monkeypatch, lake_two_runs, "drift_monitor")
    per_run = next(df.value for df in at.dataframe if "features_drifted" in df.value.columns)
    assert set(per_run["run_id"]) == {first, second}
    for run_id in (first, second):
        drift = pl.read_parquet(lake_two_runs / "runs" / run_id / "monitoring" / "drift.parquet")
        want = drift.filter((pl.col("kind") == "input") & pl.col("drifted")).height
        assert per_run.loc[per_run["run_id"] == run_id, "features_drifted"].item() == want

    at = open_page(monkeypatch, lake_two_runs, "pipeline_status")
    assert metric(at, "Published") == "2"

    at = open_page(monkeypatch, lake_two_runs, "overview")  # trends over the runs, with their dates
    trend = next(df.value for df in at.dataframe if "margin_at_risk" in df.value.columns)
    assert set(trend["run_id"]) == {first, second}
    for run_id in (first, second):
        s = pl.read_parquet(lake_two_runs / "runs" / run_id / "scored" / "scores.parquet")
        got = trend[trend["run_id"] == run_id].iloc[0]
        assert int(got["scored"]) == s.height
        assert abs(float(got["margin_at_risk"]) - s["expected_monthly_loss"].sum()) < 1e-6
        assert str(got["scoring_date"])[:10] == str(s["as_of_date"][0])
    assert sum(1 for spec, fs in charts(at) if any("finished_at" in f.columns for f in fs)) == 5


def test_a_failed_latest_run_is_reported(monkeypatch, lake, tmp_path):
    """A run that failed after the published one: the pages keep showing CURRENT and say what happened."""
    dest = copy_without(lake, tmp_path / "lake")
    published = read_json(dest / "runs" / current_run(dest) / "manifest.json")
    failed = {
        "run_id": "run-failed000001",
        "status": "failed",
        "started_at": "2999-01-01T00:00:00Z",
        "finished_at": "2999-01-01T00:01:00Z",
        "lake": str(dest),
        "config": published["config"],
        "error": "customer_contracts.csv, column 'next_renewal_date': not an ISO date (example value: '31/12')",
    }
    (dest / "runs" / failed["run_id"]).mkdir()
    (dest / "runs" / failed["run_id"] / "manifest.json").write_text(json.dumps(failed))
    at = open_page(monkeypatch, dest, "overview")
    assert metric(at, "Status") == "Published"
    assert any("run-failed000001" in w.value and "not an ISO date" in w.value for w in at.warning)
    at = open_page(monkeypatch, dest, "pipeline_status")
    assert metric(at, "Failed") == "1"
    assert not any("not an ISO date" in e.value for e in at.error)  # the details default to the published run


# ---- issue 14: campaign, targeting, explanation, history -------------------------------------------------
def pct1(x: float) -> str:
    return f"{x:.1%}"


def test_lift_at_10_percent_is_the_share_of_test_churners_in_the_top_decile(monkeypatch, lake, run_dir):
    hold = pl.read_parquet(run_dir / "model" / "holdout_predictions.parquet")
    ev = read_json(run_dir / "model" / "evaluation.json")
    c = ev["confusion"]
    assert hold.height == c["tp"] + c["fp"] + c["fn"] + c["tn"], "the held-out table is the test snapshot"
    assert int(hold["churned"].sum()) == c["tp"] + c["fn"]
    assert int((hold["churn_proba"] >= c["threshold"]).sum()) == c["tp"] + c["fp"]

    def top_share(share: float) -> tuple[float, int]:
        k = -(-hold.height * int(share * 100) // 100)  # ceil
        top = hold.sort(["churn_proba", "customer_id"], descending=[True, False]).head(k)
        return top["churned"].sum() / hold["churned"].sum(), k

    at = open_page(monkeypatch, lake, "model_performance")
    gain, k = top_share(0.10)
    assert metric(at, "Churners reached") == pct1(gain)
    assert metric(at, "Lift at 10%") == f"{gain / 0.10:.2f}×"
    assert metric(at, "Customers called") == f"{k:,}"
    at.select_slider(key="model_call_share").set_value(0.2).run()
    gain, k = top_share(0.20)
    assert metric(at, "Lift at 20%") == f"{gain / 0.20:.2f}×"
    assert metric(at, "Churners reached") == pct1(gain)
    assert metric(at, "Customers called") == f"{k:,}"
    open_tab(at, "Curves and calibration")
    # calibration per tier: predicted and observed churn of each tier of the test snapshot
    per_tier = next(df.value for df in at.dataframe if {"predicted", "observed"} <= set(df.value.columns))
    want = hold.group_by("risk_tier").agg(pl.len(), pl.col("churned").mean().alias("obs"))
    for row in want.to_dicts():
        got = per_tier[per_tier["risk_tier"] == row["risk_tier"]]
        assert int(got["n"].iloc[0]) == row["len"] and abs(float(got["observed"].iloc[0]) - row["obs"]) < 1e-9
    # PR curve: the base rate line and the operating point at the decision threshold
    pr_layers = [frames for spec, frames in charts(at) if any("precision" in f.columns for f in frames)]
    frames = pr_layers[0]
    base = next(f for f in frames if f.columns == ["precision", "label"])
    assert abs(base["precision"][0] - (c["tp"] + c["fn"]) / hold.height) < 1e-12
    point = next(f for f in frames if "threshold" in f.columns)
    assert abs(point["recall"][0] - c["tp"] / (c["tp"] + c["fn"])) < 1e-12
    # reliability: every bin labelled with its customers
    rel = next(f for spec, fs in charts(at) for f in fs if "observed_rate" in f.columns)
    assert rel["n"].sum() == hold.height


def _normal_power(p_c: float, save: float, n_c: int, n_t: int) -> float:
    """Power of the two-proportion comparison, written out independently of dataflow.score.power."""
    from scipy.stats import norm

    p_t = p_c * (1 - save)
    se = (p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t) ** 0.5
    return float(norm.cdf(abs(p_c - p_t) / se - norm.ppf(0.975))) if n_c and n_t and se else 0.0


def test_control_group_is_random_among_eligible_stratified_and_powered(monkeypatch, lake, run_dir):
    from dataflow.model.settings import ModelConfig
    from dataflow.score import power

    reco = pl.read_parquet(run_dir / "scored" / "recommendations.parquet")
    scores = pl.read_parquet(run_dir / "scored" / "scores.parquet", columns=["customer_id", "churn_proba"])
    design = pl.read_parquet(run_dir / "scored" / "campaign_design.parquet")
    floor = ModelConfig().control_share
    eligible = reco.join(scores, on="customer_id").filter(
        (pl.col("action") != "no_offer") & (pl.col("expected_net_value_eur") > 0)
    )
    assert not reco.filter(pl.col("is_control") & (pl.col("action") == "no_offer")).height, (
        "no control without offer"
    )
    assert reco["is_control"].sum() == eligible["is_control"].sum()
    for action, grp in eligible.group_by("action"):
        n, p_c, save = grp.height, grp["churn_proba"].mean(), grp["save_rate"][0]
        share = design.filter(pl.col("action") == action[0])["control_share"][0]
        assert floor - 1e-9 <= share <= power.MAX_CONTROL_SHARE + 1e-9
        n_c = round(share * n)
        if share < power.MAX_CONTROL_SHARE:  # the smallest share that reaches 80 % power
            assert _normal_power(p_c, save, n_c, n - n_c) >= 0.80 - 1e-9
            assert n_c >= min(power.MIN_CONTROL, round(power.MAX_CONTROL_SHARE * n))
            smaller = round((share - power.SHARE_STEP) * n)
            if share - power.SHARE_STEP >= floor - 1e-9 and smaller >= power.MIN_CONTROL:
                assert _normal_power(p_c, save, smaller, n - smaller) < 0.80
        for tier, stratum in grp.group_by("risk_tier"):  # the same share in every tier of the action
            assert stratum["is_control"].sum() == round(share * stratum.height), (action, tier)
    assert design["control"].sum() == eligible["is_control"].sum()
    assert design["treated"].sum() == reco["selected"].sum()

    at = open_page(monkeypatch, lake, "recommendations")
    assert metric(at, "Control") == f"{int(eligible['is_control'].sum()):,}"
    cost = reco.filter(pl.col("selected"))["offer_cost_eur"].sum()
    net = reco.filter(pl.col("selected"))["expected_net_value_eur"].sum()
    protected = (reco.filter(pl.col("selected"))["expected_monthly_loss"] * 12).sum()
    assert metric(at, "ROI") == (f"{net / cost:.0%}" if cost else "—")
    assert metric(at, "Break-even save rate") == (pct1(cost / protected) if protected else "—")


def test_capacity_control_updates_selection_cost_and_value(monkeypatch, lake, run_dir):
    reco = pl.read_parquet(run_dir / "scored" / "recommendations.parquet")
    scores = pl.read_parquet(run_dir / "scored" / "scores.parquet", columns=["customer_id", "churn_proba"])
    pool = (
        reco.join(scores, on="customer_id")
        .filter(
            (pl.col("action") != "no_offer") & (pl.col("expected_net_value_eur") > 0) & ~pl.col("is_control")
        )
        .sort(["expected_net_value_eur", "customer_id"], descending=[True, False])
    )
    if pool.height < 2:
        pytest.skip("too few offer-eligible customers in this lake")
    at = open_page(monkeypatch, lake, "recommendations")
    assert metric(at, "Customers selected") == f"{pool.height:,}"
    n = pool.height // 2
    at.slider(key="reco_calls").set_value(n).run()
    top = pool.head(n)
    assert metric(at, "Customers selected") == f"{n:,}"
    assert metric(at, "Churners reached") == f"{top['churn_proba'].sum():,.1f}"
    assert metric(at, "Cost (12 months)") == eur(top["offer_cost_eur"].sum())
    assert metric(at, "Net value") == eur(top["expected_net_value_eur"].sum())
    at.radio(key="reco_capacity_mode").set_value("Budget (€)").run()
    budget = int(top["offer_cost_eur"].sum())
    at.slider(key="reco_budget").set_value(budget).run()
    within = int((pool["offer_cost_eur"].cum_sum() <= budget + 1e-9).sum())
    assert metric(at, "Customers selected") == f"{within:,}"


def test_campaign_results_hand_count(monkeypatch, lake, tmp_path):
    """An earlier run's offers with outcomes known from this run's labels: 8 treated of whom 3 churned, 4 controls
    of whom 1 churned → treated 37.5 %, control 25.0 %, churn avoided −12.5 pp."""
    dest = copy_without(lake, tmp_path / "lake")
    run_id = current_run(dest)
    gold = pl.read_parquet(dest / "runs" / run_id / "gold" / "gold_features.parquet")
    labelled = gold.filter(pl.col("churned_within_horizon").is_not_null())
    date = None
    for d in sorted(labelled["as_of_date"].unique().to_list(), reverse=True):
        day = labelled.filter(pl.col("as_of_date") == d)
        if day["churned_within_horizon"].sum() >= 4 and day.height >= 12:
            date = d
            break
    assert date is not None, "no labelled snapshot with 4 churners"
    day = labelled.filter(pl.col("as_of_date") == date).sort("customer_id")
    churners = day.filter(pl.col("churned_within_horizon").cast(pl.Int8) == 1)["customer_id"].to_list()
    stayers = day.filter(pl.col("churned_within_horizon").cast(pl.Int8) == 0)["customer_id"].to_list()
    treated = churners[:3] + stayers[:5]
    control = churners[3:4] + stayers[5:8]
    ids = treated + control
    earlier = "run-earlier00001"
    out = dest / "runs" / earlier / "scored"
    out.mkdir(parents=True)
    pl.DataFrame(
        {
            "customer_id": ids,
            "risk_tier": ["Critical"] * len(ids),
            "segment": ["Residential"] * len(ids),
            "action": ["offer_large"] * 4 + ["offer_small"] * 4 + ["offer_large"] * 2 + ["offer_small"] * 2,
            "timing_window": ["immediate"] * len(ids),
            "offer_share_of_margin": [0.25] * len(ids),
            "offer_cost_eur": [10.0] * len(ids),
            "expected_monthly_loss": [5.0] * len(ids),
            "save_rate": [0.4] * len(ids),
            "expected_net_value_eur": [14.0] * len(ids),
            "is_control": [False] * 8 + [True] * 4,
            "selected": [True] * 8 + [False] * 4,
            "reason_text_1": ["x"] * len(ids),
            "reason_text_2": [None] * len(ids),
            "reason_text_3": [None] * len(ids),
        }
    ).write_parquet(out / "recommendations.parquet")
    pl.DataFrame({"customer_id": ids, "as_of_date": [date] * len(ids)}).write_parquet(out / "scores.parquet")
    manifest = read_json(dest / "runs" / run_id / "manifest.json")
    (dest / "runs" / earlier / "manifest.json").write_text(
        json.dumps(
            {
                "run_id": earlier,
                "status": "published",
                "started_at": "2000-01-01T00:00:00Z",
                "finished_at": "2000-01-01T00:10:00Z",
                "config": manifest["config"],
            }
        )
    )
    at = open_page(monkeypatch, dest, "recommendations")
    assert metric(at, "Treated churn") == "37.5%"
    assert metric(at, "Control churn") == "25.0%"
    assert metric(at, "Churn avoided") == "-12.5 pp"
    assert metric(at, "Observed save rate") == "-50.0%"
    table = next(df.value for df in at.dataframe if "treated_churned" in df.value.columns)
    by = {r["action"]: r for r in table.to_dict("records")}
    assert (by["Large retention offer"]["treated_churned"], by["Large retention offer"]["treated"]) == (3, 4)
    assert (by["Large retention offer"]["control_churned"], by["Large retention offer"]["control"]) == (1, 2)
    assert (
        by["Small retention offer"]["treated_churned"],
        by["Small retention offer"]["control_churned"],
    ) == (0, 0)


def test_campaign_results_interval_by_hand():
    from dataflow.score.power import campaign_results

    offers = pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(10)],
            "action": ["offer_large"] * 10,
            "selected": [True] * 6 + [False] * 4,
            "is_control": [False] * 6 + [True] * 4,
        }
    )
    outcomes = pl.DataFrame(
        {"customer_id": [f"C{i}" for i in range(10)], "churned": [1, 0, 0, 0, 0, 0, 1, 1, 0, 0]}
    )
    row = campaign_results(offers, outcomes).row(0, named=True)
    p_t, p_c = 1 / 6, 2 / 4
    se = (p_t * (1 - p_t) / 6 + p_c * (1 - p_c) / 4) ** 0.5
    assert (row["treated"], row["treated_churned"], row["control"], row["control_churned"]) == (6, 1, 4, 2)
    assert abs(row["difference"] - (p_c - p_t)) < 1e-12
    assert abs(row["difference_low"] - (p_c - p_t - 1.959963984540054 * se)) < 1e-9
    assert abs(row["observed_save_rate"] - (1 - p_t / p_c)) < 1e-12


def test_customer_explanation_adds_up_to_the_model_score(monkeypatch, lake, run_dir, scores):
    from dataflow.lake import Lake
    from dataflow.model.registry import ChampionModel

    at = open_page(monkeypatch, lake, "customer_lookup")
    cid = at.text_input[0].value
    bars = next(f for spec, fs in charts(at) for f in fs if "contribution" in f.columns)
    assert 0 < bars.height <= 10
    assert not any("_" in label.split(" = ")[0] for label in bars["label"]), "plain feature labels"
    from app import data, queries

    run = data.Run(str(lake), current_run(lake))
    contrib = queries.customer_contributions(run, data.served_run(run), cid)
    model = ChampionModel.read_from(Lake.open(str(lake)), f"runs/{data.served_run(run).run_id}/model/")
    row = pl.read_parquet(run_dir / "gold" / "gold_features.parquet").filter(
        (pl.col("customer_id") == cid) & pl.col("is_scoring")
    )
    assert abs(contrib["contribution"].sum() + contrib["bias"][0] - float(model.margin(row)[0])) < 1e-3
    top = contrib.with_columns(a=pl.col("contribution").abs()).sort("a", descending=True).head(bars.height)
    assert sorted(bars["contribution"].round(9).to_list()) == sorted(top["contribution"].round(9).to_list())


# ---- the experiment ladder: after a plain run, and once `spanishgas experiments` has run --------------------
def test_experiment_section_after_a_plain_run_shows_what_the_run_measured(monkeypatch, lake, tmp_path):
    """No registry/experiments.parquet: the page says how to get the ladder and compares what the run measured on
    the test snapshot — random calling (PR-AUC = share of test churners), the gate's baseline, the candidate."""
    from sklearn.metrics import average_precision_score

    dest = copy_without(lake, tmp_path / "lake")
    (dest / "registry" / "experiments.parquet").unlink(missing_ok=True)
    run_dir = dest / "runs" / current_run(dest)
    hold = pl.read_parquet(run_dir / "model" / "holdout_predictions.parquet")
    prevalence = hold["churned"].mean()
    candidate = average_precision_score(hold["churned"].to_numpy(), hold["churn_proba"].to_numpy())
    evidence = read_json(run_dir / "model" / "promotion.json")["gate"]["evidence"]

    at = open_tab(open_page(monkeypatch, dest, "model_performance"), "Experiments and promotion")
    assert any("`just experiments`" in i.value for i in at.info), [i.value for i in at.info]
    table = next(df.value for df in at.dataframe if "times_random" in df.value.columns)
    rows = {r["model"]: r for r in table.to_dict("records")}
    assert abs(rows["Calling at random"]["pr_auc"] - prevalence) < 1e-12
    cand = next(r for name, r in rows.items() if name.endswith("(candidate)"))
    assert abs(cand["pr_auc"] - candidate) < 1e-9
    assert cand["times_random"] == f"{candidate / prevalence:,.1f}×"
    assert cand["interval"] == f"{evidence['candidate']['lower']:.3f} – {evidence['candidate']['upper']:.3f}"
    if isinstance(evidence.get("baseline"), dict):
        base = next(r for name, r in rows.items() if "(E0)" in name)
        assert abs(base["pr_auc"] - evidence["baseline"]["point"]) < 1e-12
        diff = evidence["baseline"]["difference"]
        assert base["gap"].startswith(f"{diff['point']:.3f} (")
    assert len(rows) == 1 + sum(
        isinstance(evidence.get(k), dict) for k in ("candidate", "baseline", "champion")
    )
    assert any(set(fs[0].columns) >= {"short", "pr_auc", "lower"} for spec, fs in charts(at)), (
        "the comparison chart"
    )


def test_experiment_ladder_is_shown_once_the_job_has_run(monkeypatch, lake, tmp_path):
    """A ladder in the registry (the job's columns, known values): every fit on the page, in words."""
    dest = copy_without(lake, tmp_path / "lake")
    run_id = current_run(dest)
    fits = [("E0_lifecycle", 15), ("E1_plus_market_core", 21), ("E8_ablation_no_sentiment", 60)]
    models = ["logistic", "xgboost"]
    ladder = pl.DataFrame(
        {
            "experiment": [e for e, _ in fits for _ in models],
            "model": models * len(fits),
            "pr_auc": [0.08, 0.09, 0.10, 0.12, 0.35, 0.41],
            "roc_auc": [0.80, 0.81, 0.81, 0.82, 0.82, 0.83],
            "brier": [0.0101] * 6,
            "log_loss": [0.05] * 6,
            "ece": [0.001, 0.002, 0.003, 0.004, 0.005, 0.006],
            "n_features": [n for _, n in fits for _ in models],
            "n_train": [1000] * 6,
            "n_test": [500] * 6,
            "fit_seconds": [0.5] * 6,
            "run_id": [run_id] * 6,
        }
    )
    (dest / "registry").mkdir(exist_ok=True)
    ladder.write_parquet(dest / "registry" / "experiments.parquet")

    at = open_tab(open_page(monkeypatch, dest, "model_performance"), "Experiments and promotion")
    assert not any("`just experiments`" in i.value for i in at.info)
    shown = next(df.value for df in at.dataframe if "experiment_label" in df.value.columns)
    assert shown["experiment_label"].tolist() == [
        "E0: lifecycle",
        "E0: lifecycle",
        "E1: + market core",
        "E1: + market core",
        "E8: full without sentiment",
        "E8: full without sentiment",
    ]
    assert shown["model_label"].tolist() == ["Logistic regression", "XGBoost"] * 3
    assert shown["pr_auc"].round(6).tolist() == ladder["pr_auc"].to_list()
    assert shown["n_features"].tolist() == ladder["n_features"].to_list()
    bars = next(fs[0] for spec, fs in charts(at) if "experiment_label" in fs[0].columns)
    assert bars.height == ladder.height
    assert any(f"run `{run_id}`" in c.value and "6 fits" in c.value for c in at.caption)
