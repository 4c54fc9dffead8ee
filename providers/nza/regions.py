"""The NZa's ``ROAZ_REGIO`` → our ten ROAZ regions (``providers/migrations/0005_roaz_regions.py``).

Pure computation, no Django. The NZa names a location's ROAZ region in its open data: that is the
official assignment, and it replaces the approximation from the province
(``providers.geography.regions``) wherever the file gives one. The exact spelling of the NZa's
values was not seen (``shared/data/nza_wachttijden_schema.md``), so a value is matched loosely:
case, punctuation and the generic words of the networks' names ("Netwerk Acute Zorg",
"Traumacentrum", "ROAZ", "regio" …) are ignored, and what remains is looked up in
:data:`ROAZ_ALIASES` (our codes are accepted too). The eleven historical regions map onto our ten:
SpoedZorgNet and NAZ Noordwest are both "Netwerk Acute Zorg Noord-Holland en Flevoland" (NAZNHF).
A value that is not in the table is reported and the approximation kept.
"""

from __future__ import annotations

import re
import unicodedata

from providers.geography.regions import REGION_CODES

# What remains of a region's name without the generic words → our region code. One line per
# spelling: add a line when the NZa writes a region differently.
ROAZ_ALIASES: dict[str, str] = {
    "noord nederland": "AZNN",
    "noord": "AZNN",
    "umcg": "AZNN",
    "groningen": "AZNN",
    "zwolle": "NAZZ",
    "isala": "NAZZ",
    "euregio": "AZE",
    "twente": "AZE",
    "oost": "NAZO",
    "oost nederland": "NAZO",
    "radboud": "NAZO",
    "midden nederland": "NAZMN",
    "midden": "NAZMN",
    "utrecht": "NAZMN",
    "noord holland en flevoland": "NAZNHF",
    "noord holland flevoland": "NAZNHF",
    "noordwest": "NAZNHF",
    "noord west": "NAZNHF",
    "spoedzorgnet": "NAZNHF",
    "amsterdam": "NAZNHF",
    "west": "NAZW",
    "west nederland": "NAZW",
    "lumc": "NAZW",
    "zuidwest nederland": "NAZZWN",
    "zuidwest": "NAZZWN",
    "zuid west nederland": "NAZZWN",
    "rotterdam": "NAZZWN",
    "brabant": "NAZB",
    "zuidoost brabant": "NAZB",
    "limburg": "NAZL",
    "maastricht": "NAZL",
}
# Words that every network's name shares (and that say nothing about which one).
_GENERIC = frozenset(
    {
        "roaz",
        "regio",
        "region",
        "netwerk",
        "acute",
        "acuut",
        "zorg",
        "zorgnetwerk",
        "traumacentrum",
        "traumaregio",
        "trauma",
        "centrum",
        "naz",
        "az",
        "umc",
    }
)


def _normalised(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word and word not in _GENERIC]
    return " ".join(words)


def roaz_region_code(value: str) -> str | None:
    """Our region code for an NZa ``ROAZ_REGIO`` value, ``None`` when it is empty or unknown."""
    value = (value or "").strip()
    if not value:
        return None
    if value.upper() in REGION_CODES:
        return value.upper()
    return ROAZ_ALIASES.get(_normalised(value))
