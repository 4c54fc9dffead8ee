# ruff: noqa: E501, S311  (a data table and a seeded generator of fictional figures)
"""Write ``nza_wachttijden_demo.csv``: a SYNTHETIC national file in the NZa open-data layout.

Every provider, location, treatment name and figure in it is invented (see README.md beside
it). Run ``python portal/demo/data/generate_nza_demo.py`` to rewrite the file; the output is
fixed (seeded), so the file only changes when this script does.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

PEILDATUM = "2026-11-24"  # a Tuesday of an even week, like the NZa's peildatums
HEADER = [
    "ID", "PEILDATUM", "TYPE_WACHTTIJD", "WACHTTIJD", "ONVOLDOENDE_WAARNEMINGEN",
    "SPECIALISME", "BEHANDELING", "BEHANDELNUMMER", "AGB_CODE_ZORGAANBIEDER", "ZORGAANBIEDER",
    "KVK_INSTELLING", "TYPE_ZORGINSTELLING", "ROAZ_REGIO", "AGB_CODE_LOCATIE", "LOCATIE",
    "STRAAT", "HUISNUMMER", "POSTCODE", "PLAATS",
]  # fmt: skip

SPECIALISMS = {
    "0301": "Oogheelkunde", "0302": "Keel-, neus- en oorheelkunde", "0303": "Chirurgie",
    "0304": "Plastische chirurgie", "0305": "Orthopedie", "0306": "Urologie",
    "0307": "Obstetrie en gynaecologie", "0308": "Neurochirurgie",
    "0309": "Zenuw- en zielsziekten", "0310": "Dermatologie", "0313": "Inwendige geneeskunde",
    "0316": "Kindergeneeskunde", "0318": "Maag-, darm- en leverziekten", "0320": "Cardiologie",
    "0322": "Longziekten", "0324": "Reumatologie", "0326": "Allergologie",
    "0327": "Revalidatiegeneeskunde", "0328": "Cardiothoracale chirurgie", "0329": "Psychiatrie",
    "0330": "Neurologie", "0335": "Klinische geriatrie", "0300": "Niet nader gespecificeerd",
    "0360": "Radiologie", "0361": "Radiotherapie", "0362": "Radiologie",
    "0363": "Nucleaire geneeskunde", "0386": "Klinische chemie",
    "0387": "Medische microbiologie", "0388": "Pathologie", "0389": "Anesthesiologie",
    "0390": "Klinische genetica", "1100": "Kaakchirurgie",
}  # fmt: skip

# Our catalogue's names (matched by name) and the three NZa names seen in public material.
KNOWN = {
    "0301": ["Cataract-operatie", "Glaucoomoperatie", "Scheelzienoperatie"],
    "0302": ["Trommelvliesbuisjes plaatsen", "Neustussenschotcorrectie (septumplastiek)"],
    "0303": ["Liesbreukoperatie", "Galblaasverwijdering", "Spataderbehandeling"],
    "0304": ["Carpaletunnelsyndroom-operatie", "Triggervingeroperatie"],
    "0305": [
        "Initiele totale knie vervanging (orthopedie)",
        "Diagnostische en/of therapeutische kijkoperatie knie (orthopedie)",
        "Totale heupprothese",
        "Meniscusoperatie",
    ],
    "0306": ["Sterilisatie man (vasectomie)"],
    "0307": ["Baarmoederverwijdering (hysterectomie)"],
    "0308": ["Hernia-operatie lage rug"],
    "0310": ["Mohs-chirurgie (huidkanker)"],
    "0320": ["Pacemakerimplantatie"],
    "1100": ["Verstandskiezen verwijderen"],
}
# Invented names in the NZa's style ("<verrichting> (<specialisme>)"): not the NZa's list.
SYNTHETIC = {
    "0301": ["Lensimplantatie bij hoge myopie (oogheelkunde)", "Pterygiumexcisie (oogheelkunde)", "Hoornvliestransplantatie (oogheelkunde)", "Ooglidcorrectie functioneel (oogheelkunde)",
             "Netvliesloslating operatie (oogheelkunde)", "Traanwegoperatie (oogheelkunde)"],
    "0302": ["Cochleaire implantatie (KNO)", "Oorspiegeling met reiniging (KNO)", "Poliepen verwijderen neus (KNO)", "Stembandoperatie (KNO)",
             "Oorschelpcorrectie (KNO)", "Slaapapneu operatie (KNO)"],
    "0303": ["Schildklierbiopsie (chirurgie)", "Pilonidaal sinus excisie (chirurgie)", "Endeldarmoperatie klinisch (chirurgie)", "Littekenbreuk herstel (chirurgie)",
             "Borstsparende operatie (chirurgie)", "Dikkedarmresectie met opname (chirurgie)",
             "Vetbult verwijderen (chirurgie)"],
    "0304": ["Handfunctieherstel pees (plastische chirurgie)",
             "Huidtransplantatie (plastische chirurgie)",
             "Buikwandcorrectie (plastische chirurgie)"],
    "0305": ["Knieën rechtstand correctie (orthopedie)", "Rugoperatie spondylodese klinisch (orthopedie)", "Schouderprothese (orthopedie)", "Enkelartrodese (orthopedie)",
             "Voetcorrectie kleine teen (orthopedie)", "Elleboogartroscopie (orthopedie)",
             "Heupartroscopie (orthopedie)"],
    "0306": ["Prostaatbiopsie (urologie)", "Blaasspiegeling behandeling (urologie)", "Niersteenvergruizing (urologie)",
             "Plasbuisvernauwing operatie (urologie)", "Besnijdenis medisch (urologie)"],
    "0307": ["Endometriose excisie (gynaecologie)", "Hysteroscopie poliep (gynaecologie)", "Baarmoederhalsbehandeling LETZ (gynaecologie)",
             "Kijkoperatie buik gynaecologisch (gynaecologie)",
             "Incontinentieoperatie vrouw (gynaecologie)", "Curettage (gynaecologie)"],
    "0308": ["Nekhernia operatie klinisch (neurochirurgie)",
             "Zenuwdecompressie elleboog (neurochirurgie)"],
    "0309": ["Elektroconvulsietherapie (zenuw- en zielsziekten)"],
    "0310": ["Cryotherapie wratten (dermatologie)", "Laserbehandeling vaatafwijking (dermatologie)", "Lichttherapie (dermatologie)",
             "Excisie moedervlek (dermatologie)"],
    "0313": ["Plasmaferese (inwendige geneeskunde)", "Beenmergpunctie (inwendige geneeskunde)", "Ijzerinfusie (inwendige geneeskunde)",
             "Dagopname diabetesinstelling (inwendige geneeskunde)"],
    "0316": ["Neusamandelen kind dagbehandeling (kindergeneeskunde)",
             "Allergietest provocatie kind (kindergeneeskunde)"],
    "0318": ["Coloscopie met mucosectomie (MDL)", "Poliepverwijdering dikke darm (MDL)", "Slokdarmverwijding (MDL)",
             "Galwegendoscopie ERCP (MDL)", "Maagballon plaatsen (MDL)"],
    "0320": ["Cardioversie (cardiologie)", "Hartkatheterisatie diagnostisch (cardiologie)",
             "ICD-implantatie klinisch (cardiologie)", "Hartklepvervanging via lies (cardiologie)"],
    "0322": ["Bronchoscopie met behandeling (longziekten)",
             "Longvolumereductie ventiel (longziekten)", "Slaaponderzoek opname (longziekten)"],
    "0324": ["Gewrichtspunctie (reumatologie)", "Infuusbehandeling biologicals (reumatologie)"],
    "0326": ["Desensibilisatie (allergologie)"],
    "0327": ["Botulinetoxine behandeling spasticiteit (revalidatie)",
             "Klinische revalidatie na beroerte (revalidatie)"],
    "0328": ["Hartklepoperatie (cardiothoracale chirurgie)",
             "Longresectie klinisch (cardiothoracale chirurgie)"],
    "0329": ["Klinische opname eetstoornis (psychiatrie)"],
    "0330": ["Diepe hersenstimulatie instelling (neurologie)", "Lumbaalpunctie (neurologie)", "Zenuwblokkade (neurologie)",
             "Botulinetoxine migraine (neurologie)"],
    "0335": ["Valpoli dagbehandeling (geriatrie)"],
    "0361": ["Bestraling botmetastase (radiotherapie)", "Brachytherapie prostaat (radiotherapie)"],
    "0362": ["Vaatverwijding via katheter (radiologie)", "Biopsie onder echogeleide (radiologie)",
             "Embolisatie baarmoederfibroom (radiologie)"],
    "0363": ["Radioactief jodiumbehandeling (nucleaire geneeskunde)"],
    "0389": ["Radiofrequente behandeling knie (anesthesiologie)", "Pijnbehandeling ruggenmerg (anesthesiologie)",
             "Facetdenervatie (anesthesiologie)", "Epidurale injectie (anesthesiologie)"],
    "0390": ["Erfelijkheidsonderzoek counseling (klinische genetica)"],
    "1100": ["Extractie onder narcose (kaakchirurgie)", "Kaakcorrectie (kaakchirurgie)", "Tandimplantaat plaatsen (kaakchirurgie)",
             "Kaakgewrichtsoperatie (kaakchirurgie)"],
    "0300": ["Kleine verrichting niet nader gespecificeerd"],
    "0360": ["Interventie radiologie algemeen (radiologie)"],
    "0386": ["Bloedzuivering therapeutisch (klinische chemie)"],
    "0387": ["Antibiotica-infuus thuis starten (medische microbiologie)"],
    "0388": ["Naaldbiopt beoordeling (pathologie)"],
}  # fmt: skip

# (AGB, name, type, ROAZ, KvK, locations: (AGB, name, street, number, postcode, city))
PROVIDERS = [
    ("06970001", "Demo NZa Synthetisch Universitair Medisch Centrum Noord", "Ziekenhuis",
     "Acute Zorgnetwerk Noord Nederland", "90000001",
     [("06960001", "Demo NZa SUMC Noord", "Fictieweg", "1", "9713 GZ", "Groningen")]),
    ("06970002", "Demo NZa Ziekenhuis De Verzonnen Stad", "Ziekenhuis", "Netwerk Acute Zorg West",
     "90000002",
     [("06960002", "Demo NZa Verzonnen Stad hoofdlocatie", "Bedachtlaan", "10", "2333 ZA", "Leiden"),
      ("06960003", "Demo NZa Verzonnen Stad buitenpoli", "Bedachtlaan", "12", "2545 AB", "Den Haag")]),
    ("06970003", "Demo NZa Fictief Ziekenhuis Rijnmond", "Ziekenhuis",
     "Netwerk Acute Zorg Zuidwest Nederland", "90000003",
     [("06960004", "Demo NZa Fictief Ziekenhuis Rijnmond", "Maasboulevard", "5", "3015 CE",
       "Rotterdam")]),
    ("06970004", "Demo NZa Academisch Centrum Fantasia", "", "Netwerk Acute Zorg Midden-Nederland",
     "90000004",
     [("06960005", "Demo NZa Academisch Centrum Fantasia", "Heidelberglaan", "99", "3584 CX",
       "Utrecht")]),
    ("06970005", "Demo NZa Ziekenhuis Gelderse Verbeelding", "Ziekenhuis", "Netwerk Acute Zorg Oost",
     "90000005",
     [("06960006", "Demo NZa Gelderse Verbeelding Nijmegen", "Verbeeldingsweg", "3", "6525 GA",
       "Nijmegen"),
      ("06960007", "Demo NZa Gelderse Verbeelding Arnhem", "Verbeeldingsweg", "4", "6815 AD", "Arnhem")]),
    ("06970006", "Demo NZa Maasziekenhuis Denkbeeld", "Ziekenhuis", "Netwerk Acute Zorg Limburg",
     "90000006",
     [("06960008", "Demo NZa Maasziekenhuis Denkbeeld", "Denkbeeldplein", "1", "6229 HX", "Maastricht")]),
    ("06970007", "Demo NZa Brabants Ziekenhuis Droombeeld", "Ziekenhuis", "Netwerk Acute Zorg Brabant",
     "90000007",
     [("06960009", "Demo NZa Droombeeld Eindhoven", "Droomstraat", "8", "5623 EJ", "Eindhoven"),
      ("06960010", "Demo NZa Droombeeld Breda", "Droomstraat", "9", "4818 CK", "Breda")]),
    ("06970008", "Demo NZa Isala-achtig Ziekenhuis Fictief", "Ziekenhuis", "Netwerk Acute Zorg Zwolle",
     "90000008",
     [("06960011", "Demo NZa Fictief Zwolle", "Verzinsel", "2", "8025 AB", "Zwolle")]),
    ("06970009", "Demo NZa Twents Ziekenhuis Hersenspinsel", "Ziekenhuis", "Acute Zorg Euregio",
     "90000009",
     [("06960012", "Demo NZa Hersenspinsel Enschede", "Spinselweg", "7", "7512 KZ", "Enschede")]),
    ("06970010", "Demo NZa Noordwest Ziekenhuis Luchtkasteel", "Ziekenhuis", "NAZ Noordwest", "90000010",
     [("06960013", "Demo NZa Luchtkasteel Alkmaar", "Kasteelweg", "1", "1815 JD", "Alkmaar"),
      ("06960014", "Demo NZa Luchtkasteel Almere", "Kasteelweg", "2", "1311 RL", "Almere")]),
    ("22970001", "Demo NZa Kliniek Verzinsel Ogen", "Kliniek", "", "90000011",
     [("22960001", "Demo NZa Kliniek Verzinsel Ogen", "Ooglaan", "4", "1105 AZ", "Amsterdam")]),
    ("22970002", "Demo NZa ZBC Fantasiepark Orthopedie", "Kliniek", "Regio Atlantis", "90000012",
     [("22960002", "Demo NZa Fantasiepark Orthopedie", "Parkweg", "6", "8934 AD", "Leeuwarden")]),
    ("22970003", "Demo NZa Privekliniek Zeeuws Fictief", "Particuliere kliniek", "", "90000013",
     [("22960003", "Demo NZa Zeeuws Fictief Terneuzen", "Havenkade", "3", "4535 PA", "Terneuzen"),
      # PC4 6679 is not in the GeoNames table: this location's lines are skipped.
      ("22960004", "Demo NZa Zeeuws Fictief Oosterhout", "Dijkweg", "1", "6679 AA", "Oosterhout")]),
]  # fmt: skip
ZBC_SPECIALISMS = ["0301", "0305", "0304", "0310"]
KINDS = {"first_visit": "Polikliniekbezoek", "diagnostics": "Diagnostiek"}


def main() -> None:
    rng = random.Random(14)
    rows: list[list[str]] = []
    treatments = [
        (code, name)
        for code in SPECIALISMS
        for name in KNOWN.get(code, []) + SYNTHETIC.get(code, [])
    ]

    def add(
        provider: tuple, location: tuple, kind: str, code: str, treatment: str, number: str
    ) -> None:
        agb, pname, ptype, roaz, kvk, _locations = provider
        lagb, lname, street, housenumber, postcode, city = location
        median = {"Polikliniekbezoek": 28, "Diagnostiek": 15, "Behandeling": 40}[kind]
        insufficient = kind == "Behandeling" and rng.random() < 0.08
        days = "" if insufficient else str(max(0, round(median * rng.lognormvariate(0, 0.45))))
        rows.append([
            str(len(rows) + 1), PEILDATUM, kind, days, "Ja" if insufficient else "Nee",
            f"{SPECIALISMS[code]} ({int(code)})", treatment, number, agb, pname, kvk, ptype, roaz,
            lagb, lname, street, housenumber, postcode, city,
        ])  # fmt: skip

    hospitals = [p for p in PROVIDERS if p[2] != "Kliniek" and p[2] != "Particuliere kliniek"]
    # Every treatment at one or two hospital locations (and at a ZBC for the ZBC specialisms).
    for index, (code, name) in enumerate(treatments):
        number = f"{9000 + index}"
        provider = hospitals[index % len(hospitals)]
        add(provider, provider[5][0], "Behandeling", code, name, number)
        if index % 3 == 0:
            other = hospitals[(index + 4) % len(hospitals)]
            add(other, other[5][-1], "Behandeling", code, name, number)
        if code in ZBC_SPECIALISMS:
            zbc = PROVIDERS[10 + index % 3]
            add(zbc, zbc[5][0], "Behandeling", code, name, number)
    # First visits and diagnostics per location.
    for provider in PROVIDERS:
        specialisms = (
            ZBC_SPECIALISMS
            if provider[2] in ("Kliniek", "Particuliere kliniek")
            else [
                code for code in SPECIALISMS if code not in ("0300", "0386", "0387", "0388", "0360")
            ]
        )
        for location in provider[5]:
            for code in specialisms:
                if rng.random() < 0.6:
                    add(provider, location, "Polikliniekbezoek", code, "", "")
                    if rng.random() < 0.5:
                        add(provider, location, "Diagnostiek", code, "", "")
    # Lines of the existing demo providers (seed_demo's Demo UMC Groningen): NZa figures beside
    # the provider's own, so that precedence is visible. No address: the demo's own is kept.
    demo = ("06990001", "Demo UMC Groningen", "Ziekenhuis", "Acute Zorgnetwerk Noord Nederland",
            "", [("06980001", "", "", "", "", "")])  # fmt: skip
    for code in ("0301", "0305", "0320", "0330", "0313", "0322"):
        add(demo, demo[5][0], "Polikliniekbezoek", code, "", "")
    add(demo, demo[5][0], "Behandeling", "0301", "Cataract-operatie", "9000")
    # Lines that cannot be mapped: an unknown specialism, and an unknown treatment with an
    # unknown specialism (both skipped and reported).
    provider = PROVIDERS[1]
    rows.append([str(len(rows) + 1), PEILDATUM, "Polikliniekbezoek", "30", "Nee",
                 "Fantasiologie (999)", "", "", *provider[:1], provider[1], provider[4],
                 provider[2], provider[3], *provider[5][0]])  # fmt: skip
    rows.append([str(len(rows) + 1), PEILDATUM, "Behandeling", "45", "Nee",
                 "Droomkunde (998)", "Wensvervulling (droomkunde)", "", *provider[:1], provider[1],
                 provider[4], provider[2], provider[3], *provider[5][0]])  # fmt: skip
    path = Path(__file__).with_name("nza_wachttijden_demo.csv")
    with path.open("w", encoding="iso-8859-1", newline="") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"{path}: {len(rows)} lines, {len(treatments)} treatments")


if __name__ == "__main__":
    main()
