"""SYNTHETIC Met use-of-force workbooks, in the London Datastore's published format, and their catalogue answer.

Writes `use_of_force/MPS Use of Force - FY19-20.xlsx` … `FY22-23.xlsx` (one
workbook per financial year, the data on its one sheet) and
`catalogue/london_datastore/use-of-force.json`, the CKAN `package_show`
answer listing them, so the source finds them the way it finds the real ones.

The sheet is the published one: the 271 columns of the FY19-20 / FY20-21
layout in their order (`IncidentDate`, `IncidentTime`, the `Incident Location:`
flags, `Borough`, … `Tactic 1`, `Effective 1` … `Tactic 20`,
`Tactic Effective 20`, the four CED device blocks with their typos (`CED2
ArCED2`), … `SubjectEthnicity` …, the `Outcome:` flags), dates as spreadsheet
dates, flags `Yes`/`No`, and one row per officer per subject: a subject
restrained by two officers is two rows with the same incident and subject
details, each with that officer's tactics. Every value is invented.

Assumptions (SYNTHETIC, not from any paper): about 70 subjects a month across
the boroughs by their synthetic populations; an officer-perceived ethnic mix
in which Black Londoners are about three times as likely as White ones to be
subjects; one to three officers per subject; and handcuffing of Black
subjects falling by a level after 18 November 2021 (HANDCUFF_DROP_BLACK)
while White subjects' does not, so the handcuffing mart has a change to find.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from pathlib import Path

from devdata.boroughs import BOROUGHS, SYNTHETIC_NOTICE, normalised_zip, write_file
from devdata.catalogue import write_ckan_package

DIR = Path("use_of_force")
DATASET = "use-of-force"
FIRST_FY, LAST_FY = 2019, 2022  # FY19-20 … FY22-23
POLICY_DAY = date(2021, 11, 18)  # the handcuffing policy the papers report
SUBJECTS_PER_MONTH = 70
HANDCUFF_P = {"White": 0.40, "Black": 0.55, "Asian": 0.45, "Mixed": 0.45, "Other": 0.42, None: 0.30}
HANDCUFF_DROP_BLACK = 0.12  # absolute fall in the share of Black subjects handcuffed after the policy
# relative chance, per resident, of being a subject of force (synthetic): by broad group
SUBJECT_RATE = {"White": 1.0, "Black": 3.0, "Asian": 0.9, "Mixed": 1.6, "Other": 1.1}
PUBLISHED_ETHNICITY = {"White": "White", "Black": "Black (or Black British)", "Asian": "Asian (or Asian British)",
                       "Mixed": "Mixed", "Other": "Other"}
WORKBOOK_TIMESTAMP = datetime(2023, 4, 20, 9, 0, 0)
LABEL_TEXT = SYNTHETIC_NOTICE + " The use-of-force workbooks here are synthetic too (devdata.use_of_force).\n"

LOCATIONS = ("Street/Highway", "Public Transport", "Retail Premises", "Open ground (e.g. park, car park, field)",
             "Licensed Premises", "Sports or Event Stadia", "Hospital/A&E (non-mental-health setting)",
             "Mental Health Setting", "Police vehicle with prisoner handling cage",
             "Police vehicle without prisoner handling cage", "Dwelling",
             "Police station (excluding custody block)", "Custody Block", "Ambulance", "Other")
IMPACT = ("Possesion of a weapon", "Alcohol", "Drugs", "Mental Health", "Prior Knowledge", "Size/Gender/Build",
          "Acute Behavioural Disorder", "Crowd", "Other")
REASONS = ("Protect self", "Protect Public", "Protect Subject", "Protect Other Officers", "Prevent Offence",
           "Secure Evidence", "Effect Search", "Effect Arrest", "Method of Entry", "Remove Handcuffs", "Prevent Harm",
           "Prevent Escape", "Other")
OUTCOMES = ("Made off/escaped", "Arrested", "Hospitalised", "Detained - Mental Health Act", "Fatality", "Other")
CED_ACTIONS = ("Drawn", "Aimed", "Arced", "Red-Dotted", "Drive Stun", "Drive Stun Repeat Application",
               "Angle Drive Stun", "Fired", "Fired Cartridge Number", "Fired 5 Secs Cycle Interrupted",
               "Fired Repeat Cycle Same Cartridge", "Fired Total Number Of Cycles", "Fired Cycle Extended Beyond 5 Secs",
               "Fired Miss With One Probe", "Fired Miss With Both Probes")
BACK = "ABCDEFGHJK"
AGES = ("0-10", "11-17", "18-34", "35-49", "50-64", "65 and over")
AGE_WEIGHTS = (1, 14, 55, 22, 7, 1)
CONDUCT = ("Compliant", "Passive resistance", "Verbal resistance/gestures", "Active resistance",
           "Aggressive resistance", "Serious or aggravated resistance")
OTHER_TACTICS = (("Unarmed Skills (including pressure points, strikes, restraints and take-downs)", 0.30),
                 ("Ground Restraint", 0.12), ("Limb/Body Restraints", 0.06), ("Spit Guard", 0.03),
                 ("CED (Taser) Drawn", 0.05), ("CED (Taser) Red-Dotted", 0.02), ("CED (Taser) Fired", 0.01),
                 ("Irritant Spray - PAVA Drawn", 0.02), ("Baton Drawn", 0.02), ("Dog Deployed", 0.01),
                 ("Other/Improvised", 0.02))


def _ced_block(device: str) -> list[str]:
    arced = f"{device} Ar{device}" if device != "CED" else "CED Arced"  # the published typo: `CED2 ArCED2`
    actions = [arced if a == "Arced" else f"{device} {a}" for a in CED_ACTIONS]
    return actions + [f"{device} Front {n}" for n in range(1, 16)] + [f"{device} Back {b}" for b in BACK]


def header() -> list[str]:
    """The published FY19-20 / FY20-21 header: 271 columns."""
    cols = ["IncidentDate", "IncidentTime"] + [f"Incident Location: {loc}" for loc in LOCATIONS]
    cols += ["Borough", "PrimaryConduct", "AssaultedBySubject", "ThreatenedWithWeapon", "AssaultedWithWeapon"]
    cols += [f"Impact Factor: {f}" for f in IMPACT] + [f"Reason for Force: {r}" for r in REASONS]
    cols += ["MainDuty", "SingleCrewed", "TrainedCED", "CarryingCED"]
    for n in range(1, 21):
        cols += [f"Tactic {n}", "Tactic Effective 20" if n == 20 else f"Effective {n}"]
    cols += ["CED Used", "CED Device Serial No"]
    for device in ("CED", "CED2", "CED3", "CED4"):
        cols += _ced_block(device)
    cols += ["Firearms Aimed", "Firearms Fired", "SubjectAge", "SubjectGender", "SubjectEthnicity",
             "PhysicalDisability", "MentalDisability", "StaffInjured", "StaffInjuryIntentional", "StaffInjuryLevel",
             "StaffMedProvided", "SubjectInjured", "SubjectNatureOfInjury", "SubjectMedOffered", "SubjectMedProvided"]
    cols += [f"Outcome: {o}" for o in OUTCOMES]
    return cols


def file_name(fy: int) -> str:
    return f"MPS Use of Force - FY{fy % 100:02d}-{(fy + 1) % 100:02d}.xlsx"


def _months(fy: int) -> list[tuple[int, int]]:
    return [(fy + (m < 4), m) for m in (*range(4, 13), 1, 2, 3)]


def _subject_weights() -> list[tuple[str, str, float]]:
    """(borough, broad group, weight): residents x the group's relative rate."""
    out = []
    for b in BOROUGHS:
        total = sum(b.shares)
        groups = {"Asian": b.shares[0], "Black": b.shares[1], "Mixed": b.shares[2],
                  "White": b.shares[3] + b.shares[4] + b.shares[5], "Other": b.shares[6]}
        for group, share in groups.items():
            out.append((b.name, group, b.population_k * share / total * SUBJECT_RATE[group]))
    return out


