//! `meshroute simulate` and `meshroute proxy-config` run as a user runs them, on the seed
//! scenario (three demoapp v1.0 pods behind default/demoappv10, exposed by the
//! istio-ingressgateway on demoappv10.magedu.com, LEAST_CONN DestinationRule).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const CLUSTER: &str = "outbound|8080||demoappv10.default.svc.cluster.local";
const PODS: [&str; 3] = ["127.0.10.31:8080", "127.0.10.32:8080", "127.0.10.33:8080"];

/// The seed's resources, without the proxy header (a YAML block scalar, indented two spaces).
const SEED_RESOURCES: &str = "  apiVersion: v1
  kind: Service
  metadata: {name: demoappv10, namespace: default}
  spec:
    clusterIP: 10.96.10.10
    selector: {app: demoapp, version: v1.0}
    ports: [{name: http, port: 8080, targetPort: 8080}]
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: demoappv10-1, namespace: default, labels: {app: demoapp, version: v1.0}}
  status: {podIP: 127.0.10.31}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: demoappv10-2, namespace: default, labels: {app: demoapp, version: v1.0}}
  status: {podIP: 127.0.10.32}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: demoappv10-3, namespace: default, labels: {app: demoapp, version: v1.0}}
  status: {podIP: 127.0.10.33}
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: istio-ingressgateway, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    ports: [{name: http2, port: 80, targetPort: 8080}]
  ---
  apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: demoappv10-gateway, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: [demoappv10.magedu.com]
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: demoappv10, namespace: default}
  spec:
    hosts: [demoappv10.magedu.com]
    gateways: [istio-system/demoappv10-gateway]
    http:
    - name: default
      route:
      - destination: {host: demoappv10, port: {number: 8080}}
  ---
  apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: demoappv10, namespace: default}
  spec:
    host: demoappv10
    trafficPolicy:
      loadBalancer: {simple: LEAST_CONN}
";

const GATEWAY_PROXY: &str =
    "proxy:\n  kind: gateway\n  namespace: istio-system\n  labels: {istio: ingressgateway}\n";

/// Writes a config file under Cargo's per-target temporary directory; every call gets its own
/// file, so tests running in parallel never read a half-written one.
fn write_config(name: &str, text: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("meshroute-cli-tests");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(&name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn seed_gateway() -> PathBuf {
    write_config(
        "seed-gateway.yaml",
        &format!("{GATEWAY_PROXY}resources: |\n{SEED_RESOURCES}"),
    )
}

fn meshroute(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshroute"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run meshroute: {e}"))
}

fn run_ok(args: &[&str]) -> String {
    let out = meshroute(args);
    assert!(
        out.status.success(),
        "meshroute {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_json(args: &[&str]) -> Value {
    let text = run_ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn cfg(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// Splits a text table into rows of whitespace-separated cells (headers with spaces aside).
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn simulate_seed_request_goes_to_the_demoapp_cluster_and_a_pod() {
    let c = seed_gateway();
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "--listener-port",
        "8080",
        "--output",
        "json",
        "http://demoappv10.magedu.com/",
    ]);
    assert_eq!(v["status"], Value::Null);
    assert_eq!(v["cluster"], CLUSTER);
    assert_eq!(v["virtualService"], "default/demoappv10");
    assert_eq!(v["route"], "default");
    assert_eq!(v["path"], "/");
    assert_eq!(v["authority"], "demoappv10.magedu.com");
    assert_eq!(v["location"], Value::Null);
    let ep = v["endpoint"].as_str().unwrap_or_default();
    assert!(PODS.contains(&ep), "endpoint {ep}");
    assert!(v["trace"].as_array().is_some_and(|t| t.len() >= 3), "{v}");
}

#[test]
fn simulate_unknown_host_is_a_404() {
    let c = seed_gateway();
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "--listener-port",
        "8080",
        "-o",
        "json",
        "http://unknown.example.com/",
    ]);
    assert_eq!(v["status"], 404);
    assert_eq!(v["cluster"], Value::Null);
    assert_eq!(v["endpoint"], Value::Null);
}

