"""The deployment files under deploy/ hold together: offline checks, no cluster, daemon or network.

Every YAML file parses. Every Kubernetes object is validated against the Kubernetes API's own schema
(kubernetes-validate, strict: an unknown or misspelled field is an error) for the oldest and the newest
Kubernetes release the manifests aim at: every kustomization as `kubectl kustomize` renders it, or,
on a machine without kubectl, the base's files one document at a time. The compose file is validated
against the Compose Specification's JSON schema (tests/data/compose-spec.json), and with
`docker compose config` too where that works. Beyond the schemas, the rules deploy/README.md
describes: one image for web, worker and migrations; non-root pods with resources; readiness on
/health, liveness on /health/live; the HPA and the PDB aim at the web pods; files on storage every
pod shares; migrations before the app; placeholders, never secrets.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]
from litestar import Litestar
from litestar.testing import AsyncTestClient
from packaging.specifiers import SpecifierSet

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT_ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = DEPLOY / ".env.example"

COMPOSE_SCHEMA = PROJECT_ROOT / "tests" / "data" / "compose-spec.json"
COMPOSE_SCHEMA_SHA256 = "e4e1a42ce687c47e199551d1f025b1e713a4d1f9302706d3f89de9cef1d376a4"  # tests/data/README.md
SETTINGS_MODULE = PROJECT_ROOT / "src" / "app" / "lib" / "settings.py"

PLACEHOLDER = "CHANGE-ME"
POD_KINDS = {"Deployment", "Job"}
WEB_PORT = 8000
SHUTDOWN_MARGIN = 5  # seconds a server process needs after its grace period to close down
READINESS_PATH = "/health"
LIVENESS_PATH = "/health/live"
# The oldest Kubernetes release the manifests support (nothing in them is newer) and the newest one
# kubernetes-validate knows. A field only a newer release has fails the first; one a newer release
# removed fails the second.
KUBERNETES_VERSIONS = ("1.30", "1.37")


def load_documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def base_resources() -> dict[tuple[str, str], dict[str, Any]]:
    """The base's objects by (kind, name), read from the files its kustomization lists."""
    (kustomization,) = load_documents(BASE / "kustomization.yaml")
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in kustomization["resources"]:
        for doc in load_documents(BASE / resource):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in objects, f"{key} is defined twice"
            objects[key] = doc
    return objects


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod_spec(workload)["containers"]
    result: dict[str, Any] = only
    return result


@pytest.fixture(scope="module")
def k8s() -> dict[tuple[str, str], dict[str, Any]]:
    return base_resources()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    (doc,) = load_documents(COMPOSE)
    return doc


def test_every_yaml_file_under_deploy_parses() -> None:
    files = yaml_files()
    assert COMPOSE in files
    assert BASE / "kustomization.yaml" in files
    for path in files:
        documents = load_documents(path)
        assert documents, f"{path.relative_to(PROJECT_ROOT)} holds no document"
        for doc in documents:
            assert isinstance(doc, dict), f"{path.relative_to(PROJECT_ROOT)}: a document is not a mapping"


# --- Kustomize -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kustomization", kustomizations(), ids=lambda p: str(p.parent.relative_to(DEPLOY)))
def test_kustomization_resources_exist(kustomization: Path) -> None:
    (doc,) = load_documents(kustomization)
    assert doc["kind"] == "Kustomization"
    assert doc["resources"], "a kustomization without resources"
    for resource in doc["resources"]:
        target = (kustomization.parent / resource).resolve()
        assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{kustomization}: {resource} is missing"


