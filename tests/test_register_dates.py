"""The dates the papers give for the MPS actions, and the contradictions between them, checked against the papers.

`map_action_dates` (dbt_project/seeds) holds one row per dated event a paper
reports for an MPS action of the Mayor's Action Plan: when something started,
launched, was published or completed, or when the paper expects it to be. The
same event in different papers carries the same `event` key, so a rule can set
the papers' dates for it side by side. `map_contradictions` holds the
contradictions no date rule can find (a claim against the paper's own figures,
two figures for one thing, a claim about earlier updates that those updates
contradict, two descriptions of one thing's scope), each with both quotes.

These tests re-read the five papers in ../shared/seeds: every quote must be
there (whitespace collapsed, or as an ordered run of words where two table
columns interleave), every date_text inside its quote, every pair of bounds
the one the mapping rules below give for the date words, and every date the
MPS papers print in their action updates must be a row or be excluded here
with a reason. The contradictions the register is meant to surface must be
findable from the rows.

Mapping rules (date words -> date_from..date_to):
- a day ("13 th November 2021", "18th November 2021", "1.2.2021" read day.month.year) -> that day twice;
- a month ("November 2020") -> its first..last day;
- a season: Spring Mar-May, Summer Jun-Aug, Autumn Sep-Nov, Winter Dec-Feb (into the next year);
  "summer – Autumn 2022" -> the first season's start..the second's end (2022-06-01..2022-11-30);
- a year ("2024", "into 2022") -> 1 January..31 December;
- early / mid / late (or "end of") a year: its first, middle or last third (Jan-Apr, May-Aug, Sep-Dec),
  so "early 2022" 2022-01-01..2022-04-30, "mid-2022" 2022-05-01..2022-08-31, "late 2021" and "end of 2020"
  Sep-Dec; of a season: its first, middle or last month ("late summer (2021)" 2021-08-01..2021-08-31);
  of a month ("early", "beginning of", "mid", "end of"): days 1-10, 11-20, 21-last;
- a day or month printed without a year ("17th June", "September", "June") takes the year of the paper
  it is in (every such date is in a paper dated in, and speaking of, that year);
- words relative to the paper ("this month", "later this year") count from the paper's own date
  (only the dated June 2021 paper uses them).
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections import defaultdict
from datetime import date
from functools import cache

import pytest

from tests.conftest import PROJECT_ROOT, require_shared_data
from tests.test_register_seeds import _in_order, norm

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
PAPERS = PROJECT_ROOT.parent / "shared" / "seeds"

JUNE_2021 = "ob_2021_06_15"
Q1_UPDATE = "mopac_q1_2021_22"
RESPONSE = "mps_response_2021_07"
LATE_2021 = "mps_update_2021_q4"
OCT_2022 = "ob_2022_10_14"
# our own map of the five papers to their files: map_papers is being extended concurrently
PAPER_FILES = {
    JUNE_2021: "003_498ffe9d3da1726d.txt",
    Q1_UPDATE: "001_449e6fd726b53044.txt",
    RESPONSE: "004_88aa557bf6334c07.txt",
    LATE_2021: "002_4994434a6283ba4d.txt",
    OCT_2022: "000_5ad80ed66a914944.txt",
}
# each paper's date, or the latest it can be (the undated ones as map_papers places them; the response
# to the 7 July 2021 meeting still calls the handcuffing policy "imminent", launched on 18 November 2021)
PAPER_DATES = {
    JUNE_2021: date(2021, 6, 15),
    Q1_UPDATE: date(2021, 7, 7),
    RESPONSE: date(2021, 11, 17),
    LATE_2021: date(2021, 12, 31),
    OCT_2022: date(2022, 10, 14),
}
ACTIONS = {str(n) for n in range(1, 24)} | {"23a"}
HEADERS = {
    "map_action_dates": ["paper_id", "action_id", "event", "is_expected", "date_text", "date_from", "date_to",
                         "quote"],
    "map_contradictions": ["contradiction_id", "action_id", "kind", "paper_id_a", "quote_a", "paper_id_b",
                           "quote_b", "explanation"],
}
KINDS = {"claim_vs_figures", "figures_disagree", "claim_vs_earlier_paper", "scope_disagrees"}


# ---------------------------------------------------------------- reading


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def _raw(paper_id: str) -> str:
    require_shared_data()
    path = PAPERS / PAPER_FILES[paper_id]
    assert path.is_file(), f"{path} is missing"
    return path.read_text(encoding="utf-8")


def text(paper_id: str) -> str:
    return norm(_raw(paper_id))


def in_paper(quote: str, paper_id: str) -> bool:
    """Verbatim with whitespace collapsed, or an ordered run of words where table columns interleave."""
    return norm(quote) in text(paper_id) or _in_order(quote, _raw(paper_id))


def dates() -> list[dict[str, str]]:
    return _rows("map_action_dates")


def _d(value: str) -> date:
    return date.fromisoformat(value)


def _range(row: dict[str, str]) -> tuple[date, date]:
    return _d(row["date_from"]), _d(row["date_to"])


def _disjoint(a: dict[str, str], b: dict[str, str]) -> bool:
    (af, at), (bf, bt) = _range(a), _range(b)
    return at < bf or bt < af


# ---------------------------------------------------------------- the date words


MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 14)}  # 13, 14: next year
THIRDS = {"early": 0, "beginning of": 0, "mid": 1, "mid-": 1, "late": 2, "end of": 2}


def _month(year: int, month: int) -> tuple[date, date]:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _span(year: int, first: int, last: int) -> tuple[date, date]:
    return _month(year, first)[0], _month(year, last)[1]


def bounds(date_text: str, paper_id: str) -> tuple[date, date]:
    """The first and last day the date words allow, by the mapping rules in the module docstring."""
    s = " ".join(date_text.lower().replace("(", " ").replace(")", " ").split())
    written = PAPER_DATES[paper_id]
    if s == "this month":
        return _month(written.year, written.month)
    if s == "later this year":
        return written, date(written.year, 12, 31)
    month_names = "|".join(MONTHS)
    seasons = "|".join(SEASONS)
    if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", s):  # day.month.year, as printed in the UK
        day = date(int(m[3]), int(m[2]), int(m[1]))
        return day, day
    if m := re.fullmatch(rf"(\d{{1,2}}) ?(?:st|nd|rd|th)? ({month_names})(?: (\d{{4}}))?", s):
        day = date(int(m[3] or written.year), MONTHS[m[2]], int(m[1]))
        return day, day
    if m := re.fullmatch(rf"(?:(early|beginning of|mid|end of) )?({month_names})(?: (\d{{4}}))?", s):
        first, last = _month(int(m[3] or written.year), MONTHS[m[2]])
        if not m[1]:
            return first, last
        third = THIRDS[m[1]]
        return first.replace(day=1 + 10 * third), last if third == 2 else first.replace(day=10 + 10 * third)
    if m := re.fullmatch(rf"({seasons}) – ({seasons}) (\d{{4}})", s):
        year = int(m[3])
        return _month(year, SEASONS[m[1]][0])[0], _month(year, SEASONS[m[2]][1])[1]
    if m := re.fullmatch(rf"(?:(early|mid|late) )?({seasons})(?: (\d{{4}}))?", s):
        year, (first, last) = int(m[3] or written.year), SEASONS[m[2]]
        if m[1]:
            first = last = first + THIRDS[m[1]]
        return _span(year, first, last)
    if m := re.fullmatch(r"(?:(early|mid-|late|end of) ?)?(\d{4})", s):
        year = int(m[2])
        if not m[1]:
            return date(year, 1, 1), date(year, 12, 31)
        third = THIRDS[m[1]]
        return _span(year, 1 + 4 * third, 4 + 4 * third)
    raise ValueError(f"no mapping rule for the date words {date_text!r}")


@pytest.mark.parametrize("words, paper_id, expected", [
    ("13 th November 2021", JUNE_2021, ("2021-11-13", "2021-11-13")),
    ("18th November 2021", OCT_2022, ("2021-11-18", "2021-11-18")),
    ("1.2.2021", LATE_2021, ("2021-02-01", "2021-02-01")),
    ("17th June", JUNE_2021, ("2021-06-17", "2021-06-17")),
    ("November 2020", Q1_UPDATE, ("2020-11-01", "2020-11-30")),
    ("February 2021", LATE_2021, ("2021-02-01", "2021-02-28")),
    ("June", Q1_UPDATE, ("2021-06-01", "2021-06-30")),
    ("beginning of July", JUNE_2021, ("2021-07-01", "2021-07-10")),
    ("early October 2021", LATE_2021, ("2021-10-01", "2021-10-10")),
    ("end of January 2021", OCT_2022, ("2021-01-21", "2021-01-31")),
    ("Spring 2021", JUNE_2021, ("2021-03-01", "2021-05-31")),
    ("summer 2022", OCT_2022, ("2022-06-01", "2022-08-31")),
    ("Autumn 2021", Q1_UPDATE, ("2021-09-01", "2021-11-30")),
    ("Winter 2021", OCT_2022, ("2021-12-01", "2022-02-28")),
    ("summer – Autumn 2022", OCT_2022, ("2022-06-01", "2022-11-30")),
    ("late summer (2021)", Q1_UPDATE, ("2021-08-01", "2021-08-31")),
    ("early 2022", LATE_2021, ("2022-01-01", "2022-04-30")),
    ("mid-2022", Q1_UPDATE, ("2022-05-01", "2022-08-31")),
    ("late 2021", OCT_2022, ("2021-09-01", "2021-12-31")),
    ("end of 2020", JUNE_2021, ("2020-09-01", "2020-12-31")),
    ("2024", OCT_2022, ("2024-01-01", "2024-12-31")),
    ("this month", JUNE_2021, ("2021-06-01", "2021-06-30")),
    ("later this year", JUNE_2021, ("2021-06-15", "2021-12-31")),
])
def test_the_mapping_rules(words, paper_id, expected):
    assert tuple(d.isoformat() for d in bounds(words, paper_id)) == expected


# ---------------------------------------------------------------- the CSV files


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_seed_is_rfc4180_utf8_with_its_header(name):
    raw = (SEEDS / f"{name}.csv").read_bytes()
    content = raw.decode("utf-8")  # strict: fails on anything not UTF-8
    assert not content.startswith("\ufeff"), "no byte-order mark"
    assert "\r" not in content, "line endings must be \\n"
    assert content.endswith("\n")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[0] == HEADERS[name]
    assert len(rows) > 1
    assert all(len(r) == len(rows[0]) for r in rows), "every row has every column"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert out.getvalue() == content, "written back with minimal quoting, the file is byte for byte the same"


# ---------------------------------------------------------------- map_action_dates


def test_the_action_ids_are_map_actions_ones():
    actions = _rows("map_actions")
    if actions and "action_id" in actions[0]:
        assert {a["action_id"] for a in actions} == ACTIONS


def test_date_rows_cite_the_papers_and_the_actions():
    for r in dates():
        assert r["paper_id"] in PAPER_FILES, r
        assert r["action_id"] in ACTIONS, r
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", r["event"]), r
        assert r["is_expected"] in {"true", "false"}, r
        assert r["date_text"].strip() == r["date_text"] and r["date_text"], r
    keys = [(r["paper_id"], r["action_id"], r["event"], r["date_text"]) for r in dates()]
    assert len(keys) == len(set(keys)), "a paper's date for an event is one row (two dates for it are two rows)"


def test_date_quotes_are_verbatim_and_hold_their_date_words():
    for r in dates():
        assert "…" not in r["quote"] and "..." not in r["quote"], r
        assert in_paper(r["quote"], r["paper_id"]), f"not in {r['paper_id']}: {r['quote']}"
        assert norm(r["date_text"]) in norm(r["quote"]), r
        assert norm(r["date_text"]) in text(r["paper_id"]), r


def test_date_bounds_follow_the_mapping_rules():
    for r in dates():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date_from"]) and re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                                                   r["date_to"]), r
        assert r["date_from"] <= r["date_to"], r
        got = tuple(d.isoformat() for d in bounds(r["date_text"], r["paper_id"]))
        assert got == (r["date_from"], r["date_to"]), (r["paper_id"], r["action_id"], r["event"], r["date_text"], got)


def test_the_expected_words_are_future_and_the_past_words_past():
    """is_expected follows the sentence: will/anticipated/expected/due/planned, or a plan's promise."""
    future = re.compile(r"\b(will|anticipated|expected|due|planned|upcoming|Looking ahead|Rolling out|"
                        r"with publication by|with an update published before|commitment to)\b", re.IGNORECASE)
    for r in dates():
        if r["is_expected"] == "true":
            assert future.search(r["quote"]), r
        else:
            assert not re.search(r"\b(anticipated|expected|due to be)\b", r["quote"], re.IGNORECASE), r