#[test]
fn simulate_many_requests_spread_over_all_three_pods() {
    let c = seed_gateway();
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "--listener-port",
        "8080",
        "--requests",
        "300",
        "--seed",
        "42",
        "-o",
        "json",
        "http://demoappv10.magedu.com/",
    ]);
    assert_eq!(v["requests"], 300);
    assert_eq!(v["counts"]["cluster"][CLUSTER], 300);
    assert_eq!(v["counts"]["status"]["forwarded"], 300);
    let eps = v["counts"]["endpoint"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for p in PODS {
        assert!(
            eps.get(p).and_then(Value::as_u64).unwrap_or(0) > 0,
            "{p} got nothing: {v}"
        );
    }
    assert_eq!(eps.values().filter_map(Value::as_u64).sum::<u64>(), 300);
}

#[test]
fn simulate_gateway_maps_the_url_port_80_to_listener_8080_without_the_flag() {
    let c = seed_gateway();
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "-o",
        "json",
        "http://demoappv10.magedu.com/",
    ]);
    assert_eq!(v["request"]["listenerPort"], 8080);
    assert_eq!(v["cluster"], CLUSTER);
}

#[test]
fn simulate_seed_before_its_virtual_service_is_a_404() {
    let without_vs: String = SEED_RESOURCES
        .split("  ---\n")
        .filter(|d| !d.contains("kind: VirtualService"))
        .collect::<Vec<_>>()
        .join("  ---\n");
    let c = write_config(
        "seed-no-vs.yaml",
        &format!("{GATEWAY_PROXY}resources: |\n{without_vs}"),
    );
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "--listener-port",
        "8080",
        "-o",
        "json",
        "http://demoappv10.magedu.com/",
    ]);
    assert_eq!(v["status"], 404);
}

#[test]
fn simulate_sidecar_routes_by_the_url_port() {
    let c = write_config(
        "seed-sidecar.yaml",
        &format!("proxy:\n  kind: sidecar\n  namespace: default\n  labels: {{app: client}}\nresources: |\n{SEED_RESOURCES}"),
    );
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "-o",
        "json",
        "http://demoappv10:8080/hi?x=1",
    ]);
    assert_eq!(v["cluster"], CLUSTER, "{v}");
    assert_eq!(v["path"], "/hi?x=1");
    assert_eq!(v["authority"], "demoappv10:8080");
}

#[test]
fn simulate_text_output_shows_the_decision_and_its_trace() {
    let c = seed_gateway();
    let text = run_ok(&[
        "simulate",
        "-c",
        cfg(&c),
        "--listener-port",
        "8080",
        "-X",
        "POST",
        "-H",
        "x-user: jason",
        "http://demoappv10.magedu.com/api",
    ]);
    assert!(
        text.starts_with("POST http://demoappv10.magedu.com/api (listener port 8080)\n"),
        "{text}"
    );
    assert!(text.contains("FORWARD to 127.0.10.3"), "{text}");
    assert!(text.contains(CLUSTER));
    assert!(
        text.contains("trace:\n  1. listener 0.0.0.0_8080"),
        "{text}"
    );
}

#[test]
fn proxy_config_listeners_show_the_gateway_listener_on_8080() {
    let c = seed_gateway();
    let text = run_ok(&["proxy-config", "listeners", "-c", cfg(&c)]);
    assert!(text.starts_with("ADDRESSES"), "{text}");
    let header: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["ADDRESSES", "PORT", "MATCH", "DESTINATION"]);
    assert!(
        rows(&text).contains(
            &["0.0.0.0", "8080", "ALL", "Route:", "http.8080"]
                .map(String::from)
                .to_vec()
        ),
        "{text}"
    );
}

#[test]
fn proxy_config_routes_show_http_8080_with_the_domain_and_virtual_service() {
    let c = seed_gateway();
    let text = run_ok(&["proxy-config", "routes", "-c", cfg(&c)]);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        rows(&text).contains(
            &[
                "http.8080",
                "demoappv10.magedu.com:80",
                "demoappv10.magedu.com",
                "/*",
                "demoappv10.default"
            ]
            .map(String::from)
            .to_vec()
        ),
        "{text}"
    );
    let v = run_json(&["proxy-config", "routes", "-c", cfg(&c), "-o", "json"]);
    assert_eq!(v[0]["name"], "http.8080");
    assert_eq!(v[0]["domains"][0], "demoappv10.magedu.com");
    assert_eq!(v[0]["virtualService"], "demoappv10.default");
}

