"""`map_commitment_figures`: every promise in the papers that carries a number, an amount or a date.

The seed (dbt_project/seeds/map_commitment_figures.csv) is typed by hand from
the five plain-text papers in ../shared/seeds, like the register seeds that
tests/test_register_seeds.py checks; these tests re-read the papers the same
way (its helpers are imported) and fail when a row says something its paper
does not: a quote that is not the paper's, a figure or deadline that is not
in its quote, a date range that is not what the deadline's words allow, or a
known commitment the seed misses.

The papers are read through PAPER_FILES below rather than through
map_papers, so that a paper can be checked before (or without) its row there.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections import defaultdict
from datetime import date

import pytest

from tests.conftest import require_shared_data
from tests.test_register_seeds import (
    PAPERS,
    SEEDS,
    _in_order,
    _june_rows,
    _late_2021_rows,
    _paper_text,
    _rows,
    norm,
)

NAME = "map_commitment_figures"
HEADER = ["commitment_id", "commitment_key", "paper_id", "action_id", "mopac_commitment_number", "owner", "kind",
          "figure", "due_text", "due_from", "due_to", "quote"]
JUNE_2021, Q1_UPDATE, RESPONSE_2021_07, LATE_2021, OCT_2022 = (
    "ob_2021_06_15", "mopac_q1_2021_22", "mps_response_2021_07", "mps_update_2021_q4", "ob_2022_10_14")
PAPER_FILES = {
    JUNE_2021: "003_498ffe9d3da1726d.txt",
    Q1_UPDATE: "001_449e6fd726b53044.txt",
    RESPONSE_2021_07: "004_88aa557bf6334c07.txt",
    LATE_2021: "002_4994434a6283ba4d.txt",
    OCT_2022: "000_5ad80ed66a914944.txt",
}
# The date a paper speaks from: the year of a deadline printed without one ("in June", "from October"),
# and the start of "later this year" / "over the next 12 months". The printed date where there is one;
# for the undated papers the ordering date map_papers gives them (the July 2021 response answers the
# 7 July 2021 meeting).
PAPER_DATES = {
    JUNE_2021: date(2021, 6, 15),
    Q1_UPDATE: date(2021, 7, 7),
    RESPONSE_2021_07: date(2021, 7, 7),
    LATE_2021: date(2021, 12, 31),
    OCT_2022: date(2022, 10, 14),
}
KINDS = {"number", "money", "date", "number_and_date", "money_and_date"}
OWNERS = {"MPS", "MOPAC", "MPS and MOPAC", "Mayor", "GLA", "HMICFRS"}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def text_of(paper_id: str) -> str:
    """The raw text of one of the five papers (the shared folder must be there)."""
    require_shared_data()
    path = PAPERS / PAPER_FILES[paper_id]
    assert path.is_file(), f"{path} is missing"
    return _paper_text(PAPER_FILES[paper_id])


def rows() -> list[dict[str, str]]:
    return _rows(NAME)


def row(key: str, paper_id: str) -> dict[str, str]:
    found = [r for r in rows() if r["commitment_key"] == key and r["paper_id"] == paper_id]
    assert len(found) == 1, f"{key} in {paper_id}: {len(found)} rows"
    return found[0]


def papers_of(key: str) -> set[str]:
    return {r["paper_id"] for r in rows() if r["commitment_key"] == key}


# ---------------------------------------------------------------- the due-date rules

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11)}


def _last(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, calendar.monthrange(d.year + y, m + 1)[1]))


def _period(words: str, said: date) -> tuple[date, date]:
    """The first and last day of a period named in a deadline; a missing year is the paper's."""
    w = words.strip().removeprefix("the ").replace("(", "").replace(")", "")
    year = re.search(r"\b(20\d\d)$", w)
    y = int(year.group(1)) if year else said.year
    if m := re.fullmatch(r"(?:20)?(\d\d)[/-](?:20)?(\d\d)", w):  # a financial year: 22/23, 2022-2023
        return date(2000 + int(m.group(1)), 4, 1), date(2000 + int(m.group(2)), 3, 31)
    if m := re.fullmatch(r"end of 20\d\d/(20\d\d)", w):  # the end of a financial year: its last day
        return date(int(m.group(1)), 3, 31), date(int(m.group(1)), 3, 31)
    if re.fullmatch(r"end of 20\d\d", w):  # the end of a year: December
        return date(y, 12, 1), date(y, 12, 31)
    if m := re.fullmatch(r"end of (\w+) 20\d\d", w):  # the end of a month: its last third
        return date(y, MONTHS[m.group(1).lower()], 21), _last(y, MONTHS[m.group(1).lower()])
    if re.fullmatch(r"early 20\d\d", w):
        return date(y, 1, 1), date(y, 4, 30)
    if m := re.fullmatch(r"(?:beginning of|early) (\w+)", w):  # the start of a month: its first third
        return date(y, MONTHS[m.group(1).lower()], 1), date(y, MONTHS[m.group(1).lower()], 10)
    if re.fullmatch(r"mid-20\d\d", w):
        return date(y, 5, 1), date(y, 8, 31)
    if m := re.fullmatch(r"(?:late|later in) (\w+)(?: 20\d\d)?", w, re.I):  # late in a season: its last month
        last = SEASONS[m.group(1).lower()][1]
        return date(y, last, 1), _last(y, last)
    if m := re.fullmatch(r"(\w+) – (\w+) 20\d\d", w):  # from one season to the end of the next
        return date(y, SEASONS[m.group(1).lower()][0], 1), _last(y, SEASONS[m.group(2).lower()][1])
    if m := re.fullmatch(r"(\w+)(?: 20\d\d)?", w, re.I):
        name = m.group(1).lower()
        if name in SEASONS:
            first, last = SEASONS[name]
            return date(y, first, 1), _last(y, last)
        if name in MONTHS:
            return date(y, MONTHS[name], 1), _last(y, MONTHS[name])
        if name.isdigit():
            return date(y, 1, 1), date(y, 12, 31)
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th) (\w+)(?: 20\d\d)?", w):
        day = date(y, MONTHS[m.group(2).lower()], int(m.group(1)))
        return day, day
    raise ValueError(f"no rule for the deadline words {words!r}")


