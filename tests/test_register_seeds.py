"""The Mayor's Action Plan register seeds, checked against the papers they are transcribed from.

`map_papers`, `map_actions`, `map_action_statuses` and `mopac_commitments`
(dbt_project/seeds) are typed by hand from the plain-text papers in
../shared/seeds. These tests re-read the papers on their own and fail when a
seed says something a paper does not: a quote that is not in its paper, a
count that is not the headline's, a status whose table marker is another, an
action or commitment the papers do not list, or one the seed misses.

The extraction lost the tables' layout, so the papers are compared with their
whitespace collapsed, and text that two table columns interleave is compared
as an ordered run of words (`_in_order`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from functools import cache

import pytest

from tests.conftest import PROJECT_ROOT, require_shared_data

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
PAPERS = PROJECT_ROOT.parent / "shared" / "seeds"

HEADERS = {
    "map_papers": ["paper_id", "title", "description", "paper_date", "dated_no_later_than", "date_basis", "author", "seed_file", "stated_complete",
                   "stated_on_track", "stated_amber", "stated_red", "stated_pending", "stated_total",
                   "headline_quote"],
    "map_actions": ["action_id", "action_number", "short_title", "action_text", "theme", "lead", "paper_id"],
    "map_action_statuses": ["paper_id", "action_id", "status", "status_basis", "status_as_published", "evidence",
                            "headline_says_complete"],
    "mopac_commitments": ["paper_id", "chapter", "chapter_title", "commitment_number", "commitment",
                          "status_update", "mps_action_number"],
}
THEMES = [  # in the plan's order: the Q1 update's chapters 1-4, titled as it prints them
    "Better use of Police Powers",
    "Working Together",
    "Represents and understands",
    "Holding to account",
]
STATUSES = {"complete", "on_track", "in_progress", "amber", "red", "pending"}
BASES = {"printed_marker", "marker_and_text", "action_text", "headline_only"}
# the papers whose table (or per-action text) gives a status for each MPS action
JUNE_2021 = "ob_2021_06_15"
LATE_2021 = "mps_update_2021_q4"
OCT_2022 = "ob_2022_10_14"
Q1_UPDATE = "mopac_q1_2021_22"
JULY_2021_RESPONSE = "mps_response_2021_07"
WORDS = {"no": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


# ---------------------------------------------------------------- reading


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def norm(text: str) -> str:
    """Whitespace collapsed; the June 2021 table prints action 5's `A` as a Greek capital alpha."""
    return " ".join(text.replace("\u0391", "A").split())


@cache
def _paper_text(seed_file: str) -> str:
    return (PAPERS / seed_file).read_text(encoding="utf-8")


def paper(paper_id: str) -> str:
    """The raw text of a paper, found through map_papers (the shared folder must be there)."""
    require_shared_data()
    files = {p["paper_id"]: p["seed_file"] for p in _rows("map_papers")}
    assert paper_id in files, f"{paper_id} is not in map_papers"
    path = PAPERS / files[paper_id]
    assert path.is_file(), f"{path} is missing: map_papers.seed_file must name a file in ../shared/seeds"
    return _paper_text(files[paper_id])


def _tokens(text: str) -> list[str]:
    """Words with their trailing punctuation dropped (a cell split in two may end a piece with `;`)."""
    return [w.rstrip(".,;:") for w in norm(text).split(" ")]


def _in_order(needle: str, haystack: str) -> bool:
    """Every word of `needle` ("…" abridgements dropped) appears in `haystack` in order.

    The run must start where the needle's first words stand together and end
    within a window of about twice its length: enough for two interleaved
    columns, too little to pick words from all over the paper.
    """
    words = [w for w in _tokens(needle.replace("…", " ")) if w]
    hay = _tokens(haystack)
    head = words[:5]
    for start in range(len(hay) - len(head) + 1):
        if hay[start:start + len(head)] != head:
            continue
        i, limit = start, start + 2 * len(words) + 80
        for word in words:
            while i < min(limit, len(hay)) and hay[i] != word:
                i += 1
            if i >= min(limit, len(hay)):
                break
            i += 1
        else:
            return True
    return False


def _int(value: str) -> int | None:
    return int(value) if value != "" else None


