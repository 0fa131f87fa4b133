"""The local mirror serves the police.uk API routes and static files byte for byte, and nothing else;
`source_environment()` points every source it finds under the root at it."""

from __future__ import annotations

import http.client
import json
import shutil
from pathlib import Path

import pytest
import requests

from devdata import mirror, pas, sample, workforce
from ingest import registry

MONTHS = ("2024-09", "2024-10", "2025-06")  # the last is the sample's empty month


@pytest.fixture(scope="module")
def sample_root(default_sample) -> Path:
    return default_sample[0]


@pytest.fixture(scope="module")
def server(sample_root: Path):
    with mirror.serve(sample_root) as srv:
        yield srv


@pytest.fixture(scope="module")
def client() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment must not see 127.0.0.1 traffic
    yield session
    session.close()


def _raw_get(srv: mirror.MirrorServer, path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as written (requests would normalise `..`)."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_urls(server):
    assert server.base_url.startswith("http://127.0.0.1:") and server.port > 0
    assert server.api_url == server.base_url + "/api"
    assert server.url_for("geo/london_boroughs.geojson") == server.base_url + "/files/geo/london_boroughs.geojson"
    assert server.url_for("a b/c.csv").endswith("/files/a%20b/c.csv")


def test_availability_is_the_file_byte_for_byte(server, sample_root, client):
    resp = client.get(f"{server.api_url}/crimes-street-dates", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.content == (sample_root / sample.AVAILABILITY_PATH).read_bytes()


@pytest.mark.parametrize("month", MONTHS)
def test_month_is_the_file_byte_for_byte(server, sample_root, client, month):
    resp = client.get(f"{server.api_url}/stops-force", params={"force": "metropolitan", "date": month}, timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Content-Length"] == str(len(resp.content))
    assert resp.content == (sample_root / sample.STOPS_DIR / f"{month}.json").read_bytes()
    if month == MONTHS[-1]:
        assert resp.content == b"[]"  # the sample's empty month


def test_month_defaults_to_the_latest(server, client):
    resp = client.get(f"{server.api_url}/stops-force", params={"force": "metropolitan"}, timeout=5)
    assert resp.status_code == 200 and resp.content == b"[]"


def test_static_files_byte_for_byte(server, sample_root, client):
    for rel in (sample.CENSUS_PATH, sample.BOUNDARIES_PATH, Path("README.md")):
        resp = client.get(server.url_for(rel.as_posix()), timeout=5)
        assert resp.status_code == 200, rel
        assert resp.content == (sample_root / rel).read_bytes()
    assert client.get(server.url_for(sample_root / sample.CENSUS_PATH), timeout=5).content == (
        sample_root / sample.CENSUS_PATH
    ).read_bytes()
    assert client.get(server.url_for(sample.CENSUS_PATH), timeout=5).headers["Content-Type"].startswith("text/csv")


def test_head_has_headers_and_no_body(server, client):
    resp = client.head(server.url_for(sample.BOUNDARIES_PATH), timeout=5)
    assert resp.status_code == 200 and int(resp.headers["Content-Length"]) > 0 and resp.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/api/stops-force?force=metropolitan&date=2019-01",  # month not present
        "/api/stops-force?force=kent&date=2024-09",  # force not present
        "/api/crimes-street",
        "/api/forces",
        "/",
        "/files/",
        "/files/police_uk",  # a directory: no listings
        "/files/nope.csv",
        "/police_uk/crimes-street-dates.json",  # static files live under /files/ only
    ],
)
def test_unknown_is_404_html(server, client, path):
    resp = client.get(server.base_url + path, timeout=5)
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("text/html")
    assert b"Not Found" in resp.content


@pytest.mark.parametrize("query", ["force=metropolitan&date=2024-9", "date=2024-09", "force=../..&date=2024-09"])
def test_malformed_parameters_are_400(server, client, query):
    resp = client.get(f"{server.api_url}/stops-force?{query}", timeout=5)
    assert resp.status_code == 400 and resp.headers["Content-Type"].startswith("text/html")


def test_traversal_is_blocked(tmp_path):
    root = tmp_path / "root"
    (root / "geo").mkdir(parents=True)
    (root / "geo" / "ok.txt").write_bytes(b"inside")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"outside")
    (root / "link.txt").symlink_to(secret)
    with mirror.serve(root) as srv:
        assert _raw_get(srv, "/files/geo/ok.txt") == (200, b"inside")
        for path in (
            "/files/../secret.txt",
            "/files/geo/../../secret.txt",
            "/files/%2e%2e/secret.txt",
            "/files/..%2fsecret.txt",
            "/files/geo%2f..%2f..%2fsecret.txt",
            "/files/" + str(secret),  # an absolute path
            "/files//" + str(secret).lstrip("/"),
            "/files/link.txt",  # a symlink out of the root
            "/files/geo/ok.txt%00.json",
        ):
            status, body = _raw_get(srv, path)
            assert status == 404, path
            assert b"outside" not in body


