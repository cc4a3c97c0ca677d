#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's YAML: examples/seed and every scenario under
# core/tests/scenarios. Idempotent; existing corpus entries are kept.
#   bash fuzz/seed-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
c=fuzz/corpus
mkdir -p "$c/load_validate" "$c/compile_route" "$c/filter_plan"

# The `config:` block of a scenario file, de-indented by two (as meshroute_fuzz::config_block).
config_block() {
  awk 'inside && /^[^ #]/ {exit} inside {sub(/^  /, ""); print} /^config:[[:space:]]*$/ {inside=1}' "$1"
}

# load_validate: raw resource files, whole scenario files, their configs, the seed as a config.
for f in examples/seed/*.yaml core/tests/scenarios/*.yaml core/tests/fixtures/*.yaml; do
  [ -e "$f" ] || continue
  cp "$f" "$c/load_validate/raw-$(basename "$f")"
done
for f in core/tests/scenarios/*.yaml; do
  config_block "$f" >"$c/load_validate/config-$(basename "$f")"
done
{
  echo "proxy: {kind: gateway, namespace: istio-system, labels: {app: istio-ingressgateway, istio: ingressgateway}}"
  echo "listenerPort: 8080"
  echo "resources: |"
  first=1
  for f in examples/seed/{demoapp,ingress-gateway,gateway,virtualservice,destinationrule}.yaml; do
    [ $first = 1 ] || echo "  ---"
    first=0
    sed 's/^/  /' "$f"
  done
} >"$c/load_validate/config-seed.yaml"

# compile_route: structured input; the first byte picks the base config (0 = the seed, then the
# scenarios in file-name order, past the end = generated resources only). The rest is a fixed
# pattern the fuzzer grows from.
n=$(ls core/tests/scenarios/*.yaml | wc -l)
for i in $(seq 0 $((n + 1))); do
  { printf "\\x$(printf %02x "$i")"; head -c 256 /dev/zero | tr '\0' '\125'; } >"$c/compile_route/base-$i"
done

# filter_plan: requests as text (meshroute_fuzz::parse_request), against the seed (config 0).
req() { printf '%b' "$2" >"$c/filter_plan/$1"; }
req seed-root 'GET / HTTP/1.1\n:authority: demoappv10.magedu.com\nuser-agent: curl/8\n'
req seed-port 'GET /hostname?x=1 HTTP/1.1\n:authority: demoappv10.magedu.com:80\n'
req unknown-host 'GET / HTTP/1.1\n:authority: nobody.example.com\n'
req host-only 'GET / HTTP/1.1\nhost: demoappv10.magedu.com\n'
req host-vs-authority 'GET / HTTP/1.1\n:authority: nobody.example.com\nhost: demoappv10.magedu.com\n'
req spoofed-steering 'GET / HTTP/1.1\n:authority: demoappv10.magedu.com\nx-meshroute-endpoint: 6.6.6.6:22\nx-meshroute-cluster: evil\nx-meshroute-mirror-cluster-0: meshroute_mirror_0\nx-meshroute-mirror-endpoint-0: 6.6.6.6:22\n'
req spoofed-upper 'GET / HTTP/1.1\n:authority: demoappv10.magedu.com\nX-Meshroute-Endpoint: 6.6.6.6:22\nX-Envoy-Retry-On: 5xx\n'
req spoofed-envoy 'GET / HTTP/1.1\n:authority: nobody.example.com\nx-envoy-fault-abort-request: 500\nx-envoy-fault-delay-request: 9999\nx-envoy-upstream-rq-timeout-ms: 1\nx-envoy-max-retries: 99\n'
req spoofed-debug '@debug\nGET / HTTP/1.1\n:authority: demoappv10.magedu.com\nx-meshroute-virtual-service: evil\nx-meshroute-route: evil\n'
req absolute-form 'GET http://demoappv10.magedu.com/x HTTP/1.1\n:authority: demoappv10.magedu.com\n'
req dotdot 'GET /a/../../etc/passwd HTTP/1.1\n:authority: demoappv10.magedu.com\n'
req pct 'GET /%2e%2e/%2F%00 HTTP/1.1\n:authority: demoappv10.magedu.com\n'
req binary 'GET /\xff\xfe HTTP/1.1\n:authority: demoappv10.magedu.com\nx-bin: caf\xe9\xff\n'
req ipv6 '@source ::1\nGET / HTTP/1.1\n:authority: [::1]:8080\n'
for i in $(seq 1 "$n"); do
  req "config-$i" "@config $i\nGET / HTTP/1.1\n:authority: web.example.com\nx-user: jason\ncookie: session=1\n"
done
# The scenarios' own requests, when PyYAML is around (optional).
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$c/filter_plan" core/tests/scenarios/*.yaml <<'PY'
import sys, yaml, os
out, files = sys.argv[1], sorted(sys.argv[2:])
files = [f for f in files if "\nresourceFiles:" not in open(f).read()]
for i, f in enumerate(files, start=1):
    doc = yaml.safe_load(open(f))
    for j, r in enumerate(doc.get("requests") or []):
        lines = [f"@config {i}", f"@port {r.get('port', 80)}"]
        lines.append(f"{r.get('method', 'GET')} {r.get('path', '/')} HTTP/1.1")
        lines.append(f":authority: {r.get('authority', '')}")
        for k, v in (r.get("headers") or {}).items():
            lines.append(f"{k}: {v}")
        name = os.path.splitext(os.path.basename(f))[0]
        open(os.path.join(out, f"scenario-{name}-{j}"), "w").write("\n".join(lines) + "\n")
PY
fi
for t in load_validate compile_route filter_plan; do
  echo "$t: $(ls "$c/$t" | wc -l) seeds"
done
