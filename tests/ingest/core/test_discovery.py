"""ingest/core/discovery.py and pipeline.discover against a real HTTP server on 127.0.0.1: the CKAN
answer, the London Datastore's own API when CKAN is not there, the GOV.UK Content API (attachments,
the older `documents` HTML, a redirect item, the second page path), which files a source takes,
the answer landed in the raw zone and what was found recorded."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from ingest.core import discovery
from ingest.core.config import get_settings
from ingest.core.discovery import Catalogue, Found
from ingest.core.errors import SourceHTTPError
from ingest.core.files import read_jsonl
from ingest.core.source import Source
from warehouse import pipeline

DATASET_FILES = ["PAS_ward_level_FY_15_17.csv", "PAS_ward_level_FY_17_18.csv", "PAS_T&Cdashboard_to Q3 23-24.xlsx",
                 "PAS_T&Cdashboard_to Q2 23-24.xlsx", "neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"]


class Pages(BaseHTTPRequestHandler):
    """Answers the paths in the server's `pages` ({path with query: (status, JSON-able or bytes)}); others 404."""

    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.asked.append(unquote(self.path))
        status, body = self.server.pages.get(unquote(self.path), (404, b"<html>not found</html>"))
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    httpd.pages, httpd.asked = {}, []
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def ckan(base: str) -> dict:
    return {"success": True, "result": {"name": "mopac-surveys", "resources": [
        {"name": name, "url": f"{base}/download/mopac-surveys/{i}/{name.replace('&', '%26').replace(' ', '%20')}",
         "format": name.rsplit(".", 1)[1].upper(), "last_modified": f"202{i}-01-01T00:00:00"}
        for i, name in enumerate(DATASET_FILES)]}}


def settings(tmp_path, **env):
    return get_settings({"MAPWH_HOME": str(tmp_path / "var"), "MAPWH_HTTP_RETRIES": "0", **env})


def read(tmp_path):
    """A reader as the pipeline gives discovery, without landing (the pipeline's own is tested below)."""
    from ingest.core.http import fetch

    s = settings(tmp_path)

    def go(name, location, parse):
        fetched = fetch(s, location)
        return parse(fetched.content, fetched.url)

    return go


def test_ckan_lists_every_resource_and_a_source_takes_its_own(site, tmp_path):
    site.pages["/api/3/action/package_show?id=mopac-surveys"] = (200, ckan(site.base))
    respondents = Catalogue("london_datastore", discovery.MOPAC_SURVEYS, r"^PAS_ward_level_FY_\d{2}_\d{2}\.csv$")
    found = discovery.discover(respondents, site.base, read(tmp_path))
    assert len(found.listed) == 5
    assert [f.name for f in found.chosen] == ["PAS_ward_level_FY_15_17.csv", "PAS_ward_level_FY_17_18.csv"]
    # the newest workbook of the renamed series, by the catalogue's date
    dashboard = Catalogue("london_datastore", discovery.MOPAC_SURVEYS, r"^PAS_T&C ?dashboard.*\.xlsx$", latest_only=True)
    (newest,) = discovery.discover(dashboard, site.base, read(tmp_path)).chosen
    assert newest.name == "PAS_T&Cdashboard_to Q2 23-24.xlsx" and newest.released.startswith("2023")
    assert newest.url.endswith("/PAS_T%26Cdashboard_to%20Q2%2023-24.xlsx")


def test_the_datastores_own_api_answers_when_ckan_does_not(site, tmp_path):
    """The London Datastore runs DataPress; its CKAN shim has been seen to 404 or answer partially."""
    site.pages["/api/3/action/package_show?id=mopac-surveys"] = (200, {"success": False, "error": {"message": "Not found"}})
    site.pages["/api/dataset/mopac-surveys"] = (200, {"id": "mopac-surveys", "updatedAt": "2024-03-01T00:00:00Z", "resources": {
        "r1": {"title": "PAS ward level 20-21", "url": "/download/mopac-surveys/r1/PAS_ward_level_FY_20_21.csv",
               "format": "csv", "check_timestamp": "2022-05-01T00:00:00Z"},
        "r2": {"title": "PAS dashboard", "url": "/download/mopac-surveys/r2/PAS_T%26Cdashboard_to%20Q3%2023-24.xlsx", "format": "xlsx"}}})
    found = discovery.discover(Catalogue("london_datastore", ("mopac-surveys",), r"^PAS_ward_level"), site.base, read(tmp_path))
    assert found.catalogue_url == f"{site.base}/api/dataset/mopac-surveys"
    (only,) = found.chosen
    assert only.url == f"{site.base}/download/mopac-surveys/r1/PAS_ward_level_FY_20_21.csv"  # relative URLs resolved
    assert only.released == "2022-05-01T00:00:00Z" and only.title == "PAS ward level 20-21"
    # resources without their own date carry the dataset's
    assert [f.released for f in found.listed if "dashboard" in f.name] == ["2024-03-01T00:00:00Z"]


