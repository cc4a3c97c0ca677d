//! `meshroute bootstrap --native` (the benchmark's native Envoy setup and the filter's
//! differential oracle): the seed and a config using most route features produce bootstraps
//! that stock Envoy accepts (`envoy --mode validate`, skipped when `envoy` is not installed).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn native(config: &Path, name: &str) -> (PathBuf, Value) {
    let out = std::env::temp_dir().join(format!("meshroute-native-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_meshroute"))
        .args(["bootstrap", "--native", "-c"])
        .arg(config)
        .arg("-o")
        .arg(&out)
        .args([
            "--listen",
            "127.0.0.1:18080",
            "--listener-port",
            "8080",
            "--admin",
            "127.0.0.1:18081",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = out.join("envoy.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let json = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<String>();
    (file, serde_json::from_str(&json).unwrap())
}

fn validate(file: &Path) {
    let Ok(o) = Command::new("envoy")
        .args(["--mode", "validate", "--log-level", "error", "-c"])
        .arg(file)
        .output()
    else {
        eprintln!("envoy not installed: skipping envoy --mode validate");
        return;
    };
    assert!(
        o.status.success(),
        "envoy rejected {}:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn seed_native_bootstrap_is_valid_envoy_config() {
    let (file, b) = native(&root().join("examples/configs/seed-gateway.yaml"), "seed");
    let hcm =
        &b["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
    let vh = &hcm["route_config"]["virtual_hosts"][0];
    assert_eq!(vh["domains"][0], "demoappv10.magedu.com");
    assert_eq!(
        vh["routes"][0]["route"]["cluster"],
        "outbound|8080||demoappv10.default.svc.cluster.local"
    );
    let clusters = b["static_resources"]["clusters"].as_array().unwrap();
    let c = clusters
        .iter()
        .find(|c| c["name"] == "outbound|8080||demoappv10.default.svc.cluster.local")
        .unwrap();
    assert_eq!(c["lb_policy"], "LEAST_REQUEST");
    assert_eq!(
        c["load_assignment"]["endpoints"][0]["lb_endpoints"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    validate(&file);
}

const FEATURES: &str = r#"proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}
listenerPort: 8080
resources: |
  apiVersion: v1
  kind: Service
  metadata: {name: istio-ingressgateway, namespace: istio-system}
  spec: {selector: {istio: ingressgateway}, ports: [{name: http2, port: 80, targetPort: 8080}]}
  ---
  apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: gw, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*.example.com']}]
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec: {selector: {app: web}, ports: [{name: http, port: 8080}]}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: default, labels: {app: web, version: v1}}
  status: {podIP: 127.0.20.1}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-2, namespace: default, labels: {app: web, version: v2}}
  status: {podIP: 127.0.20.2}
  ---
  apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: web, namespace: default}
  spec:
    host: web
    trafficPolicy:
      loadBalancer: {consistentHash: {httpHeaderName: x-user}}
      connectionPool: {tcp: {maxConnections: 10}, http: {http1MaxPendingRequests: 5}}
      outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 30s}
    subsets:
    - {name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: RANDOM}}}
    - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {consistentHash: {maglev: {tableSize: 65537}, useSourceIp: true}}}}
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: web, namespace: default}
  spec:
    hosts: [web.example.com]
    gateways: [istio-system/gw]
    http:
    - match: [{uri: {exact: /old}}]
      redirect: {uri: /new, authority: other.example.com, redirectCode: 302}
    - match: [{uri: {prefix: /static}, ignoreUriCase: true}]
      directResponse: {status: 200, body: {string: "static"}}
    - match:
      - headers: {x-canary: {exact: "true"}, x-env: {prefix: prod}}
        queryParams: {debug: {exact: "1"}}
        withoutHeaders: {x-block: {}}
      route: [{destination: {host: web, subset: v2}}]
      fault: {abort: {httpStatus: 418, percentage: {value: 1.5}}, delay: {fixedDelay: 1s, percentage: {value: 10}}}
    - match: [{uri: {regex: "/items/[0-9]+"}}]
      rewrite: {uriRegexRewrite: {match: "^/items/([0-9]+)", rewrite: "/v2/items/\\1"}}
      route: [{destination: {host: web, subset: v1}}]
      timeout: 3s
      retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,503"}
    - match: [{uri: {prefix: /api/}}]
      rewrite: {uri: /, authority: api.internal}
      headers:
        request: {set: {x-a: "1"}, add: {x-b: "2"}, remove: [x-c]}
        response: {set: {x-d: "4"}}
      mirror: {host: web, subset: v2}
      mirrorPercentage: {value: 25}
      corsPolicy: {allowOrigins: [{exact: "https://a.example.com"}], allowMethods: [GET, POST], maxAge: 24h, allowCredentials: true}
      route:
      - {destination: {host: web, subset: v1}, weight: 90, headers: {request: {set: {x-dest: v1}}}}
      - {destination: {host: web, subset: v2}, weight: 10}
    - route: [{destination: {host: web}}]
"#;

#[test]
fn feature_rich_native_bootstrap_is_valid_envoy_config() {
    let dir =
        std::env::temp_dir().join(format!("meshroute-native-features-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("features.yaml");
    std::fs::write(&cfg, FEATURES).unwrap();
    let (file, b) = native(&cfg, "features");
    let text = b.to_string();
    for needle in [
        "\"path_redirect\":\"/new\"",
        "\"direct_response\"",
        "\"invert_match\":true",
        "\"query_parameters\"",
        "\"regex_rewrite\"",
        "\"weighted_clusters\"",
        "\"request_mirror_policies\"",
        "envoy.filters.http.fault",
        "envoy.filters.http.cors",
        "\"hash_policy\"",
        "\"MAGLEV\"",
        "\"RANDOM\"",
        "\"outlier_detection\"",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    validate(&file);
}