def due_bounds(due_text: str, paper_id: str) -> tuple[str, str]:
    """due_from and due_to as the documented rules read `due_text` (ISO, or '' for an open end).

    `by` / `before` X: open start, the end of X. `from` / `starting` X: the start of X, open end.
    `in` / `at` / `for` / `on` / `into` / `until` X, or X alone: the whole of X. Relative words
    count from the date the paper speaks from; "With immediate effect" has no calendar bounds.
    """
    said = PAPER_DATES[paper_id]
    t = due_text.strip()
    low = t.lower()
    if low == "with immediate effect":
        return "", ""
    if low == "later this year":
        return said.isoformat(), date(said.year, 12, 31).isoformat()
    if m := re.fullmatch(r"over the next (\d+) months", low):
        return said.isoformat(), _add_months(said, int(m.group(1))).isoformat()
    if low == "starting this month":
        return said.replace(day=1).isoformat(), ""
    m = re.fullmatch(r"(?:(by|before|from|starting|into|until|in|at|for|on) )?(.*)", t, re.I)
    word, rest = (m.group(1) or "").lower(), m.group(2)
    first, last = _period(rest, said)
    if word in {"by", "before"}:
        return "", last.isoformat()
    if word in {"from", "starting"}:
        return first.isoformat(), ""
    return first.isoformat(), last.isoformat()


def _value(figure: str) -> tuple[float, ...]:
    """The numbers in a figure, words read as digits: `£400,000 per annum` -> (400000,), `5 to 8 days` -> (5, 8)."""
    out = []
    for tok in re.findall(r"£?[\d,.]+m?|[a-z]+", figure.lower()):
        if tok in NUMBER_WORDS:
            out.append(float(NUMBER_WORDS[tok]))
        elif re.search(r"\d", tok):
            n = float(tok.strip("£m").replace(",", ""))
            out.append(n * 1_000_000 if tok.endswith("m") else n)
    return tuple(out)