def test_only_action_9_in_june_2021_says_something_happened_after_the_paper():
    """A past event dated after the paper that reports it: action 9's "Complete – 13 th November 2021" of June 2021."""
    late = {(r["paper_id"], r["action_id"], r["event"]) for r in dates()
            if r["is_expected"] == "false" and _d(r["date_from"]) > PAPER_DATES[r["paper_id"]]}
    assert late == {(JUNE_2021, "9", "residency_criteria_reintroduced")}


# every date printed in the MPS papers' action updates is a row or is here with its reason
EXCLUDED = {
    JUNE_2021: {
        "16% of its officers to be BAME by 2022, 21% by 2024 and 28% by 2030": "action 7's aims, not events",
    },
    LATE_2021: {
        "16% of its officers to be BAME by 2022, 21% by 2024 and 28% by 2030": "action 7's aims, not events",
    },
    OCT_2022: {
        "16% of its officers to be BAME by 2022, 21% by 2024 and 28% by 2030": "action 7's aims, not events",
        "Up to December 2021 the MPS has achieved": "the cut-off of a figure (see map_contradictions), not an event",
        "15% of Sergeants and 14% of Inspectors by the end of 2023/2024": "action 8's aims, not events",
        "In December 2021 recruitment of Black officers was 5.5%": "the date of a figure, not an event",
        "grievance and misconduct processes by 2024. The MPS has put in place":
            "the plan's 2024 for action 17, the same completion date as the paper's own row (3.9)",
    },
}
DATE_WORDS = re.compile(
    r"\b\d{1,2}\.\d{1,2}\.\d{4}\b"
    r"|\b\d{1,2} ?(?:st|nd|rd|th) (?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\b(?: \d{4})?"
    r"|\b(?:(?:early|beginning of|end of|mid|late) )?(?:January|February|March|April|May|June|July|August"
    r"|September|October|November|December)\b(?: \d{4}\b)?"
    r"|\b(?:(?:early|mid|late) )?(?:[Ss]pring|[Ss]ummer|[Aa]utumn|[Ww]inter)\b(?: (?:– (?:[Ss]pring|[Ss]ummer"
    r"|[Aa]utumn|[Ww]inter) )?\(?\d{4}\)?)?"
    r"|\b(?:early |late |mid-|end of )\d{4}\b(?!/)"
    r"|\b(?:in|into|by|since|from|during|prior to) 20\d\d\b(?![/–-])"
)


