"""Generate synthetic dialogue graphs in mmdgraph's ontology, for benchmarks.

    .venv/bin/python benchmarks/generate.py 1m            # -> benchmarks/data/dialogues-1m-seed42.trig
    .venv/bin/python benchmarks/generate.py 10k 100k --seed 7 --out /tmp/data

The graph looks like the real one, only bigger: many dialogues (the first one is
``id:rabat-process``), each with partner and observer memberships over time, a steering
committee, a chair each year, a ministerial conference every four years that adopts a
declaration and a framework (pillars, or domains with objectives), twelve meetings a year
of every type with a host, a chair or co-chairs, a theme, recommendations per pillar and
reported figures, and the claims, text corrections and known gaps of real sources. Dates
mix xsd:date, xsd:gYearMonth and xsd:gYear. Every statement sits in the named graph of a
synthetic source that a catalogue graph (``<https://w3id.org/mmdgraph/graph/sources>``)
declares as an ``mmd:Source``, so the file passes ``mmdgraph validate`` (shapes and QC).

The output is deterministic for a seed (byte-identical), written as it is generated
(memory stays small even for 10M triples), to a temporary file renamed at the end.
Sizes count the triples written (each triple in each graph once); the generator stops after
the meeting that reaches the target, so sizes are reached within a few dozen triples.

>>> import io
>>> buf = io.StringIO()
>>> n = generate(2000, buf, seed=1)
>>> 2000 <= n < 2100
True
>>> buf2 = io.StringIO(); _ = generate(2000, buf2, seed=1); buf.getvalue() == buf2.getvalue()
True
"""

from __future__ import annotations

import argparse
import calendar
import os
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CATALOGUE = "<https://w3id.org/mmdgraph/graph/sources>"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
BASE_URL = "https://synthetic.mmdgraph.example/"

PREFIXES = """@prefix id:     <https://w3id.org/mmdgraph/id/> .
@prefix src:    <https://w3id.org/mmdgraph/source/> .
@prefix cur:    <https://w3id.org/mmdgraph/curation/> .
@prefix mmd:    <https://w3id.org/mmdgraph/ontology#> .
@prefix voc:    <https://w3id.org/mmdgraph/vocab/> .
@prefix rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org:    <http://www.w3.org/ns/org#> .
@prefix schema: <https://schema.org/> .
@prefix prov:   <http://www.w3.org/ns/prov#> .
"""