# ---------------------------------------------------------------- the CSV file


def test_seed_is_rfc4180_utf8_with_its_header():
    raw = (SEEDS / f"{NAME}.csv").read_bytes()
    text = raw.decode("utf-8")
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert "\r" not in text, "line endings must be \\n"
    assert text.endswith("\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == HEADER
    assert all(len(r) == len(HEADER) for r in parsed), "every row has every column"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(parsed)
    assert out.getvalue() == text, "minimal quoting, as csv.writer writes it"
    assert all(v == v.strip() for r in parsed for v in r), "no leading or trailing spaces"


def test_ids_and_keys():
    seen_ids, seen_pairs = set(), set()
    for r in rows():
        assert re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", r["commitment_key"]), r["commitment_key"]
        assert r["commitment_id"] == f"{r['commitment_key']}__{r['paper_id']}", r["commitment_id"]
        assert r["commitment_id"] not in seen_ids
        seen_ids.add(r["commitment_id"])
        assert (r["commitment_key"], r["paper_id"]) not in seen_pairs, "one row per paper stating a commitment"
        seen_pairs.add((r["commitment_key"], r["paper_id"]))
    assert len(rows()) >= 100


def test_every_paper_is_one_of_the_five_and_agrees_with_map_papers():
    assert {r["paper_id"] for r in rows()} == set(PAPER_FILES), "every paper has commitments; no other paper"
    registered = {p["paper_id"]: p["seed_file"] for p in _rows("map_papers")}
    for paper_id, seed_file in PAPER_FILES.items():
        if paper_id not in registered:
            # mps_response_2021_07 is being added to map_papers in a separate change; every other one is there
            assert paper_id == RESPONSE_2021_07, f"{paper_id} is not in map_papers"
            continue
        assert registered[paper_id] == seed_file, paper_id
        text_of(paper_id)


def test_quotes_are_the_papers_words():
    for r in rows():
        q, text = r["quote"], text_of(r["paper_id"])
        assert q and "…" not in q and "..." not in q, f"{r['commitment_id']}: no abridgements"
        assert len(q) <= 400, r["commitment_id"]
        # a quote is a run of the paper's text; where two table columns interleave, its words in order
        assert norm(q) in norm(text) or _in_order(q, text), f"{r['commitment_id']}: quote not in {r['paper_id']}"


def test_figure_and_deadline_are_in_the_quote_and_match_the_kind():
    for r in rows():
        cid, kind, figure, due = r["commitment_id"], r["kind"], r["figure"], r["due_text"]
        assert kind in KINDS, cid
        assert r["owner"] in OWNERS, cid
        assert (figure != "") == (kind != "date"), f"{cid}: a figure exactly when the kind has one"
        assert (due != "") == kind.endswith("date"), f"{cid}: a deadline exactly when the kind has one"
        assert kind.startswith("money") == figure.startswith("£"), f"{cid}: money is in pounds"
        if figure:
            assert norm(figure) in norm(r["quote"]), f"{cid}: figure {figure!r} is not in the quote"
            assert _value(figure), f"{cid}: {figure!r} holds no number"
        if due:
            assert norm(due) in norm(r["quote"]), f"{cid}: due_text {due!r} is not in the quote"


def test_due_dates_follow_the_rules():
    for r in rows():
        for column in ("due_from", "due_to"):
            if r[column]:
                date.fromisoformat(r[column])  # ISO, and a real day
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[column])
        if r["due_from"] and r["due_to"]:
            assert r["due_from"] <= r["due_to"], r["commitment_id"]
        if not r["due_text"]:
            assert r["due_from"] == r["due_to"] == "", r["commitment_id"]
            continue
        assert (r["due_from"], r["due_to"]) == due_bounds(r["due_text"], r["paper_id"]), r["commitment_id"]


