"""Load the ten ROAZ regions and which of them border each other.

The neighbour relation is geographic adjacency of the approximated regions (see
``providers/data/README.md``); operators correct it in the admin. The historical model does not
know that ``neighbours`` is symmetrical, so both directions are added explicitly.
"""

from django.db import migrations

REGIONS = [
    ("AZNN", "Acute Zorgnetwerk Noord Nederland"),
    ("NAZZ", "Netwerk Acute Zorg Zwolle"),
    ("AZE", "Acute Zorg Euregio"),
    ("NAZO", "Netwerk Acute Zorg Oost"),
    ("NAZMN", "Netwerk Acute Zorg Midden-Nederland"),
    ("NAZNHF", "Netwerk Acute Zorg Noord-Holland en Flevoland"),
    ("NAZW", "Netwerk Acute Zorg West"),
    ("NAZZWN", "Netwerk Acute Zorg Zuidwest Nederland"),
    ("NAZB", "Netwerk Acute Zorg Brabant"),
    ("NAZL", "Netwerk Acute Zorg Limburg"),
]

# Each border once; the loader adds both directions.
BORDERS = [
    ("AZNN", "NAZZ"),
    ("AZNN", "NAZNHF"),  # Afsluitdijk
    ("NAZZ", "AZE"),
    ("NAZZ", "NAZO"),
    ("NAZZ", "NAZNHF"),  # Flevoland: Lelystad / Almere and Zeewolde
    ("AZE", "NAZO"),
    ("NAZO", "NAZMN"),
    ("NAZO", "NAZZWN"),
    ("NAZO", "NAZB"),
    ("NAZO", "NAZL"),
    ("NAZMN", "NAZNHF"),
    ("NAZMN", "NAZW"),
    ("NAZMN", "NAZZWN"),
    ("NAZNHF", "NAZW"),
    ("NAZW", "NAZZWN"),
    ("NAZZWN", "NAZB"),
    ("NAZB", "NAZL"),
]


def load_regions(apps, schema_editor):
    Region = apps.get_model("providers", "Region")
    regions = {}
    for code, name in REGIONS:
        regions[code], _created = Region.objects.update_or_create(
            code=code, defaults={"name": name}
        )
    for a, b in BORDERS:
        regions[a].neighbours.add(regions[b])
        regions[b].neighbours.add(regions[a])


class Migration(migrations.Migration):
    dependencies = [("providers", "0004_treeknormen")]

    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