def year_rows(fy: int, seed: int = 2020) -> list[dict]:
    """The rows of one financial year, each a {header: value} (absent: a blank cell)."""
    rng = random.Random(f"use_of_force:{seed}:{fy}")  # noqa: S311 - synthetic data
    weights = _subject_weights()
    rows: list[dict] = []
    for year, month in _months(fy):
        n = SUBJECTS_PER_MONTH + rng.randint(-8, 8)
        for _ in range(n):
            borough, group, _w = rng.choices(weights, weights=[w for *_, w in weights])[0]
            if rng.random() < 0.03:
                borough = rng.choice(("Heathrow", "Out of force"))
            published = None if rng.random() < 0.04 else PUBLISHED_ETHNICITY[group]
            if published == "Asian (or Asian British)" and rng.random() < 0.05:
                published = "Chinese"
            day = date(year, month, rng.randint(1, 28))
            p_cuff = HANDCUFF_P[group if published else None]
            if group == "Black" and published and day >= POLICY_DAY:
                p_cuff -= HANDCUFF_DROP_BLACK
            subject = {
                "IncidentDate": day,
                "IncidentTime": time(rng.randint(0, 23), rng.choice((0, 5, 15, 20, 30, 45))).isoformat(),
                "Borough": "City of Westminster" if borough == "Westminster" and fy <= 2020 else borough,
                "PrimaryConduct": rng.choices(CONDUCT, weights=(30, 20, 15, 25, 8, 2))[0],
                "SubjectAge": rng.choices(AGES, weights=AGE_WEIGHTS)[0],
                "SubjectGender": rng.choices(("Male", "Female"), weights=(85, 15))[0],
                "SubjectEthnicity": published,
                "PhysicalDisability": "Yes" if rng.random() < 0.03 else "No",
                "MentalDisability": "Yes" if rng.random() < 0.08 else "No",
                "SubjectInjured": "Yes" if rng.random() < 0.06 else "No",
            }
            where = rng.choices(LOCATIONS, weights=(60, 5, 6, 5, 3, 1, 2, 2, 3, 2, 8, 1, 1, 0.5, 1))[0]
            subject.update({f"Incident Location: {loc}": "Yes" if loc == where else "No" for loc in LOCATIONS})
            arrested = rng.random() < 0.7
            handcuffed = rng.random() < p_cuff
            compliant = rng.random() < 0.6
            searched = rng.random() < 0.25
            for officer in range(rng.choices((1, 2, 3), weights=(55, 35, 10))[0]):
                tactics = ["Tactical Communications"]
                if handcuffed and (officer == 0 or rng.random() < 0.3):
                    tactics.append("Compliant Handcuffing" if compliant else "Non-Compliant Handcuffing")
                tactics += [t for t, p in OTHER_TACTICS if rng.random() < p]
                row = dict(subject)
                for i, tactic in enumerate(tactics, start=1):
                    row[f"Tactic {i}"] = tactic
                    row["Tactic Effective 20" if i == 20 else f"Effective {i}"] = "Yes" if rng.random() < 0.9 else "No"
                row.update({f"Impact Factor: {f}": "Yes" if rng.random() < 0.1 else "No" for f in IMPACT})
                row.update({f"Reason for Force: {r}": "No" for r in REASONS})
                row["Reason for Force: Effect Arrest"] = "Yes" if arrested else "No"
                row["Reason for Force: Effect Search"] = "Yes" if searched else "No"
                row["Reason for Force: Protect self"] = "Yes" if rng.random() < 0.5 else "No"
                row.update({"MainDuty": rng.choice(("Response", "Neighbourhood", "Custody", "Proactive")),
                            "SingleCrewed": "No", "TrainedCED": "Yes" if rng.random() < 0.3 else "No",
                            "CarryingCED": "No", "AssaultedBySubject": "Yes" if rng.random() < 0.1 else "No",
                            "Firearms Aimed": "No", "Firearms Fired": "No",
                            "StaffInjured": "Yes" if rng.random() < 0.05 else "No", "StaffMedProvided": "No",
                            "SubjectMedOffered": "No"})
                row.update({f"Outcome: {o}": "No" for o in OUTCOMES})
                row["Outcome: Arrested"] = "Yes" if arrested else "No"
                if not arrested:
                    row["Outcome: Other"] = "Yes"
                rows.append(row)
    return rows


