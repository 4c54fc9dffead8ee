"""Approximate ROAZ region of a point (providers.geography.regions) and the regions loaded by
migration."""

import csv
from collections import Counter
from pathlib import Path

import pytest

from providers.geography.regions import REGION_CODES, region_code_for
from providers.models import Region

DATA = Path(__file__).resolve().parents[2] / "providers" / "data"


@pytest.mark.parametrize(
    ("city", "province", "latitude", "longitude", "region"),
    [
        ("Groningen", "Groningen", 53.2194, 6.5665, "AZNN"),
        ("Leeuwarden", "Friesland", 53.2012, 5.7999, "AZNN"),
        ("Assen", "Drenthe", 52.9928, 6.5642, "AZNN"),
        ("Zwolle", "Overijssel", 52.5168, 6.0830, "NAZZ"),
        ("Deventer", "Overijssel", 52.2550, 6.1639, "NAZZ"),
        ("Hardenberg", "Overijssel", 52.5758, 6.6194, "NAZZ"),
        ("Enschede", "Overijssel", 52.2215, 6.8937, "AZE"),
        ("Almelo", "Overijssel", 52.3567, 6.6625, "AZE"),
        ("Doetinchem", "Gelderland", 51.9654, 6.2886, "AZE"),
        ("Winterswijk", "Gelderland", 51.9724, 6.7190, "AZE"),
        ("Nijmegen", "Gelderland", 51.8126, 5.8372, "NAZO"),
        ("Arnhem", "Gelderland", 51.9851, 5.8987, "NAZO"),
        ("Apeldoorn", "Gelderland", 52.2112, 5.9699, "NAZO"),
        ("Harderwijk", "Gelderland", 52.3421, 5.6317, "NAZZ"),
        ("Utrecht", "Utrecht", 52.0907, 5.1214, "NAZMN"),
        ("Amersfoort", "Utrecht", 52.1561, 5.3878, "NAZMN"),
        ("Amsterdam", "Noord-Holland", 52.3676, 4.9041, "NAZNHF"),
        ("Alkmaar", "Noord-Holland", 52.6324, 4.7534, "NAZNHF"),
        ("Almere", "Flevoland", 52.3508, 5.2647, "NAZNHF"),
        ("Lelystad", "Flevoland", 52.5185, 5.4714, "NAZZ"),
        ("Emmeloord", "Flevoland", 52.7108, 5.7480, "NAZZ"),
        ("Leiden", "Zuid-Holland", 52.1601, 4.4970, "NAZW"),
        ("Den Haag", "Zuid-Holland", 52.0705, 4.3007, "NAZW"),
        ("Delft", "Zuid-Holland", 52.0116, 4.3571, "NAZW"),
        ("Rotterdam", "Zuid-Holland", 51.9225, 4.4792, "NAZZWN"),
        ("Dordrecht", "Zuid-Holland", 51.8133, 4.6901, "NAZZWN"),
        ("Middelburg", "Zeeland", 51.4988, 3.6136, "NAZZWN"),
        ("Eindhoven", "Noord-Brabant", 51.4416, 5.4697, "NAZB"),
        ("Breda", "Noord-Brabant", 51.5719, 4.7683, "NAZB"),
        ("Maastricht", "Limburg", 50.8514, 5.6910, "NAZL"),
        ("Venlo", "Limburg", 51.3704, 6.1724, "NAZL"),
    ],
)
def test_known_cities_fall_in_their_roaz_region(city, province, latitude, longitude, region):
    assert region_code_for(province=province, latitude=latitude, longitude=longitude) == region


def test_unknown_province_is_refused():
    with pytest.raises(ValueError, match="Unknown Dutch province"):
        region_code_for(province="North Holland", latitude=52.37, longitude=4.9)
    with pytest.raises(ValueError):
        region_code_for(province="", latitude=52.37, longitude=4.9)


def test_every_shipped_pc4_gets_a_region_and_every_region_gets_pc4s():
    with (DATA / "pc4_geonames.csv").open(encoding="utf-8") as handle:
        counts = Counter(
            region_code_for(
                province=row["province"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        )
    assert set(counts) == REGION_CODES
    # Even the smallest approximated region covers well over a hundred PC4 areas.
    assert min(counts.values()) > 100


@pytest.mark.django_db
class TestRegionsLoadedByMigration:
    def test_the_ten_roaz_regions_with_their_names(self):
        assert dict(Region.objects.values_list("code", "name")) == {
            "AZNN": "Acute Zorgnetwerk Noord Nederland",
            "NAZZ": "Netwerk Acute Zorg Zwolle",
            "AZE": "Acute Zorg Euregio",
            "NAZO": "Netwerk Acute Zorg Oost",
            "NAZMN": "Netwerk Acute Zorg Midden-Nederland",
            "NAZNHF": "Netwerk Acute Zorg Noord-Holland en Flevoland",
            "NAZW": "Netwerk Acute Zorg West",
            "NAZZWN": "Netwerk Acute Zorg Zuidwest Nederland",
            "NAZB": "Netwerk Acute Zorg Brabant",
            "NAZL": "Netwerk Acute Zorg Limburg",
        }
        assert set(Region.objects.values_list("code", flat=True)) == REGION_CODES

    def _graph(self) -> dict[str, set[str]]:
        return {
            region.code: {neighbour.code for neighbour in region.neighbours.all()}
            for region in Region.objects.prefetch_related("neighbours")
        }

    def test_neighbours_are_symmetric_and_never_the_region_itself(self):
        graph = self._graph()
        for code, neighbours in graph.items():
            assert code not in neighbours
            for neighbour in neighbours:
                assert code in graph[neighbour], f"{code}–{neighbour} is one-sided"

    def test_every_region_can_reach_every_other_through_neighbours(self):
        graph = self._graph()
        seen, todo = {"AZNN"}, ["AZNN"]
        while todo:
            for neighbour in graph[todo.pop()] - seen:
                seen.add(neighbour)
                todo.append(neighbour)
        assert seen == REGION_CODES

    @pytest.mark.parametrize(
        ("code", "neighbours"),
        [
            ("NAZL", {"NAZB", "NAZO"}),
            ("AZE", {"NAZZ", "NAZO"}),
            ("NAZW", {"NAZNHF", "NAZMN", "NAZZWN"}),
            ("AZNN", {"NAZZ", "NAZNHF"}),
        ],
    )
    def test_neighbours_follow_the_map(self, code, neighbours):
        assert self._graph()[code] == neighbours

    def test_neighbours_are_symmetric_for_the_model_too(self):
        # The data migration adds both directions itself; an admin edit relies on the model.
        limburg, zeeland = Region.objects.get(code="NAZL"), Region.objects.get(code="NAZZWN")
        limburg.neighbours.add(zeeland)
        assert zeeland.neighbours.filter(code="NAZL").exists()