def test_availability_synthesised_when_the_file_is_absent(sample_root, tmp_path, client):
    root = tmp_path / "root"
    met = root / "police_uk" / "stops-force" / "metropolitan"
    met.mkdir(parents=True)
    for month in ("2024-09", "2024-10"):
        shutil.copy(sample_root / sample.STOPS_DIR / f"{month}.json", met / f"{month}.json")
    kent = root / "police_uk" / "stops-force" / "kent"
    kent.mkdir()
    (kent / "2024-11.json").write_bytes(b"[]")
    (kent / "notes.txt").write_bytes(b"not a month")
    (met / "2024-13.json").write_bytes(b"[]")  # not a month either
    with mirror.serve(root) as srv:
        resp = client.get(f"{srv.api_url}/crimes-street-dates", timeout=5)
        assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
        assert json.loads(resp.content) == [
            {"date": "2024-11", "stop-and-search": ["kent"]},
            {"date": "2024-10", "stop-and-search": ["metropolitan"]},
            {"date": "2024-09", "stop-and-search": ["metropolitan"]},
        ]
        month = client.get(f"{srv.api_url}/stops-force", params={"force": "metropolitan", "date": "2024-10"}, timeout=5)
        assert month.content == (met / "2024-10.json").read_bytes()


def test_empty_root_has_empty_availability(tmp_path, client):
    with mirror.serve(tmp_path) as srv:
        resp = client.get(f"{srv.api_url}/crimes-street-dates", timeout=5)
        assert resp.status_code == 200 and resp.content == b"[]"


@pytest.mark.shared
def test_serves_the_real_shared_data(shared_data, client):
    met = shared_data / "police_uk" / "stops-force" / "metropolitan"
    months = sorted((p.stem for p in met.glob("*.json")), reverse=True)
    with mirror.serve(shared_data) as srv:
        listed = client.get(f"{srv.api_url}/crimes-street-dates", timeout=5).json()
        assert [e["date"] for e in listed] == months
        assert all("metropolitan" in e["stop-and-search"] for e in listed)
        for month in ("2024-09", "2025-06"):
            resp = client.get(f"{srv.api_url}/stops-force", params={"force": "metropolitan", "date": month}, timeout=10)
            assert resp.status_code == 200
            assert resp.content == (met / f"{month}.json").read_bytes()
        rel = "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv"
        assert client.get(srv.url_for(rel), timeout=10).content == (shared_data / rel).read_bytes()


def test_shutdown_releases_the_port(tmp_path, client):
    srv = mirror.serve(tmp_path)
    url = f"{srv.api_url}/crimes-street-dates"
    assert client.get(url, timeout=5).status_code == 200
    srv.shutdown()
    srv.shutdown()  # idempotent
    with pytest.raises(requests.ConnectionError):
        client.get(url, timeout=2)


def test_root_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError):
        mirror.serve(tmp_path / "missing")