# ---------------------------------------------------------------- the CSV files


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_seed_is_rfc4180_utf8_with_its_header(name):
    raw = (SEEDS / f"{name}.csv").read_bytes()
    text = raw.decode("utf-8")  # strict: fails on anything not UTF-8
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert "\r" not in text, "line endings must be \\n"
    assert text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == HEADERS[name]
    assert all(len(r) == len(rows[0]) for r in rows), "every row has every column"
    # written back with minimal quoting, the file is byte for byte the same
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert out.getvalue() == text


def test_every_row_cites_a_paper_in_map_papers():
    papers = _rows("map_papers")
    ids = [p["paper_id"] for p in papers]
    assert len(ids) == len(set(ids))
    for p in papers:
        paper(p["paper_id"])  # its file is there
        if p["paper_date"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["paper_date"])
    cited = {r["paper_id"] for name in ("map_actions", "map_action_statuses", "mopac_commitments") for r in _rows(name)}
    assert cited <= set(ids), cited - set(ids)


def test_dated_papers_carry_their_date():
    """A paper_date must be written in the paper itself (day, month and, where printed, year)."""
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"]
    for p in _rows("map_papers"):
        if not p["paper_date"]:
            continue
        year, month, day = (int(x) for x in p["paper_date"].split("-"))
        head = norm(paper(p["paper_id"]))[:400]
        assert re.search(rf"\b{day}(st|nd|rd|th)? {months[month - 1]}\b", head), p["paper_id"]
        assert str(year) in norm(paper(p["paper_id"])), p["paper_id"]


def test_the_ordering_date_is_the_printed_one_or_explained():
    """dated_no_later_than is the printed date where there is one; an undated paper says how it was placed."""
    for p in _rows("map_papers"):
        if p["paper_date"]:
            assert p["dated_no_later_than"] == p["paper_date"], p["paper_id"]
        else:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["dated_no_later_than"]) and p["date_basis"].startswith("undated"), p["paper_id"]
    order = [p["paper_id"] for p in sorted(_rows("map_papers"), key=lambda p: p["dated_no_later_than"])]
    assert order.index("ob_2021_06_15") < order.index("mps_update_2021_q4") < order.index("ob_2022_10_14")
    # the response to the 7 July 2021 meeting: after the meeting, before the handcuff policy it calls imminent
    july = {p["paper_id"]: p for p in _rows("map_papers")}[JULY_2021_RESPONSE]
    assert "Held 7 July 2021" in norm(paper(JULY_2021_RESPONSE))
    assert "imminent publication of the MPS Handcuff Policy" in norm(paper(JULY_2021_RESPONSE))
    assert "A new handcuffing policy was launched on 18th November 2021." in norm(paper(OCT_2022))
    assert "2021-07-07" < july["dated_no_later_than"] < "2021-11-18"


def test_five_papers_with_their_printed_titles():
    """A title is the paper's own words; a paper that prints none (late 2021) has none, and every paper a label."""
    papers = _rows("map_papers")
    assert len(papers) == len(list(PAPERS.glob("*.txt"))) == 5
    assert {p["seed_file"] for p in papers} == {f.name for f in PAPERS.glob("*.txt")}
    for p in papers:
        assert p["description"], p["paper_id"]
        if p["title"]:
            assert norm(p["title"]) in norm(paper(p["paper_id"]))[:600], p["paper_id"]
    late = {p["paper_id"]: p for p in papers}[LATE_2021]
    assert late["title"] == "" and norm(paper(LATE_2021)).startswith("1. Purpose of this Paper")


# ---------------------------------------------------------------- the 23 MPS actions


def _numbered() -> list[dict[str, str]]:
    return [a for a in _rows("map_actions") if a["action_id"] == a["action_number"]]


def test_actions_are_1_to_23_and_23a_with_valid_theme_lead_and_title():
    actions = _rows("map_actions")
    assert [a["action_id"] for a in actions] == [str(n) for n in range(1, 24)] + ["23a"]
    assert [a for a in actions if a["action_id"] == "23a"][0]["action_number"] == "23"
    led_by_mopac = {n for n, row in {**_june_rows(), **{k + 100: v for k, v in _late_2021_rows().items()}}.items()
                    if "MOPAC is leading this action" in norm(row)}
    led_by_mopac = {n % 100 for n in led_by_mopac}
    assert led_by_mopac == {5}
    for a in actions:
        assert a["theme"] in THEMES, a
        assert a["lead"] in {"MPS", "MOPAC", "MPS and MOPAC"}, a
        assert 0 < len(a["short_title"]) <= 70, a
        assert a["action_text"] and len(a["action_text"]) <= 420, a
        # `MOPAC` where a paper says MOPAC leads it; else `MPS and MOPAC` exactly when the action's
        # wording names MOPAC as a party to it
        if a["action_id"] == a["action_number"] and int(a["action_number"]) in led_by_mopac:
            assert a["lead"] == "MOPAC", a
        else:
            assert (a["lead"] == "MPS and MOPAC") == a["action_text"].startswith("MOPAC"), a
    # "The actions have been written from the order in the plan": themes never go back
    order = [THEMES.index(a["theme"]) for a in actions]
    assert order == sorted(order)


