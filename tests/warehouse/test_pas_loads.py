"""PAS loads with real Great Expectations gates: real sheets pass; the 8.0 export fails."""

from __future__ import annotations

import pytest

from warehouse import validated
from warehouse.config import get_settings
from warehouse.gates import GateFailed
from warehouse.loads import load_pas_dashboard, load_pas_neighbourhood

NEIGHBOURHOOD = "pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"


def test_real_sheets_and_neighbourhood_file_pass_their_gates(shared_data, mapwh_home, monkeypatch):
    monkeypatch.setenv(
        "PAS_DASHBOARD_URL",
        f"{shared_data / 'pas/pas_dashboard_mps_sheet.csv'},{shared_data / 'pas/pas_dashboard_borough_sheet.csv'}",
    )
    monkeypatch.setenv("PAS_NEIGHBOURHOOD_URL", str(shared_data / NEIGHBOURHOOD))
    settings = get_settings()
    loaded = {c["period"]: c for c in load_pas_dashboard(settings)}
    assert {p: c["rows"] for p, c in loaded.items()} == {"MPS": 291, "Borough": 9312}
    assert all(not c["warnings"] for c in loaded.values())  # 32 boroughs every quarter
    neighbourhood = load_pas_neighbourhood(settings)
    assert neighbourhood["rows"] == 112 * 12 and neighbourhood["period"] == "2015-16_to_2020-21"


def test_export_with_a_proportion_of_8_fails_and_is_quarantined(shared_data, mapwh_home, monkeypatch, tmp_path):
    text = (shared_data / "pas/pas_dashboard_mps_sheet.csv").read_text(encoding="utf-8-sig")
    broken = text.replace("31/03/2016;PAS;MPS;Trust MPS;0,86", "31/03/2016;PAS;MPS;Trust MPS;8,0", 1)
    assert broken != text
    path = tmp_path / "pas_dashboard_mps_sheet.csv"
    path.write_text(broken, encoding="utf-8")
    monkeypatch.setenv("PAS_DASHBOARD_URL", str(path))
    settings = get_settings()
    with pytest.raises(GateFailed, match="proportion"):
        load_pas_dashboard(settings)
    assert validated.current(settings.validated_dir, "pas_dashboard", "MPS") is None
    (quarantined,) = (settings.quarantine_dir / "pas_dashboard" / "MPS").iterdir()
    assert (quarantined / "payload.csv").read_text(encoding="utf-8") == broken


def test_missing_borough_warns_and_unknown_measure_fails(shared_data, mapwh_home, monkeypatch, tmp_path):
    lines = (shared_data / "pas/pas_dashboard_borough_sheet.csv").read_text(encoding="utf-8-sig").splitlines()
    without_sutton = [line for line in lines if ";Sutton;" not in line or not line.startswith("31/12/2023")]
    path = tmp_path / "pas_dashboard_borough_sheet.csv"
    path.write_text("\n".join(without_sutton) + "\n", encoding="utf-8")
    monkeypatch.setenv("PAS_DASHBOARD_URL", str(path))
    (borough,) = load_pas_dashboard(get_settings())
    assert borough["rows"] == 9312 - 8 and any("areas_in_quarter" in w for w in borough["warnings"])

    renamed = [line.replace(";Trust MPS;", ";Trust the Met;") for line in lines]
    path.write_text("\n".join(renamed) + "\n", encoding="utf-8")
    with pytest.raises(GateFailed, match="measure"):
        load_pas_dashboard(get_settings())


def test_an_empty_source_url_skips_the_source_and_lands_nothing(mapwh_home, monkeypatch):
    from warehouse.loads import load_pas_microdata

    for name in ("PAS_DASHBOARD_URL", "PAS_NEIGHBOURHOOD_URL", "PAS_MICRODATA_URL"):
        monkeypatch.setenv(name, "")
    settings = get_settings()
    assert load_pas_dashboard(settings) == []
    assert load_pas_neighbourhood(settings) == {}
    assert load_pas_microdata(settings) == []
    assert not settings.manifest_path.exists()
