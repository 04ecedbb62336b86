"""What the agent wrote down: interaction summaries in terse CRM shorthand or longer prose.

Each contact kind (see ``interactions.KINDS``) has templates with slots — days to the renewal, the price
change, a competitor — so texts vary like the real extract's. Every template is checked by the tests to read
as its kind's intent and sentiment under ``dataflow.nlp``.
"""

from __future__ import annotations

import numpy as np

from dataflow.generate.interactions import KINDS

P_PROSE = 0.45  # share of summaries written as prose rather than shorthand
COMPETITORS = (
    "a comparison site",
    "another supplier",
    "a rival retailer",
    "an online comparison tool",
    "a neighbour's supplier",
)

TERSE: dict[str, tuple[str, ...]] = {
    "renewal_pos": (
        "Cust inquired about renewal options. Happy with service.",
        "Cust called re: renewal in {days}d. Satisfied, plans to stay.",
        "Cust asked about upcoming renewal. Very satisfied. Thanked agent.",
        "Renewal info sent. Cust happy, no changes needed.",
        "Renewal date confirmed. Cust pleased with current tariff.",
    ),
    "renewal_neu": (
        "Cust inq re: renewal date. Info provided.",
        "Renewal in {days}d discussed. Cust to review terms.",
        "Cust inquired about renewal in {days} days. Mentioned quotes from {comp}. Adv. of current terms.",
        "Cust asked for renewal terms by email. Sent.",
    ),
    "renewal_neg": (
        "Cust inquired about renewal. Disappointed with {pct}% increase.",
        "Renewal in {days}d. Cust annoyed about price hike, looking at {comp}.",
        "Cust angry about renewal terms. Says {comp} is cheaper.",
    ),
    "complaint_neg": (
        "Cust inquired about renewal options. Unhappy.",
        "Cust complained about {pct}% price hike. Frustrated.",
        "Cust unhappy with service. Escalated to supervisor.",
        "Complaint re: renewal price. Cust upset, mentions {comp}.",
        "Cust dissatisfied w/ tariff increase ahead of renewal in {days}d.",
    ),
    "complaint_neu": (
        "Cust call escalated to retention team re: renewal in {days} days.",
        "Case escalated. Cust requested callback about tariff review.",
    ),
    "cancel": (
        "Cust inquired about early contract cancel. Frustrated.",
        "Cust wants to cancel at renewal. Unhappy with price.",
        "Cust considering switching to {comp}. Annoyed by {pct}% increase.",
    ),
    "pricing": (
        "Cust inq re: plan options and price hike. Adv.",
        "Cust asked about discounts on current rate.",
        "Cust asked for price comparison with {comp}.",
    ),
    "billing": (
        "Cust called re: bill amount. Payment date confirmed.",
        "Payment date changed at cust request.",
    ),
    "plan": (
        "Cust inq re: plan options. Adv.",
        "Cust asked about new plan for EV charging.",
    ),
    "account": (
        "Cust requested account details update.",
        "Account setup details confirmed with cust.",
    ),
    "general": ("Routine follow-up call. Details confirmed.",),
}

PROSE: dict[str, tuple[str, ...]] = {
    "renewal_pos": (
        "The customer inquired about their upcoming renewal in {days} days and said they are happy with the "
        "service so far; the agent confirmed the renewal terms.",
        "The customer called to confirm their contract renewal in {days} days. They were pleased with the "
        "support received and thanked the agent.",
        "The customer inquired about their upcoming renewal in {days} days and expressed interest in exploring "
        "offers available through {comp}, but said they are satisfied and likely to stay.",
        "The customer reached out ahead of the renewal in {days} days; they appreciated the clear explanation "
        "and were glad to continue.",
    ),
    "renewal_neu": (
        "The customer inquired about their upcoming renewal in {days} days and asked how the new tariff would "
        "be calculated. The agent explained the terms.",
        "The customer called about the renewal due in {days} days and mentioned they had seen quotes on "
        "{comp}. Decision pending.",
        "The customer requested a copy of the renewal terms ahead of the renewal in {days} days.",
    ),
    "renewal_neg": (
        "The customer called about their renewal in {days} days and was very disappointed by the {pct}% price "
        "increase. They said {comp} quoted a much cheaper rate.",
        "The customer was worried and annoyed about the renewal terms due in {days} days and said the new "
        "price is a bad deal compared with {comp}.",
    ),
    "complaint_neg": (
        "The customer complained that their bill went up by {pct}% ahead of the renewal in {days} days. They "
        "were clearly frustrated and said {comp} has a cheaper rate.",
        "The customer expressed strong dissatisfaction with the recent price increase and said they were "
        "unhappy with how their renewal in {days} days was handled.",
        "The customer was upset about repeated service problems and asked for the case to be escalated before "
        "their renewal in {days} days.",
    ),
    "complaint_neu": (
        "The customer's request about the renewal in {days} days was escalated to the retention team for a "
        "tariff review.",
    ),
    "cancel": (
        "The customer asked how to cancel their contract before the renewal in {days} days, saying {comp} had "
        "quoted a cheaper price and they were tired of the increases.",
        "The customer said they intend to switch to {comp} because of the {pct}% increase and were angry that "
        "nobody had warned them.",
    ),
    "pricing": (
        "The customer asked whether a cheaper rate was available, mentioning a quote from {comp} that was "
        "{pct}% below their current price.",
        "The customer asked how their price per kWh compares with {comp} and whether discounts apply.",
    ),
    "billing": ("The customer asked for a breakdown of the last bill and the agent explained each charge.",),
    "plan": (
        "The customer asked which plan options would suit a home with a heat pump; the agent sent the "
        "details.",
    ),
    "account": (
        "The customer inquired about how to update their account details online; the agent provided "
        "info and clarified the steps.",
    ),
    "general": ("The customer contacted us for a routine follow-up; details were confirmed.",),
}