# ISO 3166-1 alpha-3, alpha-2, name, region of the dialogue (None: outside the four regions).
STATES = [
    ("DZA", "DZ", "Algeria", "north-africa"),
    ("EGY", "EG", "Egypt", "north-africa"),
    ("LBY", "LY", "Libya", "north-africa"),
    ("MAR", "MA", "Morocco", "north-africa"),
    ("TUN", "TN", "Tunisia", "north-africa"),
    ("BEN", "BJ", "Benin", "west-africa"),
    ("BFA", "BF", "Burkina Faso", "west-africa"),
    ("CPV", "CV", "Cabo Verde", "west-africa"),
    ("CIV", "CI", "Côte d'Ivoire", "west-africa"),
    ("GMB", "GM", "Gambia", "west-africa"),
    ("GHA", "GH", "Ghana", "west-africa"),
    ("GIN", "GN", "Guinea", "west-africa"),
    ("GNB", "GW", "Guinea-Bissau", "west-africa"),
    ("LBR", "LR", "Liberia", "west-africa"),
    ("MLI", "ML", "Mali", "west-africa"),
    ("MRT", "MR", "Mauritania", "west-africa"),
    ("NER", "NE", "Niger", "west-africa"),
    ("NGA", "NG", "Nigeria", "west-africa"),
    ("SEN", "SN", "Senegal", "west-africa"),
    ("SLE", "SL", "Sierra Leone", "west-africa"),
    ("TGO", "TG", "Togo", "west-africa"),
    ("CMR", "CM", "Cameroon", "central-africa"),
    ("CAF", "CF", "Central African Republic", "central-africa"),
    ("TCD", "TD", "Chad", "central-africa"),
    ("COG", "CG", "Congo", "central-africa"),
    ("COD", "CD", "Democratic Republic of the Congo", "central-africa"),
    ("GNQ", "GQ", "Equatorial Guinea", "central-africa"),
    ("GAB", "GA", "Gabon", "central-africa"),
    ("STP", "ST", "Sao Tome and Principe", "central-africa"),
    ("BDI", "BI", "Burundi", "central-africa"),
    ("AGO", "AO", "Angola", "central-africa"),
    ("ETH", "ET", "Ethiopia", None),
    ("ERI", "ER", "Eritrea", None),
    ("DJI", "DJ", "Djibouti", None),
    ("SOM", "SO", "Somalia", None),
    ("KEN", "KE", "Kenya", None),
    ("UGA", "UG", "Uganda", None),
    ("TZA", "TZ", "Tanzania", None),
    ("RWA", "RW", "Rwanda", None),
    ("SSD", "SS", "South Sudan", None),
    ("SDN", "SD", "Sudan", None),
    ("ZAF", "ZA", "South Africa", None),
    ("ZMB", "ZM", "Zambia", None),
    ("ZWE", "ZW", "Zimbabwe", None),
    ("MOZ", "MZ", "Mozambique", None),
    ("MWI", "MW", "Malawi", None),
    ("NAM", "NA", "Namibia", None),
    ("BWA", "BW", "Botswana", None),
    ("MDG", "MG", "Madagascar", None),
    ("AUT", "AT", "Austria", "europe"),
    ("BEL", "BE", "Belgium", "europe"),
    ("BGR", "BG", "Bulgaria", "europe"),
    ("HRV", "HR", "Croatia", "europe"),
    ("CYP", "CY", "Cyprus", "europe"),
    ("CZE", "CZ", "Czech Republic", "europe"),
    ("DNK", "DK", "Denmark", "europe"),
    ("EST", "EE", "Estonia", "europe"),
    ("FIN", "FI", "Finland", "europe"),
    ("FRA", "FR", "France", "europe"),
    ("DEU", "DE", "Germany", "europe"),
    ("GRC", "GR", "Greece", "europe"),
    ("HUN", "HU", "Hungary", "europe"),
    ("IRL", "IE", "Ireland", "europe"),
    ("ITA", "IT", "Italy", "europe"),
    ("LVA", "LV", "Latvia", "europe"),
    ("LTU", "LT", "Lithuania", "europe"),
    ("LUX", "LU", "Luxembourg", "europe"),
    ("MLT", "MT", "Malta", "europe"),
    ("NLD", "NL", "Netherlands", "europe"),
    ("POL", "PL", "Poland", "europe"),
    ("PRT", "PT", "Portugal", "europe"),
    ("ROU", "RO", "Romania", "europe"),
    ("SVK", "SK", "Slovakia", "europe"),
    ("SVN", "SI", "Slovenia", "europe"),
    ("ESP", "ES", "Spain", "europe"),
    ("SWE", "SE", "Sweden", "europe"),
    ("NOR", "NO", "Norway", "europe"),
    ("CHE", "CH", "Switzerland", "europe"),
    ("GBR", "GB", "United Kingdom", "europe"),
    ("ISL", "IS", "Iceland", "europe"),
]
AFRICA = [s[0] for s in STATES if s[3] != "europe"]
EUROPE = [s[0] for s in STATES if s[3] == "europe"]
NAME = {s[0]: s[2] for s in STATES}
REGION = {s[0]: s[3] for s in STATES}

ORGANISATIONS = [
    ("european-commission", "European Commission", "EC"),
    ("ecowas-commission", "ECOWAS Commission", "ECOWAS"),
    ("au-commission", "African Union Commission", "AUC"),
    ("icmpd", "International Centre for Migration Policy Development", "ICMPD"),
    ("iom", "International Organization for Migration", "IOM"),
    ("unhcr", "United Nations High Commissioner for Refugees", "UNHCR"),
    ("eccas", "Economic Community of Central African States", "ECCAS"),
    ("igad", "Intergovernmental Authority on Development", "IGAD"),
    ("unodc", "United Nations Office on Drugs and Crime", "UNODC"),
    ("ilo", "International Labour Organization", "ILO"),
]

THEMES = [
    "asylum and international protection",
    "trafficking in human beings",
    "migrant smuggling",
    "return and reintegration",
    "voluntary return",
    "legal migration and mobility",
    "visa facilitation",
    "root causes of irregular migration",
    "migration and development",
    "diaspora engagement",
    "remittances",
    "border management",
    "irregular migration",
    "labour migration",
    "student mobility",
    "migration data",
    "climate and displacement",
    "unaccompanied minors",
    "travel documents",
    "integration of migrants",
    "protection at sea",
    "regional free movement",
    "counter-smuggling investigation",
    "reception conditions",
    "alternatives to detention",
    "skills partnerships",
    "consular cooperation",
    "health of migrants",
    "gender and migration",
    "youth employment",
    "information campaigns",
    "civil society participation",
    "urban migration",
    "statelessness",
    "family reunification",
    "identity management",
    "seasonal work",
    "readmission",
    "resettlement",
    "local authorities",
]
PILLARS = [
    "Legal migration and mobility",
    "Irregular migration",
    "Migration and development",
    "International protection",
]
DOMAINS = [
    "Development benefits of migration",
    "Legal migration and mobility",
    "Protection and asylum",
    "Prevention of irregular migration and trafficking",
    "Return, readmission and reintegration",
]

