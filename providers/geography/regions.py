"""Approximate the ROAZ region of a point in the Netherlands.

The official assignment of municipalities and hospitals to the eleven (now ten) ROAZ regions is
published by the NZa (``ROAZ_REGIO``) and RIVM, but was not available to the project (see
``providers/data/README.md``). This function approximates it from the province and a few
coordinate splits, good enough to place demo providers and to suggest a region; operators correct
a provider's region in the admin. Pure computation, no Django.

Rules:
- Groningen, Friesland, Drenthe → AZNN; Utrecht → NAZMN; Noord-Holland → NAZNHF;
  Noord-Brabant → NAZB; Limburg → NAZL; Zeeland → NAZZWN.
- Zuid-Holland: Leiden, The Hague, Delft, Zoetermeer and Gouda (north of 51.98° N) → NAZW, the
  Rijnmond, Drechtsteden and the islands → NAZZWN.
- Overijssel: Twente (east of 6.4° E, south of 52.48° N) → AZE, the rest → NAZZ.
- Gelderland: the Achterhoek (east of 6.25° E) → AZE, the north-west Veluwe (north of 52.28° N,
  west of 6.1° E: Harderwijk, Elburg, Epe, Hattem) → NAZZ, the rest → NAZO.
- Flevoland: Almere and Zeewolde (south of 52.45° N) → NAZNHF, the rest → NAZZ.
"""

from __future__ import annotations

_BY_PROVINCE = {
    "Groningen": "AZNN",
    "Friesland": "AZNN",
    "Fryslân": "AZNN",
    "Drenthe": "AZNN",
    "Utrecht": "NAZMN",
    "Noord-Holland": "NAZNHF",
    "Noord-Brabant": "NAZB",
    "Limburg": "NAZL",
    "Zeeland": "NAZZWN",
}

REGION_CODES = frozenset(
    {"AZNN", "NAZZ", "AZE", "NAZO", "NAZMN", "NAZNHF", "NAZW", "NAZZWN", "NAZB", "NAZL"}
)


def region_code_for(*, province: str, latitude: float, longitude: float) -> str:
    """The approximate ROAZ region code of a point, given its Dutch province name (as in the
    PC4 table); ``ValueError`` for a province that is not one of the twelve."""
    province = province.strip()
    if province in _BY_PROVINCE:
        return _BY_PROVINCE[province]
    if province == "Zuid-Holland":
        return "NAZW" if latitude >= 51.98 else "NAZZWN"
    if province == "Overijssel":
        return "AZE" if longitude >= 6.4 and latitude < 52.48 else "NAZZ"
    if province == "Gelderland":
        if longitude >= 6.25:
            return "AZE"
        if latitude >= 52.28 and longitude < 6.1:
            return "NAZZ"
        return "NAZO"
    if province == "Flevoland":
        return "NAZNHF" if latitude < 52.45 else "NAZZ"
    raise ValueError(f"Unknown Dutch province: {province!r}")