def _action_updates(paper_id: str) -> str:
    """The part of an MPS paper that updates the actions (its table, or Annex A), whitespace collapsed."""
    t = text(paper_id)
    if paper_id == JUNE_2021:
        table = t[t.index("Of the 23 actions"):t.index("5. <u>Deputy Commissioner")]
        start = t.index("Title: Mayoral Action Plan: Investment In Training")
        training = t[start:t.index("Roll out is anticipated from September.", start) + len("Roll out is anticipated from September.")]
        return table + " " + training
    if paper_id == LATE_2021:
        return t[t.index("Of the 23 MAP actions"):t.index("5. Deputy Commissioner")]
    return t[t.index("Annex A – MPS Responses"):t.index("[1] https")]


def _spans(needle: str, haystack: str) -> list[tuple[int, int]]:
    found, start = [], haystack.find(needle)
    while start >= 0:
        found.append((start, start + len(needle)))
        start = haystack.find(needle, start + 1)
    return found


@pytest.mark.parametrize("paper_id", [JUNE_2021, LATE_2021, OCT_2022])
def test_every_date_in_an_mps_papers_action_updates_is_a_row_or_excluded(paper_id):
    section = _action_updates(paper_id)
    quoted = [s for r in dates() if r["paper_id"] == paper_id for s in _spans(norm(r["quote"]), section)]
    excluded = {snippet: _spans(snippet, section) for snippet in EXCLUDED.get(paper_id, {})}
    assert all(excluded.values()), [s for s, found in excluded.items() if not found]
    missed = []
    def inside(m: re.Match, spans: list[tuple[int, int]]) -> bool:
        return any(a <= m.start() and m.end() <= b for a, b in spans)

    for m in DATE_WORDS.finditer(section):
        if not inside(m, quoted) and not any(inside(m, spans) for spans in excluded.values()):
            missed.append((m.group(0), section[max(0, m.start() - 80):m.end() + 40]))
    assert not missed, missed