# --- source_environment ---------------------------------------------------------------

def _fetched_files(server: mirror.MirrorServer, env: dict[str, str], client: requests.Session) -> dict[str, bytes]:
    """Every file URL in env fetched through the mirror: {relative path: body}."""
    out = {}
    for value in env.values():
        for url in filter(None, value.split(",")):
            if "/files/" in url:
                resp = client.get(url, timeout=10)
                assert resp.status_code == 200, url
                out[requests.utils.unquote(url.split("/files/", 1)[1])] = resp.content
    return out


def test_source_environment_of_a_sample(server, sample_root, client):
    """The sample holds the catalogues: the PAS and workforce sources are left to discover their files there."""
    env = mirror.source_environment(server)
    files = server.base_url + "/files/"
    assert env == {
        "CENSUS_POPULATION_URL": files + "census/census_2021_ethnic_group_8_categories_utla.csv",
        "LONDON_BOUNDARIES_URL": files + "geo/london_boroughs.geojson",
        "POLICE_UK_API_URL": server.api_url,
        "POLICE_UK_ARCHIVE_URL": files + "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv",
        "LONDON_DATASTORE_URL": server.base_url,
        "GOVUK_URL": server.base_url,
        # every file of the sample lies below a SYNTHETIC.txt: every source is marked synthetic
        "MAPWH_SYNTHETIC_SOURCES": ",".join(sorted(registry.sources())),
    }
    fetched = _fetched_files(server, env, client)
    assert len(fetched) == 3  # census, boundaries, the archive CSV (the API months are not /files/)
    assert all(body == (sample_root / rel).read_bytes() for rel, body in fetched.items())
    # what the discovering sources find: the catalogue answers, with the mirror's address in them
    listed = client.get(server.base_url + "/api/3/action/package_show?id=mopac-surveys", timeout=10).json()["result"]["resources"]
    names = sorted(r["name"] for r in listed)
    assert names == sorted([pas.WORKBOOK_PATH.name, pas.NEIGHBOURHOOD_PATH.name,
                            *(f"PAS_ward_level_FY_{n}.csv" for n in ("15_17", "17_18", "18_19", "19_20", "20_21"))])
    for r in listed:
        resp = client.get(r["url"], timeout=10)
        assert resp.status_code == 200 and r["url"].startswith(files)
    # the site's own API shape of the same dataset, and a dataset the mirror does not have
    own = client.get(server.base_url + "/api/dataset/mopac-surveys", timeout=10).json()
    assert sorted(r["title"] for r in own["resources"].values()) == names
    missing = client.get(server.base_url + "/api/3/action/package_show?id=nothing", timeout=10)
    assert missing.status_code == 404 and missing.json()["success"] is False
    page = client.get(server.base_url + "/api/content" + workforce.GOVUK_BASE_PATH, timeout=10).json()
    assert sorted(a["filename"] for a in page["details"]["attachments"]) == sorted(
        p.name for p in (workforce.OFFICERS_ODS_PATH, workforce.JOINERS_ODS_PATH, workforce.LEAVERS_ODS_PATH,
                         workforce.PROMOTIONS_ODS_PATH))
    assert client.get(server.base_url + "/api/content/government/../etc", timeout=10).status_code == 404


