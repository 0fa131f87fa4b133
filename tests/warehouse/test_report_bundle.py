"""The report's Vega scripts are bundled once per installed vl-convert, not in every fresh process."""

from __future__ import annotations

import importlib.metadata

import pytest
import vl_convert

from ingest.core.config import get_settings
from warehouse import report


@pytest.fixture
def home_settings(tmp_path):
    return get_settings({"MAPWH_HOME": str(tmp_path / "home")})


def test_the_bundle_is_written_once_and_read_after(home_settings, monkeypatch):
    first = report.vega_bundle(home_settings)
    assert "vegaEmbed" in first
    (cached,) = (home_settings.build_dir / "cache").glob("vega-bundle-vl-convert-*.js")
    assert cached.read_text(encoding="utf-8") == first

    def no_bundling(*args, **kwargs):
        raise AssertionError("bundled again although a bundle for this version is kept")

    monkeypatch.setattr(vl_convert, "javascript_bundle", no_bundling)
    assert report.vega_bundle(home_settings) == first


def test_another_vl_convert_version_bundles_again(home_settings, monkeypatch):
    report.vega_bundle(home_settings)
    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "0.0.1-other" if name == "vl-convert-python" else real_version(name))
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda *a, **k: "/* the other version's bundle */")
    assert report.vega_bundle(home_settings) == "/* the other version's bundle */"
    assert sorted(p.name for p in (home_settings.build_dir / "cache").iterdir()) == [
        "vega-bundle-vl-convert-0.0.1-other.js", f"vega-bundle-vl-convert-{real_version('vl-convert-python')}.js"]