def test_every_mps_action_the_q1_update_dates_has_its_rows():
    """The Q1 update (MOPAC's, with MOPAC's own commitments between the MPS actions) is checked by list."""
    dated = {r["action_id"] for r in dates() if r["paper_id"] == Q1_UPDATE}
    assert dated == {"1", "2", "4", "5", "9", "10", "11", "12", "17", "19", "20"}


def test_the_response_to_the_july_2021_meeting_dates_no_mps_action():
    """It answers questions on racism complaints, restorative justice and handcuffing: the one MPS action it
    touches (2, the handcuffing review) it does not date ("imminent"); its dates (2016, August 2020, 2020,
    early 2022) are the DIU's founding, an IOPC recommendation, a count's year and the RJ relaunch."""
    assert "the imminent publication of the MPS Handcuff Policy" in text(RESPONSE)
    assert [r for r in dates() if r["paper_id"] == RESPONSE] == []
    assert {r["paper_id"] for r in dates()} == set(PAPER_FILES) - {RESPONSE}


# ---------------------------------------------------------------- the contradictions a rule finds in the dates


def _event(action: str, event: str) -> list[dict[str, str]]:
    return [r for r in dates() if r["action_id"] == action and r["event"] == event]


def test_action_9_reintroduction_is_13_november_2021_in_june_2021_and_november_2020_elsewhere():
    rows = _event("9", "residency_criteria_reintroduced")
    june = [r for r in rows if r["paper_id"] == JUNE_2021]
    assert [r["date_text"] for r in june] == ["13 th November 2021"]
    others = [r for r in rows if r["paper_id"] != JUNE_2021 and _disjoint(r, june[0])]
    assert {r["date_from"][:7] for r in others} == {"2020-11"}
    assert {r["paper_id"] for r in others} == {Q1_UPDATE, OCT_2022}


