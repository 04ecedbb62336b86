"""Every tunable constant of the synthetic world, in one place, with what it stands for.

Marginal targets come from the real extracts (reference spec §1, §2, §12). The churn-process constants were
tuned with ``python -m dataflow.generate.calibrate`` (population-only simulation, no hourly data) so that
annual churn is ≈ 9% and the true probabilities reach ROC-AUC ≈ 0.89 on the 2025-01-01 snapshot (seed 42,
N = 20,099: 2024-cohort churn 8.5%, snapshot churn 2.1%, true ROC-AUC 0.885, PR-AUC 0.57; seed 7: 0.890, 0.52).
A 0.97 ROC-AUC (the earlier constants) let every model look good; ``worlds.py`` holds the other presets.
Dates are day numbers counted from 2024-01-01 (day 0); 2025-01-01 is day 366.
"""

from __future__ import annotations

import numpy as np

DAY0 = np.datetime64("2024-01-01", "D")
SCORING_DAY = 366  # 2025-01-01, the scoring snapshot
SIM_END_DAY = 456  # 2025-04-01 (exclusive): end of the scoring snapshot's 90-day window
READINGS_END_DAY = 366  # hourly readings cover 2024 only
INTERACTIONS_END_DAY = 335  # interactions are dated before 2024-12-01
BATCH = 4096  # customers drawn per population batch (fixed, so a smaller N gives a prefix of a larger one)

# ---- population mix (draw-level; survivors match the reference within noise) --------------------------
P_INDUSTRIAL = 0.100
P_SECOND_RESIDENCE = 0.022  # among residential
RES_POWER_KW = np.round(np.arange(2, 10) * 1.15, 2)  # 2.3 … 10.35
RES_POWER_P = np.array([0.10, 0.20, 0.28, 0.14, 0.16, 0.05, 0.04, 0.03])
SECOND_RES_POWER_P = np.array([0.20, 0.35, 0.25, 0.08, 0.08, 0.02, 0.01, 0.01])
IND_POWER_COUNTS = {
    10: 1832,
    15: 28,
    20: 10,
    25: 9,
    30: 25,
    35: 12,
    40: 6,
    45: 8,
    50: 8,
    55: 5,
    60: 4,
    65: 5,
    70: 4,
    75: 5,
    80: 8,
    85: 4,
    90: 2,
    95: 4,
    100: 3,
    105: 2,
    110: 2,
    115: 1,
    120: 3,
    130: 5,
    140: 1,
    145: 1,
    150: 12,
}  # real extract counts; > 10 kW is Corporate
# sales channel: (raw code, draw probability); Unknown is split between two raw spellings
CHANNELS = (
    "presencial_comercial",
    "desconocido",
    "unknown",
    "comparador",
    "oficina",
    "telemarketing",
    "web_propia",
)
CHANNEL_P = np.array([0.452, 0.160, 0.103, 0.131, 0.091, 0.062, 0.0012])
CHANNEL_DIRT = 0.03  # share of channel values written with stray spaces or upper case
# tenure buckets at 2024-12-31 (days = months × 30): 0–6m, 6–12m, 1–2y, 2–5y, 5y+ (back to 2009-12-28)
TENURE_EDGES_DAYS = np.array([0, 180, 360, 720, 1800, 5474])
TENURE_P = np.array([0.0775, 0.0775, 0.147, 0.338, 0.360])
# next_renewal_date in days after 2024-12-31: expired (2024-12-02…31), 0–3m, 3–6m, 6–12m (… 2025-10-25)
RENEWAL_EDGES_DAYS = np.array([-29, 0, 90, 180, 298])
RENEWAL_P = np.array([0.029, 0.211, 0.458, 0.302])
P_NO_PRODUCT_CHANGE = 0.303
PRODUCT_CHANGE_MEAN_DAYS = 330  # days back from the extract (or churn) to the last product change

# ---- the churn process ---------------------------------------------------------------------------------
# Causes combine into one linear predictor eta (log-odds units) per customer and renewal cycle.
ETA_COMPETITION = 0.50  # high-competition province
ETA_CHANNEL = {
    "presencial_comercial": 0.30,
    "oficina": 0.10,
    "telemarketing": -0.15,
    "desconocido": -0.25,
    "unknown": -0.25,
    "comparador": -0.50,
    "web_propia": -0.80,
}
ETA_TENURE = ((2.0, 0.30), (5.0, 0.15), (np.inf, -0.55))  # (tenure years at renewal below, effect)
ETA_PRICE_RISE = 5.0  # per unit of relative tier-1 rise over 2024 (+7% → +0.35)
ETA_DUAL_FUEL = -0.30
# dissatisfaction episode before a renewal: P(episode) = sigmoid(EPISODE_A + eta)
EPISODE_A = -2.45
D_HIGH_BETA = (150.0, 20.0)  # dissatisfaction level in an episode (mean 0.88, sd 0.025)
D_LOW_BETA = (1.5, 14.0)  # … otherwise
# churn at a renewal date: p = sigmoid(RENEW_K0 + RENEW_KD * D + RENEW_KX * eta)
RENEW_K0, RENEW_KD, RENEW_KX = -6.0, 7.5, 0.35  # was -8.1, 10.8: true ROC-AUC 0.97 → 0.89
# small background daily hazard (any day), higher once a contract has expired unrenewed
BG_HAZARD_PER_DAY = 0.00005  # ≈ 1.8%/year of moves and closures nobody can foresee
BG_HAZARD_KX = 0.5
EXPIRED_HAZARD_PER_DAY = 0.00040

