"""Spain's 52 provinces (INE codes): where customers live, which market is contested, where gas is piped.

High-competition provinces are the three big metropolitan markets (Madrid, Barcelona, Valencia), holding
~30% of the book as in the real extracts. The Canary Islands, Ceuta and Melilla have no natural-gas grid.
"""

from __future__ import annotations

import numpy as np

# INE code → (name, autonomous community, population in thousands ≈ 2023)
PROVINCES: dict[int, tuple[str, str, int]] = {
    1: ("Araba/Álava", "País Vasco", 335),
    2: ("Albacete", "Castilla-La Mancha", 386),
    3: ("Alicante/Alacant", "Comunitat Valenciana", 1950),
    4: ("Almería", "Andalucía", 740),
    5: ("Ávila", "Castilla y León", 159),
    6: ("Badajoz", "Extremadura", 665),
    7: ("Illes Balears", "Illes Balears", 1210),
    8: ("Barcelona", "Cataluña", 5800),
    9: ("Burgos", "Castilla y León", 357),
    10: ("Cáceres", "Extremadura", 387),
    11: ("Cádiz", "Andalucía", 1250),
    12: ("Castellón/Castelló", "Comunitat Valenciana", 600),
    13: ("Ciudad Real", "Castilla-La Mancha", 492),
    14: ("Córdoba", "Andalucía", 775),
    15: ("A Coruña", "Galicia", 1120),
    16: ("Cuenca", "Castilla-La Mancha", 196),
    17: ("Girona", "Cataluña", 800),
    18: ("Granada", "Andalucía", 930),
    19: ("Guadalajara", "Castilla-La Mancha", 270),
    20: ("Gipuzkoa", "País Vasco", 730),
    21: ("Huelva", "Andalucía", 530),
    22: ("Huesca", "Aragón", 225),
    23: ("Jaén", "Andalucía", 625),
    24: ("León", "Castilla y León", 450),
    25: ("Lleida", "Cataluña", 445),
    26: ("La Rioja", "La Rioja", 320),
    27: ("Lugo", "Galicia", 325),
    28: ("Madrid", "Comunidad de Madrid", 6900),
    29: ("Málaga", "Andalucía", 1750),
    30: ("Murcia", "Región de Murcia", 1550),
    31: ("Navarra", "Comunidad Foral de Navarra", 670),
    32: ("Ourense", "Galicia", 305),
    33: ("Asturias", "Principado de Asturias", 1000),
    34: ("Palencia", "Castilla y León", 159),
    35: ("Las Palmas", "Canarias", 1130),
    36: ("Pontevedra", "Galicia", 945),
    37: ("Salamanca", "Castilla y León", 330),
    38: ("Santa Cruz de Tenerife", "Canarias", 1060),
    39: ("Cantabria", "Cantabria", 585),
    40: ("Segovia", "Castilla y León", 155),
    41: ("Sevilla", "Andalucía", 1950),
    42: ("Soria", "Castilla y León", 89),
    43: ("Tarragona", "Cataluña", 840),
    44: ("Teruel", "Aragón", 134),
    45: ("Toledo", "Castilla-La Mancha", 710),
    46: ("Valencia/València", "Comunitat Valenciana", 2650),
    47: ("Valladolid", "Castilla y León", 520),
    48: ("Bizkaia", "País Vasco", 1160),
    49: ("Zamora", "Castilla y León", 168),
    50: ("Zaragoza", "Aragón", 975),
    51: ("Ceuta", "Ceuta", 83),
    52: ("Melilla", "Melilla", 86),
}
HIGH_COMPETITION = (8, 28, 46)  # Barcelona, Madrid, Valencia
HIGH_COMPETITION_SHARE = 0.303  # share of customers in those provinces (real extracts: 6,083 / 20,099)
NO_GAS_GRID = (35, 38, 51, 52)
URBAN_SHARE_HIGH, URBAN_SHARE_LOW = 0.85, 0.62  # is_urban probability by province type

CODES = np.array(sorted(PROVINCES), dtype=np.int16)
NAMES = [PROVINCES[c][0] for c in CODES]
REGIONS = [PROVINCES[c][1] for c in CODES]
IS_HIGH = np.isin(CODES, HIGH_COMPETITION)
HAS_GAS_GRID = ~np.isin(CODES, NO_GAS_GRID)


def province_weights() -> np.ndarray:
    """Probability of each province (in CODES order): population, rescaled so the contested share is exact."""
    pop = np.array([PROVINCES[c][2] for c in CODES], dtype=float)
    w = pop / pop.sum()
    hi = w[IS_HIGH].sum()
    w[IS_HIGH] *= HIGH_COMPETITION_SHARE / hi
    w[~IS_HIGH] *= (1 - HIGH_COMPETITION_SHARE) / (1 - hi)
    return w
