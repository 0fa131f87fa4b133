"""Finding a source's files where its publisher lists them, so a deployment needs no hand-set URL.

Publishers move files between releases: GOV.UK gives every release's tables
a new asset URL, the London Datastore renames the PAS dashboard workbook each
quarter and adds a respondent-level file per period. Their catalogues say
where the files are now, so a source that declares a `Catalogue` reads that
instead of a fixed URL:

- **London Datastore** (`LONDON_DATASTORE_URL`, default https://data.london.gov.uk):
  the CKAN action `/api/3/action/package_show?id=<dataset>` (each resource's
  name, url, format, last_modified), and when that answers 404 or not
  `success`, the site's own `/api/dataset/<dataset>` (DataPress: resources
  keyed by id, each with title, url, format, check_timestamp).
- **GOV.UK** (`GOVUK_URL`, default https://www.gov.uk): the Content API,
  `/api/content/<page path>`: `details.attachments[]` (title, url,
  content_type, filename) and the page's `public_updated_at`, which dates
  every attachment (they carry no date of their own). A redirect item is
  followed once; pages listing files only in the older `details.documents`
  HTML are read from its links.

A catalogue declares its ids (dataset slugs or page paths, tried in order
until one is found), the pattern a file name must match, and whether the
source takes every match (one file per period, e.g. the PAS respondent
files) or only the newest (a table republished whole, e.g. the workforce
tables). The catalogue's answer is landed in the raw zone like any response;
what was found is recorded in `audit/discovery.jsonl` by the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from typing import Callable
from urllib.parse import quote, unquote, urljoin, urlparse

from ingest.core.errors import SourceError, SourceFormatError, SourceHTTPError
from ingest.core.limits import decode_json  # a key repeated in one object is refused, not silently last-wins

# kind → (variable of the base URL, its default: the real site, what it is)
BASES = {
    "london_datastore": ("LONDON_DATASTORE_URL", "https://data.london.gov.uk",
                         "London Datastore catalogue: CKAN package_show, else the site's /api/dataset"),
    "govuk": ("GOVUK_URL", "https://www.gov.uk", "GOV.UK Content API: a page's attachments"),
}
# MOPAC's surveys dataset on the London Datastore (PAS dashboard, neighbourhood indicators, respondent
# files); the site has been moving datasets to slugs with an id suffix, so that one is asked next.
MOPAC_SURVEYS = ("mopac-surveys", "mopac-surveys-236kk")
# When one table is attached in several formats, the one read.
FORMAT_PREFERENCE = ("ods", "xlsx", "csv")


@dataclass(frozen=True)
class Found:
    """One file a catalogue lists."""

    url: str
    name: str  # the file name (from the URL or the attachment's filename)
    title: str  # as the catalogue titles it
    released: str  # ISO 8601 date-time the catalogue gives it ('' when none)
    format: str  # lower-case extension or the catalogue's format

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Catalogue:
    """Where a source's releases are listed, and which of the listed files it reads."""

    kind: str  # a key of BASES
    ids: tuple[str, ...]  # dataset slugs (London Datastore) or page paths (GOV.UK), tried in order
    pattern: str  # a file name matching this (case-insensitive, `re.search`) is the source's
    latest_only: bool = False  # read only the newest match (a table republished whole)
    # GOV.UK only: the ids are collections, and the release pages they link (`links.documents`) whose path matches
    # this pattern are each asked for their files (an annual series whose every year has its own page)
    releases: str = ""

    def __post_init__(self) -> None:
        if self.kind not in BASES:
            raise ValueError(f"unknown catalogue kind {self.kind!r}; known: {', '.join(BASES)}")

    @property
    def base_variable(self) -> str:
        return BASES[self.kind][0]

    @property
    def base_default(self) -> str:
        return BASES[self.kind][1]

    def describe(self) -> str:
        """For the README and `mapwh sources`: where the files are found."""
        what = "the newest file" if self.latest_only else "every file"
        where = {"london_datastore": "London Datastore dataset", "govuk": "GOV.UK page"}[self.kind]
        if self.releases:
            return (f"discovered: {what} matching `{self.pattern}` on every release page matching `{self.releases}` "
                    f"of the GOV.UK collection {' or '.join(f'`{i}`' for i in self.ids)}")
        return f"discovered: {what} matching `{self.pattern}` on the {where} {' or '.join(f'`{i}`' for i in self.ids)}"

    def urls(self, base: str, catalogue_id: str) -> list[str]:
        """The catalogue answers to ask for one id, in order."""
        base = base.rstrip("/")
        if self.kind == "london_datastore":
            return [f"{base}/api/3/action/package_show?id={quote(catalogue_id)}", f"{base}/api/dataset/{quote(catalogue_id)}"]
        return [f"{base}/api/content/{quote(catalogue_id.strip('/'))}"]

    def matches(self, found: Found) -> bool:
        return re.search(self.pattern, found.name, re.IGNORECASE) is not None

    def choose(self, found: list[Found]) -> list[Found]:
        """The matching files the source reads: all of them, or the newest (then by preferred format)."""
        matching = [f for f in found if self.matches(f)]
        if not self.latest_only or not matching:
            return sorted(matching, key=lambda f: f.name)

        def rank(f: Found) -> tuple:
            preferred = FORMAT_PREFERENCE.index(f.format) if f.format in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE)
            return (f.released, _name_date(f.name), -preferred, f.name)

        return [max(matching, key=rank)]


