#!/usr/bin/env bash
# Checks the Prometheus alert rules shipped in deploy/monitoring (and, through the same file,
# the Helm chart's PrometheusRule): `promtool check rules` and `promtool test rules`, whose
# unit tests make every alert fire on a synthetic bad series and stay quiet on a healthy one.
# promtool comes from Debian's `prometheus` package, installed here when missing. The
# dashboard must be valid JSON; which metrics the rules and panels name is checked against a
# real scrape by tests/api/monitoring_names.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v promtool >/dev/null; then
  echo "promtool missing: installing Debian's prometheus package"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version 2>&1 | head -1

promtool check rules deploy/monitoring/toolbox-alerts.yaml
promtool test rules deploy/monitoring/toolbox-alerts.test.yaml

# Every alert in the rules has a firing and a quiet unit test.
python3 - <<'PY'
import re, sys
rules = open("deploy/monitoring/toolbox-alerts.yaml").read()
tests = open("deploy/monitoring/toolbox-alerts.test.yaml").read()
alerts = re.findall(r"^\s*- alert: (\S+)", rules, re.M)
problems = []
for a in alerts:
    cases = re.findall(r"alertname: %s\n\s*exp_alerts:(.*)" % re.escape(a), tests)
    if not any(c.strip() == "[]" for c in cases):
        problems.append(f"{a}: no test that it stays quiet")
    if not any(c.strip() == "" for c in cases):
        problems.append(f"{a}: no test that it fires")
if problems:
    sys.exit("\n".join(problems))
print(f"ok   {len(alerts)} alerts, each with a firing and a quiet unit test")
PY

python3 - <<'PY'
import json
d = json.load(open("deploy/monitoring/toolbox-dashboard.json"))
panels = [p for p in d["panels"] if p["type"] != "row"]
assert all(p["targets"] for p in panels), "a panel without a query"
print(f"ok   dashboard: {len(panels)} panels")
PY
cmp -s deploy/monitoring/toolbox-alerts.yaml deploy/helm/toolbox/files/toolbox-alerts.yaml
cmp -s deploy/monitoring/toolbox-dashboard.json deploy/helm/toolbox/files/toolbox-dashboard.json
echo "12-monitoring: ok"