def test_each_action_is_in_the_june_2021_table_with_its_number():
    june = paper(JUNE_2021)
    flat = norm(june)
    for a in _numbered():
        n, text = int(a["action_number"]), a["action_text"]
        prefix = text[:40].rsplit(" ", 1)[0]
        if n == 16:
            # the extraction merged row 16 into row 15 and lost its number
            assert "through the MPS intranet. The MPS will set challenging aims to" in flat
            assert not re.search(r"(?m)^16\t", june), "row 16 has its number again: drop this exception"
            assert prefix in flat
        else:
            assert f"{n} {prefix}" in flat, f"action {n}: '{n} {prefix}' is not in the June 2021 paper"
        assert _in_order(text, june), f"action {n}: its text is not the June 2021 table's"
    # 23a: its own annex entry in October 2022, and the second sentence of 23 in June 2021
    sub = [a for a in _rows("map_actions") if a["action_id"] == "23a"][0]
    assert f"Action 23a – {sub['action_text']}" in norm(paper(OCT_2022))
    assert sub["paper_id"] == OCT_2022
    assert _in_order("the MPS will sign up to the Voluntary Code of Practice", june)


def test_each_actions_theme_is_its_q1_chapter():
    themes = {int(a["action_number"]): a["theme"] for a in _numbered()}
    mapped = [c for c in _rows("mopac_commitments") if c["mps_action_number"]]
    assert mapped
    for c in mapped:
        assert themes[int(c["mps_action_number"])] == THEMES[int(c["chapter"]) - 1], c["commitment_number"]


# ---------------------------------------------------------------- statuses


def test_statuses_are_valid_and_their_evidence_is_in_the_paper():
    rows = _rows("map_action_statuses")
    keys = Counter((r["paper_id"], r["action_id"]) for r in rows)
    assert max(keys.values()) == 1, "one row per paper and action"
    actions = {a["action_id"] for a in _rows("map_actions")}
    for r in rows:
        assert r["status"] in STATUSES, r
        assert r["status_basis"] in BASES, r
        assert r["action_id"] in actions, r
        assert r["status_as_published"], r
        # the basis is what the paper prints: a letter decides (A), a G and the text decide, or the text alone
        letter = r["status_as_published"].split(" ")[0]
        assert r["status_basis"] == {"A": "printed_marker", "R": "printed_marker", "G": "marker_and_text"}.get(
            letter, "action_text"), r
        if r["status"] == "in_progress":
            assert r["status_basis"] == "action_text", "in progress: the text gives no rating"
        assert 0 < len(r["evidence"]) <= 200, r
        assert norm(r["evidence"]) in norm(paper(r["paper_id"])), f"not verbatim: {r}"
        if r["status"] == "pending":
            assert "pending" in r["evidence"].lower(), "pending only where the paper says so"


def _june_rows() -> dict[int, str]:
    """The June 2021 table cut into rows: a row starts with its number and a tab."""
    june = paper(JUNE_2021)
    table = june[june.index("Of the 23 actions"):june.index("Deputy Commissioner's Delivery Group</u>")]
    starts = [(int(m.group(1)), m.start()) for m in re.finditer(r"(?m)^(\d{1,2})\t", table)]
    return {n: table[s:(starts[i + 1][1] if i + 1 < len(starts) else len(table))]
            for i, (n, s) in enumerate(starts)}


def _late_2021_rows() -> dict[int, str]:
    """The undated late-2021 update's table: a row starts with its number, a space and a capital."""
    text = paper(LATE_2021)
    table = text[text.index("Of the 23 MAP actions"):text.index("5. Deputy Commissioner")]
    starts, want = [], 1
    for m in re.finditer(r"(?m)^(\d{1,2}) [A-Z]", table):
        if int(m.group(1)) == want:  # in sequence: a year or a count at a line start is not a row
            starts.append((want, m.start()))
            want += 1
    return {n: table[s:(starts[i + 1][1] if i + 1 < len(starts) else len(table))]
            for i, (n, s) in enumerate(starts)}