def test_the_due_date_rules_on_the_briefs_examples():
    cases = {
        ("by 2024", OCT_2022): ("", "2024-12-31"),
        ("end of 2020", JUNE_2021): ("2020-12-01", "2020-12-31"),
        ("early 2022", RESPONSE_2021_07): ("2022-01-01", "2022-04-30"),
        ("mid-2022", Q1_UPDATE): ("2022-05-01", "2022-08-31"),
        ("summer 2022", OCT_2022): ("2022-06-01", "2022-08-31"),
        ("Autumn 2021", JUNE_2021): ("2021-09-01", "2021-11-30"),
        ("end of 2023/2024", OCT_2022): ("2024-03-31", "2024-03-31"),
        ("from 22/23", JUNE_2021): ("2022-04-01", ""),
        ("at the end of January 2021", LATE_2021): ("2021-01-21", "2021-01-31"),
        ("in June", Q1_UPDATE): ("2021-06-01", "2021-06-30"),
    }
    for (words, paper_id), bounds in cases.items():
        assert due_bounds(words, paper_id) == bounds, words


def test_actions_and_mopac_commitments_exist_and_agree():
    actions = {a[c] for a in _rows("map_actions") for c in ("action_id", "action_number") if a.get(c)} | {"23a"}
    mopac = {c["commitment_number"]: c for c in _rows("mopac_commitments") if c["commitment_number"]}
    action_to_mopac = {c["mps_action_number"]: n for n, c in mopac.items() if c["mps_action_number"]}
    for r in rows():
        cid, a, m = r["commitment_id"], r["action_id"], r["mopac_commitment_number"]
        if a:
            assert a in actions, cid
            # a commitment of an action the Q1 update lists names that row of mopac_commitments
            assert m == action_to_mopac.get(a, ""), (cid, m, action_to_mopac.get(a))
        if m:
            assert m in mopac, cid
            if mopac[m]["mps_action_number"]:
                assert a == mopac[m]["mps_action_number"], (cid, a, m)
            else:
                assert a == "", cid


def test_q1_rows_quote_their_commitment_row():
    """A row from the Q1 update quotes the commitment (or its update) it names; the next steps have no number."""
    cells = {}
    for c in _rows("mopac_commitments"):
        cells.setdefault(c["commitment_number"], []).append(norm(c["commitment"] + " " + c["status_update"]))
    for r in rows():
        if r["paper_id"] != Q1_UPDATE:
            continue
        assert any(norm(r["quote"]) in cell for cell in cells[r["mopac_commitment_number"]]), r["commitment_id"]


def test_rows_quote_their_own_actions_text():
    """Where a quote is in a paper's per-action table or annex, it is in the row of its action_id."""
    june, late = _june_rows(), _late_2021_rows()
    june[16] = june[15]  # the extraction merged row 16 into row 15
    annex = norm(text_of(OCT_2022)).split("Annex A – ", 1)[1].split("[1] http", 1)[0]
    sections = {n: body for n, body in re.findall(r"Action (\d+a?) [–-] (.*?)(?=Action \d+a? [–-] |$)", annex)}
    assert set(sections) == {str(n) for n in range(1, 24)} | {"23a"}
    for r in rows():
        q, a = norm(r["quote"]), r["action_id"]
        if r["paper_id"] == JUNE_2021:
            inside = [n for n, body in june.items() if q in norm(body)]
            if inside:
                assert a and int(a) in inside, (r["commitment_id"], inside)
        elif r["paper_id"] == LATE_2021 and a:
            assert q in norm(late[int(a)]), r["commitment_id"]
        elif r["paper_id"] == OCT_2022 and q in annex:
            assert a and q in sections[a], r["commitment_id"]