#[test]
fn proxy_config_clusters_show_the_destination_rule_and_least_request_for_least_conn() {
    let c = seed_gateway();
    let text = run_ok(&["proxy-config", "clusters", "-c", cfg(&c)]);
    assert!(text.starts_with("SERVICE FQDN"), "{text}");
    assert!(
        rows(&text).contains(
            &[
                "demoappv10.default.svc.cluster.local",
                "8080",
                "-",
                "outbound",
                "EDS",
                "demoappv10.default"
            ]
            .map(String::from)
            .to_vec()
        ),
        "{text}"
    );
    let v = run_json(&["proxy-config", "clusters", "-c", cfg(&c), "-o", "json"]);
    let cl = v
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == CLUSTER))
        .cloned()
        .unwrap_or_default();
    assert_eq!(cl["lb"]["lbPolicy"], "LEAST_REQUEST", "{v}");
    assert_eq!(cl["destinationRule"], "demoappv10.default");
}

#[test]
fn proxy_config_endpoints_list_the_three_pods_healthy() {
    let c = seed_gateway();
    let text = run_ok(&[
        "proxy-config",
        "endpoints",
        "-c",
        cfg(&c),
        "--cluster",
        CLUSTER,
    ]);
    assert!(text.starts_with("ENDPOINT"), "{text}");
    let r = rows(&text);
    assert_eq!(r.len(), 3, "{text}");
    for (row, pod) in r.iter().zip(PODS) {
        assert_eq!(
            row,
            &[pod, "HEALTHY", "OK", CLUSTER].map(String::from).to_vec()
        );
    }
}

