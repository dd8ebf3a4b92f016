"""deploy/ agrees with the code: settings, commands, routes, and each tool's own check.

Runs without Docker. The checks that need a tool skip with a reason where it is
missing: systemd-analyze, nginx with openssl, the docker compose plugin, and the
optional schema packages kubernetes-validate and check-jsonschema. PyYAML is a
dev dependency: without it the YAML checks skip, except under CI, where its
absence is an error.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from commentsvc.cli.commands import build_parser
from commentsvc.config import Settings, env_name, parse_settings
from commentsvc.web.routes import ROUTES

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML belongs in the dev extra
    if os.environ.get("CI"):
        raise
    yaml = None

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
KUBERNETES = DEPLOY / "kubernetes"
ENV_EXAMPLE = SYSTEMD / "commentsvc.env.example"
INSTALLED_BINARY = "/opt/commentsvc/bin/commentsvc"

SETTINGS_VARS = frozenset(env_name(f.name) for f in fields(Settings))
# Read by load_settings itself rather than a Settings field.
OTHER_VARS = frozenset({"COMMENTSVC_CONFIG"})
ROUTE_PATHS = frozenset(path for _method, path, _handler in ROUTES)
SAMPLE_SECRET = "s" * 48
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what the containers bind

needs_yaml = pytest.mark.skipif(
    yaml is None, reason="PyYAML is not installed (add it to the dev extra)"
)


# ----- helpers -------------------------------------------------------------------


def deploy_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file())


def yaml_files() -> list[Path]:
    return sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def load_yaml(path: Path) -> list[Any]:
    assert yaml is not None
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def compose() -> dict[str, Any]:
    (doc,) = load_yaml(DEPLOY / "compose.yaml")
    return doc


def k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    return [(p, doc) for p in sorted(KUBERNETES.rglob("*.yaml")) for doc in load_yaml(p)]


def k8s_named(kind: str, name: str) -> dict[str, Any]:
    found = [
        doc for _, doc in k8s_docs() if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def workloads() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{doc['kind']}/{doc['metadata']['name']}", doc)
        for _, doc in k8s_docs()
        if doc["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet")
    ]


def parse_env_file(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(active, commented-out) VAR=value pairs of an environment file."""
    active: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if m:
            value = m.group(3)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            (commented if m.group(1) else active)[m.group(2)] = value
    return active, commented


