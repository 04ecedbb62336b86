"""The business summary printed at the end of ``spanishgas run``: who is at risk and what they hold, the
champion and its gate evidence, offers and drift, in a few lines."""

from __future__ import annotations

import polars as pl

from dataflow.model.tiers import tier_report


def _eur(x: float) -> str:
    return f"€{x:,.0f}"


def summary_lines(results: dict) -> list[str]:
    """Business summary of a run: customers scored, expected churners, who is at risk (the action tiers) and
    what they hold, tiers, champion, gate evidence, offers, drift."""
    lines: list[str] = []
    tiers = results.get("tier_summary")
    scores: pl.DataFrame | None = results.get("scores")
    t = tiers.report if tiers is not None else None
    if t is None and isinstance(scores, pl.DataFrame) and scores.height:
        t = tier_report(scores)
    if t and t.get("n"):
        as_of = scores["as_of_date"][0] if isinstance(scores, pl.DataFrame) and scores.height else "?"
        lines.append(
            f"scored {t['n']:,} customers on {as_of}: {t['expected_churners']:,.0f} expected churners (Σ p); "
            f"at risk (Critical + High): {t['at_risk']:,} customers ({t['at_risk_share']:.1%}) holding "
            f"{t['expected_churner_share_at_risk']:.0%} of expected churners ({t['expected_churners_at_risk']:,.0f},"
            f" lift {t['lift_at_risk']:.1f}×) and {t['margin_share_at_risk']:.0%} of the margin at risk "
            f"({_eur(t['margin_at_risk'])}/month in all)"
        )
        counts = {r["risk_tier"]: r["n"] for r in t["tiers"]}
        lines.append(
            "risk tiers"
            + (f" ({t['basis_text']})" if t.get("basis_text") else "")
            + ": "
            + ", ".join(f"{k} {counts.get(k, 0):,}" for k in ("Critical", "High", "Medium", "Low"))
        )
    cand = results.get("champion_candidate")
    if cand is not None:
        m = cand.metrics
        lines.append(
            f"champion candidate {cand.experiment}/{cand.model} on test {m.get('test_date')}: PR-AUC {m['pr_auc']:.3f}, "
            f"ROC-AUC {m['roc_auc']:.3f}, Brier {m['brier']:.4f}, ECE {m['ece']:.4f}"
        )
    decision = results.get("promotion_decision")
    if decision is not None:
        ev = decision.gate.get("evidence", {})
        if ev:
            c = ev["candidate"]
            text = (
                f"gate evidence (test {ev.get('test_date')}, {ev['n_test']:,} customers, prevalence "
                f"{ev['prevalence']:.2%}, {ev['confidence']:.0%} paired bootstrap): candidate PR-AUC "
                f"{c['point']:.3f} [{c['lower']:.3f}, {c['upper']:.3f}]"
            )
            if "baseline" in ev:
                b, d = ev["baseline"], ev["baseline"]["difference"]
                text += f"; baseline {b['point']:.3f}, difference {d['point']:+.3f} [{d['lower']:+.3f}, {d['upper']:+.3f}]"
            if "champion" in ev and "difference" in ev["champion"]:
                d = ev["champion"]["difference"]
                text += (
                    f"; champion {ev['champion']['point']:.3f}, difference {d['point']:+.3f} "
                    f"[{d['lower']:+.3f}, {d['upper']:+.3f}]"
                )
            lines.append(text)
        lines.append(f"promotion: {decision.decision} — " + decision.reasons[0])
    recos: pl.DataFrame | None = results.get("recommendations")
    if isinstance(recos, pl.DataFrame) and recos.height:
        sel = recos.filter(pl.col("selected"))
        budget = tiers.report.get("contact_budget") if tiers is not None else 0
        lines.append(
            f"offers: {sel.height:,} selected (cost {_eur(sel['offer_cost_eur'].sum())}, expected net value "
            f"{_eur(sel['expected_net_value_eur'].sum())}; contact budget "
            f"{f'{budget:,}' if budget else 'none'}), {int(recos['is_control'].sum()):,} held out as control"
        )
    drift_frame: pl.DataFrame | None = results.get("drift")
    if isinstance(drift_frame, pl.DataFrame) and drift_frame.height:
        drifted = drift_frame.filter(pl.col("drifted"))
        calendar = drift_frame.filter(pl.col("kind") == "calendar").height
        names = "; ".join(f"{r['feature']}: {r['reason']}" for r in drifted.head(3).to_dicts())
        lines.append(
            f"drift vs snapshot {drift_frame['reference_date'].drop_nulls().first()}: {drifted.height} of "
            f"{drift_frame.height - calendar} monitored columns alarmed"
            + (f" ({names})" if names else "")
            + (f"; {calendar} calendar features reported, not alarmed" if calendar else "")
        )
    return lines