def _name_date(name: str) -> str:
    """A release date in a GOV.UK file name (`...-280126.ods`: 28 Jan 2026) as YYMMDD, for ordering; '' when none."""
    match = re.search(r"-(\d{2})(\d{2})(\d{2})\.[a-z]+$", name)
    return f"{match[3]}{match[2]}{match[1]}" if match else ""


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _file_name(url: str) -> str:
    return unquote(urlparse(url).path.rsplit("/", 1)[-1])


# --------------------------------------------------------------------------- parsing answers
def parse_ckan(content: bytes, *, url: str) -> list[Found]:
    """A CKAN `package_show` answer → its resources."""
    payload = decode_json(content, what=f"CKAN answer {url}")
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or payload.get("success") is not True or not isinstance(result, dict):
        raise SourceFormatError(f"CKAN answer {url}: not a successful package_show (success={payload.get('success') if isinstance(payload, dict) else None!r})")
    resources = result.get("resources")
    if not isinstance(resources, list):
        raise SourceFormatError(f"CKAN answer {url}: result.resources is not a list")
    found = []
    for r in resources:
        if not isinstance(r, dict) or not r.get("url"):
            continue
        name = _file_name(str(r["url"])) or str(r.get("name") or "")
        found.append(Found(urljoin(url, str(r["url"])), name, str(r.get("name") or name),
                           str(r.get("last_modified") or r.get("created") or result.get("metadata_modified") or ""),
                           str(r.get("format") or _extension(name)).lower()))
    return found


def parse_datapress(content: bytes, *, url: str) -> list[Found]:
    """The London Datastore's own `/api/dataset/<slug>` answer → its resources (keyed by id)."""
    payload = decode_json(content, what=f"London Datastore answer {url}")
    resources = payload.get("resources") if isinstance(payload, dict) else None
    if isinstance(resources, dict):
        resources = list(resources.values())
    if not isinstance(resources, list):
        raise SourceFormatError(f"London Datastore answer {url}: no resources")
    found = []
    for r in resources:
        if not isinstance(r, dict) or not r.get("url"):
            continue
        name = _file_name(str(r["url"]))
        found.append(Found(urljoin(url, str(r["url"])), name, str(r.get("title") or name),
                           str(r.get("check_timestamp") or payload.get("updatedAt") or ""),
                           str(r.get("format") or _extension(name)).lower()))
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href:
            self.links.append((self._href, data.strip()))
            self._href = None


def parse_govuk(content: bytes, *, url: str) -> tuple[list[Found], str | None]:
    """A Content API item → (its file attachments, the redirect destination if it is a redirect item)."""
    item = decode_json(content, what=f"GOV.UK Content API answer {url}")
    if not isinstance(item, dict):
        raise SourceFormatError(f"GOV.UK Content API answer {url}: not a content item")
    if item.get("schema_name") == "redirect":
        redirects = item.get("redirects") or []
        destination = redirects[0].get("destination") if redirects and isinstance(redirects[0], dict) else None
        if not destination:
            raise SourceFormatError(f"GOV.UK Content API answer {url}: a redirect without a destination")
        return [], destination
    released = str(item.get("public_updated_at") or item.get("first_published_at") or "")
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    found = []
    for a in details.get("attachments") or []:
        if not isinstance(a, dict) or a.get("attachment_type", "file") != "file" or not a.get("url"):
            continue
        name = str(a.get("filename") or _file_name(str(a["url"])))
        found.append(Found(urljoin(url, str(a["url"])), name, str(a.get("title") or name), released, _extension(name)))
    if not found:  # older items: attachments only as pre-rendered HTML
        links = _Links()
        for document in details.get("documents") or []:
            links.feed(str(document))
        for href, title in links.links:
            name = _file_name(href)
            if _extension(name) in FORMAT_PREFERENCE:
                found.append(Found(urljoin(url, href), name, title or name, released, _extension(name)))
    return found, None