def test_a_restated_commitment_restates_its_figure():
    by_key = defaultdict(list)
    for r in rows():
        by_key[r["commitment_key"]].append(r)
    for key, group in by_key.items():
        assert len({r["kind"].split("_")[0] for r in group}) == 1, f"{key}: the same kind of figure"
        assert len({r["owner"] for r in group}) == 1, f"{key}: the same owner"
        assert len({_value(r["figure"]) for r in group}) == 1, f"{key}: {[r['figure'] for r in group]}"
        dated = {(r["due_from"], r["due_to"]) for r in group if r["due_text"]}
        assert len(dated) <= 1, f"{key}: a moved deadline is a new commitment_key, {dated}"


# ---------------------------------------------------------------- nothing missed


@pytest.mark.parametrize("paper_id", sorted(PAPER_FILES))
def test_every_sum_of_money_in_the_papers_is_a_figure(paper_id):
    figures = {_value(r["figure"]) for r in rows() if r["paper_id"] == paper_id and r["kind"].startswith("money")}
    for amount in re.findall(r"£[\d,.]*\d+m?", text_of(paper_id)):
        assert _value(amount) in figures, f"{amount} in {paper_id}"


@pytest.mark.parametrize("paper_id", sorted(PAPER_FILES))
def test_every_by_deadline_in_the_papers_is_a_due_text(paper_id):
    """Each printed `by 2024`, `by the end of 2020`, `By July 2022` ... is the deadline of a row of that paper."""
    dues = {norm(r["due_text"]).lower() for r in rows() if r["paper_id"] == paper_id}
    pattern = r"\b[Bb]y (?:the end of )?(?:[A-Z][a-z]+ )?20\d\d(?:/20\d\d)?\b|\bbefore the end of 20\d\d\b"
    for found in re.findall(pattern, norm(text_of(paper_id))):
        assert found.lower() in dues, f"{found!r} in {paper_id}"