def test_action_11_pilot_start_is_given_three_ways():
    """13 May 2021 (June 2021's table; "May 2021" in the Q1 update), the beginning of July (June 2021's
    training note, expected), 9 September 2021 (late 2021): three dates, no two of which overlap."""
    rows = {(r["paper_id"], r["date_text"]): r for r in _event("11", "pilot_started")}
    three = [rows[(JUNE_2021, "13 th May 2021")], rows[(JUNE_2021, "beginning of July")],
             rows[(LATE_2021, "9th September 2021")]]
    assert all(_disjoint(a, b) for i, a in enumerate(three) for b in three[i + 1:])
    assert not _disjoint(rows[(Q1_UPDATE, "May 2021")], three[0])
    assert all(any(not _disjoint(r, t) for t in three) for r in rows.values()), "no fourth date"


def test_action_19_bwv_reviews_from_october_2020_or_september_2020():
    rows = _event("19", "bwv_reviews_reinstated")
    months = {r["date_from"][:7] for r in rows}
    assert months == {"2020-09", "2020-10"}
    for paper_id in (JUNE_2021, LATE_2021, OCT_2022):  # each of these says both
        assert {r["date_from"][:7] for r in rows if r["paper_id"] == paper_id} == months, paper_id


@pytest.mark.parametrize("action, event", [("10", "crg_first_meeting"), ("13", "foundation_course_launched"),
                                           ("15", "completion"), ("15", "toolkit_launched"),
                                           ("2", "review_published")])