def parse_govuk_collection(content: bytes, *, url: str) -> list[str]:
    """A Content API collection item (`document_collection`) → the paths of the pages it links, in its order."""
    item = decode_json(content, what=f"GOV.UK Content API answer {url}")
    links = item.get("links") if isinstance(item, dict) else None
    documents = links.get("documents") if isinstance(links, dict) else None
    if not isinstance(documents, list):
        raise SourceFormatError(f"GOV.UK Content API answer {url}: not a collection (no links.documents)")
    return [str(d["base_path"]) for d in documents if isinstance(d, dict) and d.get("base_path")]


# --------------------------------------------------------------------------- discovery
@dataclass(frozen=True)
class Discovery:
    catalogue_url: str  # the answer that listed the files
    listed: tuple[Found, ...]  # every file it lists
    chosen: tuple[Found, ...]  # the ones the source reads


# (name to land the answer under, location, parse(bytes, url) → parsed) → parsed; a 404 raises SourceHTTPError
Read = Callable[[str, str, Callable[[bytes, str], object]], object]


def discover(catalogue: Catalogue, base: str, read: Read) -> Discovery:
    """Ask the catalogue (each id, each endpoint, in order) and choose the source's files."""
    if catalogue.releases:
        return _discover_releases(catalogue, base, read)
    tried = []
    for catalogue_id in catalogue.ids:
        for url in catalogue.urls(base, catalogue_id):
            for _ in range(2):  # a GOV.UK redirect item is followed once
                try:
                    if catalogue.kind == "govuk":
                        listed, destination = read(f"catalogue_{catalogue.kind}", url, lambda c, u: parse_govuk(c, url=u))
                    else:
                        parse = parse_ckan if "/api/3/action/" in url else parse_datapress
                        listed, destination = read(f"catalogue_{catalogue.kind}", url, lambda c, u: parse(c, url=u)), None
                except SourceHTTPError as exc:
                    if exc.status != 404:
                        raise
                    tried.append(f"{url} (404)")
                    break
                except SourceError as exc:  # an unreadable answer (the reader has quarantined it)
                    if catalogue.kind == "london_datastore" and "/api/3/action/" in url:
                        tried.append(f"{url} ({exc})")  # a partial CKAN shim: the site's own API next
                        break
                    raise
                if destination:
                    url = catalogue.urls(base, destination)[0]
                    continue
                return Discovery(url, tuple(listed), tuple(catalogue.choose(list(listed))))
    raise SourceHTTPError(tried[-1].split(" ")[0] if tried else base, 404,
                          "no catalogue found; tried " + "; ".join(tried))


def _discover_releases(catalogue: Catalogue, base: str, read: Read) -> Discovery:
    """A GOV.UK collection: the first id found lists the release pages; each matching one is asked (a page that is
    not found is left out: a release withdrawn since), and the files of all of them are chosen from together."""
    for collection_id in catalogue.ids:
        url = catalogue.urls(base, collection_id)[0]
        try:
            pages = read("catalogue_govuk", url, lambda c, u: parse_govuk_collection(c, url=u))
        except SourceHTTPError as exc:
            if exc.status != 404:
                raise
            continue
        listed: list[Found] = []
        for page in pages:
            if re.search(catalogue.releases, page, re.IGNORECASE) is None:
                continue
            try:
                listed += discover(Catalogue("govuk", (page,), catalogue.pattern), base, read).listed
            except SourceHTTPError as exc:
                if exc.status != 404:
                    raise
        return Discovery(url, tuple(listed), tuple(catalogue.choose(listed)))
    raise SourceHTTPError(base, 404, "no collection found; tried " + ", ".join(catalogue.ids))