def test_the_known_commitments_are_there_with_the_papers_figures():
    """Each known commitment by its key, its figure and deadline read from the paper by a pattern."""

    def read(paper_id: str, pattern: str) -> tuple[str, ...]:
        m = re.search(pattern, norm(text_of(paper_id)))
        assert m, f"{pattern!r} not in {paper_id}"
        return m.groups()

    def check(key, paper_id, figure=None, due=None):
        r = row(key, paper_id)
        if figure is not None:
            assert _value(r["figure"]) == _value(figure) and norm(figure) in norm(r["quote"]), (key, paper_id, r["figure"], figure)
        if due is not None:
            assert r["due_text"] == due, (key, paper_id, r["due_text"], due)

    # action 17: the grievance and misconduct reduction by 2024, in all four papers that state it
    assert papers_of("a17_reduce_disproportionality_2024") == {JUNE_2021, Q1_UPDATE, LATE_2021, OCT_2022}
    for p in papers_of("a17_reduce_disproportionality_2024"):
        (due,) = read(p, r"grievance and misconduct processes (by \d{4})")
        check("a17_reduce_disproportionality_2024", p, due=due)
        assert row("a17_reduce_disproportionality_2024", p)["due_to"] == f"{due[-4:]}-12-31"
    (n,) = read(OCT_2022, r"grievance management to a further (\d+) leaders")
    check("a17_grievance_management_training_further_500_leaders", OCT_2022, figure=n)

    # action 11: 500 front-line officers in the Central South pilot
    for p, pattern in ((Q1_UPDATE, r"a mix of (\d+) front line"), (OCT_2022, r"a mix of (\d+) front line"),
                       (JUNE_2021, r"training programme to reach over (\d+) officers")):
        check("a11_central_south_pilot_500_officers", p, figure=read(p, pattern)[0])

    # action 13: three extra days (5 to 8) for recruits; the refresher from 2 to 3 days from October 2021
    five, eight = read(JUNE_2021, r"Foundation training has increased from (\d+) to (\d+) days")
    check("a13_recruit_safety_training_5_to_8_days", JUNE_2021, figure=f"{five} to {eight} days")
    (extra,) = read(OCT_2022, r"enhanced with an extra (\d+) days")
    assert int(extra) == int(eight) - int(five)
    check("a13_recruit_safety_training_extra_three_days", OCT_2022, figure=f"{extra} days")
    for p in (JUNE_2021, LATE_2021):
        check("a13_recruit_safety_training_extra_three_days", p, figure=read(p, r"a planned extra (\w+ days)")[0])
    start, two, three = read(JUNE_2021, r"Looking ahead, (from \w+ \d{4}),.*?will be increased from (\d) to (\d) days")
    check("a13_refresher_safety_training_2_to_3_days_from_october_2021", JUNE_2021, figure=f"{two} to {three} days", due=start)

    # action 20: 500 clips of body-worn video, insights mid-2022
    check("a20_bwv_joint_review_500_clips", Q1_UPDATE, figure=read(Q1_UPDATE, r"review (\d+) samples of video footage")[0])
    check("a20_bwv_joint_review_500_clips", JUNE_2021, figure=read(JUNE_2021, r"review (\d+) pieces of BWV footage")[0])
    check("a20_bwv_research_insights_mid_2022", Q1_UPDATE, due=read(Q1_UPDATE, r"deliver insights (mid-\d{4})")[0])
    check("a20_bwv_joint_coding_shared_summer_2022", OCT_2022, due=read(OCT_2022, r"is due to be shared (in summer \d{4})")[0])

    # actions 2 and 16: the dated promises of the plan
    check("a2_handcuffing_review_published_end_2020", OCT_2022,
          due=read(OCT_2022, r"with an update published (before the end of \d{4})")[0])
    for p in (JUNE_2021, LATE_2021):
        check("a2_handcuffing_review_published_end_2020", p, due=read(p, r"with publication (by the end of \d{4})")[0])
    for p in (JUNE_2021, LATE_2021, OCT_2022):
        check("a16_publish_promotion_aims_scheme_end_january_2021", p,
              due=read(p, r"publish details of this scheme (at the end of January \d{4})")[0])

    # the money
    for p in (Q1_UPDATE, OCT_2022):
        check("a16_mopac_400k_per_annum_promotion_funding", p, figure=read(p, r"MOPAC committing (£[\d,]+ per annum)")[0])
    assert _value(read(Q1_UPDATE, r"MOPAC has made (£[\d.]+m) available over (\d+) years")[0]) == (
        1_200_000.0,) == (_value(row("a16_mopac_400k_per_annum_promotion_funding", Q1_UPDATE)["figure"])[0] * 3,)
    check("a16_mopac_1_2m_career_development_service", Q1_UPDATE, figure=read(Q1_UPDATE, r"MOPAC has made available (£[\d.]+m)")[0])
    check("a9_outreach_recruitment_investment_300k", OCT_2022, figure=read(OCT_2022, r"targeted investment of (£[\d,]+)")[0])
    check("a12_recruit_community_immersion_700k", Q1_UPDATE, figure=read(Q1_UPDATE, r"(£[\d,]+) has been provided to the MPS")[0])

    # MOPAC's end-2020 promises
    check("m2_2a_marac_review_launch_by_end_2020", Q1_UPDATE, due=read(Q1_UPDATE, r"review of MARACs in London (by the end of \d{4})")[0])
    check("m1_3b_cannabis_research_begin_before_end_2020", Q1_UPDATE,
          due=read(Q1_UPDATE, r"This research will begin (before the end of \d{4})")[0])

    # HMICFRS deadlines, and the MPS's 96% and 99.5% compliance
    deadlines = re.findall(r"Recommendation \d+ (By \w+ \d{4}), forces should", norm(text_of(JUNE_2021)))
    assert len(deadlines) == 5
    assert sorted(r["due_text"] for r in rows() if r["owner"] == "HMICFRS" and r["due_text"].startswith("By")) == sorted(deadlines)
    check("hmicfrs_r3_bwv_stop_search_compliance_96pct", JUNE_2021, figure=read(JUNE_2021, r"BWV compliance in S&S is currently (\d+%)")[0])
    check("hmicfrs_r7_ethnicity_recording_compliance_99_5pct", JUNE_2021, figure=read(JUNE_2021, r"Compliance is above ([\d.]+%)")[0])

    # the restorative-justice relaunch (the MPS response to the July 2021 meeting)
    check("restorative_justice_relaunch_early_2022", RESPONSE_2021_07, due=read(RESPONSE_2021_07, r"go live (in early \d{4})")[0])

    # the workforce aims: BAME officers, recruits, Black recruits, sergeants and inspectors
    for p in (JUNE_2021, Q1_UPDATE, LATE_2021, OCT_2022):
        f16, d16, f21, d21, f28, d28 = read(
            p, r"aiming for (\d+%) of its officers to be BAME (?:\([^)]*\) )?(by \d{4}), (\d+%) (by \d{4}) and (\d+%) (by \d{4})")
        for figure, due in ((f16, d16), (f21, d21), (f28, d28)):
            check(f"a7_bame_officers_{figure[:-1]}pct_by_{due[3:]}", p, figure=figure, due=due)
    assert papers_of("a7_bame_recruits_40pct_from_22_23") == {JUNE_2021, LATE_2021, OCT_2022}
    for p in papers_of("a7_bame_recruits_40pct_from_22_23"):
        figure, due = read(p, r"as many as (\d+%) of new recruits from BAME communities (from \d\d/\d\d)")
        check("a7_bame_recruits_40pct_from_22_23", p, figure=figure, due=due)
    check("a8_black_recruits_8pct", OCT_2022, figure=read(OCT_2022, r"Black officers as (\d+%) of all recruits")[0])
    sgt, insp, due, bsgt, binsp = read(
        OCT_2022, r"(\d+%) of Sergeants and (\d+%) of Inspectors (by the end of \d{4}/\d{4}) .*?aim set was: (\d+%) of Sergeants and (\d+%) of Inspectors")
    check("bame_sergeants_15pct_by_end_2023_24", OCT_2022, figure=sgt, due=due)
    check("bame_inspectors_14pct_by_end_2023_24", OCT_2022, figure=insp, due=due)
    check("black_sergeants_3pct", OCT_2022, figure=bsgt, due="")
    check("black_inspectors_3pct", OCT_2022, figure=binsp, due="")
    s3, i3, d3, s7, i7, d7 = read(
        Q1_UPDATE, r"aiming for (\d+%) Sergeants and (\d+%) Inspectors to be Black (by \d{4}) and subsequently (\d+%) Sergeants and (\d+%) Inspectors (by \d{4})")
    check("black_sergeants_3pct", Q1_UPDATE, figure=s3, due=d3)
    check("black_inspectors_3pct", Q1_UPDATE, figure=i3, due=d3)
    check("black_sergeants_7pct_by_2030", Q1_UPDATE, figure=s7, due=d7)
    check("black_inspectors_7pct_by_2030", Q1_UPDATE, figure=i7, due=d7)


# ---------------------------------------------------------------- mopac_commitments, unabridged


def test_mopac_commitments_are_unabridged_and_rejoined():
    q1 = norm(text_of(Q1_UPDATE))
    commitments = {c["commitment_number"]: c for c in _rows("mopac_commitments") if c["commitment_number"]}
    for c in _rows("mopac_commitments"):
        for column in ("commitment", "status_update"):
            assert "…" not in c[column], (c["commitment_number"] or c["commitment"][:40], column)
            assert norm(c[column]) in q1 or _in_order(c[column], text_of(Q1_UPDATE)), c["commitment_number"]
    # the update of 2.1b (the Public Attitude Survey) runs on over a page break; 2.1c's (Youth Voice) is what follows
    assert norm(commitments["2.1b"]["status_update"]).endswith(
        "MOPAC continues to review and monitor survey responses to identify learning opportunities.")
    assert commitments["2.1c"]["status_update"].startswith("Questions have been finalised")
    assert "September 2021" in commitments["2.1c"]["status_update"]