def test_every_base_manifest_is_listed() -> None:
    (doc,) = load_documents(BASE / "kustomization.yaml")
    listed = set(doc["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed


def test_the_base_has_every_piece(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    kinds = {kind: doc["apiVersion"] for (kind, _), doc in k8s.items()}
    assert kinds == {
        "ConfigMap": "v1",
        "Secret": "v1",
        "Deployment": "apps/v1",
        "Service": "v1",
        "Ingress": "networking.k8s.io/v1",
        "HorizontalPodAutoscaler": "autoscaling/v2",
        "PodDisruptionBudget": "policy/v1",
        "Job": "batch/v1",
    }
    assert ("Deployment", "folio-web") in k8s
    assert ("Deployment", "folio-worker") in k8s
    assert ("Job", "folio-migrate") in k8s


def test_web_worker_and_migrations_run_one_image(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    web = container(k8s["Deployment", "folio-web"])
    worker = container(k8s["Deployment", "folio-worker"])
    migrate = container(k8s["Job", "folio-migrate"])
    assert web["image"] == worker["image"] == migrate["image"]
    assert web["args"][:1] == ["run"]
    assert worker["args"] == ["workers", "run"]
    assert migrate["args"] == ["database", "upgrade", "--no-prompt"]
    # Every kustomization that sets an image sets that one.
    for kustomization in kustomizations():
        (doc,) = load_documents(kustomization)
        for image in doc.get("images", []):
            assert image["name"] == web["image"], f"{kustomization} renames an image no workload uses"


def test_pods_run_as_non_root_with_resources(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    workloads = {key: doc for key, doc in k8s.items() if key[0] in POD_KINDS}
    assert len(workloads) == 3
    for key, workload in workloads.items():
        spec = pod_spec(workload)
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, key
        assert pod_security["runAsUser"] != 0, key
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for each in spec["containers"]:
            security = each["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, key
            assert security["capabilities"]["drop"] == ["ALL"], key
            assert security.get("runAsUser", pod_security["runAsUser"]) != 0, key
            requests = each["resources"]["requests"]
            assert requests.get("cpu"), f"{key} requests no cpu"
            assert requests.get("memory"), f"{key} requests no memory"
            assert each["resources"]["limits"].get("memory"), f"{key} has no memory limit"
            if security.get("readOnlyRootFilesystem"):
                mounts = {mount["mountPath"]: mount["name"] for mount in each["volumeMounts"]}
                assert "/tmp" in mounts, f"{key}: a read-only root file system needs a writable /tmp"
                assert "emptyDir" in volumes[mounts["/tmp"]], key
            env_from = each["envFrom"]
            for source in env_from:
                ref_kind, ref = next(iter(source.items()))
                kind = {"configMapRef": "ConfigMap", "secretRef": "Secret"}[ref_kind]
                assert (kind, ref["name"]) in k8s, f"{key} reads {kind} {ref['name']}, which the base does not define"


def test_web_probes_ask_readiness_and_liveness_apart(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Readiness asks /health, which fails while the database is down or behind; start-up and liveness
    ask /health/live, which does not ask the database: an outage or a long migration must not restart pods."""
    web = container(k8s["Deployment", "folio-web"])
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    assert ports == {"http": WEB_PORT}
    assert web["args"] == ["run", "--host", "0.0.0.0", "--port", str(WEB_PORT)]
    paths = {probe: web[probe]["httpGet"]["path"] for probe in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert paths == {"startupProbe": LIVENESS_PATH, "readinessProbe": READINESS_PATH, "livenessProbe": LIVENESS_PATH}
    for probe in paths:
        port = web[probe]["httpGet"]["port"]
        assert ports.get(port, port) == WEB_PORT, probe
    # A restart must wait longer than a pod is taken out of the Service.
    liveness, readiness = web["livenessProbe"], web["readinessProbe"]
    assert (
        liveness["periodSeconds"] * liveness["failureThreshold"]
        > readiness["periodSeconds"] * readiness["failureThreshold"]
    )


async def test_the_probe_paths_answer(app: Litestar, anon_client: AsyncTestClient[Litestar]) -> None:
    """The paths the web Deployment and the image's HEALTHCHECK probe are routes the app serves, and
    answer 200 while it is well, whatever Host header the kubelet sends (it addresses the pod's IP)."""
    served = {route.path for route in app.routes}
    for path in (READINESS_PATH, LIVENESS_PATH):
        assert path in served, f"the manifests probe {path}, which the app does not serve"
        response = await anon_client.get(path, headers={"Host": f"10.244.1.17:{WEB_PORT}"})
        assert response.status_code == 200, (path, response.text)


def test_web_outlives_its_shutdown_grace_period(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    """After SIGTERM granian lets in-flight requests finish for WEB_SHUTDOWN_GRACE_PERIOD (20 s by
    default), and needs a few seconds more to close down; the pod's preStop sleep comes first, and
    Kubernetes kills at terminationGracePeriodSeconds."""
    grace = int(k8s["ConfigMap", "folio-config"]["data"].get("WEB_SHUTDOWN_GRACE_PERIOD", "20"))
    web = k8s["Deployment", "folio-web"]
    pre_stop = container(web)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod_spec(web)["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + grace + SHUTDOWN_MARGIN


def test_worker_outlives_its_shutdown_grace_period(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    grace = int(k8s["ConfigMap", "folio-config"]["data"].get("SAQ_SHUTDOWN_GRACE_PERIOD", "20"))
    assert pod_spec(k8s["Deployment", "folio-worker"])["terminationGracePeriodSeconds"] > grace


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_service_hpa_and_pdb_aim_at_the_web_pods(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    web = k8s["Deployment", "folio-web"]
    web_labels = web["spec"]["template"]["metadata"]["labels"]
    worker_labels = k8s["Deployment", "folio-worker"]["spec"]["template"]["metadata"]["labels"]
    assert selects(web["spec"]["selector"]["matchLabels"], web_labels)
    assert "replicas" not in web["spec"], "the HPA owns the web Deployment's replicas"

    (hpa,) = [doc for (kind, _), doc in k8s.items() if kind == "HorizontalPodAutoscaler"]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", "folio-web")
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]

    (pdb,) = [doc for (kind, _), doc in k8s.items() if kind == "PodDisruptionBudget"]
    pdb_selector = pdb["spec"]["selector"]["matchLabels"]
    assert selects(pdb_selector, web_labels)
    assert not selects(pdb_selector, worker_labels)
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], "a PDB no drain can satisfy"

    (service,) = [doc for (kind, _), doc in k8s.items() if kind == "Service"]
    assert selects(service["spec"]["selector"], web_labels)
    assert not selects(service["spec"]["selector"], worker_labels)
    service_ports = {port["name"] for port in service["spec"]["ports"]}

    (ingress,) = [doc for (kind, _), doc in k8s.items() if kind == "Ingress"]
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == service["metadata"]["name"]
            assert backend["port"]["name"] in service_ports


def test_secret_template_holds_placeholders_only(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    secrets = [doc for (kind, _), doc in k8s.items() if kind == "Secret"]
    assert secrets
    for secret in secrets:
        assert "data" not in secret, "base64 data hides what it holds: use stringData placeholders"
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value, f"Secret {secret['metadata']['name']}: {key} is not a placeholder"
    config = k8s["ConfigMap", "folio-config"]["data"]
    for key in config:
        assert not re.search(r"SECRET|PASSWORD|TOKEN|ACCESS_KEY", key), f"{key} belongs in the Secret"


def test_app_settings_in_configmap_are_known(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Every variable the manifests set is one the README's settings table describes."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert "DATABASE_URL" in documented
    names = set(k8s["ConfigMap", "folio-config"]["data"]) | set(k8s["Secret", "folio-secrets"]["stringData"])
    assert names <= documented, f"not in the README's Settings: {sorted(names - documented)}"


# --- compose ---------------------------------------------------------------------------------------

APP_SERVICES = ("migrate", "web", "worker")


def test_compose_runs_migrations_first(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["database", "upgrade", "--no-prompt"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name


def test_compose_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, "web, worker and migrate run one image"
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["web"]["command"][:1] == ["run"]
    assert services["worker"]["command"] == ["workers", "run"]
    for name in ("migrate", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}, f"{name} serves no /health"
    # The web replicas keep the image's HEALTHCHECK (readiness, /health): Docker never restarts an
    # unhealthy container, so it only tells depends_on and `docker ps` whether a replica can serve.
    assert "healthcheck" not in services["web"]
    # Docker's default of 10 s would cut off what granian still finishes for WEB_SHUTDOWN_GRACE_PERIOD.
    env_grace = int(env_example().get("WEB_SHUTDOWN_GRACE_PERIOD", "20"))
    assert int(services["web"]["stop_grace_period"].removesuffix("s")) >= env_grace + SHUTDOWN_MARGIN
    for name in APP_SERVICES:
        assert services[name]["env_file"] == ".env"
        assert "DATABASE_URL" in services[name]["environment"]
        assert "build" in services[name]
        assert services[name]["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert (COMPOSE.parent / services[name]["build"]["context"] / "pyproject.toml").is_file()

    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "healthcheck" in postgres
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    for volume in postgres["volumes"]:
        assert volume.split(":")[0] in compose["volumes"]

    redis = services["redis"]
    assert redis["profiles"] == ["redis"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy", "required": False}


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_env_example_holds_no_secret(compose: dict[str, Any]) -> None:
    values = env_example()
    for key in ("SECRET_KEY", "POSTGRES_PASSWORD"):
        assert values[key] == "", f"{key} stays empty in the example: the app (or compose) then refuses to start"
    for key, value in values.items():
        if re.search(r"SECRET|PASSWORD|TOKEN|ACCESS_KEY", key):
            assert value in {"", PLACEHOLDER}, key
    # Every variable compose interpolates is in the example.
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert used - {"FOLIO_IMAGE"} <= set(values), sorted(used - set(values))


def test_no_secret_material_under_deploy() -> None:
    pattern = re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|ghp_[0-9A-Za-z]{36}|folio_[0-9A-Za-z_-]{20,}"
    )
    for path in [*DEPLOY.rglob("*"), DOCKERIGNORE]:
        if path.is_file():
            assert not pattern.search(path.read_text(encoding="utf-8")), f"{path.relative_to(PROJECT_ROOT)}"
    assert not (DEPLOY / ".env").exists() or "deploy/.env" not in tracked_files()


def tracked_files() -> set[str]:
    git = shutil.which("git")
    if git is None:
        return set()
    done = subprocess.run([git, "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    return set(done.stdout.splitlines()) if done.returncode == 0 else set()


# --- Dockerfile ------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            instructions.append((word.upper(), rest.strip()))
    return instructions


def test_dockerfile_stages_and_runtime() -> None:
    instructions = dockerfile_instructions()
    args = dict(rest.split("=", 1) for word, rest in instructions if word == "ARG" and "=" in rest)
    stages = [rest for word, rest in instructions if word == "FROM"]
    assert stages == [
        "node:${NODE_VERSION}-slim AS web",
        "python:${PYTHON_VERSION}-slim AS builder",
        "python:${PYTHON_VERSION}-slim AS runtime",
    ]
    assert args["NODE_VERSION"] == "24"
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert args["PYTHON_VERSION"] + ".0" in SpecifierSet(pyproject["project"]["requires-python"])
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"UV_VERSION := {args['UV_VERSION']}" in makefile, "the image's uv is the Makefile's"

    runs = " ".join(rest for word, rest in instructions if word == "RUN")
    assert "npm ci" in runs
    assert "npm run build" in runs
    assert "uv sync --frozen --no-dev" in runs
    assert "uv sync --frozen --no-dev --no-install-project" in runs

    runtime = instructions[[i for i, (word, _) in enumerate(instructions) if word == "FROM"][-1] :]
    copies = " ".join(rest for word, rest in runtime if word == "COPY")
    for needed in ("/app/.venv", "/app/src", "migrations/", "/src/web/dist /app/web/dist"):
        assert needed in copies, needed
    (user,) = [rest for word, rest in runtime if word == "USER"]
    assert user.split(":")[0] not in {"0", "root"}
    (healthcheck,) = [rest for word, rest in runtime if word == "HEALTHCHECK"]
    assert f"'http://127.0.0.1:{WEB_PORT}{READINESS_PATH}'" in healthcheck
    assert "urllib" in healthcheck
    assert ("ENTRYPOINT", '["app"]') in runtime
    assert ("CMD", f'["run", "--host", "0.0.0.0", "--port", "{WEB_PORT}"]') in runtime
    env = " ".join(rest for word, rest in runtime if word in {"ENV", "ARG"})
    assert "APP_ENV=production" in env
    assert not re.search(r"SECRET|PASSWORD|DATABASE_URL", env), "no secrets (or database addresses) baked in"


def test_dockerignore_keeps_what_the_build_needs() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip()[:1] not in {"", "#"}
    }
    for excluded in (".git", ".venv", ".tools", ".data", ".env", "web/node_modules", "web/dist"):
        assert excluded in patterns, excluded
    copied = {"pyproject.toml", "uv.lock", "README.md", "src", "migrations", "web"}
    assert not copied & patterns
    for path in copied:
        assert (PROJECT_ROOT / path).exists(), path


# --- Kubernetes schemas: every rendered object, strictly ------------------------------------------


@dataclass(frozen=True)
class ManifestSet:
    """The objects one `kubectl apply` would send: a kustomization as kubectl renders it or, without
    kubectl, the base's files as written (no images set, no overlay: still every object and field)."""

    name: str
    documents: list[dict[str, Any]]
    rendered: bool

    def objects(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(doc["kind"], doc["metadata"]["name"]): doc for doc in self.documents}


def kustomize(kubectl: str, directory: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"kubectl kustomize {directory.relative_to(PROJECT_ROOT)}: {done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def base_manifest_files() -> list[Path]:
    return sorted(path for path in BASE.glob("*.yaml") if path.name != "kustomization.yaml")


@pytest.fixture(scope="module")
def manifest_sets() -> list[ManifestSet]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        documents = [doc for path in base_manifest_files() for doc in load_documents(path)]
        return [ManifestSet("k8s/base (its files as written: kubectl is not installed)", documents, rendered=False)]
    return [
        ManifestSet(str(path.parent.relative_to(DEPLOY)), kustomize(kubectl, path.parent), rendered=True)
        for path in kustomizations()
    ]


def schema_errors(document: dict[str, Any], version: str) -> list[str]:
    """What the Kubernetes API's schema for `version` finds wrong with `document`, in strict mode: a
    field the API does not know (a misspelling, a field at the wrong level) is an error too."""
    what = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(part) for part in exc.path) or "(top level)"
        return [f"{what}: {where}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        # An unknown kind, or an apiVersion this release does not serve: kubectl apply would refuse it.
        return [f"{what}: {exc.message}"]
    return []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_match_the_kubernetes_schema(manifest_sets: list[ManifestSet], version: str) -> None:
    errors = [
        f"{manifests.name}: {error}"
        for manifests in manifest_sets
        for document in manifests.documents
        for error in schema_errors(document, version)
    ]
    assert not errors, "\n".join(errors)
    for manifests in manifest_sets:
        assert len(manifests.documents) >= len(base_resources()), f"{manifests.name} renders too few objects"


def break_container_field(deployment: dict[str, Any]) -> None:
    web = container(deployment)
    web["livenesProbe"] = web.pop("livenessProbe")


def break_probe_field(deployment: dict[str, Any]) -> None:
    http = container(deployment)["readinessProbe"]["httpGet"]
    http["paht"] = http.pop("path")


def break_type(deployment: dict[str, Any]) -> None:
    deployment["spec"]["revisionHistoryLimit"] = "5"


def break_required(deployment: dict[str, Any]) -> None:
    del deployment["spec"]["selector"]


def break_api_version(deployment: dict[str, Any]) -> None:
    deployment["apiVersion"] = "extensions/v1beta1"


def break_kind(deployment: dict[str, Any]) -> None:
    deployment["kind"] = "Deploymnet"


BROKEN_DEPLOYMENTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "misspelled container field": (break_container_field, "'livenesProbe' was unexpected"),
    "misspelled probe field": (break_probe_field, "'paht' was unexpected"),
    "string for an integer": (break_type, "is not of type 'integer'"),
    "required field missing": (break_required, "'selector' is a required property"),
    "API version no longer served": (break_api_version, "Couldn't find schema"),
    "unknown kind": (break_kind, "Couldn't find schema"),
}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("breakage", BROKEN_DEPLOYMENTS, ids=str)
def test_the_schema_check_rejects_a_broken_deployment(version: str, breakage: str) -> None:
    """The check above can fail: the web Deployment passes as written and is refused once broken."""
    (deployment,) = load_documents(BASE / "web-deployment.yaml")
    assert schema_errors(deployment, version) == []
    breaking, expected = BROKEN_DEPLOYMENTS[breakage]
    broken = copy.deepcopy(deployment)
    breaking(broken)
    (error,) = schema_errors(broken, version)
    assert expected in error
    assert error.startswith(f"{broken['kind']}/folio-web: ")


def test_every_manifest_set_is_whole_with_one_pinned_image(manifest_sets: list[ManifestSet]) -> None:
    (base,) = load_documents(BASE / "kustomization.yaml")
    (placeholder,) = base["images"]
    for manifests in manifest_sets:
        kinds = {doc["kind"] for doc in manifests.documents}
        assert {"Deployment", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds, manifests.name
        images = {
            each["image"]
            for doc in manifests.documents
            if doc["kind"] in POD_KINDS
            for each in doc["spec"]["template"]["spec"]["containers"]
        }
        (image,) = images
        if manifests.rendered:
            assert ":" in image.rsplit("/", 1)[-1], f"{manifests.name}: {image} is not pinned to a tag"
        else:
            # As written, the workloads name the placeholder the kustomization pins.
            assert image == placeholder["name"]
            assert placeholder["newName"]
            assert placeholder["newTag"]


def test_each_rendering_uses_one_namespace(manifest_sets: list[ManifestSet]) -> None:
    """A claim, ConfigMap or Secret in another namespace than the pods that use it is never found."""
    for manifests in manifest_sets:
        namespaces = {doc["metadata"].get("namespace") for doc in manifests.documents if doc["kind"] != "Namespace"}
        assert len(namespaces) == 1, f"{manifests.name}: objects spread over namespaces {namespaces}"
        declared = {doc["metadata"]["name"] for doc in manifests.documents if doc["kind"] == "Namespace"}
        assert declared <= namespaces, manifests.name


def storage_problems(objects: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """Why covers and import uploads would not be where every pod finds them, if they would not.

    A web pod stores an upload that a worker pod reads, and any web pod serves any cover, so files
    need STORAGE_URL (an S3 bucket: the only kind app.lib.storage configures credentials for) or, with
    STORAGE_URL empty, one ReadWriteMany claim mounted at DATA_DIR in the web and the worker pods.
    """
    config = objects["ConfigMap", "folio-config"]["data"]
    storage_url = config.get("STORAGE_URL", "")
    if storage_url:
        return [] if storage_url.startswith("s3://") else [f"STORAGE_URL {storage_url!r} is not s3://bucket/prefix"]
    data_dir = config.get("DATA_DIR", "/data")
    problems, claims = [], set()
    for name in ("folio-web", "folio-worker"):
        spec = pod_spec(objects["Deployment", name])
        mounts = {mount["mountPath"]: mount["name"] for mount in container(objects["Deployment", name])["volumeMounts"]}
        volume = next((v for v in spec.get("volumes", []) if v["name"] == mounts.get(data_dir)), None)
        claim = (volume or {}).get("persistentVolumeClaim", {}).get("claimName")
        if claim is None:
            kind = "nothing" if volume is None else next(key for key in volume if key != "name")
            problems.append(
                f"STORAGE_URL is empty and {name} keeps {data_dir} in {kind}, not in a claim every pod mounts"
            )
            continue
        claims.add(claim)
        found = objects.get(("PersistentVolumeClaim", claim))
        if found is None or "ReadWriteMany" not in found["spec"].get("accessModes", []):
            problems.append(f"{name} mounts claim {claim}, which is not a ReadWriteMany claim of this set")
    if len(claims) > 1:
        problems.append(f"web and worker pods mount different claims: {sorted(claims)}")
    return problems


def test_files_live_where_every_pod_finds_them(manifest_sets: list[ManifestSet]) -> None:
    problems = [
        f"{manifests.name}: {problem}"
        for manifests in manifest_sets
        for problem in storage_problems(manifests.objects())
    ]
    assert not problems, "\n".join(problems)
    if manifest_sets[0].rendered:
        # Both ways are shown: a bucket in the base, a shared volume in the overlay.
        urls = {m.objects()["ConfigMap", "folio-config"]["data"]["STORAGE_URL"] for m in manifest_sets}
        assert "" in urls
        assert any(url.startswith("s3://") for url in urls)


def test_the_storage_check_refuses_per_pod_files(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Emptying STORAGE_URL in the base, whose /data is an emptyDir per pod, is refused."""
    assert storage_problems(k8s) == []
    broken = copy.deepcopy(k8s)
    broken["ConfigMap", "folio-config"]["data"]["STORAGE_URL"] = ""
    assert storage_problems(broken) == [
        "STORAGE_URL is empty and folio-web keeps /data in emptyDir, not in a claim every pod mounts",
        "STORAGE_URL is empty and folio-worker keeps /data in emptyDir, not in a claim every pod mounts",
    ]
    broken["ConfigMap", "folio-config"]["data"]["STORAGE_URL"] = "gs://folio-media"
    assert storage_problems(broken) == ["STORAGE_URL 'gs://folio-media' is not s3://bucket/prefix"]


# --- Compose: the specification's schema, and `docker compose config` where it works ------------------


def compose_schema() -> dict[str, Any]:
    raw = COMPOSE_SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == COMPOSE_SCHEMA_SHA256, "tests/data/compose-spec.json was changed"
    schema: dict[str, Any] = json.loads(raw)
    return schema


def compose_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(compose_schema())
    return sorted(
        f"{'.'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}"
        for error in validator.iter_errors(document)
    )


def docker_compose() -> list[str] | None:
    """A Compose v2 client: the `docker compose` plugin, or a standalone `docker-compose` v2."""
    candidates = []
    if docker := shutil.which("docker"):
        candidates.append([docker, "compose"])
    if standalone := shutil.which("docker-compose"):
        candidates.append([standalone])
    for command in candidates:
        try:
            done = subprocess.run(
                [*command, "version", "--short"], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        major = done.stdout.strip().lstrip("v").split(".")[0]
        if done.returncode == 0 and major.isdigit() and int(major) >= 2:
            return command
    return None


def test_compose_file_is_valid(compose: dict[str, Any], tmp_path: Path) -> None:
    errors = compose_errors(compose)
    assert not errors, "\n".join(errors)
    command = docker_compose()
    if command is None:
        return  # no Compose v2 client here (this machine has the docker CLI without the plugin)
    # A copy next to a filled-in .env: the real deploy/.env is the operator's, not the test's.
    workdir = tmp_path / "deploy"
    workdir.mkdir()
    shutil.copy(COMPOSE, workdir / "compose.yaml")
    filled = ENV_EXAMPLE.read_text(encoding="utf-8")
    filled = re.sub(r"^(SECRET_KEY|POSTGRES_PASSWORD)=$", r"\1=test-only-value", filled, flags=re.MULTILINE)
    (workdir / ".env").write_text(filled, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPOSE_")}
    for profile in ([], ["--profile", "redis"]):
        done = subprocess.run(
            [*command, "-f", str(workdir / "compose.yaml"), *profile, "config", "-q"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
        assert done.returncode == 0, done.stderr


def misspell_depends_on(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    web["depend_on"] = web.pop("depends_on")


def misplace_restart_policy(compose: dict[str, Any]) -> None:
    compose["services"]["worker"]["restart_policy"] = {"condition": "on-failure"}


def misspell_replicas(compose: dict[str, Any]) -> None:
    deploy = compose["services"]["web"]["deploy"]
    deploy["replica"] = deploy.pop("replicas")


def number_for_duration(compose: dict[str, Any]) -> None:
    compose["services"]["postgres"]["healthcheck"]["interval"] = 5


def unknown_condition(compose: dict[str, Any]) -> None:
    compose["services"]["web"]["depends_on"]["migrate"]["condition"] = "service_completed"


BROKEN_COMPOSE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "misspelled service key": (misspell_depends_on, "services.web: 'depend_on' does not match any of the regexes"),
    "key at the wrong level": (misplace_restart_policy, "services.worker: 'restart_policy' does not match"),
    "misspelled deploy key": (misspell_replicas, "services.web.deploy: 'replica' does not match"),
    "number for a duration": (number_for_duration, "services.postgres.healthcheck.interval: 5 is not of type"),
    "unknown depends_on condition": (unknown_condition, "services.web.depends_on: "),
}


@pytest.mark.parametrize("breakage", BROKEN_COMPOSE, ids=str)
def test_the_compose_check_rejects_a_broken_file(compose: dict[str, Any], breakage: str) -> None:
    breaking, expected = BROKEN_COMPOSE[breakage]
    broken = copy.deepcopy(compose)
    breaking(broken)
    errors = compose_errors(broken)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


# --- Settings ----------------------------------------------------------------------------------------


def settings_read() -> set[str]:
    """Every environment variable app.lib.settings reads: the first argument of each `_env*("NAME", ...)`."""
    tree = ast.parse(SETTINGS_MODULE.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("_env"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
    return names


def test_every_setting_is_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    names = settings_read()
    assert {"DATABASE_URL", "SECRET_KEY", "STORAGE_URL", "SAQ_QUEUE_URL"} <= names
    assert names <= documented, f"read by app.lib.settings, not in the README's Settings: {sorted(names - documented)}"