def _oct_2022_rows() -> dict[int, str]:
    text = paper(OCT_2022)
    """Annex A: "Action N – <the plan's wording>" up to its "MPS response" (or the next action)."""
    found = re.findall(r"(?ms)^Action (\d+) [–-] (.*?)(?=^MPS response|^Action \d|\Z)", text)
    return {int(n): body for n, body in found}


def _markers(row: str) -> list[str]:
    """The RAG cells of a row: a cell (between tabs or line ends) holding only the letter(s)."""
    return re.findall(r"(?m)(?:^|\t)[ ]*(DG|G|A|R)[ ]*(?=\t|$)", row.replace("\u0391", "A"))


def test_statuses_cover_every_action_each_paper_lists():
    by_paper: dict[str, set[int]] = {}
    for r in _rows("map_action_statuses"):
        by_paper.setdefault(r["paper_id"], set()).add(r["action_id"])
    by_paper = {k: {int(a) if a.isdigit() else a for a in v} for k, v in by_paper.items()}
    june = set(_june_rows())
    assert june == set(range(1, 24)) - {16}  # 16 merged into 15, see above
    assert by_paper[JUNE_2021] == june | {16}
    assert set(_late_2021_rows()) == set(range(1, 24))
    assert by_paper[LATE_2021] == set(_late_2021_rows())
    assert set(_oct_2022_rows()) == set(range(1, 24))
    assert by_paper[OCT_2022] == set(_oct_2022_rows()) | {"23a"}
    assert Q1_UPDATE not in by_paper, "the Q1 update gives no RAG status; its updates are in mopac_commitments"
    # the response to the July 2021 meeting speaks to one MPS action: the handcuffing review (2)
    assert by_paper[JULY_2021_RESPONSE] == {2}


@pytest.mark.parametrize("paper_id", [JUNE_2021, LATE_2021])
def test_each_status_matches_the_marker_in_its_table_row(paper_id):
    rows = _june_rows() if paper_id == JUNE_2021 else _late_2021_rows()
    if paper_id == JUNE_2021:
        rows[16] = rows[15]  # one merged row
    letter = {"complete": {"G", "DG"}, "on_track": {"G"}, "amber": {"A"}, "red": {"R"}, "pending": set()}
    for r in _rows("map_action_statuses"):
        if r["paper_id"] != paper_id:
            continue
        n = int(r["action_id"])
        markers = _markers(rows[n])
        published = r["status_as_published"].split(" ")[0]
        if r["status_as_published"].startswith("no marker"):
            assert markers == [], f"action {n} has a marker {markers}"
            continue
        assert published in markers, f"action {n}: {published} is not in its row's markers {markers}"
        assert published in letter[r["status"]], r
        # a green is complete only where its row's text says so
        if published == "G":
            says_complete = bool(re.search(r"\b[Cc]omplete\b(?! in )", norm(r["evidence"])))
            assert (r["status"] == "complete") == says_complete, r
    # every amber or red marker in the table is a row of the seed with that status
    seeded = {int(r["action_id"]): r["status"] for r in _rows("map_action_statuses") if r["paper_id"] == paper_id}
    for n, row in rows.items():
        for m in _markers(row):
            if m in {"A", "R"}:
                assert seeded[n] == {"A": "amber", "R": "red"}[m], (n, m)


