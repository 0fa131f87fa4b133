"""A local HTTP mirror of the police.uk API and of static source files, for offline runs and tests.

The ingest clients only know URLs (see `ingest.core.config`), so pointing them
at this server instead of data.police.uk, ONS or GitHub exercises exactly the
code that runs in production: HTTP status codes, headers and bytes on the
wire. It serves a directory laid out like `../shared/data` or a
`devdata.sample` output: `/api/crimes-street-dates` and
`/api/stops-force?force=F&date=YYYY-MM` from `police_uk/`, and any file under
the root as `/files/<relpath>`, byte for byte (the pipeline checksums what it
downloads). Anything else is a 404 HTML page, as a real web server would
answer. `source_environment()` gives the location variables that point every
source found under the root at the mirror. The server is standard library
only, in one daemon thread; `python -m devdata serve` runs it.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from types import TracebackType
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ingest.core.errors import SourceHTTPError

from devdata import catalogue, pas, sample, workforce

log = logging.getLogger(__name__)

_MONTH_FILE_RE = re.compile(r"^(\d{4}-(?:0[1-9]|1[0-2]))\.json$")
_MONTH_RE = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")
# Force ids are lowercase slugs; anything else (e.g. "../x") never reaches the filesystem.
_FORCE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Catalogue ids and page path segments: no dots, so never `..`.
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

_CONTENT_TYPES = {
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".tsv": "text/tab-separated-values; charset=utf-8",
}

_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{code} {title}</title></head>"
    "<body><h1>{title}</h1><p>{detail}</p><hr><address>mapwh mirror</address></body></html>\n"
)


def availability(root: Path) -> list[dict]:
    """`/crimes-street-dates` entries synthesised from the month files under
    root/police_uk/stops-force/<force>/YYYY-MM.json, newest month first."""
    months: dict[str, set[str]] = {}
    base = root / "police_uk" / "stops-force"
    if base.is_dir():
        for force_dir in base.iterdir():
            if not (force_dir.is_dir() and _FORCE_RE.match(force_dir.name)):
                continue
            for f in force_dir.iterdir():
                m = _MONTH_FILE_RE.match(f.name)
                if m and f.is_file():
                    months.setdefault(m.group(1), set()).add(force_dir.name)
    return [{"date": m, "stop-and-search": sorted(months[m])} for m in sorted(months, reverse=True)]


class _MirrorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must not keep the process alive

    def __init__(self, address: tuple[str, int], root: Path, latency_s: float = 0.0, public_url: str | None = None) -> None:
        self.root = root
        self.latency_s = latency_s  # added before every answer, as a distant server's round trip would
        self.public_url = public_url  # the address clients reach it at, when not its bind address (a container's service name)
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _MirrorHTTPServer
    server_version = "mapwh-mirror/1.0"
    # HTTP/1.0: one request per connection, so no idle keep-alive threads
    # outlive a test's server.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._route(send_body=True)

    def do_HEAD(self) -> None:
        self._route(send_body=False)

    # --- routing -------------------------------------------------------------
    def _route(self, send_body: bool) -> None:
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        url = urlsplit(self.path)
        path = url.path
        try:
            if path == "/api/crimes-street-dates":
                self._availability(send_body)
            elif path == "/api/stops-force":
                self._stops_force(parse_qs(url.query), send_body)
            elif path.startswith("/files/"):
                self._static(unquote(path[len("/files/"):]), send_body)
            elif path == "/api/3/action/package_show":
                self._catalogue("ckan", (parse_qs(url.query).get("id") or [""])[0], send_body)
            elif path.startswith("/api/dataset/"):
                self._catalogue("datapress", unquote(path[len("/api/dataset/"):]), send_body)
            elif path.startswith("/api/content/"):
                self._catalogue("govuk", unquote(path[len("/api/content/"):]), send_body)
            else:
                self._error(404, send_body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away during %s", self.path)

    def _availability(self, send_body: bool) -> None:
        stored = self.server.root / "police_uk" / "crimes-street-dates.json"
        if stored.is_file():
            self._send(200, stored.read_bytes(), "application/json", send_body)
            return
        # The shared real data has no availability file: answer what a real
        # API would, given the months that are here.
        body = json.dumps(availability(self.server.root), separators=(",", ":")).encode("utf-8")
        self._send(200, body, "application/json", send_body)

    def _stops_force(self, params: dict[str, list[str]], send_body: bool) -> None:
        force = (params.get("force") or [""])[0]
        month = (params.get("date") or [""])[0]
        if not _FORCE_RE.match(force) or (month and not _MONTH_RE.match(month)):
            self._error(400, send_body, "force must be a force id and date YYYY-MM")
            return
        force_dir = self.server.root / "police_uk" / "stops-force" / force
        if not month:
            # The real API defaults to the latest month it has.
            present = sorted(f.stem for f in force_dir.glob("*.json") if _MONTH_FILE_RE.match(f.name))
            if not present:
                self._error(404, send_body)
                return
            month = present[-1]
        path = force_dir / f"{month}.json"
        if not path.is_file():
            self._error(404, send_body)
            return
        self._send(200, path.read_bytes(), "application/json", send_body)

    def _static(self, relpath: str, send_body: bool) -> None:
        root = self.server.root
        if "\x00" in relpath or not relpath:
            self._error(404, send_body)
            return
        target = (root / relpath).resolve()
        # resolve() also follows symlinks, so a link pointing out of root is refused too.
        if not target.is_relative_to(root) or not target.is_file():
            log.debug("refused static path %r", relpath)
            self._error(404, send_body)
            return
        content_type = _CONTENT_TYPES.get(target.suffix.lower()) or (
            mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        self._send(200, target.read_bytes(), content_type, send_body)

    def _catalogue(self, kind: str, key: str, send_body: bool) -> None:
        """A catalogue answer the generators wrote (`devdata.catalogue`), with this mirror's address in it."""
        folder = catalogue.GOVUK_DIR if kind == "govuk" else catalogue.LONDON_DATASTORE_DIR
        relpath = key.strip("/")
        if not relpath or not all(_SLUG_RE.match(part) for part in relpath.split("/")):
            self._error(404, send_body)
            return
        stored = self.server.root / folder / f"{relpath}.json"
        if not stored.is_file():
            if kind == "ckan":  # CKAN answers a missing dataset with 404 and a JSON error
                body = json.dumps({"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
                self._send(404, body.encode("utf-8"), "application/json", send_body)
            else:
                self._error(404, send_body)
            return
        # the public URL when it has one, else as the client reached it
        base = self.server.public_url or f"http://{self.headers.get('Host') or '127.0.0.1:%d' % self.server.server_address[1]}"
        text = stored.read_text(encoding="utf-8")
        if kind == "datapress":
            text = json.dumps(catalogue.datapress_answer(json.loads(text)), indent=1)
        self._send(200, text.replace(catalogue.MIRROR, base).encode("utf-8"), "application/json", send_body)

    # --- responses -----------------------------------------------------------
    def _send(self, code: int, body: bytes, content_type: str, send_body: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _error(self, code: int, send_body: bool, detail: str | None = None) -> None:
        title = {400: "Bad Request", 404: "Not Found"}.get(code, "Error")
        detail = detail or "The requested URL was not found on this server."
        page = _ERROR_PAGE.format(code=code, title=title, detail=detail).encode("utf-8")
        self._send(code, page, "text/html; charset=utf-8", send_body)


class MirrorServer:
    """A running mirror. Use as a context manager or call shutdown()."""

    def __init__(self, httpd: _MirrorHTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        host, port = httpd.server_address[:2]
        # A wildcard bind is reachable on loopback; a URL cannot say "0.0.0.0".
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else str(host)  # noqa: S104 - a comparison, not a bind
        self.port = int(port)
        self.root = httpd.root
        self.public_url = httpd.public_url

    @property
    def base_url(self) -> str:
        """The URL clients use: the public URL when one was given (a mirror in a container), else the bind address."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What POLICE_UK_API_URL should be set to."""
        return self.base_url + "/api"

    def url_for(self, relpath: str | Path) -> str:
        """URL of a file under root (relative path, or absolute path inside root)."""
        p = Path(relpath)
        if p.is_absolute():
            p = p.resolve().relative_to(self.root)
        return f"{self.base_url}/files/{quote(PurePosixPath(p.as_posix()).as_posix())}"

    def shutdown(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"MirrorServer({self.base_url}, root={self.root})"


def serve(root: Path, host: str = "127.0.0.1", port: int = 0, *, latency_s: float = 0.0,
          public_url: str | None = None) -> MirrorServer:
    """Serve root in a daemon thread; port 0 picks a free port (see .base_url).

    `latency_s` delays every answer (the benchmark's realistic round trip to police.uk).
    `public_url` (e.g. `http://mirror:8000`, a compose service) is the address other
    hosts reach it at: the URLs it gives (`base_url`, `url_for`, the catalogue
    answers) use it instead of the bind address."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"mirror root is not a directory: {root}")
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"public URL must be http(s)://HOST[:PORT][/PATH]: {public_url!r}")
        public_url = public_url.rstrip("/")
    httpd = _MirrorHTTPServer((host, port), root, latency_s, public_url)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              name=f"mirror-{httpd.server_address[1]}", daemon=True)
    thread.start()
    server = MirrorServer(httpd, thread)
    log.info("mirror of %s at %s (bound to %s:%d)", root, server.base_url, host or "0.0.0.0", server.port)  # noqa: S104 - a message
    return server


def source_environment(server: MirrorServer) -> dict[str, str]:
    """The variables that point every source found under the server's root at it.

    The root may be a `devdata.sample` output or laid out like
    `../shared/data`. The catalogues' base URLs (`LONDON_DATASTORE_URL`,
    `GOVUK_URL`) are always the mirror. A source that discovers its files
    (`Source.catalogue`) is left to do so when the root holds its
    catalogue's answer (`devdata.catalogue`: the sample does), so the
    default path is the one exercised; otherwise its files are pinned when
    they are there (the real extracts: the PAS sheet CSVs and neighbourhood
    file, the workforce table), and its variable is set empty when they are
    not (not taken: never asked of a catalogue the mirror does not have).
    Sources with a fixed default are pinned when their files are there:
    police.uk (the API answers and the archive CSVs), census, boundaries.
    """
    root = server.root

    def urls(paths: list[Path]) -> str:
        return ",".join(server.url_for(p) for p in paths)

    def present(*relpaths: Path) -> list[Path]:
        return [root / p for p in relpaths if (root / p).is_file()]

    env: dict[str, str] = {"LONDON_DATASTORE_URL": server.base_url, "GOVUK_URL": server.base_url}
    if any((root / sample.STOPS_DIR.parent).glob("*/*.json")):  # what /api/stops-force serves
        env["POLICE_UK_API_URL"] = server.api_url
    archive = sorted((root / sample.ARCHIVE_DIR).glob("*/*-stop-and-search.csv"))  # any force: read by name
    if archive:
        env["POLICE_UK_ARCHIVE_URL"] = urls(archive)
    for variable, relpath in (("CENSUS_POPULATION_URL", sample.CENSUS_PATH),
                              ("LONDON_BOUNDARIES_URL", sample.BOUNDARIES_PATH)):
        if present(relpath):
            env[variable] = urls(present(relpath))
    # files a root without catalogues (../shared/data) has for the discovering sources
    files = {
        "PAS_DASHBOARD_URL": present(pas.WORKBOOK_PATH) or present(pas.MPS_CSV_PATH, pas.BOROUGH_CSV_PATH),
        "PAS_NEIGHBOURHOOD_URL": present(pas.NEIGHBOURHOOD_PATH),
        "PAS_MICRODATA_URL": [],  # no real respondent file is in ../shared
        **{variable: sorted(p for p in (root / workforce.WORKFORCE_DIR).glob(pattern) if p.is_file())
           for variable, pattern in (("WORKFORCE_URL", "officer-rank-*.csv"), ("WORKFORCE_JOINERS_URL", "joiners-*.csv"),
                                     ("WORKFORCE_PROMOTIONS_URL", "promotions-*.csv"), ("WORKFORCE_LEAVERS_URL", "leavers-*.csv"))},
    }
    from ingest import registry

    for source in registry.sources().values():
        if source.catalogue is not None and not _catalogue_answer(root, source.catalogue):
            env[source.variable] = urls(files.get(source.variable, []))
    synthetic = _synthetic_sources(root, env, server)
    if synthetic:
        env["MAPWH_SYNTHETIC_SOURCES"] = ",".join(synthetic)
    return dict(sorted(env.items()))


def _catalogue_answer(root: Path, found_in) -> Path | None:
    """The stored answer of the first of a catalogue's ids the root holds (`devdata.catalogue`), if any."""
    folder = catalogue.GOVUK_DIR if found_in.kind == "govuk" else catalogue.LONDON_DATASTORE_DIR
    return next((root / folder / f"{i.strip('/')}.json" for i in found_in.ids if (root / folder / f"{i.strip('/')}.json").is_file()), None)


def _served_paths(root: Path, source, env: dict[str, str], server: MirrorServer) -> list[Path]:
    """The files under root a source reads with this environment: its pinned ones, or what its catalogue lists."""
    from ingest.core import discovery

    variables = [source.variable, *(v for v, _, _ in source.extra_variables)]
    if source.catalogue is not None and source.variable not in env:
        def stored(name: str, url: str, parse):
            """The stored answer the mirror gives for a catalogue URL (no request made)."""
            path = urlsplit(url).path
            if path.startswith("/api/content/"):
                answer = root / catalogue.GOVUK_DIR / f"{unquote(path.removeprefix('/api/content/'))}.json"
            else:
                answer = root / catalogue.LONDON_DATASTORE_DIR / f"{parse_qs(urlsplit(url).query).get('id', [''])[0]}.json"
            if not answer.is_file():
                raise SourceHTTPError(url, 404, "not in the sample")
            return parse(answer.read_bytes().replace(catalogue.MIRROR.encode(), server.base_url.encode()), url)

        served = [f.url for f in discovery.discover(source.catalogue, server.base_url, stored).chosen]
    else:
        served = [loc for v in variables for loc in env.get(v, "").split(",") if loc]
    return [root / "police_uk" if loc == server.api_url else root / unquote(loc.split("/files/", 1)[-1]) for loc in served]


def _synthetic_sources(root: Path, env: dict[str, str], server: MirrorServer) -> list[str]:
    """The sources whose served files lie below a `SYNTHETIC.txt` (the generators write one beside their output).

    The runtime records them in each batch's lineage (`MAPWH_SYNTHETIC_SOURCES`), so
    every figure computed from them is marked synthetic, row by row.
    """
    from ingest import registry

    def labelled(path: Path) -> bool:
        return any((folder / "SYNTHETIC.txt").is_file() for folder in [path, *path.parents] if folder.is_relative_to(root))

    found = []
    for source in registry.sources().values():
        paths = _served_paths(root, source, env, server)
        if paths and all(labelled(p if p.is_dir() else p.parent) for p in paths):
            found.append(source.name)
    return sorted(found)
