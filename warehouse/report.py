"""The report: one static, self-contained HTML page rendered from the published warehouse.

Charts are Vega-Lite specifications built with Altair and drawn in the
browser by vega-embed, whose scripts (Vega, Vega-Lite, vega-embed, from
`vl-convert-python`) are inlined once in the page: it opens from disk with no
network. Every chart has a text alternative (its caption says what it shows
and the latest figures) and a table view, and a chart computed from
SYNTHETIC inputs says so in its own title. Sections whose marts are empty
say that nothing is loaded rather than draw an empty frame.

`write_report` is called by `mapwh report` and by the `warehouse_build` DAG
after a build is published; the page goes next to the warehouse
(`MAPWH_HOME/report.html`) unless another path is given.
"""

from __future__ import annotations

import html
import json
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from ingest.core.config import Settings
from ingest.core.files import atomic_write
from warehouse import pipeline

SYNTHETIC_MARK = "SYNTHETIC data"


def report_path(settings: Settings) -> Path:
    return settings.home / "report.html"


# --------------------------------------------------------------------------- reading
def _frame(con, sql: str, params: list | None = None) -> pd.DataFrame:
    try:
        return con.execute(sql, params or []).df()
    except (duckdb.CatalogException, duckdb.BinderException):
        return pd.DataFrame()  # a warehouse built before this mart (or column) existed


def _synthetic_sources(con) -> set[str]:
    rows = _frame(con, "select distinct source from staging.stg_audit__loaded_batches where is_synthetic")
    return set(rows["source"]) if not rows.empty else set()


def _geojson(con) -> dict | None:
    """London borough boundaries as a GeoJSON FeatureCollection (ONS names), from the loaded boundaries."""
    try:
        rows = con.execute(
            "select borough_name, geometry_geojson from intermediate.int_london_boundaries__named "
            "where borough_name is not null").fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"borough": name}, "geometry": _clockwise(json.loads(geometry))} for name, geometry in rows]}


def _clockwise(geometry: dict) -> dict:
    """Exterior rings clockwise, holes anticlockwise: the winding d3-geo (Vega) reads as "inside".

    RFC 7946 GeoJSON winds the other way round, which d3-geo draws as the whole
    globe minus the borough.
    """
    def signed_area(ring):
        return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]))

    def fix(polygon):
        return [ring if (signed_area(ring) < 0) == (i == 0) else ring[::-1] for i, ring in enumerate(polygon)]

    if geometry["type"] == "Polygon":
        return {**geometry, "coordinates": fix(geometry["coordinates"])}
    if geometry["type"] == "MultiPolygon":
        return {**geometry, "coordinates": [fix(p) for p in geometry["coordinates"]]}
    return geometry


# --------------------------------------------------------------------------- charts
def scorecard_synthetic(con) -> dict[str, bool]:
    """{commitment: computed from a SYNTHETIC source}, as marts.action_plan_scorecard marks it."""
    frame = _frame(con, "select commitment_id, bool_or(is_synthetic) as synthetic from marts.action_plan_scorecard group by 1")
    return dict(zip(frame.commitment_id, frame.synthetic.astype(bool)))


def _title(text: str, synthetic: bool) -> dict:
    return {"text": text, "subtitle": [f"{SYNTHETIC_MARK}: not real figures"] if synthetic else [],
            "subtitleColor": "#b00020", "subtitleFontWeight": "bold"}