def test_dates_that_disagree_across_papers(action, event):
    rows = _event(action, event)
    assert any(a["paper_id"] != b["paper_id"] and _disjoint(a, b) for a in rows for b in rows), rows


@pytest.mark.parametrize("action", ["6", "15", "20"])
def test_expected_completion_slipped_from_paper_to_paper(action):
    """Each paper's expected completion of the action: a later paper expects it later."""
    rows = [r for r in _event(action, "completion") if r["is_expected"] == "true"]
    by_paper = defaultdict(list)
    for r in rows:
        by_paper[r["paper_id"]].append(_d(r["date_to"]))
    order = sorted(by_paper, key=PAPER_DATES.get)
    assert len(order) >= 2, rows
    latest = [max(by_paper[p]) for p in order]
    assert latest == sorted(latest) and latest[0] < latest[-1], list(zip(order, latest))


def test_action_15_completes_in_summer_but_rolls_out_from_september_in_the_june_2021_paper():
    june = [r for r in dates() if r["paper_id"] == JUNE_2021 and r["action_id"] == "15"]
    done = [r for r in june if r["event"] == "completion"]
    launch = [r for r in june if r["event"] == "toolkit_launched"]
    assert done and launch and max(_d(r["date_to"]) for r in done) < min(_d(r["date_from"]) for r in launch)


def test_the_october_2022_paper_still_expects_dates_already_past():
    stale = {(r["action_id"], r["event"], r["date_text"]) for r in dates()
             if r["paper_id"] == OCT_2022 and r["is_expected"] == "true"
             and _d(r["date_to"]) < PAPER_DATES[OCT_2022] and r["event"] not in {
                 "review_published", "scheme_published", "completion_originally_expected"}}  # the plan's, or "was"
    assert stale == {("20", "completion", "summer 2022"), ("5", "peps_first_review", "June 2022")}


# ---------------------------------------------------------------- map_contradictions


def contradictions() -> list[dict[str, str]]:
    return _rows("map_contradictions")


