"""The deployment files under deploy/ hold together: offline checks, no cluster, daemon or network.

Every YAML file parses; the Kubernetes base, the compose file, the Dockerfile and the examples follow
the rules deploy/README.md describes (one image for web, worker and migrations; non-root pods with
resources; probes on /health; the HPA and the PDB aim at the web pods; migrations run before the app;
placeholders, never secrets). When `kubectl` is installed, its built-in Kustomize renders the base and
the overlays; when `docker compose` works, it validates the compose file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

yaml: Any = pytest.importorskip("yaml")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT_ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = DEPLOY / ".env.example"

PLACEHOLDER = "CHANGE-ME"
POD_KINDS = {"Deployment", "Job"}
WEB_PORT = 8000


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


def test_web_probes_ask_health(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    web = container(k8s["Deployment", "folio-web"])
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    assert ports == {"http": WEB_PORT}
    assert web["args"] == ["run", "--host", "0.0.0.0", "--port", str(WEB_PORT)]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        http = web[probe]["httpGet"]
        assert http["path"] == "/health", probe
        assert ports.get(http["port"], http["port"]) == WEB_PORT, probe


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
    assert f"http://127.0.0.1:{WEB_PORT}/health" in healthcheck
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


# --- Tools, when this machine has them ---------------------------------------------------------------


@pytest.mark.parametrize("kustomization", kustomizations(), ids=lambda p: str(p.parent.relative_to(DEPLOY)))
def test_kubectl_kustomize_renders(kustomization: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    done = subprocess.run(
        [kubectl, "kustomize", str(kustomization.parent)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    rendered = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    kinds = {doc["kind"] for doc in rendered}
    assert {"Deployment", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    images = {
        each["image"]
        for doc in rendered
        if doc["kind"] in POD_KINDS
        for each in doc["spec"]["template"]["spec"]["containers"]
    }
    assert len(images) == 1
    (image,) = images
    assert ":" in image.rsplit("/", 1)[-1], f"{image} is not pinned to a tag"


def docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    try:
        done = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [docker, "compose"] if done.returncode == 0 else None


def test_docker_compose_config(tmp_path: Path) -> None:
    command = docker_compose()
    if command is None:
        pytest.skip("docker compose is not available")
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