def _iso(value):
    """Dates as `2021-06-15` (a midnight timestamp is a date), other values as they are."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return value.isoformat() if hasattr(value, "isoformat") else value


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy().astype(object)
    for column in out.columns:
        out[column] = out[column].map(lambda v: None if _missing(v) else _iso(v))
    return json.loads(out.to_json(orient="records"))


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False  # a list or array: present


def _with_interval(frame: pd.DataFrame, x: str, x_title: str, value: str, low: str, high: str, y_title: str,
                   tooltip: list, y_format: str | None = None):
    """A yearly or monthly estimate drawn as a line over its 95% interval band (a layer to add rules to)."""
    import altair as alt

    base = alt.Chart(alt.Data(values=_records(frame))).encode(x=alt.X(f"{x}:T", title=x_title))
    axis = alt.Axis(format=y_format) if y_format else alt.Undefined
    band = base.mark_area(opacity=0.25).encode(y=alt.Y(f"{low}:Q", title=y_title, axis=axis), y2=f"{high}:Q")
    return band + base.mark_line(point=True).encode(y=f"{value}:Q", tooltip=tooltip)


def _zero_rule():
    import altair as alt

    return alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")


def trust_gap_chart(frame: pd.DataFrame, synthetic: bool) -> dict:
    gap = _with_interval(frame, "period_end", "12 months ending", "gap_pp", "ci_low", "ci_high",
                         "White minus Black, percentage points", ["period_end:T", "gap_pp:Q", "ci_low:Q", "ci_high:Q"])
    chart = (gap + _zero_rule()).properties(
        width=640, height=260, title=_title("Trust gap: White minus Black Londoners who trust the MPS, with 95% interval", synthetic))
    return chart.to_dict()


def representation_chart(actual: pd.DataFrame, targets: pd.DataFrame, synthetic: bool) -> dict:
    import altair as alt

    line = alt.Chart(alt.Data(values=_records(actual))).mark_line(point=True).encode(
        x=alt.X("as_at:T", title="31 March"), y=alt.Y("share:Q", title="Share of officers (stated ethnicity)", axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None), tooltip=["series:N", "as_at:T", alt.Tooltip("share:Q", format=".1%")])
    goals = alt.Chart(alt.Data(values=_records(targets))).mark_point(shape="diamond", size=120, filled=True).encode(
        x="deadline:T", y="target_share:Q", color=alt.Color("series:N"), tooltip=["target_id:N", "deadline:T", alt.Tooltip("target_share:Q", format=".0%")])
    path = alt.Chart(alt.Data(values=_records(_trajectories(targets)))).mark_line(strokeDash=[6, 3]).encode(
        x="date:T", y="share:Q", color="series:N", detail="target_id:N")
    chart = (line + path + goals).properties(width=640, height=300, title=_title(
        "Met officers from ethnic-minority backgrounds against the plan's targets (dashed: straight line from the paper's figure)", synthetic))
    return chart.to_dict()


def _trajectories(targets: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for t in targets.itertuples():
        if pd.notna(t.baseline_date) and pd.notna(t.deadline):
            rows += [{"target_id": t.target_id, "series": t.series, "date": t.baseline_date, "share": t.baseline_value},
                     {"target_id": t.target_id, "series": t.series, "date": t.deadline, "share": t.target_share}]
    return pd.DataFrame(rows, columns=["target_id", "series", "date", "share"])


def dismissal_ratio_chart(frame: pd.DataFrame, baseline: float | None, deadline, synthetic: bool) -> dict:
    import altair as alt

    ratio = _with_interval(frame, "year_end", "Financial year ending 31 March", "ratio_to_white", "ratio_ci_low", "ratio_ci_high",
                           "Dismissal rate relative to White officers", ["financial_year:N", "individuals:Q", "officers_at_start:Q",
                                                                         "ratio_to_white:Q", "ratio_ci_low:Q", "ratio_ci_high:Q"])
    rules = [{"y": 1.0, "label": "parity"}] + ([{"y": baseline, "label": "baseline"}] if baseline is not None else [])
    level = alt.Chart(alt.Data(values=rules)).mark_rule(strokeDash=[4, 4]).encode(y="y:Q", color=alt.Color("label:N", title=None))
    due = alt.Chart(alt.Data(values=[{"x": _iso(deadline)}])).mark_rule(color="#b00020").encode(x="x:T")
    chart = (ratio + level + due).properties(
        width=640, height=260,
        title=_title("Met officers dismissed: ethnic minority relative to White, with 95% interval (action 17, by 2024)", synthetic))
    return chart.to_dict()


def leaving_gap_chart(frame: pd.DataFrame, synthetic: bool) -> dict:
    """Black officers' leaving rate minus White officers', per financial year, with its 95% interval and a rule at 0."""
    import altair as alt

    tooltip = ["financial_year:N", *(alt.Tooltip(f"{c}:Q", format=".2%") for c in ("black_rate", "white_rate")),
               *(alt.Tooltip(f"{c}:Q", format="+.2%") for c in ("gap", "gap_ci_low", "gap_ci_high"))]
    gap = _with_interval(frame, "year_end", "Financial year ending 31 March", "gap", "gap_ci_low", "gap_ci_high",
                         "Black minus White leaving rate", tooltip, y_format="+.1%")
    chart = (gap + _zero_rule()).properties(
        width=640, height=260,
        title=_title("Met officers leaving: Black minus White leaving rate, with 95% interval (above 0: Black officers leave faster)",
                     synthetic))
    return chart.to_dict()


def stop_search_map(frame: pd.DataFrame, geojson: dict, synthetic: bool, window: str) -> dict:
    import altair as alt

    values = {r["area"]: r for r in _records(frame)}
    features = [{**f, "properties": {**f["properties"], **{k: values.get(f["properties"]["borough"], {}).get(k)
                                                            for k in ("ratio_vs_white", "rate_per_1000", "searches")}}}
                for f in geojson["features"]]
    chart = alt.Chart(alt.Data(values=features)).mark_geoshape(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("properties.ratio_vs_white:Q", title="Black / White rate", scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("properties.borough:N", title="borough"),
                 alt.Tooltip("properties.ratio_vs_white:Q", title="ratio", format=".2f"),
                 alt.Tooltip("properties.rate_per_1000:Q", title="per 1,000", format=".1f")],
    ).project(type="mercator").properties(width=640, height=420, title=_title(
        f"Stop and search of Black people per 1,000 residents relative to White people, by borough ({window})", synthetic))
    return chart.to_dict()


def use_of_force_chart(frame: pd.DataFrame, synthetic: bool) -> dict:
    """Monthly subjects of any force per 1,000 residents, Black and White Londoners."""
    import altair as alt

    chart = alt.Chart(alt.Data(values=_records(frame))).mark_line(point=True).encode(
        x=alt.X("month:T", title="month"), y=alt.Y("subjects_per_1000:Q", title="subjects of force per 1,000 residents"),
        color=alt.Color("ethnic_group:N", title="perceived group"),
        tooltip=["month:T", "ethnic_group:N", "subjects:Q", alt.Tooltip("subjects_per_1000:Q", format=".3f"),
                 alt.Tooltip("ratio_vs_white:Q", format=".2f")])
    return chart.properties(width=640, height=260, title=_title("Use of force in London: subjects per 1,000 residents", synthetic)).to_dict()


def handcuffing_chart(frame: pd.DataFrame, synthetic: bool) -> dict:
    """The share of subjects handcuffed each month, Black and White, with the fitted lines and the before-policy
    line carried on (dashed), and a rule at 18 November 2021."""
    import altair as alt

    data = alt.Data(values=_records(frame))
    color = alt.Color("ethnic_group:N", title="perceived group")
    base = alt.Chart(data).encode(x=alt.X("month:T", title="month"), color=color)
    points = base.mark_point(filled=True, opacity=0.6).encode(
        y=alt.Y("value:Q", title="share of subjects handcuffed", axis=alt.Axis(format="%")),
        tooltip=["month:T", "ethnic_group:N", "phase:N", "numerator:Q", "denominator:Q", alt.Tooltip("value:Q", format=".1%")])
    fitted = base.mark_line().encode(y="fitted:Q", detail="phase:N")
    counterfactual = base.transform_filter("datum.phase != 'before'").mark_line(strokeDash=[5, 4], opacity=0.7).encode(y="counterfactual:Q")
    policy = alt.Chart(alt.Data(values=[{"day": "2021-11-18"}])).mark_rule(color="#555").encode(x="day:T")
    chart = (points + fitted + counterfactual + policy).properties(
        width=640, height=280, title=_title("Handcuffing before and after the policy of 18 November 2021", synthetic))
    return chart.to_dict()


def action_status_chart(frame: pd.DataFrame) -> dict:
    import altair as alt

    order = ["complete", "on_track", "in_progress", "amber", "red", "pending"]
    chart = alt.Chart(alt.Data(values=_records(frame))).mark_bar().encode(
        x=alt.X("paper_date:O", title="paper"), y=alt.Y("actions:Q", title="MPS actions"),
        color=alt.Color("status:N", sort=order, scale=alt.Scale(
            domain=order, range=["#1b7837", "#a6dba0", "#d9f0d3", "#f1a340", "#d73027", "#bbbbbb"])),
        order=alt.Order("status_order:Q"), tooltip=["paper_date:O", "status:N", "actions:Q"],
    ).properties(width=480, height=260, title=_title("Status of the 23 MPS actions, as each paper gives it", False))
    return chart.to_dict()


# --------------------------------------------------------------------------- page
def _table(frame: pd.DataFrame, limit: int = 400) -> str:
    if frame.empty:
        return "<p>No rows.</p>"
    shown = frame.head(limit)
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in shown.itertuples(index=False))
    more = f"<p>First {limit} of {len(frame)} rows.</p>" if len(frame) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(value) -> str:
    if _missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(_iso(value))


class Page:
    def __init__(self):
        self.sections: list[str] = []
        self.specs: dict[str, dict] = {}

    def section(self, heading: str, body: str) -> None:
        self.sections.append(f"<section><h2>{html.escape(heading)}</h2>{body}</section>")

    def chart(self, heading: str, spec: dict | None, caption: str, table: pd.DataFrame, empty: str) -> None:
        if spec is None:
            self.section(heading, f"<p class='empty'>{html.escape(empty)}</p>")
            return
        chart_id = f"chart-{len(self.specs) + 1}"
        self.specs[chart_id] = spec
        self.section(heading, (
            f"<figure><div class='chart' id='{chart_id}' role='img' aria-label='{html.escape(caption, quote=True)}'></div>"
            f"<figcaption>{html.escape(caption)}</figcaption>"
            f"<details><summary>Table view</summary>{_table(table)}</details></figure>"))

    def render(self, title: str, banner: str, bundle: str) -> str:
        specs = json.dumps(self.specs).replace("</", "<\\/")
        return PAGE.format(title=html.escape(title), banner=banner, sections="\n".join(self.sections),
                           bundle=bundle.replace("</script", "<\\/script"), specs=specs)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }}
.banner {{ background: #fdecea; border: 2px solid #b00020; color: #b00020; padding: .6rem 1rem; font-weight: bold; }}
table {{ border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }} td, th {{ border: 1px solid #ddd; padding: 2px 6px; text-align: left; }}
figcaption {{ font-size: .9rem; margin: .4rem 0; }} .empty {{ color: #666; font-style: italic; }}
.status-met, .status-complete {{ color: #1b7837; }} .status-off_track, .status-red {{ color: #b00020; }}
#errors:empty {{ display: none; }}
</style>
<script>
window.__errors = [];
window.addEventListener("error", function (e) {{ window.__errors.push(String(e.message)); }});
(function () {{ var original = console.error; console.error = function () {{
  window.__errors.push(Array.prototype.map.call(arguments, String).join(" ")); original.apply(console, arguments); }}; }})();
</script>
<script>{bundle}</script>
</head><body>
<h1>{title}</h1>
{banner}
{sections}
<pre id="errors"></pre>
<script>
const specs = {specs};
Promise.all(Object.entries(specs).map(function ([id, spec]) {{
  return vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}}).then(function () {{
    document.getElementById(id).setAttribute("data-rendered", "true");
  }});
}})).catch(function (e) {{ console.error(e); }}).finally(function () {{
  document.getElementById("errors").textContent = window.__errors.join("\\n");
  document.body.setAttribute("data-charts-done", "true");
}});
</script>
</body></html>
"""