# Meeting types: (class, IRI code, label stem, has a theme, recommendations).
MEETING_TYPES = {
    "som": ("mmd:SeniorOfficialsMeeting", "Senior officials' meeting", False, 0),
    "scm": ("mmd:SteeringCommitteeMeeting", "Steering committee meeting", False, 0),
    "tm": ("mmd:ThematicMeeting", "Thematic meeting on", True, 3),
    "tech": ("mmd:TechnicalMeeting", "Technical meeting on", True, 2),
    "tr": ("mmd:Training", "Training on", True, 0),
    "wg": ("mmd:WorkingGroupMeeting", "Working group meeting on", True, 1),
    "cons": ("mmd:Consultation", "Consultation on", True, 2),
    "dc": ("mmd:DraftingCommitteeMeeting", "Drafting committee meeting", False, 0),
    "mc": ("mmd:MinisterialConference", "Ministerial conference", False, 4),
    "summit": ("mmd:Summit", "Summit on migration", False, 3),
}
# Eleven or twelve meetings a year; the conference and the drafting committee in conference years.
YEAR_PLAN = ["som", "scm", "tm", "tm", "tech", "tm", "tr", "wg", "tm", "cons", "tech", "scm"]
STATUSES = [("held", 88), ("unconfirmed", 5), ("postponed", 3), ("cancelled", 2), ("planned", 2)]
LAST_YEAR = 2025


def lit(text: str, lang: str = "en") -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@' + lang


def string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typed(value, dt: str) -> str:
    return f'"{value}"^^xsd:{dt}'


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


#: Faults injected with ``faults=N`` (one meeting in N, in turn), to compare validation engines
#: on violations of many kinds: each breaks one shape or QC check.
FAULTS = (
    "no-status",
    "co-chair-is-chair",
    "end-before-start",
    "label-without-language",
    "chair-not-an-agent",
    "date-as-string",
    "undeclared-source",
    "unsourced-statement",
)