def render(kind: str, template: str, days: int, pct: float, comp: str) -> str:
    """One summary from a template and its slot values."""
    return template.format(days=int(days), pct=f"{abs(pct):.1f}".rstrip("0").rstrip("."), comp=comp)


def summaries(g: np.random.Generator, kind: np.ndarray, days: np.ndarray, pct: np.ndarray) -> list[str]:
    """A summary per contact (kind code, days to renewal, customer's price change in %)."""
    n = len(kind)
    prose = g.random(n) < P_PROSE
    pick, comp = g.random(n), g.integers(0, len(COMPETITORS), n)
    pct = np.where(np.abs(pct) < 0.5, 2.0 + 6.0 * g.random(n), pct)
    out = []
    for i in range(n):
        k = KINDS[kind[i]]
        pool = PROSE[k] if prose[i] else TERSE[k]
        out.append(render(k, pool[int(pick[i] * len(pool))], days[i], pct[i], COMPETITORS[comp[i]]))
    return out


# ---- the "mixed" style: Spanish/English notes, abbreviations, other sentence shapes ---------------------
COMPETITORS_ES = ("la competencia", "otra comercializadora", "un comparador", "Holaluz", "un vecino")
MIXED: dict[str, tuple[str, ...]] = {
    "renewal_pos": (
        "Cli llama x renov en {days}d. Contento con el servicio, se queda.",
        "renov ok, cliente satisfecho :) no cambios",
        "Cliente confirma renovación. Very happy w/ service, gracias al agente.",
        "Llamada renov. Cli encantado con la tarifa actual.",
    ),
    "renewal_neu": (
        "Cli pregunta fecha renov. Info enviada x email.",
        "renov en {days} dias, cli revisa condiciones",
        "Cliente consulta renovación; tiene presupuesto de {comp}. Pendiente.",
    ),
    "renewal_neg": (
        "Cli molesto con subida {pct}% en renov. Mira {comp}.",
        "renov en {days}d, cliente enfadado, dice q {comp} es mas barato",
    ),
    "complaint_neg": (
        "Queja x subida de {pct}%. Cli muy enfadado.",
        "Reclamación: cliente harto del servicio, escalado a supervisor.",
        "cli furioso con factura, queja formal. renov en {days}d",
        "Cliente descontento w/ price increase, pide hablar con responsable.",
    ),
    "complaint_neu": (
        "Caso escalado a retención x renov en {days}d.",
        "Reclamación registrada, pendiente revisión tarifa.",
    ),
    "cancel": (
        "Cli quiere dar de baja el contrato. Se va a {comp}.",
        "Solicita baja en renov, harto de subidas ({pct}%).",
        "cliente pide cancelar, wants to switch a {comp}",
    ),
    "pricing": (
        "Cli pregunta descuentos sobre tarifa actual.",
        "Consulta precio kWh vs {comp}.",
    ),
    "billing": (
        "Cli llama x importe factura. Fecha pago confirmada.",
        "Cambio fecha de pago a peticion del cliente.",
    ),
    "plan": ("Cli pregunta x planes para coche eléctrico.", "consulta opciones de tarifa, info enviada"),
    "account": ("Actualización datos de cuenta.", "Cli cambia IBAN, datos actualizados."),
    "general": ("Llamada de seguimiento rutinaria. Todo ok.",),
}
STYLES = {"crm": None, "mixed": MIXED}


def typos(g: np.random.Generator, text: str, rate: float) -> str:
    """The text with about ``rate`` of its longer words mistyped (two letters swapped, one dropped or doubled)."""
    if rate <= 0:
        return text
    words = text.split(" ")
    hit = g.random(len(words)) < rate
    kind = g.integers(0, 3, len(words))
    for i in np.flatnonzero(hit):
        w = words[i]
        if len(w) < 4 or not w.isalpha():
            continue
        j = 1 + int(g.integers(0, len(w) - 2))
        words[i] = (
            w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            if kind[i] == 0
            else (w[:j] + w[j + 1 :] if kind[i] == 1 else w[:j] + w[j] + w[j:])
        )
    return " ".join(words)


def styled_summaries(
    g: np.random.Generator,
    kind: np.ndarray,
    days: np.ndarray,
    pct: np.ndarray,
    style: str = "crm",
    typo_rate: float = 0.0,
) -> list[str]:
    """A summary per contact in the world's writing style (``crm``: :func:`summaries`; ``mixed``: half the
    notes in Spanish/English shorthand), with ``typo_rate`` of words mistyped."""
    if style not in STYLES:
        raise ValueError(f"unknown text style {style!r}; expected one of {tuple(STYLES)}")
    out = summaries(g, kind, days, pct)
    if style == "mixed":
        n = len(kind)
        mixed = g.random(n) < 0.6
        pick, comp = g.random(n), g.integers(0, len(COMPETITORS_ES), n)
        pct = np.where(np.abs(pct) < 0.5, 2.0 + 6.0 * g.random(n), pct)
        for i in np.flatnonzero(mixed):
            k = KINDS[kind[i]]
            pool = MIXED[k]
            out[i] = render(k, pool[int(pick[i] * len(pool))], days[i], pct[i], COMPETITORS_ES[comp[i]])
    if typo_rate > 0:
        out = [typos(g, t, typo_rate) for t in out]
    return out