def _revisions(con) -> pd.DataFrame | None:
    """The committed revisions the build holds (`audit.revisions`, from the record `mapwh status` reads), newest
    first; None for a build made before it held them."""
    held = con.execute("select count(*) from information_schema.tables "
                       "where table_schema = 'audit' and table_name = 'revisions'").fetchone()[0]
    if not held:
        return None
    return _frame(con, "select table_name, period, revised_at, old_rows, new_rows, batch_id from audit.revisions "
                       "order by revised_at desc")


def vega_bundle(settings: Settings) -> str:
    """Vega, Vega-Lite and vega-embed as one script, from `vl-convert-python`, kept per installed version.

    Bundling takes about 1.3 s in every fresh process (each report task is one) and gives the same bytes
    for the same vl-convert, so the bundle is written once under `MAPWH_HOME/build/cache/` (named after
    the version, written atomically) and read from there after.
    """
    from importlib.metadata import version

    import vl_convert

    cached = settings.build_dir / "cache" / f"vega-bundle-vl-convert-{version('vl-convert-python')}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    bundle = vl_convert.javascript_bundle()
    atomic_write(cached, bundle.encode("utf-8"))
    return bundle


# --------------------------------------------------------------------------- the report
def build_page(settings: Settings, db_path: Path) -> str:
    # read-only, and no extension: nothing a reader can see needs one (decision 0023)
    with closing(duckdb.connect(str(db_path), read_only=True, config={"autoload_known_extensions": False})) as con:
        synthetic = _synthetic_sources(con)
        page = Page()
        built = _frame(con, "select * from audit.build")
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

        scorecard = _frame(con, "select commitment, period, benchmark_kind, target_value, deadline, value_at_deadline, "
                                "value_at_deadline_date, status, latest_value, ci_low, ci_high, latest_date, baseline_text, "
                                "baseline_note, stale, is_synthetic from marts.action_plan_scorecard order by commitment_id, period")
        page.section("Scorecard: every quantitative commitment, judged at its deadline",
                     "<p>A target is judged <b>met</b> or <b>missed</b> on its value at the deadline (the nearest observation on "
                     "or before it; a recurring target on its own year) once the data reaches the deadline, and <b>on track</b>, "
                     "<b>at risk</b> or <b>off track</b> before it. <i>plan_target</i> rows are the papers' own targets; "
                     "<i>parity_benchmark</i> rows are parity, which this project adds where the papers set no number: "
                     "<b>consistent with parity</b> means the interval is too wide to tell the value from parity. The "
                     "<i>plan_commitment</i> row is action 17's \"significantly reduce ... by 2024\", judged as a reduction "
                     "from its 2019-20 value larger than chance. The papers' "
                     "baselines are shown with how their basis differs from the measured series.</p>"
                     + _table(scorecard) if not scorecard.empty else
                     "<p class='empty'>The scorecard mart is not in this build.</p>")

        gap = _frame(con, "select period_end, gap_pp, ci_low, ci_high, pct_a as white_pct, pct_b as black_pct, n_a, n_b "
                          "from marts.trust_gap where area = 'London' and measure = 'Trust MPS' and group_a = 'White' "
                          "and group_b = 'Black' and is_complete and not suppressed order by period_end")
        # which sources a chart is computed from is declared once, in seed scorecard_commitments (source_names)
        computed_from_synthetic = {} if scorecard.empty else scorecard_synthetic(con)
        pas_synthetic = computed_from_synthetic.get("trust_gap_black_white", False)
        caption = (f"The gap in trust between White and Black Londoners, {len(gap)} rolling 12-month windows; latest "
                   f"{gap.period_end.iloc[-1]:%B %Y}: {gap.gap_pp.iloc[-1]:.1f} points (95% interval {gap.ci_low.iloc[-1]:.1f} "
                   f"to {gap.ci_high.iloc[-1]:.1f}).") if not gap.empty else ""
        page.chart("Trust gap over time", trust_gap_chart(gap, pas_synthetic) if not gap.empty else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if pas_synthetic else ""), gap,
                   "No PAS trust figures are loaded.")

        actual = _frame(con, "select as_at, rank || ' (' || ethnic_group || ')' as series, share from marts.workforce_representation "
                             "where force = 'Metropolitan Police' and worker_type = 'Police officer' and rank in ('All ranks', 'Sergeant', 'Inspector') "
                             "and ethnic_group in ('Ethnic minority', 'Black') and share is not null order by as_at")
        targets = _frame(con, "select target_id, population || ' (' || ethnic_group || ')' as series, target_share, deadline, "
                              "baseline_value, baseline_date from reference.plan_targets where measure = 'officer_share'")
        wf_synthetic = computed_from_synthetic.get("officers_ethnic_minority_2030", False)
        caption = ""
        if not actual.empty:
            latest = actual[actual.series == "All ranks (Ethnic minority)"].tail(1)
            if not latest.empty:
                caption = (f"Latest: {latest.share.iloc[0]:.1%} of Met officers with a stated ethnicity were from ethnic-minority "
                           f"backgrounds at {latest.as_at.iloc[0]:%d %B %Y}; the plan's targets are 16% by 2022, 21% by 2024 and 28% by 2030.")
        page.chart("Representation against the targets", representation_chart(actual, targets, wf_synthetic) if not actual.empty else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if wf_synthetic else ""), actual, "No workforce tables are loaded.")

        dismissals = _frame(con, "select financial_year, year_end, individuals, officers_at_start, ratio_to_white, ratio_ci_low, "
                                 "ratio_ci_high from marts.misconduct_disproportionality where force = 'Metropolitan Police' "
                                 "and ethnic_group = 'Ethnic minority' and not suppressed order by year_end")
        action_17 = _frame(con, "select status, baseline_value, baseline_text, deadline from marts.action_plan_scorecard "
                                "where commitment_id = 'misconduct_ratio_2024'") if not scorecard.empty else scorecard
        md_synthetic = computed_from_synthetic.get("misconduct_ratio_2024", False)
        baseline = (None if action_17.empty or _missing(action_17.baseline_value.iloc[0])
                    else float(action_17.baseline_value.iloc[0]))
        caption = ""
        if not dismissals.empty:
            last = dismissals.iloc[-1]
            caption = (f"Met police officers from ethnic-minority backgrounds dismissed per officer in post at the start of "
                       f"the year, relative to White officers: {last.ratio_to_white:.2f} in {last.financial_year} (95% interval "
                       f"{last.ratio_ci_low:.2f} to {last.ratio_ci_high:.2f}). Years with fewer than 10 dismissals in either "
                       "group are left out. Dismissal is the end of the misconduct process; referrals to proceedings are not "
                       "read yet and grievances are not published by ethnicity.")
            if not action_17.empty:
                caption += f" Action 17's scorecard status: {action_17.status.iloc[0].replace('_', ' ')}."
                caption += f" Its baseline, {action_17.baseline_text.iloc[0]}." if baseline is not None else ""
        page.chart("Misconduct: dismissals by ethnic group",
                   dismissal_ratio_chart(dismissals, baseline, action_17.deadline.iloc[0] if not action_17.empty else None,
                                         md_synthetic) if not dismissals.empty and not action_17.empty else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if md_synthetic else ""), dismissals,
                   "No Met dismissals by ethnic group with enough officers to compare are loaded.")

        leaving = _frame(con, "select b.financial_year, b.year_end, b.leavers as black_leavers, b.officers_at_start as black_at_start, "
                              "b.leaving_rate as black_rate, w.leavers as white_leavers, w.officers_at_start as white_at_start, "
                              "w.leaving_rate as white_rate, b.leaving_rate_gap_to_white as gap, b.leaving_rate_gap_ci_low as gap_ci_low, "
                              "b.leaving_rate_gap_ci_high as gap_ci_high from marts.workforce_leavers b join marts.workforce_leavers w "
                              "using (financial_year, force, rank) where b.force = 'Metropolitan Police' and b.rank = 'All ranks' "
                              "and b.ethnic_group = 'Black' and w.ethnic_group = 'White' and b.leaving_rate_gap_to_white is not null "
                              "order by b.year_end")
        caption = ""
        if not leaving.empty:
            last = leaving.iloc[-1]
            verdict = ("Black officers left faster than White officers" if last.gap_ci_low > 0 else
                       "Black officers left more slowly than White officers" if last.gap_ci_high < 0 else
                       "the interval includes 0, so the data cannot tell the two rates apart")
            caption = (f"Met police officers leaving in the year (every leaver type, transfers included) per officer in post at "
                       f"its start, Black minus White: {last.gap * 100:+.2f} percentage points in {last.financial_year} "
                       f"(95% interval {last.gap_ci_low * 100:+.2f} to {last.gap_ci_high * 100:+.2f}; Black "
                       f"{last.black_rate:.2%}, White {last.white_rate:.2%}): {verdict}.")
        # synthetic as action 17's row is: the scorecard declares it computed from the same leavers and officers tables
        page.chart("Leaving: are Black officers leaving faster?", leaving_gap_chart(leaving, md_synthetic) if not leaving.empty else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if md_synthetic else ""), leaving,
                   "No Met leavers with officers in post at the start of the year are loaded.")

        # the latest window, complete if there is one, else the latest there is (its title says so)
        window = _frame(con, "select period_end, months_in_window from marts.stop_search_disproportionality "
                             "order by is_complete desc, period_end desc limit 1")
        rates = pd.DataFrame()
        if not window.empty:
            rates = _frame(con, "select area, searches, population, rate_per_1000, ratio_vs_white, ratio_ci_low, ratio_ci_high, suppressed "
                                "from marts.stop_search_disproportionality where period_end = ? and ethnicity_basis = 'self_defined' "
                                "and ethnic_group = 'Black' order by ratio_vs_white desc nulls last", [window.period_end.iloc[0]])
        geojson = _geojson(con) if not rates.empty else None
        ss_synthetic = computed_from_synthetic.get("stop_search_black_white_ratio", False)
        label = ""
        if not rates.empty:
            months = int(window.months_in_window.iloc[0])
            label = f"12 months to {window.period_end.iloc[0]:%B %Y}" if months == 12 else \
                f"only {months} of the 12 months to {window.period_end.iloc[0]:%B %Y} loaded: not comparable with full windows"
        caption = label
        if not rates.empty:
            london, boroughs = rates[rates.area == "London"], rates[rates.area != "London"]
            if not london.empty and pd.notna(london.ratio_vs_white.iloc[0]):
                caption = (f"{label}: Black people were searched at {london.ratio_vs_white.iloc[0]:.1f} times the rate of White "
                           f"people across the Met; borough ratios from {boroughs.ratio_vs_white.min():.1f} to "
                           f"{boroughs.ratio_vs_white.max():.1f}.")
        page.chart("Stop and search by borough", stop_search_map(rates, geojson, ss_synthetic, label) if geojson else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if ss_synthetic else ""), rates,
                   "No complete 12-month window of stop and search with boundaries is loaded.")

        force = _frame(con, "select month, ethnic_group, subjects, population, subjects_per_1000, ratio_vs_white, ratio_ci_low, "
                            "ratio_ci_high, is_synthetic from marts.use_of_force_monthly where area = 'London' and tactic = 'Any use of force' "
                            "and ethnic_group in ('Black', 'White') order by month, ethnic_group")
        uof_synthetic = bool(not force.empty and force.is_synthetic.any())
        force = force.drop(columns=["is_synthetic"], errors="ignore")
        caption = ""
        if not force.empty:
            black = force[(force.ethnic_group == "Black") & force.ratio_vs_white.notna()].tail(1)
            caption = (f"Subjects of any use of force by the Met per 1,000 residents of their perceived group, "
                       f"{force.month.min():%B %Y} to {force.month.max():%B %Y}.")
            if not black.empty:
                caption += (f" In {black.month.iloc[0]:%B %Y} Black Londoners were subjects at {black.ratio_vs_white.iloc[0]:.1f} times "
                            f"the White rate (95% interval {black.ratio_ci_low.iloc[0]:.1f} to {black.ratio_ci_high.iloc[0]:.1f}).")
        page.chart("Use of force by ethnic group", use_of_force_chart(force, uof_synthetic) if not force.empty else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if uof_synthetic else ""), force,
                   "No use-of-force records are loaded.")

        cuffs = _frame(con, "select month, ethnic_group, phase, numerator, denominator, value, fitted, counterfactual, "
                            "level_change, level_change_ci_low, level_change_ci_high, slope_change, caveat "
                            "from marts.handcuffing_policy_effect where measure = 'share_of_subjects_handcuffed' "
                            "order by month, ethnic_group")
        fitted = cuffs.dropna(subset=["level_change"]) if not cuffs.empty else cuffs
        caption = ""
        if not fitted.empty:
            changes = [f"{group}: {row.level_change * 100:+.1f} percentage points (95% interval {row.level_change_ci_low * 100:+.1f} "
                       f"to {row.level_change_ci_high * 100:+.1f})"
                       for group, row in fitted.groupby("ethnic_group").first().iterrows()]
            caption = ("The share of subjects of force who were handcuffed, month by month; solid lines are an interrupted "
                       "time series fitted before and after 18 November 2021, dashed lines the before-policy line carried "
                       "on. Change in level at the policy: " + "; ".join(changes) + ". " + fitted.caveat.iloc[0])
        page.chart("Handcuffing before and after the policy",
                   handcuffing_chart(cuffs.drop(columns=["caveat"]), uof_synthetic) if not fitted.empty else None,
                   caption + (f" Computed from {SYNTHETIC_MARK}." if uof_synthetic else ""),
                   cuffs.drop(columns=["caveat"]) if not cuffs.empty else cuffs,
                   "No use-of-force months on both sides of 18 November 2021 are loaded.")

        status = _frame(con, "select paper_date, status, status_order, actions from marts.action_plan_progress "
                             "where record_type = 'paper_counts' order by paper_date, status_order")
        page.chart("Action status over time", action_status_chart(status) if not status.empty else None,
                   "How many of the 23 MPS actions each paper marks complete, on track, in progress (its text gives no rating), "
                   "amber or red: from its table's letter where it prints one, else from the action's own text.", status,
                   "The action register is not in this build.")

        latest_statuses = _frame(con, "select action_id, short_title, paper_id, paper_date, status, status_basis, evidence "
                                      "from marts.action_plan_progress where record_type = 'action_status' "
                                      "qualify row_number() over (partition by action_id order by paper_date desc) = 1 "
                                      "order by action_number, action_id")
        page.section("Each action's latest status, its basis and the paper's words",
                     _table(latest_statuses) if not latest_statuses.empty else "<p class='empty'>The action register is not in this build.</p>")

        findings = _frame(con, "select paper_id, paper_date, finding_type, found_by, action_id, detail, quote, other_paper_id, "
                               "other_quote from marts.action_plan_reconciliation where not agrees "
                               "order by paper_date, finding_type, action_number, action_id")
        page.section("Reconciliation: what the papers say against themselves and each other",
                     _table(findings) if not findings.empty else "<p class='empty'>No disagreement found (or the register is not in this build).</p>")

        fresh = _frame(con, "select table_name, count(*) as periods, max(period) as latest_period, max(loaded_at) as last_loaded, "
                            "bool_or(is_synthetic) as synthetic from staging.stg_audit__loaded_batches group by table_name order by table_name")
        gates = _frame(con, "select gate, count(*) as runs, count(*) filter (where not success) as failed, max(evaluated_at) as last_run "
                            "from audit.gate_results group by gate order by gate")
        revisions = _revisions(con)
        page.section("Data freshness", _table(fresh))
        withdrawn = pd.DataFrame(pipeline.withdrawn(settings), columns=["table_name", "period", "source", "at", "batch_id", "rows", "note"])
        if not withdrawn.empty:  # a period the source no longer lists: its loaded rows still serve, and the reader is told
            page.section("Withdrawn by their source (still served, flagged)", _table(withdrawn.rename(columns={"at": "seen_withdrawn_at"})))
        page.section("Revisions", (
            "<p>A republished period whose different bytes replaced the loaded one, as `mapwh status` counts them "
            "(a suspect revision held for review is not one until accepted).</p>" + _table(revisions))
            if revisions is not None and not revisions.empty else
            "<p>No revisions recorded.</p>" if revisions is not None else
            "<p class='empty'>This build predates the revisions record: the next build has it.</p>")
        page.section("Gate results", _table(gates))

    banner = (f"<p class='banner'>Figures from {SYNTHETIC_MARK} ({', '.join(sorted(synthetic))}): generated for development, "
              "not real figures.</p>") if synthetic else ""
    marker = f" · build {built.iloc[0, 0]}" if not built.empty else ""
    page.sections.insert(0, f"<p>Rendered {stamp} from {html.escape(db_path.name)}{html.escape(marker)}.</p>")
    return page.render("Mayor's Action Plan: trust, workforce, stop and search and use of force", banner, vega_bundle(settings))


def write_report(settings: Settings, out: Path | None = None, db_path: Path | None = None) -> Path:
    """Render the report from the published warehouse (or `db_path`) and write it atomically."""
    db_path = db_path or settings.warehouse_path
    out = out or report_path(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, build_page(settings, db_path).encode("utf-8"))
    return out