class Writer:
    """Writes TriG one graph block at a time and counts the triples it writes."""

    def __init__(self, out, faults: int = 0):
        self.out = out
        self.count = 0
        self.faults = faults
        self.meetings = 0
        self.out.write(PREFIXES)

    def fault(self) -> str | None:
        """The fault to inject into the next meeting, if any."""
        self.meetings += 1
        if self.faults and self.meetings % self.faults == 0:
            return FAULTS[(self.meetings // self.faults) % len(FAULTS)]
        return None

    def outside(self, subject: str, pairs: list[tuple[str, str]]) -> None:
        """Triples outside every GRAPH block: statements without a source."""
        self.count += len(pairs)
        self.out.write("\n" + "".join(f"{subject} {p} {o} .\n" for p, o in pairs))

    def graph(self, name: str, subjects: list[tuple[str, list[tuple[str, str]]]]) -> None:
        """One ``GRAPH name { ... }`` block: subjects with (predicate, object) pairs, grouped.

        In a source's graph every subject carries that source's words (``mmd:quote``, the QC
        check missing-evidence): a made-up sentence naming it, where the generator gave none.
        """
        lines = [f"\nGRAPH {name} {{\n"]
        if name.startswith("src:"):
            subjects = [
                (
                    s,
                    pairs
                    if any(p == "mmd:quote" for p, _ in pairs)
                    else [*pairs, ("mmd:quote", lit(f"Synthetic words about {s}."))],
                )
                for s, pairs in subjects
            ]
        for subject, pairs in subjects:
            parts, last = [], None
            for p, o in pairs:
                if p == last:
                    parts[-1] += f" , {o}"
                else:
                    parts.append(f"{p} {o}")
                    last = p
                self.count += 1
            lines.append(f"    {subject} " + " ;\n        ".join(parts) + " .\n")
        lines.append("}\n")
        self.out.write("".join(lines))

    def source(self, name: str, label: str, kind: str, url: str, issued: str | None = None, lang: str = "en") -> None:
        """Declare a source in the catalogue graph."""
        pairs = [
            ("a", "mmd:Source"),
            ("rdfs:label", lit(label)),
            ("dcterms:type", f"voc:source-{kind}"),
            ("dcterms:language", string(lang)),
            ("schema:url", f"<{BASE_URL}{url}>"),
        ]
        if issued:
            pairs.append(("dcterms:issued", issued))
        self.graph(CATALOGUE, [(name, pairs)])


class Dates:
    """Dates at mixed precision, as the sources give them."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def day(self, year: int, month: int | None = None) -> tuple[int, int, int]:
        month = month or self.rng.randint(1, 12)
        return year, month, self.rng.randint(1, calendar.monthrange(year, month)[1])

    def precise(self, y: int, m: int, d: int, kind: str) -> str:
        if kind == "date":
            return typed(f"{y:04d}-{m:02d}-{d:02d}", "date")
        if kind == "gYearMonth":
            return typed(f"{y:04d}-{m:02d}", "gYearMonth")
        return typed(f"{y:04d}", "gYear")

    def kind(self, date_share=60, month_share=25) -> str:
        r = self.rng.randrange(100)
        return "date" if r < date_share else "gYearMonth" if r < date_share + month_share else "gYear"


def world(w: Writer, rng: random.Random) -> dict:
    """States, organisations, cities and themes, each in the graph of a reference source."""
    w.source("src:synth-iso-3166-1", "ISO 3166-1 country codes (synthetic copy)", "reference-data", "iso-3166-1")
    w.graph(
        "src:synth-iso-3166-1",
        [
            (
                f"id:{a3}",
                [
                    ("a", "mmd:State"),
                    ("rdfs:label", lit(name)),
                    ("mmd:isoAlpha2", string(a2)),
                    ("mmd:isoAlpha3", string(a3)),
                    ("dcterms:spatial", f"<http://publications.europa.eu/resource/authority/country/{a3}>"),
                ],
            )
            for a3, a2, name, _ in STATES
        ],
    )
    w.source("src:synth-regions", "Partner states by region (synthetic)", "official-page", "regions")
    w.graph(
        "src:synth-regions",
        [
            (f"id:{a3}", [("a", "mmd:State"), ("mmd:region", f"voc:region-{region}")])
            for a3, _, _, region in STATES
            if region
        ],
    )
    w.source("src:synth-organisations", "International organisations (synthetic)", "official-page", "organisations")
    w.graph(
        "src:synth-organisations",
        [
            (
                f"id:{iri}",
                [("a", "mmd:InternationalOrganisation"), ("rdfs:label", lit(label)), ("skos:altLabel", lit(alt))],
            )
            for iri, label, alt in ORGANISATIONS
        ],
    )
    cities = {}
    city_triples = []
    for a3, _, name, _ in STATES:
        for k in (1, 2):
            iri = f"id:city-synth-{a3.lower()}-{k}"
            label = f"{name} city {k}" if not (a3 == "FRA" and k == 1) else "Paris"
            cities.setdefault(a3, []).append((iri, label))
            city_triples.append(
                (iri, [("a", "schema:City"), ("rdfs:label", lit(label)), ("schema:containedInPlace", f"id:{a3}")])
            )
    w.source("src:synth-gazetteer", "Gazetteer of meeting places (synthetic)", "reference-data", "gazetteer")
    w.graph("src:synth-gazetteer", city_triples)
    themes = []
    for t in THEMES:
        themes.append((f"id:theme-{slug(t)}", t))
    w.source("src:synth-themes", "Themes of the dialogues' meetings (synthetic)", "official-page", "themes")
    w.graph(
        "src:synth-themes",
        [
            (
                iri,
                [
                    ("a", "mmd:Theme"),
                    ("skos:inScheme", "voc:Themes"),
                    ("skos:prefLabel", lit(label[0].upper() + label[1:])),
                ],
            )
            for iri, label in themes
        ],
    )
    return {"cities": cities, "themes": themes}


class Dialogue:
    """One dialogue, written year by year so the generator can stop after any meeting."""

    def __init__(self, w: Writer, rng: random.Random, dates: Dates, ctx: dict, number: int):
        self.w, self.rng, self.dates, self.ctx, self.n = w, rng, dates, ctx, number
        self.iri = "id:rabat-process" if number == 0 else f"id:synth-dialogue-{number}"
        self.code = "rp" if number == 0 else f"d{number}"
        self.label = "Rabat Process (synthetic)" if number == 0 else f"Synthetic dialogue {number}"
        self.first_year = 2006 if number == 0 else 1996 + rng.randrange(15)
        self.africa = rng.sample(AFRICA, 32)
        self.europe = rng.sample(EUROPE, 28)
        if number == 0:  # the Rabat Process's founders, for the queries' example parameters
            self.africa = ["MAR", "SEN"] + [s for s in self.africa if s not in ("MAR", "SEN")][:30]
            self.europe = ["FRA", "ESP"] + [s for s in self.europe if s not in ("FRA", "ESP")][:26]
        self.members = self.africa + self.europe
        # Chairs and hosts are states with a region: chair-rotation reads the side from it.
        self.leaders = (self.europe, [s for s in self.africa if REGION[s]])
        self.themes = rng.sample(ctx["themes"], 12)
        self.framework = None  # (iri, [component iris])
        self.conference = 0
        self.side = 0
        self.paris_done = False
        self.gaps_year = None

    def src(self, name: str, label: str, kind: str, issued: str | None = None) -> str:
        iri = f"src:synth-{self.code}-{name}"
        self.w.source(iri, f"{self.label}: {label}", kind, f"{self.code}/{name}", issued)
        return iri

    def start(self) -> None:
        w, rng, y0 = self.w, self.rng, self.first_year
        page = self.src("partners", "partners page", "official-page")
        founders = [self.africa[0], self.europe[0]]
        subjects = [
            (
                self.iri,
                [("a", "mmd:Dialogue"), ("rdfs:label", lit(self.label))]
                + [("mmd:initiatedBy", f"id:{s}") for s in founders],
            )
        ]
        sc = f"{self.iri}-steering-committee"
        subjects.append(
            (
                sc,
                [
                    ("a", "mmd:SteeringCommittee"),
                    ("rdfs:label", lit(f"Steering committee of the {self.label}")),
                    ("org:unitOf", self.iri),
                ],
            )
        )
        for i, state in enumerate(self.members):
            role = "observer-state" if i % 16 == 15 else "partner-state"
            m = f"id:{self.code}-{role}-{state}"
            pairs = [
                ("a", "org:Membership"),
                ("rdfs:label", lit(f"{NAME[state]}, {role.replace('-', ' ')} of the {self.label}")),
                ("org:member", f"id:{state}"),
                ("org:organization", self.iri),
                ("org:role", f"voc:role-{role}"),
            ]
            joined = y0 if i < 40 else y0 + rng.randrange(1, 15)
            pairs.append(("schema:startDate", self.dates.precise(*self.dates.day(joined), self.dates.kind(30, 30))))
            r = rng.randrange(100)
            if r < 8:
                left = rng.randrange(joined + 1, LAST_YEAR + 2)
                pairs.append(("schema:endDate", self.dates.precise(*self.dates.day(left), self.dates.kind())))
            elif r < 10:
                pairs.append(("mmd:endedBy", typed(rng.randrange(joined + 1, LAST_YEAR + 1), "gYear")))
            subjects.append((m, pairs))
        for k, (org, _, _) in enumerate(ORGANISATIONS[:6]):
            role = [
                "partner-organisation",
                "partner-organisation",
                "permanent-observer",
                "secretariat",
                "observer-organisation",
                "observer-organisation",
            ][k]
            subjects.append(
                (
                    f"id:{self.code}-{role}-{org}",
                    [
                        ("a", "org:Membership"),
                        ("rdfs:label", lit(f"{org}, {role.replace('-', ' ')} of the {self.label}")),
                        ("org:member", f"id:{org}"),
                        ("org:organization", self.iri),
                        ("org:role", f"voc:role-{role}"),
                        ("schema:startDate", typed(y0, "gYear")),
                    ],
                )
            )
        w.graph(page, subjects)
        # The steering committee: some members with dates, others only attested on a date.
        flyer = self.src("sc-flyer", "steering committee flyer", "flyer", typed(y0 + 5, "gYear"))
        sc_subjects = []
        for i, member in enumerate(self.africa[:5] + self.europe[:5] + ["european-commission"]):
            m = f"id:{self.code}-sc-{member}"
            pairs = [
                ("a", "org:Membership"),
                ("rdfs:label", lit(f"{member}, steering committee member of the {self.label}")),
                ("org:member", f"id:{member}"),
                ("org:organization", sc),
                ("org:role", "voc:role-steering-committee-member"),
            ]
            # The flyer attests every member (steering-committee reads the latest attestation).
            pairs.append(("mmd:attestedOn", typed(y0 + 5, "gYear")))
            if i % 3:
                start = y0 + rng.randrange(5)
                pairs.append(("schema:startDate", self.dates.precise(*self.dates.day(start), self.dates.kind())))
                if i % 3 == 1:
                    pairs.append(("schema:endDate", typed(start + rng.randrange(3, 12), "gYear")))
            sc_subjects.append((m, pairs))
        w.graph(flyer, sc_subjects)
        project = self.src("project", "support project page", "official-page")
        w.graph(
            project,
            [
                (
                    f"id:{self.code}-support-project",
                    [
                        ("a", "mmd:Project"),
                        ("rdfs:label", lit(f"Support project of the {self.label}")),
                        ("schema:funder", "id:european-commission"),
                        ("mmd:implementedBy", "id:icmpd"),
                        ("mmd:supports", self.iri),
                        ("schema:startDate", typed(y0 + 2, "gYear")),
                        ("schema:endDate", typed(y0 + 12, "gYear")),
                    ],
                )
            ],
        )

    def agent(self) -> str:
        """A member state with a region (hosts and chairs), alternating African and European."""
        self.side ^= 1
        return f"id:{self.rng.choice(self.leaders[self.side])}"

    def chairmanship(self, year: int) -> None:
        chair = self.agent()
        kind = self.dates.kind(40, 20)
        if kind == "gYear":
            start, end = typed(year, "gYear"), typed(year, "gYear")
        else:
            m = self.rng.randint(1, 12)
            start = self.dates.precise(year, m, 1, kind)
            end = (
                self.dates.precise(year + 1, m, 1, kind)
                if kind == "date"
                else self.dates.precise(year + 1, m, 1, "gYearMonth")
            )
        page = self.src(f"chair-{year}", f"chairmanship {year}", "news", typed(year, "gYear"))
        self.w.graph(
            page,
            [
                (
                    f"id:{self.code}-chair-{year}",
                    [
                        ("a", "mmd:Chairmanship"),
                        ("rdfs:label", lit(f"Chairmanship of {chair[3:]} of the {self.label}, {year}")),
                        ("org:member", chair),
                        ("org:organization", self.iri),
                        ("org:role", "voc:role-chair"),
                        ("schema:startDate", start),
                        ("schema:endDate", end),
                    ],
                )
            ],
        )

    def new_framework(self, year: int, source: str) -> list:
        """A framework for four years: pillars, or domains each with two objectives."""
        self.conference += 1
        fw = f"id:{self.code}-framework-{self.conference}"
        subjects = [
            (
                fw,
                [
                    ("a", "mmd:Framework"),
                    ("a", "skos:ConceptScheme"),
                    ("rdfs:label", lit(f"Framework {self.conference} of the {self.label}")),
                    ("dcterms:issued", typed(year, "gYear")),
                    ("schema:startDate", typed(year, "gYear")),
                    ("schema:endDate", typed(year + 3, "gYear")),
                ],
            )
        ]
        components = []
        if self.conference % 2:
            for i, name in enumerate(PILLARS, 1):
                c = f"{fw}-pillar-{i}"
                components.append(c)
                subjects.append(
                    (
                        c,
                        [
                            ("a", "mmd:Pillar"),
                            ("skos:prefLabel", lit(name)),
                            ("skos:notation", string(str(i))),
                            ("skos:inScheme", fw),
                            ("skos:topConceptOf", fw),
                        ],
                    )
                )
        else:
            for i, name in enumerate(DOMAINS, 1):
                c = f"{fw}-domain-{i}"
                components.append(c)
                subjects.append(
                    (
                        c,
                        [
                            ("a", "mmd:Domain"),
                            ("skos:prefLabel", lit(name)),
                            ("skos:notation", string(str(i))),
                            ("skos:inScheme", fw),
                            ("skos:topConceptOf", fw),
                        ],
                    )
                )
                for j in (1, 2):
                    # Objectives are numbered through the framework, as in the Marrakesh Action Plan.
                    subjects.append(
                        (
                            f"{fw}-objective-{2 * i + j - 2}",
                            [
                                ("a", "mmd:Objective"),
                                ("skos:prefLabel", lit(f"{name}: objective {j}")),
                                ("skos:notation", string(str(2 * i + j - 2))),
                                ("skos:inScheme", fw),
                                ("skos:broader", c),
                            ],
                        )
                    )
        self.framework = (fw, components)
        # The curators' mapping of the dialogue's themes to the new framework's components.
        mapping = f"cur:{self.code}-theme-mapping-{self.conference}"
        self.w.graph(
            mapping,
            [
                (
                    mapping,
                    [
                        ("a", "mmd:CuratorStatement"),
                        ("rdfs:label", lit(f"Themes of the {self.label} mapped to framework {self.conference}")),
                        ("prov:wasDerivedFrom", source),
                        ("rdfs:comment", lit("Synthetic mapping by name.")),
                    ],
                )
            ]
            + [
                (theme, [("skos:broadMatch", components[k % len(components)])])
                for k, (theme, _) in enumerate(self.themes)
            ],
        )
        return subjects

    def year(self, year: int, budget_left) -> bool:
        """Write one year; returns False if the target was reached (stop generating)."""
        self.chairmanship(year)
        plan = list(YEAR_PLAN)
        if (year - self.first_year) % 4 == 0:
            plan[0:0] = ["mc", "dc"]
        if self.n % 5 == 1 and year == self.first_year + 9:
            plan.append("summit")
        annual = None
        for k, kind in enumerate(plan):
            if annual is None:
                annual = self.src(f"annual-{year}", f"annual report {year}", "document-copy", typed(year + 1, "gYear"))
            self.meeting(year, k, kind, annual)
            if not budget_left():
                return False
        return True

    def meeting(self, year: int, k: int, kind: str, annual: str) -> None:
        rng, dates, w = self.rng, self.dates, self.w
        cls, stem, themed, recs = MEETING_TYPES[kind]
        host = self.agent()
        city_iri, city_label = rng.choice(self.ctx["cities"][host[3:]])
        theme = rng.choice(self.themes) if themed else None
        iri = f"id:{self.code}-{kind}-{year}-{k}"
        if self.n == 0 and year == 2018 and kind == "tm" and not self.paris_done:
            # The example entity of the sources-of query.
            self.paris_done = True
            iri, host, city_iri, city_label = "id:tm-2018-paris-root-causes", "id:FRA", "id:city-synth-fra-1", "Paris"
            theme = ("id:theme-root-causes-of-irregular-migration", "root causes of irregular migration")
        label = (
            f"{stem} {theme[1]}, {city_label} {year}" if theme else f"{stem} of the {self.label}, {city_label} {year}"
        )
        status = rng.choices([s for s, _ in STATUSES], [w_ for _, w_ in STATUSES])[0]
        if kind == "mc":
            status = "held"
        y, m, d = dates.day(year)
        precision = dates.kind()
        start = dates.precise(y, m, d, precision)
        pairs = [
            ("a", cls),
            ("rdfs:label", lit(label)),
            ("mmd:withinDialogue", self.iri),
            ("mmd:status", f"voc:status-{status}"),
            ("schema:startDate", start),
        ]
        end_day = None
        if precision == "date" and d < 27 and rng.randrange(3):
            end_day = (y, m, d + rng.randint(1, 2))
            pairs.append(("schema:endDate", dates.precise(*end_day, "date")))
        pairs.append(("schema:location", city_iri))
        if rng.randrange(20) == 0:
            pairs.append(("schema:eventAttendanceMode", "schema:OnlineEventAttendanceMode"))
        if theme:
            pairs.append(("mmd:theme", theme[0]))
        pairs.append(("mmd:hostedBy", host))
        r = rng.randrange(10)
        chairs: list[str] = []
        if r < 3:
            chairs = [host]
            pairs.append(("mmd:chairedBy", host))
        elif r < 9:
            other = self.agent()
            chairs = [host] if other == host else [host, other]
            pairs += [("mmd:coChairedBy", c) for c in chairs]
        subjects = []
        if kind == "mc":
            fw_subjects = self.new_framework(year, f"src:synth-{self.code}-{kind}-{year}-{k}")
            decl = f"id:{self.code}-declaration-{self.conference}"
            pairs += [
                ("mmd:conferenceNumber", typed(self.conference, "integer")),
                ("prov:generated", decl),
                ("prov:generated", self.framework[0]),
            ]
            subjects.append(
                (
                    decl,
                    [
                        ("a", "mmd:Declaration"),
                        ("rdfs:label", lit(f"Declaration of {label}")),
                        ("dcterms:issued", start),
                    ],
                )
            )
            subjects += fw_subjects
        fw, components = self.framework or (None, [])
        rec_pairs = []
        if components and recs and status == "held":
            pillar = components[rng.randrange(len(components))]
            pairs.append(("mmd:pillar", pillar))
            for j in range(1, rng.randint(1, recs) + 1):
                rec = f"{iri}-recommendation-{j}"
                pairs.append(("prov:generated", rec))
                rec_pairs.append(
                    (
                        rec,
                        [
                            ("a", "mmd:Recommendation"),
                            ("rdfs:label", lit(f"Recommendation {j} of the {label}")),
                            ("dcterms:issued", start),
                            ("mmd:adoptedAt", iri),
                            ("schema:position", str(j)),
                            ("mmd:pillar", rng.choice(components)),
                        ],
                    )
                )
        if rng.randrange(4) == 0:
            pairs.append(("mmd:objective", lit(f"To exchange practice on {theme[1] if theme else 'the dialogue'}.")))
        declare_report = True
        fault = w.fault()
        if fault == "no-status":
            pairs = [pc for pc in pairs if pc[0] != "mmd:status"]
        elif fault in ("co-chair-is-chair", "chair-not-an-agent"):
            pairs = [pc for pc in pairs if pc[0] not in ("mmd:chairedBy", "mmd:coChairedBy")]
            pairs += (
                [("mmd:chairedBy", host), ("mmd:coChairedBy", host)]
                if fault == "co-chair-is-chair"
                else [("mmd:chairedBy", city_iri)]
            )
        elif fault == "end-before-start":
            pairs = [pc for pc in pairs if pc[0] != "schema:endDate"] + [
                ("schema:endDate", typed(f"{y - 1}-01-01", "date"))
            ]
        elif fault in ("label-without-language", "date-as-string"):
            prop, value = (
                ("rdfs:label", string(label))
                if fault == "label-without-language"
                else ("schema:startDate", string(str(y)))
            )
            pairs = [(p, value if p == prop else o) for p, o in pairs]
        elif fault == "undeclared-source":
            declare_report = False
        elif fault == "unsourced-statement":
            w.outside(iri, [("mmd:quote", lit(label))])
        # The report of the meeting, issued when it ended (so it may report it as held).
        issued = dates.precise(*end_day, "date") if end_day else start
        report = f"src:synth-{self.code}-{kind}-{year}-{k}"
        if declare_report:
            w.source(report, f"Report: {label}", "official-page", f"{self.code}/{kind}-{year}-{k}", issued)
        subjects = [(iri, pairs)] + subjects + rec_pairs
        if status == "held" and rng.randrange(2):
            q = rng.choice(["exact", "about", "more-than", "illegible"])
            fig = [
                ("a", "mmd:ReportedFigure"),
                ("rdfs:label", lit(f"Participants in the {label}")),
                ("mmd:figureOf", iri),
                ("mmd:measure", "voc:measure-participants"),
                ("mmd:qualifier", f"voc:qualifier-{q}"),
            ]
            if q in ("exact", "about"):
                fig.append(("schema:value", str(rng.randint(20, 300))))
            elif q == "more-than":
                fig.append(("schema:minValue", str(10 * rng.randint(2, 30))))
            subjects.append((f"id:figure-{iri[3:]}-participants", fig))
        w.graph(report, subjects)
        # A second source repeats some facts: place and co-chairs (provenance counts).
        if rng.randrange(10) < 3:
            news = f"src:synth-{self.code}-news-{year}-{k}"
            w.source(news, f"News: {label}", "news", f"{self.code}/news-{year}-{k}", issued)
            role = "mmd:chairedBy" if r < 3 else "mmd:coChairedBy"
            w.graph(news, [(iri, [("a", cls), ("schema:location", city_iri)] + [(role, c) for c in chairs])])
        # The annual report gives coarser dates (claims), garbles some text, counts participants.
        extra = []
        if precision == "date" and rng.randrange(10) == 0:
            extra.append(
                (
                    f"id:claim-{iri[3:]}-start",
                    [
                        ("a", "mmd:Claim"),
                        ("rdf:subject", iri),
                        ("rdf:predicate", "schema:startDate"),
                        ("rdf:object", dates.precise(y, m, d, "gYearMonth")),
                        ("mmd:claimStatus", "voc:claim-less-precise"),
                        ("rdfs:comment", lit("The annual report gives the month only.")),
                    ],
                )
            )
        if rng.randrange(50) == 0:
            extra.append(
                (
                    f"id:correction-{iri[3:]}",
                    [
                        ("a", "mmd:TextCorrection"),
                        ("rdfs:label", lit(f"Garbled title of the {label}")),
                        ("dcterms:subject", iri),
                        ("mmd:originalText", string(label[:-6] + "  " + label[-4:])),
                        ("mmd:correctedText", string(label)),
                        ("rdfs:comment", lit("The annual report doubles a space and drops the city.")),
                    ],
                )
            )
        if extra:
            w.graph(annual, extra)
        if status == "held" and precision != "gYear" and rng.randrange(20) == 0:
            ann = f"src:synth-{self.code}-announce-{year}-{k}"
            w.source(
                ann, f"Announcement: {label}", "press-release", f"{self.code}/announce-{year}-{k}", typed(year, "gYear")
            )
            w.graph(
                ann,
                [
                    (
                        f"id:claim-{iri[3:]}-planned",
                        [
                            ("a", "mmd:Claim"),
                            ("rdf:subject", iri),
                            ("rdf:predicate", "mmd:status"),
                            ("rdf:object", "voc:status-planned"),
                            ("mmd:claimStatus", "voc:claim-superseded"),
                            ("rdfs:comment", lit("Announced before it was held.")),
                        ],
                    )
                ],
            )
        if not chairs and kind != "mc":
            gaps = f"cur:{self.code}-known-gaps-{year}"
            head = []
            if self.gaps_year != year:
                self.gaps_year = year
                head = [
                    (
                        gaps,
                        [
                            ("a", "mmd:CuratorStatement"),
                            ("rdfs:label", lit(f"Known gaps of the {self.label}, {year}")),
                            ("prov:wasDerivedFrom", annual),
                            ("rdfs:comment", lit("The reports name no chair.")),
                        ],
                    )
                ]
            w.graph(
                gaps,
                head
                + [
                    (
                        f"id:gap-{iri[3:]}-chair",
                        [
                            ("a", "mmd:KnownGap"),
                            ("rdfs:label", lit(f"Chair of the {label}")),
                            ("dcterms:subject", iri),
                            ("mmd:gapProperty", "mmd:chairedBy"),
                            ("rdfs:comment", lit("No source names a chair or co-chair.")),
                        ],
                    )
                ],
            )


def generate(target: int, out, seed: int = 42, faults: int = 0) -> int:
    """Write a graph of about ``target`` triples to the text stream ``out``; returns the count.

    ``faults=N`` breaks one meeting in N (see :data:`FAULTS`); by default the graph conforms.
    """
    rng = random.Random(seed)
    w = Writer(out, faults)
    dates = Dates(rng)
    ctx = world(w, rng)
    n = 0
    while w.count < target:
        d = Dialogue(w, rng, dates, ctx, n)
        d.start()
        for year in range(d.first_year, LAST_YEAR + 1):
            if not d.year(year, lambda: w.count < target):
                break
        n += 1
    return w.count


def data_file(size: str, seed: int = 42, out: Path = DATA, faults: int = 0) -> Path:
    return Path(out) / f"dialogues-{size}-seed{seed}{f'-faults{faults}' if faults else ''}.trig"


def write(size: str, seed: int = 42, out: Path = DATA, faults: int = 0) -> tuple[Path, int]:
    """Generate one size into ``out`` (atomically); returns the path and the triple count."""
    path = data_file(size, seed, out, faults)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            count = generate(SIZES[size], f, seed, faults)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path, count


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sizes", nargs="+", choices=list(SIZES))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, default=DATA, help="output folder (default: benchmarks/data)")
    p.add_argument("--faults", type=int, default=0, metavar="N", help="break one meeting in N (default: none)")
    args = p.parse_args(argv)
    for size in args.sizes:
        t = time.perf_counter()
        path, count = write(size, args.seed, args.out, args.faults)
        print(
            f"{path}: {count} triples, {path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