def test_source_environment_of_a_shared_data_layout(tmp_path, client):
    """Laid out like ../shared/data: the two dashboard sheet CSVs, no workbook, no microdata."""
    for rel in ("police_uk/stops-force/metropolitan/2024-09.json",
                "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv",
                "census/census_2021_ethnic_group_8_categories_utla.csv", "geo/london_boroughs.geojson",
                "pas/pas_dashboard_mps_sheet.csv", "pas/pas_dashboard_borough_sheet.csv",
                "pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv", "workforce/other.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(rel.encode())
    with mirror.serve(tmp_path) as srv:
        env = mirror.source_environment(srv)
        assert env["PAS_DASHBOARD_URL"] == ",".join(
            srv.url_for(f"pas/pas_dashboard_{sheet}_sheet.csv") for sheet in ("mps", "borough"))
        assert env["PAS_MICRODATA_URL"] == ""  # set empty: the source is not taken
        assert env["POLICE_UK_API_URL"] == srv.api_url
        assert "MAPWH_SYNTHETIC_SOURCES" not in env  # no SYNTHETIC.txt: nothing is marked synthetic
        (tmp_path / "geo" / "SYNTHETIC.txt").write_text("synthetic")
        assert mirror.source_environment(srv)["MAPWH_SYNTHETIC_SOURCES"] == "london_boundaries"
        assert sorted(_fetched_files(srv, env, client)) == sorted(
            ["police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv",
             "census/census_2021_ethnic_group_8_categories_utla.csv", "geo/london_boroughs.geojson",
             "pas/pas_dashboard_mps_sheet.csv", "pas/pas_dashboard_borough_sheet.csv",
             "pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"])


def test_source_environment_sets_only_what_is_there(tmp_path):
    (tmp_path / "geo").mkdir()
    (tmp_path / "geo" / "london_boroughs.geojson").write_bytes(b"{}")
    (tmp_path / "police_uk" / "stops-force" / "metropolitan").mkdir(parents=True)  # no month files
    with mirror.serve(tmp_path) as srv:
        # no catalogue here: the discovering sources are not taken (never asked of a catalogue the mirror lacks)
        assert mirror.source_environment(srv) == {
            "LONDON_BOUNDARIES_URL": srv.url_for("geo/london_boroughs.geojson"),
            "LONDON_DATASTORE_URL": srv.base_url, "GOVUK_URL": srv.base_url,
            **{s.variable: "" for s in registry.sources().values() if s.catalogue},
        }


@pytest.mark.shared
def test_source_environment_of_the_real_shared_data_is_what_the_e2e_tests_use(shared_data):
    from tests.e2e.conftest import real_env

    with mirror.serve(shared_data) as srv:
        # and the catalogues' base URLs: the mirror's (it has no catalogue, so every discovering source is pinned or not taken)
        expected = {**real_env(srv, shared_data), "LONDON_DATASTORE_URL": srv.base_url, "GOVUK_URL": srv.base_url}
        assert mirror.source_environment(srv) == expected


def test_a_public_url_replaces_the_bind_address_in_every_url_it_gives(sample_root, client):
    """In a container the mirror binds every address and is reached by its service name (docker/test/compose.yml)."""
    with mirror.serve(sample_root, host="0.0.0.0", public_url="http://mirror:8000/") as srv:  # noqa: S104 - a test bind
        assert srv.base_url == "http://mirror:8000" and srv.api_url == "http://mirror:8000/api"
        assert srv.url_for("geo/london_boroughs.geojson") == "http://mirror:8000/files/geo/london_boroughs.geojson"
        env = mirror.source_environment(srv)
        assert env["POLICE_UK_API_URL"] == "http://mirror:8000/api" and env["LONDON_DATASTORE_URL"] == "http://mirror:8000"
        assert all(v.startswith("http://mirror:8000") for k, v in env.items() if k.endswith("_URL")), env
        assert env["MAPWH_SYNTHETIC_SOURCES"] == ",".join(sorted(registry.sources()))
        # reached on loopback, it still answers with the public address in its catalogues
        local = f"http://127.0.0.1:{srv.port}"
        listed = client.get(local + "/api/3/action/package_show?id=mopac-surveys", timeout=10).json()["result"]["resources"]
        assert listed and all(r["url"].startswith("http://mirror:8000/files/") for r in listed)
        assert client.get(local + "/api/crimes-street-dates", timeout=10).status_code == 200
    for bad in ("mirror:8000", "ftp://mirror", "http://mirror:8000/?x=1"):
        with pytest.raises(ValueError, match="public URL"):
            mirror.serve(sample_root, public_url=bad)
