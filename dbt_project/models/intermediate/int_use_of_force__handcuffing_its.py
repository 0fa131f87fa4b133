"""An interrupted time series of handcuffing before and after the policy of 18 November 2021.

For each measure and group (int_use_of_force__handcuffing_monthly), the
monthly values are fitted by ordinary least squares (statsmodels) with

    value = b0 + b1 * t + b2 * after + b3 * (t - t0) * after

where t counts months from the first one, `after` is 1 from December 2021
(the first whole month under the policy; November 2021, the month it began,
is the transition month, shown but not fitted), and t0 is December 2021's t.
b2 is the change in level at the policy and b3 the change in monthly slope,
each with its 95% interval (t distribution, ordinary standard errors). A
series is fitted only with at least MIN_MONTHS fitted months on each side;
otherwise its estimates are null. Each month carries the fitted value and
the counterfactual: the before-policy line carried on (b0 + b1 * t).
"""

from datetime import date

import pandas as pd

POLICY_MONTH = date(2021, 11, 1)  # the month of 18 November 2021
FIRST_AFTER = date(2021, 12, 1)
MIN_MONTHS = 6
# measure -> (numerator, denominator, per)
MEASURES = {
    "share_of_subjects_handcuffed": ("handcuffed_subjects", "subjects", 1.0),
    "share_of_arrested_handcuffed": ("handcuffed_arrested_subjects", "arrested_subjects", 1.0),
    "handcuffed_per_1000_residents": ("handcuffed_subjects", "population", 1000.0),
    "handcuffed_per_100_searches": ("handcuffed_subjects", "searches", 100.0),
}
# a series' estimates, repeated on each of its months
ESTIMATES = ["level_change", "level_change_ci_low", "level_change_ci_high", "slope_change", "slope_change_ci_low",
             "slope_change_ci_high"]
COLUMNS = ["measure", "ethnic_group", "month", "phase", "numerator", "denominator", "value", "fitted", "counterfactual",
           *ESTIMATES, "months_before", "months_after", "is_synthetic"]


def _month_index(month: date, first: date) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


def fit(months: list, values: list) -> dict:
    """The segmented regression of one series: estimates and, per month, fitted and counterfactual values."""
    import numpy as np
    import statsmodels.api as sm

    first = min(months)
    t0 = _month_index(FIRST_AFTER, first)
    rows = [(m, v) for m, v in zip(months, values) if v is not None and not pd.isna(v) and m != POLICY_MONTH]
    before = sum(1 for m, _ in rows if m < POLICY_MONTH)
    after = sum(1 for m, _ in rows if m >= FIRST_AFTER)
    out = {"months_before": before, "months_after": after, "by_month": {}}
    if before < MIN_MONTHS or after < MIN_MONTHS:
        return out
    t = np.array([_month_index(m, first) for m, _ in rows], dtype=float)
    post = np.array([1.0 if m >= FIRST_AFTER else 0.0 for m, _ in rows])
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])
    result = sm.OLS(np.array([float(v) for _, v in rows]), design).fit()
    params, interval = result.params, result.conf_int(alpha=0.05)
    out.update({
        "level_change": params[2], "level_change_ci_low": interval[2][0], "level_change_ci_high": interval[2][1],
        "slope_change": params[3], "slope_change_ci_low": interval[3][0], "slope_change_ci_high": interval[3][1],
    })
    for m in months:
        ti = _month_index(m, first)
        after_m = 1.0 if m >= FIRST_AFTER else 0.0
        out["by_month"][m] = (params[0] + params[1] * ti + params[2] * after_m + params[3] * (ti - t0) * after_m,
                              params[0] + params[1] * ti)
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    series = dbt.ref("int_use_of_force__handcuffing_monthly").df()
    rows = []
    for group, frame in series.groupby("ethnic_group"):
        frame = frame.sort_values("month")
        months = [m.date() if hasattr(m, "date") else m for m in frame["month"]]
        for measure, (numerator, denominator, per) in MEASURES.items():
            nums, dens = list(frame[numerator]), list(frame[denominator])
            values = [None if d is None or pd.isna(d) or d == 0 else float(n) * per / float(d) for n, d in zip(nums, dens)]
            estimates = fit(months, values)
            for m, n, d, v, synthetic in zip(months, nums, dens, values, frame["is_synthetic"]):
                fitted, counterfactual = estimates["by_month"].get(m, (None, None))
                phase = "transition" if m == POLICY_MONTH else ("after" if m >= FIRST_AFTER else "before")
                rows.append({
                    "measure": measure, "ethnic_group": group, "month": m, "phase": phase,
                    "numerator": None if pd.isna(n) else int(n), "denominator": None if d is None or pd.isna(d) else int(d),
                    "value": v, "fitted": fitted, "counterfactual": counterfactual,
                    **{k: estimates.get(k) for k in ESTIMATES},
                    "months_before": estimates["months_before"], "months_after": estimates["months_after"],
                    "is_synthetic": bool(synthetic),
                })
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("value", "fitted", "counterfactual", *ESTIMATES):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("numerator", "denominator", "months_before", "months_after"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    frame["month"] = pd.to_datetime(frame["month"])
    frame["is_synthetic"] = frame["is_synthetic"].astype("boolean")
    for column in ("measure", "ethnic_group", "phase"):
        frame[column] = frame[column].astype("string")
    return frame