def unit_entries(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections of a systemd unit as lists of (key, value); keys may repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{path.name}: not KEY=VALUE in a section: {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def unit_value(sections: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in sections.get(section, []) if k == key]


def interpolate(text: str, samples: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with VAR taken from `samples`."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        if name in samples:
            return samples[name]
        if op in (":-", "-"):
            return arg
        assert op not in (":?", "?"), f"no sample value for required ${{{name}}}"
        return ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", one, text)


COMPOSE_SAMPLES = {
    "COMMENTSVC_SECRET_KEY": SAMPLE_SECRET,
    "POSTGRES_PASSWORD": "0123456789abcdef",
    "COMMENTSVC_PUBLIC_URL": "https://comments.example.com",
}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    out = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


# ----- the commentsvc command line, asked through --help -------------------------


@functools.cache
def cli_help(argv: tuple[str, ...]) -> tuple[int, str]:
    """Exit code and output of `commentsvc ARGV --help` in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    proc = subprocess.run(
        [sys.executable, "-m", "commentsvc", *argv, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    return proc.returncode, proc.stdout + proc.stderr


def assert_real_command(argv: list[str], where: str) -> None:
    """`commentsvc ARGV` names commands, choices and options the CLI has.

    argparse handles --help only after it has matched the sub-commands and the
    positional choices before it, so an unknown command or choice exits 2. It
    does not reject unknown options or stray arguments first, so each option is
    looked up in the help text of its command, and the whole command line is
    then parsed by the same parser in this process.
    """
    assert argv, f"{where}: `commentsvc` without a command"
    shown = f"`commentsvc {shlex.join(argv)}`"
    code, out = cli_help(tuple(argv))
    assert code == 0, f"{where}: {shown} is not a valid command:\n{out}"
    for token in argv:
        if token.startswith("--"):
            option = token.split("=", 1)[0]
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", out), (
                f"{where}: {shown}: no option {option} in:\n{out}"
            )
    if "--help" not in argv:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            try:
                build_parser().parse_args(argv)
            except SystemExit as exc:
                pytest.fail(f"{where}: {shown} does not parse ({exc.code}): {stderr.getvalue()}")


def commentsvc_argv(command: list[str] | str, where: str) -> list[str]:
    argv = shlex.split(command) if isinstance(command, str) else [str(c) for c in command]
    assert argv, f"{where}: empty command"
    assert Path(argv[0]).name == "commentsvc", f"{where}: runs {argv[0]!r}, not commentsvc"
    return argv[1:]


def readme_commands() -> Iterator[tuple[str, list[str]]]:
    """`commentsvc …` invocations in the README's shell blocks and inline code.

    Every command in a shell block must be real; inline code in the prose may
    use an upper-case placeholder (`commentsvc worker KIND`), which is skipped.
    """
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    fence = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)
    snippets: list[tuple[str, bool]] = []
    for lang, block in fence.findall(text):
        if lang in ("sh", "bash", "shell", "console"):
            snippets.extend((line, False) for line in block.replace("\\\n", " ").splitlines())
    snippets.extend((span, True) for span in re.findall(r"`([^`\n]+)`", fence.sub("", text)))
    for snippet, placeholders_allowed in snippets:
        for m in re.finditer(r"(?:^|(?<=[\s/]))commentsvc\s+(?=[a-z])", snippet):
            lexer = shlex.shlex(snippet[m.end() :], posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = "#"
            argv: list[str] = []
            for token in lexer:
                if token and set(token) <= set("|&;<>()"):
                    break
                argv.append(token)
            if placeholders_allowed and any(re.fullmatch(r"[A-Z][A-Z_]*", t) for t in argv):
                continue  # a placeholder such as KIND
            yield snippet.strip(), argv


# ----- every file ------------------------------------------------------------------


@needs_yaml
@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path: Path) -> None:
    docs = load_yaml(path)
    assert docs, f"{path}: no YAML document"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping"


def test_every_commentsvc_variable_is_a_setting() -> None:
    unknown: dict[str, set[str]] = {}
    seen = 0
    for path in deploy_files():
        for name in re.findall(
            r"\bCOMMENTSVC_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8")
        ):
            seen += 1
            if name not in SETTINGS_VARS | OTHER_VARS:
                unknown.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert seen > 20, "deploy/ names hardly any settings: is the pattern broken?"
    assert not unknown, f"not settings of commentsvc.config.Settings: {unknown}"


def test_env_example_documents_every_setting() -> None:
    active, commented = parse_env_file(ENV_EXAMPLE)
    documented = set(active) | set(commented)
    missing = sorted(SETTINGS_VARS - documented)
    assert not missing, f"{ENV_EXAMPLE.relative_to(ROOT)} does not describe {missing}"


@pytest.mark.parametrize(
    "path", [ENV_EXAMPLE, DEPLOY / "compose.env.example"], ids=lambda p: p.name
)
def test_env_example_values_are_accepted(path: Path) -> None:
    active, commented = parse_env_file(path)
    for variables in (active, commented):
        env = {
            k: v
            for k, v in variables.items()
            if k.startswith("COMMENTSVC_") and k not in OTHER_VARS
        }
        # The example leaves the secret empty on purpose: the service must refuse it.
        env["COMMENTSVC_SECRET_KEY"] = SAMPLE_SECRET
        parse_settings(env)


def test_empty_secret_key_in_examples_is_refused() -> None:
    active, _ = parse_env_file(ENV_EXAMPLE)
    assert active.get("COMMENTSVC_SECRET_KEY") == "", (
        "the example must not ship a usable secret key"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "commentsvc", "migrate"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "COMMENTSVC_SECRET_KEY": "",
            "COMMENTSVC_DATA_DIR": str(ROOT / "build" / "never-created"),
        },
    )
    assert proc.returncode == 2, proc.stderr
    assert "COMMENTSVC_SECRET_KEY" in proc.stderr


# ----- Dockerfile ------------------------------------------------------------------


def test_dockerfile() -> None:
    instructions = dockerfile_instructions()
    starts = [n for n, (i, _) in enumerate(instructions) if i == "FROM"]
    assert len(starts) >= 2, "the Dockerfile must be multi-stage"
    base_args = [a for i, a in instructions[: starts[0]] if i == "ARG"]
    assert "PYTHON_IMAGE=python:3.11-slim" in base_args
    assert all(
        instructions[n][1].split()[0] in ("${PYTHON_IMAGE}", "python:3.11-slim") for n in starts
    )

    installs = [a for i, a in instructions if i == "RUN" and "pip install" in a]
    assert installs, "nothing is pip-installed"
    dev = re.compile(r"\[[^\]]*\bdev\b|\s(-e|--editable)\s")
    assert not any(dev.search(a) for a in installs), f"a dev or editable install: {installs}"
    extras = [a for i, a in instructions if i == "ARG" and a.startswith("EXTRAS=")]
    assert all("dev" not in a for a in extras), extras

    final = instructions[starts[-1] :]
    last = dict(final)  # the last of each instruction in the final stage
    assert "USER" in last, "the final stage must switch to a non-root user"
    assert last["USER"].split(":")[0] not in ("root", "0"), "the image must run as a non-root user"
    assert "8080" in last["EXPOSE"].split()
    assert "COMMENTSVC_DATA_DIR=/data" in " ".join(a for i, a in final if i == "ENV")
    assert json.loads(last["VOLUME"]) == ["/data"]
    assert "/healthz" in last["HEALTHCHECK"] and "urllib" in last["HEALTHCHECK"]
    assert "curl" not in last["HEALTHCHECK"]
    assert "ENTRYPOINT" not in last

    cmd = json.loads(last["CMD"])
    assert cmd == ["commentsvc", "serve", "--host", ALL_INTERFACES]
    assert_real_command(commentsvc_argv(cmd, "Dockerfile CMD"), "Dockerfile CMD")


def test_dockerfile_copies_what_the_package_is_built_from() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {"pyproject.toml", pyproject["project"]["readme"]}
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        needed |= {p.name for p in ROOT.glob(pattern) if (p / "__init__.py").is_file()}
    copied = set()
    for instruction, arguments in dockerfile_instructions():
        if instruction == "COPY" and "--from" not in arguments:
            copied |= {Path(src).name for src in shlex.split(arguments)[:-1]}
    assert needed <= copied, f"the Dockerfile does not copy {sorted(needed - copied)}"

    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore, "the ignore file should allow-list the context"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert copied <= allowed, f"excluded from the build context: {sorted(copied - allowed)}"


# ----- compose -----------------------------------------------------------------------


@needs_yaml
def test_compose_services_and_order() -> None:
    services = compose()["services"]
    assert {"api", "worker", "migrate", "redis", "postgres"} <= set(services)
    for name in ("api", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]
    assert (
        services["redis"]["command"][services["redis"]["command"].index("--appendonly") + 1]
        == "yes"
    )
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    # The image's HEALTHCHECK polls HTTP, which only the API serves.
    for name in ("worker", "migrate"):
        assert services[name]["healthcheck"] == {"disable": True}, name
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "8080" in " ".join(services["api"]["ports"])


@needs_yaml
def test_compose_commands_are_real() -> None:
    services = compose()["services"]
    expected = {
        "api": ["api", "--host", ALL_INTERFACES],
        "worker": ["worker", "all"],
        "migrate": ["migrate"],
    }
    for name, service in services.items():
        command = service.get("command")
        if not service.get("image", "").startswith("commentsvc:"):
            continue
        argv = commentsvc_argv(command, f"compose service {name}")
        if name in expected:
            assert argv == expected[name], f"compose service {name}: {argv}"
        assert_real_command(argv, f"compose service {name}")
    assert set(expected) <= {
        n for n, s in services.items() if s.get("image", "").startswith("commentsvc:")
    }


@needs_yaml
def test_compose_environment_is_valid_settings() -> None:
    services = compose()["services"]
    env = services["api"]["environment"]
    assert env == services["worker"]["environment"] == services["migrate"]["environment"]
    assert env["COMMENTSVC_DATABASE_URL"].startswith("postgresql://")
    assert env["COMMENTSVC_REDIS_URL"] == "redis://redis:6379/0"
    assert env["COMMENTSVC_LOG_FORMAT"] == "json"
    # No default secret: compose must stop when it is not set.
    assert re.fullmatch(r"\$\{COMMENTSVC_SECRET_KEY:\?[^}]+\}", env["COMMENTSVC_SECRET_KEY"])
    for name in ("COMMENTSVC_PUBLIC_URL", "COMMENTSVC_SMTP_URL", "COMMENTSVC_TRUSTED_PROXIES"):
        assert name in env, name
    resolved = {k: interpolate(str(v), COMPOSE_SAMPLES) for k, v in env.items()}
    settings = parse_settings(resolved)
    assert settings.database_url.startswith("postgresql+asyncpg://commentsvc:")
    assert settings.trusted_proxies, "compose should trust its own network"
    subnets = [c["subnet"] for c in compose()["networks"]["default"]["ipam"]["config"]]
    assert [str(n) for n in settings.trusted_proxies] == subnets


@needs_yaml
def test_compose_nginx_rewrite_hits_the_upstream() -> None:
    service = compose()["services"]["nginx"]
    assert service["profiles"] == ["proxy"]
    script = " ".join(service["command"])
    m = re.search(r"sed 's/(.+?)/(.+?)/'", script)
    assert m, script
    conf = (DEPLOY / "nginx" / "commentsvc.conf").read_text(encoding="utf-8")
    rewritten = re.sub(m.group(1), m.group(2), conf)
    assert rewritten != conf, "the sed in compose's nginx service changes nothing"
    assert re.search(r"^\s*server api:8080\b", rewritten, flags=re.M)


@needs_yaml
def test_compose_matches_the_compose_spec() -> None:
    pytest.importorskip(
        "check_jsonschema",
        reason="check-jsonschema (which ships the compose-spec schema) is not installed",
    )
    jsonschema = pytest.importorskip("jsonschema")
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose())
    ]
    assert not errors, "\n".join(errors)


def test_docker_compose_config(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    if subprocess.run([docker, "compose", "version"], capture_output=True, timeout=60).returncode:
        pytest.skip("the docker compose plugin is not installed")
    env = {**os.environ, **COMPOSE_SAMPLES}
    for profile in ([], ["--profile", "proxy"]):
        proc = subprocess.run(
            [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), *profile, "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr


# ----- systemd ---------------------------------------------------------------------


UNITS = ["commentsvc-api.service", "commentsvc-worker@.service", "commentsvc-migrate.service"]


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_settings(name: str) -> None:
    unit = unit_entries(SYSTEMD / name)
    service = dict(unit["Service"])
    assert service["EnvironmentFile"] == "/etc/commentsvc/commentsvc.env"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert service["KillSignal"] == "SIGTERM"
    # Long enough for a worker's batch (30 s) and serve's wait for its children (45 s).
    assert service["TimeoutStopSec"] == ("30" if "migrate" in name else "60")
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")
    data_dir = service["Environment"].removeprefix("COMMENTSVC_DATA_DIR=")
    assert data_dir.startswith("/var/lib/")
    assert service["StateDirectory"] == data_dir.removeprefix("/var/lib/")
    assert data_dir in [p.lstrip("-") for p in unit_value(unit, "Service", "ReadWritePaths")]
    if service["Type"] == "oneshot":
        assert name == "commentsvc-migrate.service"
    else:
        assert service["Restart"] == "on-failure"
        assert "commentsvc-migrate.service" in unit_value(unit, "Unit", "Requires")
        assert "commentsvc-migrate.service" in " ".join(unit_value(unit, "Unit", "After"))

    argv = commentsvc_argv(service["ExecStart"], name)
    assert service["ExecStart"].startswith(INSTALLED_BINARY + " ")
    instances = ["all", "moderation"] if "%i" in argv else [None]
    for instance in instances:
        real = [instance if a == "%i" else a for a in argv]
        assert_real_command([a for a in real if a is not None], f"{name} ExecStart")


def test_systemd_env_example_data_dir_matches_units() -> None:
    active, _ = parse_env_file(ENV_EXAMPLE)
    for name in UNITS:
        service = dict(unit_entries(SYSTEMD / name)["Service"])
        assert service["Environment"] == f"COMMENTSVC_DATA_DIR={active['COMMENTSVC_DATA_DIR']}", (
            name
        )


def test_worker_instances_named_anywhere_are_real() -> None:
    instances = set()
    for path in deploy_files():
        instances |= set(
            re.findall(r"commentsvc-worker@([a-z]+)\.service", path.read_text(encoding="utf-8"))
        )
    assert "all" in instances
    for instance in sorted(instances):
        assert_real_command(["worker", instance], f"commentsvc-worker@{instance}.service")


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    # verify insists that ExecStart's binary exists: stand a stub in for the
    # installed release, so the rest of each unit is what gets checked.
    stub = tmp_path / "commentsvc"
    stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stub.chmod(0o755)
    for name in UNITS:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        assert INSTALLED_BINARY in text
        (tmp_path / name).write_text(text.replace(INSTALLED_BINARY, str(stub)), encoding="utf-8")
    targets = [
        tmp_path / "commentsvc-api.service",
        tmp_path / "commentsvc-migrate.service",
        tmp_path / "commentsvc-worker@all.service",  # an instance of the template beside it
        tmp_path / "commentsvc-worker@moderation.service",
    ]
    proc = subprocess.run(
        [tool, "verify", "--man=no", "--generators=no", *map(str, targets)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Warnings ("Unknown key …, ignoring") leave the exit code 0, so any line about
    # our units fails too; lines about the host's own units are not ours to judge.
    ours = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if str(tmp_path) in line or "commentsvc" in line
    ]
    assert proc.returncode == 0 and not ours, proc.stdout + proc.stderr


# ----- nginx -----------------------------------------------------------------------


def test_nginx_config_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )
    openssl = shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx and openssl are needed to check the nginx file")
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=comments.example.com",
            "-keyout",
            str(tls / "privkey.pem"),
            "-out",
            str(tls / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    conf = (DEPLOY / "nginx" / "commentsvc.conf").read_text(encoding="utf-8")
    assert "/etc/nginx/tls/" in conf and "/var/cache/nginx/commentsvc" in conf
    conf = conf.replace("/etc/nginx/tls/", f"{tls}/").replace(
        "/var/cache/nginx/commentsvc", str(tmp_path / "cache")
    )
    (tmp_path / "commentsvc.conf").write_text(conf, encoding="utf-8")
    temp_paths = "\n".join(
        f"  {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp_paths}\n"
        f"  include {tmp_path / 'commentsvc.conf'};\n}}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_nginx_essentials() -> None:
    conf = (DEPLOY / "nginx" / "commentsvc.conf").read_text(encoding="utf-8")
    assert re.search(r"server 127\.0\.0\.1:8080\b", conf)
    assert "$proxy_add_x_forwarded_for" in conf
    assert "client_max_body_size 64k;" in conf
    assert Settings().max_body_bytes == 64 * 1024, "keep client_max_body_size in step"
    stream = re.search(r"location = /api/v1/stream \{(.*?)\n    \}", conf, flags=re.S)
    assert stream and "proxy_buffering off;" in stream.group(1)
    assert re.search(r"proxy_read_timeout\s+\d+[hm];", stream.group(1))
    assert re.search(r"location = /embed\.js \{[^}]*Cache-Control", conf)
    assert "limit_req_zone" in conf and re.search(r"location /api/v1/ \{[^}]*limit_req ", conf)


def test_nginx_connection_limits_match_the_service() -> None:
    conf = (DEPLOY / "nginx" / "commentsvc.conf").read_text(encoding="utf-8")
    settings = Settings()
    assert "limit_conn_zone $binary_remote_addr" in conf
    assert (
        re.findall(r"limit_conn commentsvc_conn (\d+);", conf)
        == [str(settings.max_connections_per_ip)] * 2
    )
    assert "limit_conn_status 429;" in conf
    assert (
        re.findall(r"client_header_timeout (\d+)s;", conf) == [f"{settings.header_timeout_s:g}"] * 2
    )
    assert f"keepalive_timeout {settings.keepalive_timeout_s:g}s;" in conf
    upstream = re.search(r"upstream commentsvc_api \{(.*?)\}", conf, flags=re.S)
    assert upstream
    idle = re.search(r"keepalive_timeout (\d+)s;", upstream.group(1))
    assert idle and int(idle.group(1)) < settings.keepalive_timeout_s, "nginx must let go first"


# ----- Kubernetes ------------------------------------------------------------------


@needs_yaml
def test_k8s_manifests_are_namespace_less_and_labelled() -> None:
    docs = k8s_docs()
    kinds = {doc["kind"] for _, doc in docs}
    assert {
        "Deployment",
        "Job",
        "Service",
        "Secret",
        "ConfigMap",
        "HorizontalPodAutoscaler",
    } <= kinds
    for path, doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), path
        assert "namespace" not in doc["metadata"], f"{path}: manifests must not fix a namespace"
        assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == "commentsvc", path
    # The Secret example is outside the directory `kubectl apply -f` would take whole.
    secret_paths = [p for p, doc in docs if doc["kind"] == "Secret"]
    assert all(p.parent != KUBERNETES for p in secret_paths), secret_paths


@needs_yaml
def test_k8s_commands_and_config_references() -> None:
    configmaps = {doc["metadata"]["name"] for _, doc in k8s_docs() if doc["kind"] == "ConfigMap"}
    secrets = {doc["metadata"]["name"] for _, doc in k8s_docs() if doc["kind"] == "Secret"}
    commands = {}
    for where, doc in workloads():
        for container in pod_spec(doc)["containers"]:
            argv = commentsvc_argv(container["command"], where)
            assert_real_command(argv, where)
            commands[where] = argv
            for source in container["envFrom"]:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps, where
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, where
    assert commands == {
        "Deployment/commentsvc-api": ["api", "--host", ALL_INTERFACES, "--processes", "1"],
        "Deployment/commentsvc-worker": ["worker", "all"],
        "Job/commentsvc-migrate": ["migrate"],
    }


@needs_yaml
def test_k8s_config_values_are_valid_settings() -> None:
    env: dict[str, str] = {}
    for _, doc in k8s_docs():
        if doc["kind"] == "ConfigMap":
            env.update(doc["data"])
        if doc["kind"] == "Secret":
            assert doc["stringData"]["COMMENTSVC_SECRET_KEY"] == "", (
                "no usable secret in an example"
            )
            env.update(doc["stringData"])
    env["COMMENTSVC_SECRET_KEY"] = SAMPLE_SECRET
    settings = parse_settings(env)
    assert settings.database_url and settings.redis_url and settings.smtp_url
    assert settings.log_format == "json"


@needs_yaml
def test_k8s_workloads_are_locked_down() -> None:
    for where, doc in workloads():
        spec = pod_spec(doc)
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] != 0, where
        assert spec.get("automountServiceAccountToken") is False, where
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert container["resources"]["requests"] and container["resources"]["limits"], where
            # With a read-only root, the data dir (created at start) and /tmp are volumes.
            assert {"/data", "/tmp"} <= {m["mountPath"] for m in container["volumeMounts"]}, where
    assert k8s_named("ConfigMap", "commentsvc")["data"]["COMMENTSVC_DATA_DIR"] == "/data"


@needs_yaml
def test_k8s_api_probes_service_and_hpa() -> None:
    api = k8s_named("Deployment", "commentsvc-api")
    assert api["spec"]["replicas"] == 2
    (container,) = pod_spec(api)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": Settings().port}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        path = container[probe]["httpGet"]["path"]
        assert path in ROUTE_PATHS, f"{probe} polls {path}, which is no route"
        assert container[probe]["httpGet"]["port"] in ports

    labels = api["spec"]["template"]["metadata"]["labels"]
    service = k8s_named("Service", "commentsvc")
    assert service["spec"]["selector"].items() <= labels.items()
    assert all(p["targetPort"] in ports for p in service["spec"]["ports"])

    hpa = k8s_named("HorizontalPodAutoscaler", "commentsvc-api")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "commentsvc-api")
    assert hpa["spec"]["minReplicas"] >= 2

    pdb = k8s_named("PodDisruptionBudget", "commentsvc-api")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


@needs_yaml
def test_k8s_manifests_match_the_api_schemas() -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is not installed (optional schema check)"
    )
    version = kubernetes_validate.latest_version()
    for path, doc in k8s_docs():
        kubernetes_validate.validate(doc, version, strict=True)  # raises on an error
        assert path.exists()


# ----- HTTP paths and the README ---------------------------------------------------


@needs_yaml
def test_health_paths_are_routes() -> None:
    polled = set(
        re.findall(
            r"127\.0\.0\.1:(?:%s|8080)(/[\w/.-]*)",
            " ".join(
                [a for i, a in dockerfile_instructions() if i == "HEALTHCHECK"]
                + [" ".join(compose()["services"]["api"]["healthcheck"]["test"])]
            ),
        )
    )
    assert polled == {"/healthz", "/readyz"}
    assert polled <= ROUTE_PATHS


def test_readme_commands_are_real() -> None:
    found = list(readme_commands())
    assert len(found) >= 8, found
    for snippet, argv in found:
        assert_real_command(argv, f"README: {snippet}")


def test_readme_covers_the_operations_topics() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for needle in (
        "COMMENTSVC_SECRET_KEY",
        "token_urlsafe",
        "invalidates",
        "COMMENTSVC_TRUSTED_PROXIES",
        "pg_dump",
        "sweeper",
        "idempotent",
        "/metrics",
        "/readyz",
        "COMMENTSVC_LOG_FORMAT=json",
        "consumer group",
    ):
        assert needle in text, needle


def test_local_secrets_are_git_ignored() -> None:
    """deploy/.env (compose secrets) and deploy/nginx/tls/ (keys) must never be committed."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("deploy/.env", "deploy/nginx/tls/privkey.pem"):
        proc = subprocess.run(
            [git, "check-ignore", "--quiet", "--no-index", path],
            cwd=ROOT,
            capture_output=True,
            timeout=60,
        )
        assert proc.returncode == 0, f"{path} is not ignored: add it to .gitignore"