def test_oct_2022_statuses_are_each_actions_own_text_and_the_headline_is_kept_beside_them():
    """"only 2 of the MAP actions remain outstanding" (17 and 20), yet the annex text of 3, 5, 11 and 23a
    describes work not finished: the status is the text's, the headline's count is kept beside it."""
    text = norm(paper(OCT_2022))
    assert "only 2 of the MAP actions remain outstanding" in text
    assert "The misconduct and grievance action was not expected to be completed prior to 2024, so remains on track" in text
    assert "associated with S&S BWV joint coding" in text
    actions = {a["action_id"]: a["action_text"] for a in _rows("map_actions")}
    assert "grievance and misconduct" in actions["17"] and "Body Worn Video" in actions["20"]
    rows = {r["action_id"]: r for r in _rows("map_action_statuses") if r["paper_id"] == OCT_2022}
    assert {a for a, r in rows.items() if r["headline_says_complete"] == "false"} == {"17", "20"}
    assert all(r["headline_says_complete"] in {"true", "false"} for r in rows.values())
    assert all(r["status_basis"] == "action_text" for r in rows.values())
    # each status's quote is in its own action's annex entry, not the headline
    entries = dict(re.findall(r"(?ms)^Action (\d+a?) [–-] (.*?)(?=^Action \d|\Z)", paper(OCT_2022)))
    for a, r in rows.items():
        where = norm(entries[a]) + (" " + text if a in {"17"} else "")
        assert norm(r["evidence"]) in where, (a, r["evidence"])
    not_finished = {a for a, r in rows.items() if r["status"] != "complete"}
    assert not_finished == {"3", "5", "11", "17", "20", "23a"}
    for a, words in {"3": "now in its final phase", "5": "continue to work through this work",
                     "11": "timelines have had to be extended into 2022", "23a": "currently is reviewing carefully"}.items():
        assert words in rows[a]["evidence"] and rows[a]["status"] == "in_progress", a


def test_other_papers_headlines_place_no_single_action():
    for r in _rows("map_action_statuses"):
        if r["paper_id"] != OCT_2022:
            assert r["headline_says_complete"] == "", r


# ---------------------------------------------------------------- headlines


def _headline_counts(quote: str) -> dict[str, int | None]:
    def num(pattern: str) -> int | None:
        m = re.search(pattern, quote)
        if not m:
            return None
        word = m.group(1).lower()
        return int(word) if word.isdigit() else WORDS[word]

    return {
        "stated_complete": num(r"(\w+) are complete") if "are complete" in quote else num(r"delivered (\w+) of the"),
        "stated_on_track": num(r"(\w+) are in progress and on track") if "are in progress" in quote
        else num(r"remaining (\w+) on track"),
        "stated_amber": num(r"(\w+) actions? that (?:are|is shown as) amber"),
        "stated_red": num(r"(\w+) actions? that are amber or red"),
        "stated_pending": num(r"(\w+) (?:are|is) pending"),
        "stated_total": num(r"(?i)of the (\d+)"),
    }


def test_headline_quotes_are_verbatim_and_the_stated_counts_are_theirs():
    for p in _rows("map_papers"):
        if not p["headline_quote"]:
            assert all(p[k] == "" for k in HEADERS["map_papers"] if k.startswith("stated_")), p["paper_id"]
            continue
        assert norm(p["headline_quote"]) in norm(paper(p["paper_id"])), p["paper_id"]
        counts = _headline_counts(p["headline_quote"])
        for column, value in counts.items():
            assert _int(p[column]) == value, (p["paper_id"], column, p[column], value)


def test_stated_counts_are_what_each_paper_says_read_on_its_own():
    """The headline counts re-read from each paper's text, not from the seed's quote."""
    stated = {p["paper_id"]: p for p in _rows("map_papers")}
    for paper_id in (JUNE_2021, LATE_2021):
        text = norm(paper(paper_id))
        got = {
            "stated_complete": int(re.search(r"(\d+) are complete \(dark green\)", text).group(1)),
            "stated_on_track": int(re.search(r"(\d+) are in progress and on track \(pale green\)", text).group(1)),
            "stated_total": int(re.search(r"Of the (\d+) (?:MAP )?actions, all have been progressed", text).group(1)),
        }
        for column, value in got.items():
            assert _int(stated[paper_id][column]) == value, (paper_id, column)
    assert "There are no actions that are amber or red" in norm(paper(JUNE_2021))
    assert (stated[JUNE_2021]["stated_amber"], stated[JUNE_2021]["stated_red"]) == ("0", "0")
    assert "There is one action that is shown as amber" in norm(paper(LATE_2021))
    assert stated[LATE_2021]["stated_amber"] == "1"
    m = re.search(r"has delivered (\d+) of the (\d+) actions listed, with the remaining (\w+) on track", norm(paper(OCT_2022)))
    assert (_int(stated[OCT_2022]["stated_complete"]), _int(stated[OCT_2022]["stated_total"]),
            _int(stated[OCT_2022]["stated_on_track"])) == (int(m.group(1)), int(m.group(2)), WORDS[m.group(3)])


# ---------------------------------------------------------------- MOPAC's Q1 commitments