#[test]
fn a_config_with_errors_is_reported_and_exits_1() {
    let c = write_config("broken.yaml", "resources: []\nproxi: {}\n");
    let out = meshroute(&["proxy-config", "clusters", "-c", cfg(&c)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Error [MR0301]"), "{err}");
    let out = meshroute(&["simulate", "-c", "/nonexistent/meshroute.yaml", "http://x/"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_errors_exit_2() {
    let c = seed_gateway();
    for args in [
        &["simulate", "-c", cfg(&c)][..],
        &["simulate", "http://x/"],
        &["simulate", "-c", cfg(&c), "--bogus", "http://x/"],
        &["simulate", "-c", cfg(&c), "--requests", "0", "http://x/"],
        &["simulate", "-c", cfg(&c), "-H", "no-colon", "http://x/"],
        &["simulate", "-c", cfg(&c), "ftp://x/"],
        &["proxy-config", "bootstraps", "-c", cfg(&c)],
        &["proxy-config", "-c", cfg(&c)],
        &["frobnicate"],
    ] {
        let out = meshroute(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The shipped example: a gateway config whose resources come from `include: [../seed]`.
fn shipped_seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/configs/seed-gateway.yaml")
}

#[test]
fn shipped_seed_example_routes_through_its_includes_to_the_three_pods() {
    let c = shipped_seed();
    let v = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "--requests",
        "300",
        "-o",
        "json",
        "http://demoappv10.magedu.com/",
    ]);
    assert_eq!(v["counts"]["cluster"][CLUSTER], 300, "{v}");
    for p in PODS {
        assert!(
            v["counts"]["endpoint"][p].as_u64().unwrap_or(0) > 0,
            "{p}: {v}"
        );
    }
    let text = run_ok(&[
        "proxy-config",
        "endpoints",
        "-c",
        cfg(&c),
        "--cluster",
        CLUSTER,
    ]);
    assert_eq!(rows(&text).len(), 3, "{text}");
    let v = run_json(&[
        "proxy-config",
        "clusters",
        "-c",
        cfg(&c),
        "-o",
        "json",
        "--fqdn",
        "demoappv10.default.svc.cluster.local",
    ]);
    assert_eq!(v[0]["lb"]["lbPolicy"], "LEAST_REQUEST", "{v}");
    assert_eq!(v[0]["destinationRule"], "demoappv10.default");
}

#[test]
fn an_analyzer_error_is_reported_but_the_request_is_still_simulated() {
    // Istio applies a VirtualService naming an unknown host (IST0101) and answers 503.
    let broken = SEED_RESOURCES.replace(
        "destination: {host: demoappv10, port: {number: 8080}}",
        "destination: {host: demoappv10.default.svc, port: {number: 8080}}",
    );
    assert_ne!(broken, SEED_RESOURCES);
    let c = write_config(
        "seed-ist0101.yaml",
        &format!("{GATEWAY_PROXY}resources: |\n{broken}"),
    );
    let out = meshroute(&[
        "simulate",
        "-c",
        cfg(&c),
        "-o",
        "json",
        "http://demoappv10.magedu.com/",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("IST0101"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(v["status"], 503, "{v}");
}

#[test]
fn a_config_the_proxy_would_refuse_exits_1_with_istioctl_style_errors() {
    let broken = SEED_RESOURCES.replace(
        "      - destination: {host: demoappv10, port: {number: 8080}}\n",
        "      - destination: {host: demoappv10, port: {number: 8080}}\n        weight: -5\n",
    );
    assert_ne!(broken, SEED_RESOURCES);
    let c = write_config(
        "seed-ist0106.yaml",
        &format!("{GATEWAY_PROXY}resources: |\n{broken}"),
    );
    let out = meshroute(&["simulate", "-c", cfg(&c), "http://demoappv10.magedu.com/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Error [IST0106] (VirtualService default/demoappv10 "),
        "{err}"
    );
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, needle) in [
        ("bash", "_meshroute()"),
        ("zsh", "#compdef meshroute"),
        ("fish", "complete -c meshroute"),
    ] {
        let text = run_ok(&["completions", shell]);
        assert!(text.contains(needle), "{shell}: {text}");
        // Every subcommand and a flag of each is offered.
        for word in [
            "check",
            "simulate",
            "proxy-config",
            "bootstrap",
            "listener-port",
        ] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    assert_eq!(
        meshroute(&["completions", "powershell7"]).status.code(),
        Some(2)
    );
}

const SUBCOMMANDS: [&str; 7] = [
    "check",
    "simulate",
    "proxy-config",
    "bootstrap",
    "test",
    "diff",
    "completions",
];

#[test]
fn help_is_generated_for_every_subcommand_and_exits_0() {
    for cmd in SUBCOMMANDS {
        let text = run_ok(&[cmd, "--help"]);
        assert!(text.contains(&format!("Usage: meshroute {cmd}")), "{text}");
    }
    let top = run_ok(&["--help"]);
    for cmd in SUBCOMMANDS {
        assert!(top.contains(cmd), "{top}");
    }
    assert_eq!(
        run_ok(&["--version"]).trim(),
        format!("meshroute {}", env!("CARGO_PKG_VERSION"))
    );
    // Aliases as before: sim, pc, and istioctl's view names.
    let c = seed_gateway();
    assert!(run_ok(&["pc", "eps", "-c", cfg(&c)]).contains("127.0.10.31:8080"));
    assert!(run_ok(&["sim", "-c", cfg(&c), "http://demoappv10.magedu.com/"]).contains(CLUSTER));
}

const L4_CONFIG: &str =
    "proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}
resources: |
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec: {ports: [{port: 443, name: tls}, {port: 80, name: tcp}], selector: {app: web}}
  ---
  apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: gw, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    servers:
    - port: {number: 15443, name: tls, protocol: TLS}
      hosts: ['*.example.com']
      tls: {mode: PASSTHROUGH}
    - port: {number: 31400, name: tcp, protocol: TCP}
      hosts: ['*']
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: vs, namespace: default}
  spec:
    hosts: ['*.example.com']
    gateways: [istio-system/gw]
    tls:
    - match: [{port: 15443, sniHosts: [a.example.com]}]
      route: [{destination: {host: web, port: {number: 443}}}]
    tcp:
    - route:
      - {destination: {host: web, port: {number: 80}}, weight: 75}
      - {destination: {host: web, port: {number: 443}}, weight: 25}
";

#[test]
fn simulate_tls_passthrough_and_tcp_report_the_chain_and_its_clusters() {
    let c = write_config("l4.yaml", L4_CONFIG);
    let tls = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "-o",
        "json",
        "tls://a.example.com:15443",
    ]);
    assert_eq!(tls["filterChain"], "tls.15443.a.example.com", "{tls}");
    assert_eq!(tls["tlsPassthrough"], true);
    assert_eq!(
        tls["clusters"],
        serde_json::json!([["outbound|443||web.default.svc.cluster.local", 100]])
    );
    let tcp = run_json(&[
        "simulate",
        "-c",
        cfg(&c),
        "-o",
        "json",
        "tcp://anything:31400",
    ]);
    assert_eq!(tcp["filterChain"], "tcp.31400", "{tcp}");
    assert_eq!(
        tcp["clusters"],
        serde_json::json!([
            ["outbound|80||web.default.svc.cluster.local", 75],
            ["outbound|443||web.default.svc.cluster.local", 25]
        ])
    );
    // No server on that port: an error, exit 1.
    let none = meshroute(&["simulate", "-c", cfg(&c), "tcp://anything:9"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no TLS passthrough or TCP server"));
}

// ---------------------------------------------------------------------------------------------
// HTTPS servers: listeners per filter chain, secrets, certificate checks

/// A self-signed certificate for `cn` valid from 1 January of `years.0` to 1 January of
/// `years.1`, and its key (PEM).
fn certificate(cn: &str, years: (i32, i32)) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    p.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    p.serial_number = Some(rcgen::SerialNumber::from(vec![0x42, 0x17]));
    let cert = p.self_signed(&key).expect("cert");
    (cert.pem(), key.serialize_pem())
}

/// The seed plus an HTTPS server on 443 for demoappv10.magedu.com with this `tls`, the
/// gateway Service's 443 → 8443, and a Secret `demoapp-cert` with this certificate and key.
fn https_config(tls: &str, cert: &str, key: &str) -> PathBuf {
    let indent = |pem: &str| {
        pem.lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    };
    let resources = SEED_RESOURCES
        .replace(
            "ports: [{name: http2, port: 80, targetPort: 8080}]",
            "ports: [{name: http2, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]",
        )
        .replace(
            "      hosts: [demoappv10.magedu.com]\n",
            &format!("      hosts: [demoappv10.magedu.com]\n    - port: {{number: 443, name: https, protocol: HTTPS}}\n      hosts: [demoappv10.magedu.com]\n      tls: {tls}\n"),
        );
    assert!(
        resources.contains("number: 443"),
        "the seed's Gateway changed"
    );
    let secret = format!(
        "  ---\n  apiVersion: v1\n  kind: Secret\n  metadata: {{name: demoapp-cert, namespace: istio-system}}\n  type: kubernetes.io/tls\n  stringData:\n    tls.crt: |\n{}    tls.key: |\n{}",
        indent(cert),
        indent(key)
    );
    write_config(
        "https.yaml",
        &format!("{GATEWAY_PROXY}resources: |\n{resources}{secret}"),
    )
}

/// `meshroute bootstrap -c CONFIG -o DIR` with a stand-in filter (bootstrap only checks it exists).
fn bootstrap_into(c: &Path, dir: &Path) -> Output {
    let _ = std::fs::remove_dir_all(dir);
    let wasm = dir.with_extension("wasm");
    std::fs::write(&wasm, b"").unwrap_or_else(|e| panic!("{e}"));
    meshroute(&[
        "bootstrap",
        "-c",
        cfg(c),
        "-o",
        cfg(dir),
        "--wasm",
        cfg(&wasm),
    ])
}

#[test]
fn proxy_config_listeners_show_one_row_per_filter_chain_with_sni_and_mode() {
    let (cert, key) = certificate("demoappv10.magedu.com", (2020, 2090));
    let c = https_config("{mode: SIMPLE, credentialName: demoapp-cert}", &cert, &key);
    let text = run_ok(&["proxy-config", "listeners", "-c", cfg(&c)]);
    assert!(
        text.contains("0.0.0.0    8443  SNI: demoappv10.magedu.com; Trans: tls (SIMPLE)  Route: https.443.https.demoappv10-gateway.istio-system"),
        "{text}"
    );
    assert!(text.contains("0.0.0.0    8080  ALL"), "{text}");
    let v = run_json(&[
        "pc",
        "listeners",
        "-c",
        cfg(&c),
        "--port",
        "8443",
        "-o",
        "json",
    ]);
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["tlsMode"], "SIMPLE");
    assert_eq!(v[0]["serverNames"][0], "demoappv10.magedu.com");
}

#[test]
fn proxy_config_secret_lists_the_certificate_by_serial_dates_and_fingerprint_never_the_key() {
    let (cert, key) = certificate("demoappv10.magedu.com", (2020, 2090));
    let c = https_config("{mode: SIMPLE, credentialName: demoapp-cert}", &cert, &key);
    let out = meshroute(&["proxy-config", "secret", "-c", cfg(&c)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // The header is core's: istioctl's columns, plus SHA-256.
    let cells = |t: &str| -> Vec<String> {
        let first = t.lines().next().unwrap_or("");
        first
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    };
    let header = cells(&meshroute_core::views::render_secrets(&[]));
    assert_eq!(cells(&text), header, "{text}");
    assert_eq!(
        header[..4],
        ["RESOURCE NAME", "TYPE", "STATUS", "VALID CERT"]
    );
    let row = &rows(&text)[0];
    assert_eq!(
        &row[..8],
        [
            "kubernetes://demoapp-cert",
            "Cert",
            "Chain",
            "ACTIVE",
            "true",
            "4217",
            "2090-01-01T00:00:00Z",
            "2020-01-01T00:00:00Z"
        ]
    );
    assert_eq!(row[8].len(), 64, "{text}");
    let all = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
    let everything = run_ok(&["pc", "all", "-c", cfg(&c), "-o", "json"]);
    for leak in [
        "PRIVATE KEY",
        "BEGIN CERTIFICATE",
        key.lines().nth(1).unwrap_or("?"),
    ] {
        assert!(!all.contains(leak) && !everything.contains(leak), "{leak}");
    }
}

#[test]
fn an_expired_certificate_is_a_warning_with_its_date_and_bootstrap_still_writes() {
    let (cert, key) = certificate("demoappv10.magedu.com", (2001, 2002));
    let c = https_config("{mode: SIMPLE, credentialName: demoapp-cert}", &cert, &key);
    let out = meshroute(&["check", cfg(&c)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("Warning [MR0505]")
                && l.contains("expired on 2002-01-01T00:00:00Z")),
        "{text}"
    );
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("expired-{}", std::process::id()));
    let out = bootstrap_into(&c, &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("MR0505"));
}

#[test]
fn bootstrap_refuses_a_key_that_is_not_the_certificates_and_writes_nothing() {
    let (cert, _) = certificate("demoappv10.magedu.com", (2020, 2090));
    let (_, other_key) = certificate("other", (2020, 2090));
    let c = https_config(
        "{mode: SIMPLE, credentialName: demoapp-cert}",
        &cert,
        &other_key,
    );
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("mismatch-{}", std::process::id()));
    let out = bootstrap_into(&c, &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("Error [MR0504]") && err.contains("Secret istio-system/demoapp-cert"),
        "{err}"
    );
    assert!(!dir.exists(), "bootstrap wrote {}", dir.display());
    // `check` says so too (exit 1), and proxy-config shows the secret WARMING.
    let out = meshroute(&["check", cfg(&c)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = run_ok(&["pc", "secret", "-c", cfg(&c)]);
    assert!(text.contains("WARMING"), "{text}");
}

#[test]
fn file_certificates_are_read_by_the_cli_and_shown_with_their_paths() {
    let (cert, key) = certificate("demoappv10.magedu.com", (2020, 2090));
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let (cp, kp) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cp, &cert).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&kp, &key).unwrap_or_else(|e| panic!("{e}"));
    let tls = format!(
        "{{mode: SIMPLE, serverCertificate: {}, privateKey: {}}}",
        cp.display(),
        kp.display()
    );
    let c = https_config(&tls, &cert, &key);
    let v = run_json(&["pc", "secret", "-c", cfg(&c), "-o", "json"]);
    assert_eq!(v[0]["status"], "ACTIVE", "{v}");
    assert_eq!(v[0]["keyMatches"], true);
    assert_eq!(v[0]["files"][0], cp.display().to_string());
    assert_eq!(v[0]["serialNumber"], "4217");
}