def write_workbook(path: Path, rows: list[dict]) -> None:
    """One sheet, the header then the rows, dates as spreadsheet dates (openpyxl's streaming writer); the same
    rows give the same bytes (fixed document and zip entry times)."""
    import io
    import zipfile

    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    columns = header()
    book = Workbook(write_only=True)
    book.properties.creator = book.properties.lastModifiedBy = "devdata.use_of_force (SYNTHETIC)"
    book.properties.created = book.properties.modified = WORKBOOK_TIMESTAMP
    sheet = book.create_sheet("Sheet1")
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:  # not save(): it would set `modified` to now
        ExcelWriter(book, archive).save()
    write_file(path, normalised_zip(out.getvalue(), WORKBOOK_TIMESTAMP))


def generate(out_dir: Path, *, seed: int = 2020) -> dict:
    """Write the workbooks, their SYNTHETIC label and the catalogue answer; return a summary."""
    out_dir = Path(out_dir).resolve()
    resources, rows_by_year, paths = [], {}, []
    for fy in range(FIRST_FY, LAST_FY + 1):
        rows = year_rows(fy, seed)
        relpath = DIR / file_name(fy)
        write_workbook(out_dir / relpath, rows)
        rows_by_year[f"{fy}-{(fy + 1) % 100:02d}"] = len(rows)
        paths.append(str(out_dir / relpath))
        # the current year's file is republished each month; older ones stay as last reconciled
        resources.append({"relpath": relpath, "name": file_name(fy).removesuffix(".xlsx"),
                          "last_modified": f"{fy + 1}-04-20T09:00:00"})
    write_file(out_dir / DIR / "SYNTHETIC.txt", LABEL_TEXT.encode("utf-8"))
    write_ckan_package(out_dir, DATASET, "Use of Force Dataset", resources)
    return {"rows": rows_by_year, "paths": paths}