def test_the_second_dataset_id_is_asked_when_the_first_is_not_found(site, tmp_path):
    site.pages["/api/3/action/package_show?id=mopac-surveys-236kk"] = (200, ckan(site.base))
    found = discovery.discover(Catalogue("london_datastore", discovery.MOPAC_SURVEYS, r"^neighbourhood"), site.base, read(tmp_path))
    assert [f.name for f in found.chosen] == ["neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"]
    assert site.asked[:3] == ["/api/3/action/package_show?id=mopac-surveys", "/api/dataset/mopac-surveys",
                              "/api/3/action/package_show?id=mopac-surveys-236kk"]


def govuk_item(base: str, files: list[str], updated: str = "2025-07-23T09:30:00.000+01:00") -> dict:
    return {"base_path": "/government/statistical-data-sets/police-workforce-open-data-tables", "schema_name": "publication",
            "public_updated_at": updated, "details": {"attachments": [
                {"attachment_type": "file", "id": str(i), "title": f"table {i}", "filename": name,
                 "url": f"https://assets.publishing.service.gov.uk/media/{i:024x}/{name}",
                 "content_type": "application/vnd.oasis.opendocument.spreadsheet"} for i, name in enumerate(files)]
                + [{"attachment_type": "html", "id": "h", "title": "guide", "url": "/government/publications/guide"}]}}


def test_govuk_attachments_the_newest_table_and_the_preferred_format(site, tmp_path):
    files = ["open-data-table-police-workforce-230725.csv", "open-data-table-police-workforce-230725.ods",
             "open-data-table-police-workforce-joiners-230725.ods", "open-data-table-police-workforce-leavers-230725.ods",
             "open-data-table-police-workforce-functions-230725.ods"]
    site.pages["/api/content/government/statistical-data-sets/police-workforce-open-data-tables"] = (200, govuk_item(site.base, files))
    officers = Catalogue("govuk", ("/government/statistical-data-sets/police-workforce-open-data-tables",),
                         r"^open-data-table-police-workforce(-ethnicity)?-\d{6}\.(ods|csv)$", latest_only=True)
    found = discovery.discover(officers, site.base, read(tmp_path))
    assert len(found.listed) == 5  # the HTML attachment is not a file
    (chosen,) = found.chosen
    assert chosen.name == "open-data-table-police-workforce-230725.ods"  # one table in two formats: the ODS
    assert chosen.url.startswith("https://assets.publishing.service.gov.uk/media/") and chosen.released.startswith("2025-07-23")


def test_a_govuk_collection_gives_every_release_page_s_files(site, tmp_path):
    """An annual series: the collection links a page per year (and a guide, not a release); every release page is
    asked and each one's table taken; a linked page since withdrawn (404) is left out."""
    collection = "/government/collections/police-use-of-force-statistics"
    pages = {f"/government/statistics/police-use-of-force-statistics-april-{y}-to-march-{y + 1}": y for y in (2019, 2020, 2021)}
    site.pages[f"/api/content{collection}"] = (200, {"base_path": collection, "schema_name": "document_collection", "links": {
        "documents": [{"base_path": p} for p in pages] + [{"base_path": "/government/publications/user-guide-to-police-use-of-force"}]}})
    for page, year in list(pages.items())[:2]:  # the 2021 page is linked but not found
        site.pages[f"/api/content{page}"] = (200, {**govuk_item(site.base, [
            f"police-use-of-force-apr{year}-mar{year + 1}-hosb0000-tables.ods", f"police-use-of-force-apr{year}-mar{year + 1}.pdf"]),
            "base_path": page})
    releases = Catalogue("govuk", (collection,), r"^police-use-of-force-.*tables.*\.ods$",
                         releases=r"^/government/statistics/police-use-of-force-statistics")
    found = discovery.discover(releases, site.base, read(tmp_path))
    assert [f.name for f in found.chosen] == ["police-use-of-force-apr2019-mar2020-hosb0000-tables.ods",
                                              "police-use-of-force-apr2020-mar2021-hosb0000-tables.ods"]
    assert found.catalogue_url == f"{site.base}/api/content{collection}" and len(found.listed) == 4
    assert not any("user-guide" in path for path in site.asked)  # a linked page that is not a release is not asked
    assert "collection" in releases.describe() and "every release page" in releases.describe()
    with pytest.raises(SourceHTTPError, match="no collection found"):
        discovery.discover(Catalogue("govuk", ("/government/collections/none",), "x", releases="y"), site.base, read(tmp_path))


def test_govuk_redirect_items_second_paths_and_older_document_html(site, tmp_path):
    first, second = "/government/statistical-data-sets/tables", "/government/statistics/tables"
    site.pages[f"/api/content{second}"] = (200, {"schema_name": "redirect", "redirects": [{"destination": "/government/statistics/moved"}]})
    site.pages["/api/content/government/statistics/moved"] = (200, {
        "schema_name": "publication", "public_updated_at": "2016-07-21T09:30:00.000+01:00", "details": {"documents": [
            '<section class="attachment"><a href="/government/uploads/system/uploads/attachment_data/file/539981/'
            'open-data-table-police-workforce-ethnicity.ods">Ethnicity open data table</a></section>']}})
    found = discovery.discover(Catalogue("govuk", (first, second), r"ethnicity"), site.base, read(tmp_path))
    (only,) = found.chosen
    assert only.url == f"{site.base}/government/uploads/system/uploads/attachment_data/file/539981/open-data-table-police-workforce-ethnicity.ods"
    assert only.title == "Ethnicity open data table" and only.format == "ods"
    assert site.asked == [f"/api/content{first}", f"/api/content{second}", "/api/content/government/statistics/moved"]


