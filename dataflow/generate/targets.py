"""The real extracts' statistics the synthetic world reproduces, and how ``spanishgas profile`` measures them.

Each function adds rows to a profile (see ``dataflow.profile``) from frames read off a raw/ folder. Reference
values are the real extracts' (reference spec §1, §2, §4.9, §12); the population is the customers active at
the end of the readings, like the real extract.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

BIG = 5_000  # customers needed for tail statistics (p99, mean, rare categories)
CHANNEL_REF = {
    "presencial_comercial": 0.456,
    "unknown": 0.262,
    "comparador": 0.129,
    "oficina": 0.091,
    "telemarketing": 0.061,
    "web_propia": 0.0011,
}
TENURE_REF = {"0-6m": 0.080, "6-12m": 0.079, "1-2y": 0.147, "2-5y": 0.337, "5y+": 0.356}
RENEWAL_REF = {"expired": 0.029, "0-3m": 0.211, "3-6m": 0.458, "6-12m": 0.302, "12m+": 0.0}
INTENT_REF = {
    "Contract Renewal": (0.800, 0.04),
    "Complaint / Escalation": (0.093, 0.025),
    "Pricing Offers": (0.036, 0.015),
    "Account / Service Inquiry": (0.034, 0.015),
    "Billing / Payment": (0.017, 0.01),
    "Plan / Product Inquiry": (0.015, 0.01),
    "Cancellation / Switch": (0.006, 0.006),
}
SENTIMENT_REF = {"negative": (0.106, 0.025), "neutral": (0.427, 0.04), "positive": (0.467, 0.04)}
HOLIDAYS = ((1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25))


def _big(ck) -> int:
    return ck.r.customers


def attributes_frame(a: pl.DataFrame) -> pl.DataFrame:
    """Typed, de-duplicated attributes with segment and normalised channel."""
    a = a.unique(maintain_order=True).with_columns(
        pl.col("contracted_power_kw").cast(pl.Float64),
        pl.col("is_industrial").cast(pl.Int64),
        pl.col("is_second_residence").cast(pl.Int64),
        pl.col("province_code").cast(pl.Int64),
        pl.col("is_high_competition_province").cast(pl.Int64),
        pl.col("sales_channel")
        .str.strip_chars()
        .str.to_lowercase()
        .replace("desconocido", "unknown")
        .alias("channel"),
    )
    seg = (
        pl.when(pl.col("is_industrial") == 0)
        .then(pl.lit("Residential"))
        .when(pl.col("contracted_power_kw") <= 10)
        .then(pl.lit("SME"))
        .otherwise(pl.lit("Corporate"))
    )
    return a.with_columns(seg.alias("segment"))


def _active(per: pl.DataFrame) -> pl.DataFrame:
    end = per["t1"].max().date()
    return per.filter(pl.col("t1").dt.date() == end)


def customers(ck, csv: dict[str, pl.DataFrame], per: pl.DataFrame, report) -> None:
    act = _active(per)
    a = attributes_frame(csv["customer_attributes"]).join(act.select("customer_id"), on="customer_id")
    report.customers = n = len(a)
    ck.section = "customers"
    ck.share("industrial share", int(a["is_industrial"].sum()), n, 0.100, 0.01)
    res = a.filter(pl.col("is_industrial") == 0)
    ck.share(
        "second residences among residential", int(res["is_second_residence"].sum()), len(res), 0.022, 0.005
    )
    steps = np.round(np.arange(2, 10) * 1.15, 2)
    ck.share(
        "residential power on 1.15-kW steps 2.3–10.35",
        int(res["contracted_power_kw"].round(2).is_in(steps).sum()),
        len(res),
        1.0,
        0.0,
    )
    ck.within("residential power median (kW)", res["contracted_power_kw"].median(), 4.6, 4.6, "4.6")
    ind = a.filter(pl.col("is_industrial") == 1)
    ck.share("industrial at 10 kW", int((ind["contracted_power_kw"] == 10).sum()), len(ind), 0.912, 0.025)
    kw = ind["contracted_power_kw"]
    ck.share(
        "industrial power on 5-kW steps 10–150",
        int(((kw % 5 == 0) & (kw >= 10) & (kw <= 150)).sum()),
        len(ind),
        1.0,
        0.0,
    )
    provs = set(csv["costs_by_province_month"]["province"].cast(pl.Int64).to_list())
    ck.share(
        "customers whose province has costs", int(a["province_code"].is_in(list(provs)).sum()), n, 1.0, 0.0
    )
    ck.within("provinces with customers", a["province_code"].n_unique(), 52, 52, "52", need=BIG, n=n)
    ck.share(
        "customers in high-competition provinces",
        int(a["is_high_competition_province"].sum()),
        n,
        0.303,
        0.02,
    )
    flags = a.group_by("province_code").agg(pl.col("is_high_competition_province").n_unique().alias("k"))
    ck.share("provinces with one competition flag", int((flags["k"] == 1).sum()), len(flags), 1.0, 0.0)
    for ch, ref in CHANNEL_REF.items():
        ck.share(f"channel {ch}", int((a["channel"] == ch).sum()), n, ref, 0.02 if ref > 0.01 else 0.002)
    raw = a["sales_channel"]
    dirty = int((raw != raw.str.strip_chars().str.to_lowercase()).sum())
    ck.within("channel codes with stray spaces/caps", dirty / n, 0.001, 0.10, "a few %")
    ck.share(
        "'unknown' spelt 'unknown' (vs 'desconocido')",
        int((raw.str.strip_chars().str.to_lowercase() == "unknown").sum()),
        int((a["channel"] == "unknown").sum()),
        0.39,
        0.1,
    )
    c = (
        csv["customer_contracts"]
        .unique(maintain_order=True)
        .join(act.select("customer_id"), on="customer_id")
    )
    end = per["t1"].max().date()
    c = c.with_columns([pl.col(x).str.to_date(strict=False) for x in c.columns if x != "customer_id"])
    months = lambda col: (pl.lit(end) - pl.col(col)).dt.total_days() / 30  # noqa: E731
    ten = c.select(months("customer_first_activation_date").alias("m"))["m"]
    cuts = {
        "0-6m": ten <= 6,
        "6-12m": (ten > 6) & (ten <= 12),
        "1-2y": (ten > 12) & (ten <= 24),
        "2-5y": (ten > 24) & (ten <= 60),
        "5y+": ten > 60,
    }
    ck.section = "contracts"
    for k, ref in TENURE_REF.items():
        ck.share(f"tenure {k} at {end}", int(cuts[k].sum()), len(c), ref, 0.02)
    ren = -c.select(months("next_renewal_date").alias("m"))["m"]
    cuts = {
        "expired": ren <= 0,
        "0-3m": (ren > 0) & (ren <= 3),
        "3-6m": (ren > 3) & (ren <= 6),
        "6-12m": (ren > 6) & (ren <= 12),
        "12m+": ren > 12,
    }
    for k, ref in RENEWAL_REF.items():
        ck.share(f"next renewal {k}", int(cuts[k].sum()), len(c), ref, 0.02 if ref else 0.0)
    ck.share(
        "no product change on record", int(c["last_product_change_date"].is_null().sum()), len(c), 0.303, 0.02
    )


def consumption(ck, per: pl.DataFrame, shape: pl.DataFrame, report) -> None:
    n = report.customers
    act, start = _active(per), per["t0"].min()
    full = act.filter(pl.col("t0") == start)
    ck.section = "readings"
    hours = (per["t1"] - per["t0"]).dt.total_hours() + 1
    ck.share("customers on a perfect hourly grid", int((per["n"] == hours).sum()), len(per), 1.0, 0.0)
    ck.within("median rows per active customer", act["n"].median(), 8784, 8784, "8,784")
    ck.near("rows per active customer (all files)", per["n"].sum() / max(n, 1), 8784, 0.06)
    e = full["elec"]
    for q, ref, rel in ((0.25, 410.13, 0.2), (0.5, 1077.54, 0.2), (0.75, 3526.75, 0.2)):
        ck.near(f"annual elec kWh p{int(q * 100)}", e.quantile(q), ref, rel)
    ck.near("annual elec kWh mean", e.mean(), 13699.7, 0.25, need=BIG, n=n)
    ck.near("annual elec kWh p99", e.quantile(0.99), 276505.96, 0.35, need=BIG, n=n)
    ck.within("annual elec kWh max", e.max(), 5e5, 2.5e6, "1,110,708", need=BIG, n=n)
    ck.share("gas customers (annual gas > 0)", int((full["gas"] > 0).sum()), len(full), 0.1807, 0.015)
    ck.share(
        "gas-only customers",
        int(((full["gas"] > 0) & (full["elec"] == 0)).sum()),
        len(full),
        0.0015,
        0.001,
        need=BIG,
    )
    rows = per["n"].sum()
    ck.within("negative electricity rows (share)", per["neg_e"].sum() / rows, 0.0021, 0.0031, "0.002592")
    ck.within("negative gas rows (share)", per["neg_g"].sum() / rows, 0.00007, 0.00016, "0.0001107")
    ck.near(
        "mean negative gas reading (m³)", per["neg_g_sum"].sum() / max(per["neg_g"].sum(), 1), -0.0147, 0.35
    )
    s = shape.with_columns(
        pl.col("day").dt.month().alias("m"),
        pl.col("day").dt.weekday().alias("dow"),
        (pl.col("day").dt.month().cast(pl.Int64) * 100 + pl.col("day").dt.day())
        .is_in([m * 100 + d for m, d in HOLIDAYS])
        .alias("hol"),
    )
    res, sme = s.filter(pl.col("segment") == "Residential"), s.filter(pl.col("segment") == "SME")
    mean = lambda df, cond: df.filter(cond)["kwh"].mean() or float("nan")  # noqa: E731
    ev = mean(res, pl.col("h").is_between(19, 22)) / mean(res, pl.col("h").is_between(1, 5))
    ck.within("homes: evening (19–22h) / night (1–5h) kWh", ev, 1.5, 10.0, "≥ 1.5")
    wk = mean(sme, (pl.col("dow") <= 5) & ~pl.col("hol")) / mean(sme, pl.col("dow") >= 6)
    ck.within("SMEs: weekday / weekend kWh", wk, 2.5, 20.0, "≥ 2.5", need=200, n=n)
    hol = mean(sme, (pl.col("dow") <= 5) & pl.col("hol")) / mean(sme, (pl.col("dow") <= 5) & ~pl.col("hol"))
    ck.within("SMEs: national holiday / ordinary weekday kWh", hol, 0.0, 0.6, "≤ 0.6", need=200, n=n)
    wi = mean(res, pl.col("m").is_in([1, 2, 12])) / mean(res, pl.col("m").is_in([4, 5]))
    ck.within("homes: winter (Dec–Feb) / spring (Apr–May) kWh", wi, 1.15, 3.0, "≥ 1.15")


def prices(ck, ph: pl.DataFrame, per: pl.DataFrame, report) -> None:
    n = report.customers
    ck.section = "prices"
    blank = ph.filter(pl.col("customer_id").is_null() | (pl.col("customer_id") == ""))
    k = len(blank)
    ck.within(
        "rows with empty customer_id per 1,000 customers",
        1000 * k / n,
        12.54 - 3 - 4000 * np.sqrt(12.54 / 1000 / n),
        12.54 + 3 + 4000 * np.sqrt(12.54 / 1000 / n),
        "12.54",
    )
    ck.within("exact duplicate rows", len(ph) - len(ph.unique()), 1, max(5, 0.002 * len(ph)), "a few")
    p = (
        ph.filter(pl.col("customer_id").is_not_null() & (pl.col("customer_id") != ""))
        .unique(maintain_order=True)
        .with_columns(
            [pl.col(c).cast(pl.Float64) for c in ph.columns if c.endswith(("_kwh", "_month", "_m3", "_year"))]
        )
    )
    t1, t2, t3 = (pl.col(f"variable_price_tier{i}_eur_kwh") for i in (1, 2, 3))
    ck.near(
        "tier-1 price mean (€/kWh, zeros excluded)",
        p.filter(t1 > 0)["variable_price_tier1_eur_kwh"].mean(),
        0.148,
        0.04,
    )
    ok = p.filter((t1 > 0) & (t2 > 0) & (t3 > 0))
    ck.share(
        "rows with tier 1 > tier 2 > tier 3",
        int(ok.filter((t1 > t2) & (t2 > t3)).height),
        ok.height,
        1.0,
        0.01,
    )
    ck.within(
        "rows with a zero (missing) tier price",
        p.filter((t1 == 0) | (t2 == 0) | (t3 == 0)).height / len(p),
        1e-4,
        0.02,
        "a few ‰",
    )
    p = p.with_columns(pl.col("pricing_date").str.to_date())
    first = (
        p.sort("pricing_date")
        .group_by("customer_id")
        .agg(
            pl.col("variable_price_tier1_eur_kwh").first().alias("a"),
            pl.col("variable_price_tier1_eur_kwh").last().alias("b"),
            pl.col("pricing_date").n_unique().alias("months"),
            pl.col("gas_variable_price_eur_m3").drop_nulls().n_unique().alias("gas_prices"),
            pl.col("gas_variable_price_eur_m3").is_null().all().alias("no_gas_price"),
        )
    )
    full = _active(per).filter(pl.col("t0") == per["t0"].min()).select("customer_id", "gas")
    f = first.join(full, on="customer_id").filter((pl.col("a") > 0) & (pl.col("b") > 0))
    rise = (f["b"] - f["a"]) / f["a"]
    ck.share("customers with a Jan→Dec tier-1 rise", int((rise > 0).sum()), len(rise), 0.638, 0.03)
    ck.within("median Jan→Dec tier-1 change", rise.median(), 0.0157, 0.0357, "+0.0257")
    m = first.join(full, on="customer_id")["months"]
    ck.within("price months per full-year customer (mean)", m.mean(), 11.975, 11.999, "11.99")
    ck.within("price months per full-year customer (min)", m.min(), 7, 12, "≥ 7")
    g = first.join(full, on="customer_id")
    gas = g.filter(pl.col("gas") > 0)
    ck.share(
        "gas customers with one constant gas price", int((gas["gas_prices"] == 1).sum()), len(gas), 1.0, 0.0
    )
    el = g.filter(pl.col("gas") == 0)
    ck.share(
        "electricity-only customers without gas prices", int(el["no_gas_price"].sum()), len(el), 1.0, 0.0
    )


def costs(ck, c: pl.DataFrame) -> None:
    ck.section = "costs"
    c = c.with_columns([pl.col(x).cast(pl.Float64) for x in c.columns if x.endswith(("_kwh", "_m3"))])
    ck.within(
        "province × month rows (unique)", c.select("province", "month").unique().height, 624, 624, "52 × 12"
    )
    pm = (
        c.sort("month")
        .group_by("province")
        .agg(
            pl.col("elec_var_cost_eur_kwh").mean().alias("e"),
            pl.col("gas_var_cost_eur_m3").mean().alias("g"),
            ((pl.col("elec_var_cost_eur_kwh").last() / pl.col("elec_var_cost_eur_kwh").first()) - 1).alias(
                "d"
            ),
        )
    )
    ck.within("province mean elec cost, lowest", pm["e"].min(), 0.0750, 0.0775, "0.0761")
    ck.within("province mean elec cost, highest", pm["e"].max(), 0.0790, 0.0820, "0.0811")
    ck.near("province mean elec cost, mean", pm["e"].mean(), 0.0777, 0.015)
    ck.within("Jan→Dec elec cost drift, lowest", pm["d"].min(), 0.045, 0.060, "+0.0499")
    ck.within("Jan→Dec elec cost drift, highest", pm["d"].max(), 0.060, 0.070, "+0.0655")
    ck.within("Jan→Dec elec cost drift, median", pm["d"].median(), 0.055, 0.065, "+0.0604")
    ck.within("province mean gas cost range", pm["g"].min(), 0.68, 0.75, "0.6919")
    ck.within("province mean gas cost, highest", pm["g"].max(), 0.80, 0.87, "0.8618")
    ck.within("network toll (peaje) mean €/kWh", c["peaje_elec_eur_kwh"].mean(), 0.005, 0.06, "> 0")


def interactions(ck, inter: list[dict], contracts: pl.DataFrame, per: pl.DataFrame, report, nlp) -> None:
    n = report.customers
    ck.section = "interactions"
    df = pl.DataFrame(
        inter,
        schema={
            "customer_id": pl.String,
            "date": pl.String,
            "channel": pl.String,
            "interaction_summary": pl.String,
        },
    ).with_columns(pl.col("date").str.to_date())
    ck.share(
        "contact channel phone/email/chat/office",
        int(df["channel"].is_in(["phone", "email", "chat", "office"]).sum()),
        len(df),
        1.0,
        0.0,
    )
    end = per["t1"].max().date()
    ck.share(
        "contacts dated before December of the last year",
        int((df["date"] <= end - timedelta(days=31)).sum()),
        len(df),
        1.0,
        0.0,
    )
    act = _active(per).select("customer_id")
    d = df.join(act, on="customer_id").sort("customer_id", "date")
    cnt = d.group_by("customer_id").len()
    ck.share("active customers with a contact", len(cnt), n, 0.3194, 0.03)
    ck.share("… of whom with several contacts", int((cnt["len"] >= 2).sum()), len(cnt), 0.10, 0.04)
    terse = d["interaction_summary"].str.len_chars() < 90
    ck.within("terse CRM-style summaries (share)", terse.mean(), 0.25, 0.85, "both styles")
    last = d.group_by("customer_id", maintain_order=True).last()
    texts = last["interaction_summary"].to_list()
    it = pl.Series(nlp.intents(texts))
    for name, (ref, tol) in INTENT_REF.items():
        ck.share(f"intent {name}", int((it == name).sum()), len(it), ref, tol, need=400 if ref < 0.02 else 0)
    se = nlp.sentiment_scores(texts)["sentiment_label"]
    for name, (ref, tol) in SENTIMENT_REF.items():
        ck.share(f"sentiment {name}", int((se == name).sum()), len(se), ref, tol)
    c = contracts.unique(maintain_order=True).with_columns(pl.col("next_renewal_date").str.to_date())
    j = last.join(c.select("customer_id", "next_renewal_date"), on="customer_id")
    days = (j["next_renewal_date"] - j["date"]).dt.total_days()
    ck.near("days from contact to next renewal (median)", days.median(), 217, 0.14, need=BIG // 10, n=len(j))
    ck.share("contacts on or after the next renewal", int((days <= 0).sum()), len(days), 0.0, 0.0)


def labels(ck, lab: pl.DataFrame, contracts: pl.DataFrame, attrs: pl.DataFrame, per: pl.DataFrame) -> None:
    ck.section = "labels"
    lab = lab.with_columns(
        pl.col("label_date").str.to_date(),
        pl.col("horizon_days").cast(pl.Int64),
        pl.col("churned_within_horizon").cast(pl.Int64),
        pl.col("churn_effective_date").str.to_date(strict=False),
    )
    eff, ld = pl.col("churn_effective_date"), pl.col("label_date")
    inside = eff.is_not_null() & (eff >= ld) & (eff < ld + pl.duration(days=pl.col("horizon_days")))
    ok = lab.select(((pl.col("churned_within_horizon") == 1) == inside).alias("ok"))["ok"]
    ck.share(
        "label = 1 exactly when churn date in [as-of, as-of + horizon)", int(ok.sum()), len(lab), 1.0, 0.0
    )
    c = contracts.unique(maintain_order=True).with_columns(
        pl.col("customer_first_activation_date").str.to_date(), pl.col("next_renewal_date").str.to_date()
    )
    j = lab.join(c, on="customer_id", how="left")
    ck.share(
        "label rows of customers activated before the as-of date",
        int((j["customer_first_activation_date"] < j["label_date"]).sum()),
        len(j),
        1.0,
        0.0,
    )
    start, end = per["t0"].min(), per["t1"].max().date()
    cohort = per.filter(pl.col("t0") == start)
    left = int((cohort["t1"].dt.date() < end).sum())
    ck.share(
        "annual churn (customers active on day 1 who left, from readings)", left, len(cohort), 0.10, 0.015
    )
    h = int(lab["horizon_days"].max())
    rate = lab["churned_within_horizon"].mean()
    ck.within(
        f"annualised label churn 1−(1−mean {h}-day rate)^(365/{h})",
        1 - (1 - rate) ** (365 / h),
        0.075,
        0.13,
        "≈ 0.10 (renewal-season mix)",
    )
    # renewal as of each label date: next_renewal moved back whole years while it stays ≥ the as-of date
    asof = pl.col("next_renewal_date")
    for y in range(1, 4):
        back = pl.col("next_renewal_date").dt.offset_by(f"-{y}y")
        asof = pl.when(back >= pl.col("label_date")).then(back).otherwise(asof)
    win = j.select((asof >= ld) & (asof < ld + pl.duration(days=pl.col("horizon_days"))))[:, 0]
    y = j["churned_within_horizon"]
    r_in, r_out = y.filter(win).mean() or 0.0, y.filter(~win).mean() or 1e-9
    ck.within("churn rate renewal-in-window / outside", r_in / max(r_out, 1e-9), 5.0, 1e6, "≫ 1 (≥ 5)")
    jj = j.join(
        attrs.select("customer_id", "is_high_competition_province").unique("customer_id"), on="customer_id"
    )
    hc = jj["is_high_competition_province"] == 1
    yh, yl = jj["churned_within_horizon"].filter(hc), jj["churned_within_horizon"].filter(~hc)
    ratio = (yh.mean() or 0) / max(yl.mean() or 0, 1e-9)
    se = np.sqrt(1 / max(yh.sum(), 1) + 1 / max(yl.sum(), 1))
    tol = 0.35 + 2 * se * 1.7
    ck.within(
        "churn rate high- / low-competition provinces", ratio, 1.7 - tol, 1.7 + tol, "≈ 1.7 (14.2% / 8.1%)"
    )