def _q1_joined() -> str:
    """The Q1 update with the page headers dropped and `1.\\t1` (a split cell) rejoined as `1.1`."""
    text = paper(Q1_UPDATE)
    lines = [ln for ln in text.split("\n") if "Status Update" not in ln]
    return re.sub(r"(?m)^(\d)\.\t(\d) ", r"\1.\2\t", "\n".join(lines))


def test_every_commitment_number_is_a_numbered_row_of_the_q1_update():
    commitments = _rows("mopac_commitments")
    text = _q1_joined()
    printed = {m.group(1): m.group(2) for m in re.finditer(
        r"(?m)^(\d\.\d)[\t ]+(Better use of Police Powers|Working Together|Represents and understands|Holding to account)", text)}
    numbers = [c["commitment_number"] for c in commitments if c["commitment_number"]]
    assert len(numbers) == len(set(numbers))
    bases = Counter(re.fullmatch(r"(\d\.\d)([a-z]?)", n).group(1) for n in numbers)
    assert set(bases) == set(printed), set(bases) ^ set(printed)
    for c in commitments:
        assert c["paper_id"] == Q1_UPDATE
        n = c["commitment_number"]
        if not n:
            assert c["chapter_title"] == "Next steps" and c["chapter"] == "", c
            continue
        base, suffix = re.fullmatch(r"(\d\.\d)([a-z]?)", n).groups()
        assert printed[base] == c["chapter_title"], n
        assert base.split(".")[0] == c["chapter"], n
        # a suffix exactly when one number holds several commitments: a, b, c… in order
        assert (suffix != "") == (bases[base] > 1), n
    for base, count in bases.items():
        if count > 1:
            assert sorted(n for n in numbers if n.startswith(base)) == [f"{base}{chr(97 + i)}" for i in range(count)]


def test_commitments_and_their_updates_are_the_q1_updates_words():
    text = _q1_joined()
    for c in _rows("mopac_commitments"):
        label = c["commitment_number"] or c["commitment"][:40]
        assert _in_order(c["commitment"], text), f"{label}: commitment not in the Q1 update"
        assert _in_order(c["status_update"], text), f"{label}: status update not in the Q1 update"
        assert len(c["status_update"]) <= 800, label  # full cells, unabridged: the longest (2.1b, joined over a page break) is 751
        if not c["status_update"].endswith("…"):
            assert norm(c["status_update"]).split(" ")[-1] in norm(text), label


def test_q1_update_rows_are_all_transcribed():
    """One seed row per table row of the paper; a cell of several commitments shares its update."""
    text = _q1_joined()
    table_rows = 0
    for line in text.split("\n"):
        cells = line.split("\t")
        if len(cells) < 3 or not cells[-1].strip() or re.fullmatch(r"\d", cells[0]) or cells[-1] == "Next Steps":
            continue  # chapter headings (`2\tWorl\tking Together`) and page headers
        commitment = cells[-2].strip()
        if commitment and commitment[0].isupper():
            table_rows += 1  # a row continued over a page starts lower case or has no commitment
    seeded = {(c["commitment_number"][:3], c["status_update"]) for c in _rows("mopac_commitments")}
    assert len(seeded) == table_rows


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3} - {
        "will", "with", "that", "this", "their", "from", "have", "mayor", "mops", "ensure"}


def test_mps_action_numbers_match_the_actions_wording():
    """A commitment names an MPS action when the wording is the same action's, and only then."""
    # an action's words: the seed's (June 2021 table) and the plan's own wording quoted in Annex A
    # of the October 2022 paper, read from that paper
    plan = _oct_2022_rows()
    actions = {int(a["action_number"]): _content_words(a["action_text"] + " " + plan[int(a["action_number"])])
               for a in _rows("map_actions")}
    seen = []
    for c in _rows("mopac_commitments"):
        words = _content_words(c["commitment"])
        # the share of the commitment's words that are the action's
        overlap = {n: len(words & aw) / len(words) for n, aw in actions.items()}
        best = max(overlap, key=overlap.get)
        label = c["commitment_number"] or c["commitment"][:40]
        if c["mps_action_number"]:
            n = int(c["mps_action_number"])
            seen.append(n)
            assert best == n and overlap[n] >= 0.6, (label, n, best, round(overlap[best], 2))
        else:
            assert overlap[best] < 0.6, (label, best, round(overlap[best], 2))
    assert len(seen) == len(set(seen)), "an action is one commitment"