def test_no_catalogue_anywhere_is_a_named_404(site, tmp_path):
    with pytest.raises(SourceHTTPError, match="no catalogue found; tried"):
        discovery.discover(Catalogue("govuk", ("/a", "/b"), "x"), site.base, read(tmp_path))


def test_a_catalogue_that_is_not_json_fails_and_a_server_error_is_not_taken_for_absence(site, tmp_path):
    site.pages["/api/content/a"] = (200, b"<html>maintenance</html>")
    with pytest.raises(Exception, match="HTML page"):
        discovery.discover(Catalogue("govuk", ("/a",), "x"), site.base, read(tmp_path))
    site.pages["/api/content/a"] = (500, b"oops")
    with pytest.raises(SourceHTTPError, match="HTTP 500"):
        discovery.discover(Catalogue("govuk", ("/a",), "x"), site.base, read(tmp_path))


def test_choose_orders_by_release_then_the_date_in_the_name():
    older = Found("u1", "open-data-table-police-workforce-leavers-260723.ods", "", "2025-07-23", "ods")
    newer = Found("u2", "open-data-table-police-workforce-leavers-230725.ods", "", "2025-07-23", "ods")
    leavers = Catalogue("govuk", ("/p",), r"leavers", latest_only=True)
    assert leavers.choose([newer, older]) == [newer]  # 23 Jul 2025 after 26 Jul 2023, though it sorts first by name
    assert Catalogue("govuk", ("/p",), r"leavers").choose([newer, older]) == [newer, older]  # every match, by name


def test_the_pipeline_lands_the_answer_and_records_what_it_found(site, tmp_path):
    from ingest import pas_microdata

    site.pages["/api/3/action/package_show?id=mopac-surveys"] = (200, ckan(site.base))
    s = settings(tmp_path, LONDON_DATASTORE_URL=site.base)
    source: Source = pas_microdata.SOURCE
    assert source.discovers(s) and not source.discovers(settings(tmp_path, PAS_MICRODATA_URL="/pinned.csv"))
    assert pipeline.locate(s, source) == (f"{site.base}/download/mopac-surveys/0/PAS_ward_level_FY_15_17.csv",
                                          f"{site.base}/download/mopac-surveys/1/PAS_ward_level_FY_17_18.csv")
    (landed,) = [r for r in read_jsonl(s.manifest_path) if r["source"] == "catalogue_london_datastore"]
    assert landed["records"] == 5 and landed["url"].endswith("package_show?id=mopac-surveys")
    (recorded,) = read_jsonl(s.audit_dir / "discovery.jsonl")
    assert recorded["source"] == "pas_microdata" and recorded["listed"] == 5
    assert [f["name"] for f in recorded["chosen"]] == ["PAS_ward_level_FY_15_17.csv", "PAS_ward_level_FY_17_18.csv"]
    # a pin overrides discovery; set empty, the source is not taken
    assert pipeline.locate(settings(tmp_path, PAS_MICRODATA_URL="/a.csv,/b.csv"), source) == ("/a.csv", "/b.csv")
    with pytest.raises(pipeline.NotConfigured):
        pipeline.locate(settings(tmp_path, PAS_MICRODATA_URL=""), source)
    # a catalogue listing none of the source's files: nothing published, not a failure
    site.pages["/api/3/action/package_show?id=mopac-surveys"] = (200, {"success": True, "result": {"resources": []}})
    with pytest.raises(pipeline.NotPublished, match="lists no file"):
        pipeline.locate(s, source)


def test_an_unreadable_catalogue_answer_is_landed_and_quarantined_and_the_source_fails_by_name(site, tmp_path):
    from ingest import workforce_leavers

    site.pages["/api/content/government/statistical-data-sets/police-workforce-open-data-tables"] = (200, b"<html>maintenance</html>")
    s = settings(tmp_path, GOVUK_URL=site.base)
    with pytest.raises(pipeline.BatchRejected, match="HTML page"):
        pipeline.load(s, workforce_leavers.SOURCE)
    (landed,) = read_jsonl(s.manifest_path)
    assert landed["source"] == "catalogue_govuk" and landed["status"] == "rejected"
    (entry,) = (s.quarantine_dir / "catalogue_govuk").glob("*/*")
    assert (entry / "payload.json").read_bytes() == b"<html>maintenance</html>" and "HTML page" in (entry / "reason.txt").read_text()
    assert not (s.audit_dir / "discovery.jsonl").exists()  # nothing was found, so nothing is recorded as found