# ---- interactions --------------------------------------------------------------------------------------
# contacts in a renewal cycle happen OFFSET days before that renewal; dissatisfied customers call later
CONTACT_P_HIGH = 0.99  # P(at least one contact in a cycle) in a dissatisfaction episode
CONTACT_P_LOW = {
    "24": 0.16,
    "25": 0.48,
}  # … otherwise; the extract's contacts are mostly about the 2025 renewal
EXTRA_CONTACT_P_HIGH, EXTRA_CONTACT_P_LOW = 0.30, 0.06  # P(a further contact), repeated
NOTICE_DAYS, NOTICE_RESPONSE_DAYS = 140, 7.0  # renewal letters go out 165 days ahead; the unhappy react
EARLIER_CONTACT_GAP = (20, 70)  # days between an unhappy customer's earlier contacts
OFFSET_LOW = (190.0, 65.0)  # content customers: mean, sd of days before the renewal
OFFSET_RANGE = (4, 406)
NEW_CUSTOMER_CONTACT_DAYS = 30  # a dissatisfied new customer's call comes within this many days of activation
# text kinds for the decisive (last) contact of a cycle; earlier contacts use the *_EARLY mixes
KINDS_HIGH = {"complaint_neg": 0.50, "complaint_neu": 0.17, "cancel": 0.07, "renewal_neg": 0.26}
KINDS_LOW = {
    "renewal_pos": 0.560,
    "renewal_neu": 0.325,
    "account": 0.040,
    "billing": 0.020,
    "plan": 0.018,
    "pricing": 0.027,
    "complaint_neg": 0.004,
    "renewal_neg": 0.002,
}
# how agents write: "crm" (English shorthand or prose) or "mixed" (Spanish/English, abbreviations); typos
TEXT_STYLE = "crm"
TYPO_RATE = 0.0  # share of words with one typo (letters swapped, dropped or doubled)
KINDS_EARLY_HIGH = {
    "complaint_neg": 0.05,
    "renewal_neu": 0.55,
    "pricing": 0.20,
    "billing": 0.15,
    "complaint_neu": 0.05,
}

# ---- prices and costs ----------------------------------------------------------------------------------
ELEC_COST_RANGE = (0.0761, 0.0811)  # province mean elec_var_cost €/kWh
ELEC_COST_MEAN = 0.0777
ELEC_DRIFT_RANGE = (0.050, 0.066)  # Jan→Dec relative drift per province
GAS_COST_RANGE = (0.692, 0.862)  # province mean gas_var_cost €/m³
PEAJE_ELEC = 0.026  # €/kWh network toll, mean; makes margins look like reference §3.2
# tier-1 price = elec cost + markup; tiers 2 and 3 are fractions of tier 1 (segment: res, SME, corp)
TIER1_MARKUP = {"res": 0.068, "sme": 0.125, "corp": 0.042}
TIER1_MARKUP_SD = 0.012
TIER2_RATIO = {"res": 0.80, "sme": 0.86, "corp": 0.90}
TIER3_RATIO = {"res": 0.60, "sme": 0.70, "corp": 0.78}
PRICE_RISE_MEDIAN, PRICE_RISE_SD = 0.026, 0.070  # Jan→Dec tier-1 change: median +2.6%, ~64% rise
FIXED_FEE_PER_KW, FIXED_COST_PER_KW = 3.00, 1.75  # €/kW·month
GAS_PRICE_MARKUP = (0.24, 0.05)  # €/m³ over the province's mean gas cost
GAS_FIXED_REVENUE, GAS_FIXED_COST = (96.0, 12.0), (34.0, 5.0)  # €/year mean, sd
P_ZERO_PRICE = 0.0020  # a tier price recorded as 0 (= missing)
P_MISSING_MONTH = 0.0008  # a customer-month without a price row
NULL_ID_ROWS_PER_1000 = 12.54  # price rows with an empty customer_id (252 at 20,099 customers)
DUPLICATE_ROWS_PER_1000 = 0.5  # exact duplicate rows in attributes, contracts and price_history

# ---- consumption ---------------------------------------------------------------------------------------
# annual electricity kWh: lognormal (median, sigma) by segment; Corporate log-uniform; some empty homes
ELEC_RES = (880.0, 1.42)
ELEC_SECOND_RES = (260.0, 1.2)
ELEC_SME = (54000.0, 0.73)
ELEC_CORP_RANGE = (250000.0, 1100000.0)
P_EMPTY_HOME = 0.012  # residential customers with (almost) no consumption
# gas: P(gas customer) by segment; annual m³ lognormal (median, sigma); a few gas-only customers
P_GAS = {"res": 0.181, "second": 0.08, "sme": 0.155, "corp": 0.43}
GAS_RES, GAS_SME, GAS_CORP = (560.0, 0.85), (12000.0, 1.0), (30000.0, 0.75)
P_GAS_ONLY = 0.0015
NOISE_SD = {"res": 0.35, "second": 0.45, "sme": 0.18, "corp": 0.08}
P_NEG_ELEC = 0.00259  # share of hourly rows with a negative electricity reading
P_NEG_GAS_ROW = 0.000111  # share of all hourly rows with a negative gas reading
NEG_GAS_MEAN = 0.0147