def test_contradiction_rows_are_valid_and_their_quotes_verbatim():
    rows = contradictions()
    ids = [r["contradiction_id"] for r in rows]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"C\d{2}", i) for i in ids)
    for r in rows:
        assert r["kind"] in KINDS, r
        assert r["action_id"] in ACTIONS, r
        assert r["explanation"] and len(r["explanation"]) <= 700, r
        for side in ("a", "b"):
            quote, paper_id = r[f"quote_{side}"], r[f"paper_id_{side}"]
            assert paper_id in PAPER_FILES, r
            assert 0 < len(quote) <= 400 and "…" not in quote, r
            assert in_paper(quote, paper_id), f"{r['contradiction_id']} quote_{side} is not in {paper_id}: {quote}"
        assert (r["paper_id_a"], norm(r["quote_a"])) != (r["paper_id_b"], norm(r["quote_b"])), r
        if r["kind"] == "claim_vs_earlier_paper":
            assert PAPER_DATES[r["paper_id_b"]] < PAPER_DATES[r["paper_id_a"]], "b is the earlier update"
        if r["kind"] in {"claim_vs_figures", "figures_disagree"}:
            assert r["paper_id_a"] == r["paper_id_b"], "within one paper"


def _one(action: str, kind: str) -> list[dict[str, str]]:
    return [r for r in contradictions() if r["action_id"] == action and r["kind"] == kind]


def _pct(pattern: str, paper_id: str) -> float:
    m = re.search(pattern, text(paper_id))
    assert m, pattern
    return float(m.group(1))


def test_action_7_claims_its_aims_achieved_but_meets_one_of_three():
    rows = [r for r in _one("7", "claim_vs_figures") if "has achieved these challenging aims" in r["quote_a"]]
    assert len(rows) == 1
    both = rows[0]["quote_a"] + " " + rows[0]["quote_b"]
    assert all(f in both for f in ("16.2%", "23%", "4.4%"))
    # the aims, as the paper prints them, and its figures against them
    t = text(OCT_2022)
    assert "aiming for 16% of its officers to be BAME by 2022" in t
    assert "as many as 40% of new recruits from BAME communities from 22/23" in t
    assert "The MPS set an aim for recruitment of Black officers as 8% of all recruits" in t
    officers = _pct(r"achieved these challenging aims with ([\d.]+)% of its overall officer representation", OCT_2022)
    assert officers == round(100 * 5370 / 33077, 1) and officers >= 16  # met
    assert _pct(r"During 2021/2022 (\d+)% of our recruits", OCT_2022) < 40  # not met
    assert _pct(r"and ([\d.]+)% were from a Black background", OCT_2022) < 8  # not met
    for word in ("16%", "40%", "8%"):
        assert word in rows[0]["explanation"]


def test_black_recruitment_is_4_4_and_5_5_percent_in_october_2022():
    rows = [r for r in contradictions() if r["kind"] == "figures_disagree" and r["paper_id_a"] == OCT_2022
            and {"4.4%", "5.5%"} <= set(re.findall(r"\d+\.\d%", r["quote_a"] + " " + r["quote_b"]))]
    assert len(rows) == 1


def test_action_22_complete_as_previous_updates_though_they_said_in_progress():
    # against the June 2021 table (the previous status of the same action) the reconciliation's
    # claim_vs_earlier_paper rule finds it; against MOPAC's Q1 update, which gives no status, only reading does
    rows = _one("22", "claim_vs_earlier_paper")
    assert rows and all("Complete as previous updates" in r["quote_a"] and r["paper_id_a"] == LATE_2021
                        and "not yet fully embedded" in r["quote_b"] for r in rows)
    assert {r["paper_id_b"] for r in rows} == {Q1_UPDATE}
    june = _rows("map_action_statuses")
    june22 = [r for r in june if r["paper_id"] == JUNE_2021 and r["action_id"] == "22"]
    assert june22 and june22[0]["status"] != "complete" and "not yet fully embedded" in june22[0]["evidence"]


def test_action_17_three_bcus_and_mo4_or_four_bcus():
    rows = _one("17", "scope_disagrees")
    assert len(rows) == 1
    r = rows[0]
    assert "3 BCUs and in MO4" in r["quote_a"] and r["paper_id_a"] == LATE_2021
    assert "4 BCUs" in r["quote_b"] and r["paper_id_b"] == OCT_2022
