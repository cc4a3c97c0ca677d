//! Differential test (issue 9): random configs within the supported subset and random requests,
//! each config run in two stock Envoys — one with the meshroute filter (`debug: true`, so the
//! answer names the cluster in `x-meshroute-cluster`) and one with `meshroute bootstrap
//! --native`, the route configuration istiod would generate from the same compiled table (the
//! cluster comes from its access log, `cluster=%UPSTREAM_CLUSTER%`, one line per request in
//! order: one worker, one request at a time). Per request both must give the same status, the
//! same cluster when a pod answered, the same `Location` for redirects and the same body for
//! direct responses.
//!
//! Deterministic (a fixed-seed RNG); bounded (10 configs × 100 requests, about 40 s). Weighted routes use
//! 100/0 weights, so the pick is deterministic and still exercises the weight handling.
//! Documented differences (docs/FEATURES.md, "Where behaviour differs from Istio") are out of
//! the generated subset. Prints the agreement rate and sample size (docs/RELIABILITY.md).

use meshroute_tests::harness::seed::{config, ingress_gateway_docs, write, GATEWAY_PROXY};
use meshroute_tests::harness::{e2e_bins, http, Demoapp, Envoy, EnvoyOptions, Net, TempDir};
use std::fmt::Write as _;

/// Defaults; `MESHROUTE_DIFF_CONFIGS`, `MESHROUTE_DIFF_REQUESTS` and `MESHROUTE_DIFF_SEED` (the
/// first config's seed) run a larger or another sample.
const CONFIGS: u64 = 10;
const REQUESTS: usize = 100;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// splitmix64: small, deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// (service, version, host octet): s2 has no v2 pod, so its subset v2 has no endpoints.
const PODS: [(&str, &str, u8); 5] = [
    ("s0", "v1", 60),
    ("s0", "v2", 61),
    ("s1", "v1", 62),
    ("s1", "v2", 63),
    ("s2", "v1", 64),
];
const VS_HOSTS: [&str; 2] = ["h0.diff.test", "h1.diff.test"];
/// Request hosts: the VirtualServices' (also with a port), one the gateway admits but no
/// VirtualService serves, one the gateway does not admit.
const REQ_HOSTS: [&str; 6] = [
    "h0.diff.test",
    "h1.diff.test",
    "h0.diff.test:80",
    "H1.Diff.Test",
    "nope.diff.test",
    "other.example",
];
const PATHS: [&str; 19] = [
    "/api?x=1",
    "/items/7?x=a&next=/api",
    "/api/../login",
    "/static/%2e%2e/api/v1",
    "//api/v1",
    "/api/v1/items/42?x=1",
    "/Login",
    "/",
    "/api",
    "/api/v1",
    "/api/v1/items/42",
    "/api/v2/x",
    "/API/v1",
    "/api2",
    "/static/app.css",
    "/login",
    "/items/7",
    "/items/x",
    "/login?next=/api",
];

fn uri_match(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => "{prefix: /api}".into(),
        1 => "{prefix: /api/v1}".into(),
        2 => "{prefix: /static}".into(),
        3 => "{exact: /login}".into(),
        4 => "{exact: /api/v1}".into(),
        5 => "{regex: \"/items/[0-9]+\"}".into(),
        6 => "{regex: \"/api/v[0-9]/.*\"}".into(),
        _ => "{prefix: /}".into(),
    }
}

fn header_match(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => "x-a: {exact: \"1\"}".into(),
        1 => "x-a: {prefix: \"1\"}".into(),
        2 => "x-b: {}".into(),
        3 => "x-b: {exact: beta}".into(),
        _ => "x-a: {regex: \"[0-9]+\"}".into(),
    }
}

fn query_match(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => "next: {exact: /api}".into(),
        1 => "x: {}".into(),
        _ => "x: {regex: \"[0-9]\"}".into(),
    }
}

fn destination(rng: &mut Rng) -> String {
    // `ghost` is no Service: no such cluster (503).
    let host = *rng.pick(&["s0", "s1", "s2", "s0", "s1", "ghost"]);
    match rng.below(6) {
        0 | 1 => format!("{{host: {host}}}"),
        2 | 3 => format!("{{host: {host}, subset: v1}}"),
        4 => format!("{{host: {host}, subset: v2}}"),
        // Not defined in the DestinationRule: no such cluster (503).
        _ => format!("{{host: {host}, subset: v9}}"),
    }
}

fn rule(rng: &mut Rng, i: usize) -> String {
    let mut r = format!("  - name: r{i}\n");
    let matches = rng.below(3);
    if matches > 0 {
        r.push_str("    match:\n");
        for _ in 0..matches {
            let mut parts = Vec::new();
            if rng.chance(80) {
                parts.push(format!("uri: {}", uri_match(rng)));
            }
            if rng.chance(40) {
                parts.push(format!("headers: {{{}}}", header_match(rng)));
            }
            if rng.chance(20) {
                parts.push(format!("queryParams: {{{}}}", query_match(rng)));
            }
            if rng.chance(15) {
                parts.push("ignoreUriCase: true".into());
            }
            if parts.is_empty() {
                parts.push("uri: {prefix: /}".into());
            }
            let _ = writeln!(r, "    - {{{}}}", parts.join(", "));
        }
    }
    match rng.below(10) {
        0 => r.push_str("    redirect: {uri: /moved, redirectCode: 301}\n"),
        1 => r.push_str("    redirect: {authority: elsewhere.test}\n"),
        2 => r.push_str("    directResponse: {status: 418, body: {string: teapot}}\n"),
        3 | 4 => {
            let _ = write!(
                r,
                "    route:\n    - {{destination: {}, weight: 100}}\n    - {{destination: {}, weight: 0}}\n",
                destination(rng),
                destination(rng)
            );
        }
        _ => {
            let _ = writeln!(r, "    route: [{{destination: {}}}]", destination(rng));
        }
    }
    r
}

fn resources(net: &Net, rng: &mut Rng) -> String {
    let mut docs = vec![ingress_gateway_docs(net)];
    for s in ["s0", "s1", "s2"] {
        docs.push(format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: {s}, namespace: default}}\nspec:\n  selector: {{app: {s}}}\n  ports: [{{name: http, port: 8080}}]\n"
        ));
        docs.push(format!(
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: {s}, namespace: default}}\nspec:\n  host: {s}\n  subsets:\n  - {{name: v1, labels: {{version: v1}}}}\n  - {{name: v2, labels: {{version: v2}}}}\n"
        ));
    }
    for (s, v, h) in PODS {
        docs.push(format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {s}-{v}, namespace: default, labels: {{app: {s}, version: {v}}}}}\nstatus: {{podIP: {}}}\n",
            net.ip(h)
        ));
    }
    docs.push("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*.diff.test']\n".into());
    // Half the configs add a wildcard VirtualService: Envoy picks the exact domain over the
    // suffix wildcard, so only hosts without their own VirtualService reach it.
    let wildcard = rng.chance(50);
    let hosts: &[&str] = if wildcard {
        &["h0.diff.test", "h1.diff.test", "'*.diff.test'"]
    } else {
        &VS_HOSTS
    };
    for (k, host) in hosts.iter().enumerate() {
        let mut http = String::new();
        for i in 0..2 + rng.below(5) {
            http.push_str(&rule(rng, i));
        }
        docs.push(format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs{k}, namespace: default}}\nspec:\n  hosts: [{host}]\n  gateways: [istio-system/gw]\n  http:\n{http}"
        ));
    }
    docs.join("---\n")
}

/// One request: host, path, headers.
type Req = (String, String, Vec<(String, String)>);

fn request(rng: &mut Rng) -> Req {
    let host = rng.pick(&REQ_HOSTS).to_string();
    let path = rng.pick(&PATHS).to_string();
    let mut headers = Vec::new();
    if rng.chance(40) {
        headers.push(("x-a".into(), rng.pick(&["1", "10", "2", "x"]).to_string()));
    }
    if rng.chance(30) {
        headers.push(("x-b".into(), rng.pick(&["beta", "alpha", ""]).to_string()));
    }
    (host, path, headers)
}

/// What one Envoy answered, reduced to what must agree.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: u16,
    /// The cluster, when a pod answered.
    cluster: Option<String>,
    location: Option<String>,
    /// The body of answers no pod gave (direct responses).
    body: Option<String>,
}

fn send(envoy: &Envoy, (host, path, headers): &Req) -> http::Response {
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    http::get(envoy.addr(), host, path, &h).expect("request")
}

fn outcome(r: &http::Response, cluster: Option<String>) -> Outcome {
    let pod = r.pod().is_some();
    Outcome {
        status: r.status,
        cluster: if pod { cluster } else { None },
        location: r.header("location").map(str::to_string),
        body: (!pod && r.status == 418).then(|| r.text()),
    }
}

/// The `cluster=` field of each access-log line, in order.
fn logged_clusters(log: &str) -> Vec<String> {
    log.lines()
        .map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("cluster="))
                .unwrap_or("-")
                .to_string()
        })
        .collect()
}

#[test]
fn differential_filter_vs_native() {
    let Some(bins) = e2e_bins("differential_filter_vs_native") else {
        return;
    };
    let net = Net::claim().expect("net");
    let _pods: Vec<Demoapp> = PODS
        .iter()
        .map(|(s, v, h)| {
            Demoapp::start(
                &bins,
                net.addr(*h, 8080),
                v,
                &format!("{s}-{v}"),
                &["--quiet"],
            )
            .expect("pod")
        })
        .collect();
    let dir = TempDir::new("differential").expect("dir");
    let (mut total, mut agree) = (0usize, 0usize);
    let mut disagreements = Vec::new();
    // What the sample covered: status and cluster (the filter's side).
    let mut kinds = std::collections::BTreeMap::new();
    let configs = env_or("MESHROUTE_DIFF_CONFIGS", CONFIGS);
    let requests = env_or("MESHROUTE_DIFF_REQUESTS", REQUESTS as u64) as usize;
    let first = env_or("MESHROUTE_DIFF_SEED", 0);
    for c in first..first + configs {
        let mut rng = Rng(0x6d65_7368_0000 + c);
        let res = resources(&net, &mut rng);
        let path = write(
            dir.path(),
            &format!("config-{c}.yaml"),
            &config(GATEWAY_PROXY, Some(8080), true, &res),
        )
        .expect("write config");
        let filter = Envoy::start(
            &bins,
            EnvoyOptions::new(&path)
                .listener_port(8080)
                .concurrency(1)
                .access_log(false),
        )
        .unwrap_or_else(|e| panic!("config {c}: filter Envoy: {e}\n{res}"));
        let native = Envoy::start(
            &bins,
            EnvoyOptions::new(&path)
                .listener_port(8080)
                .concurrency(1)
                .native(true),
        )
        .unwrap_or_else(|e| panic!("config {c}: native Envoy: {e}\n{res}"));
        let reqs: Vec<Req> = (0..requests).map(|_| request(&mut rng)).collect();
        let mut answers = Vec::new();
        for q in &reqs {
            let f = send(&filter, q);
            let n = send(&native, q);
            answers.push((f, n));
        }
        // One access-log line per request (file flush every 100 ms).
        let clusters =
            meshroute_tests::harness::eventually(std::time::Duration::from_secs(5), || {
                let l = logged_clusters(&native.access_log());
                (l.len() >= reqs.len()).then_some(l)
            })
            .unwrap_or_else(|| panic!("config {c}: native access log incomplete"));
        for (i, (q, (f, n))) in reqs.iter().zip(&answers).enumerate() {
            let fo = outcome(f, f.header("x-meshroute-cluster").map(str::to_string));
            let no = outcome(n, Some(clusters[i].clone()));
            total += 1;
            let kind = match (&fo.cluster, fo.status) {
                (Some(c), s) => format!("{s} {c}"),
                (None, s) => format!("{s} (no pod)"),
            };
            *kinds.entry(kind).or_insert(0usize) += 1;
            if fo == no {
                agree += 1;
            } else {
                disagreements.push(format!(
                    "config {c} request {i} {q:?}:\n  filter {fo:?} ({})\n  native {no:?} ({})",
                    f.summary(),
                    n.summary()
                ));
            }
        }
        if disagreements
            .iter()
            .any(|d| d.starts_with(&format!("config {c} ")))
        {
            eprintln!("--- config {c}:\n{res}");
        }
    }
    println!(
        "differential: {agree}/{total} requests agree ({:.1} %), {configs} configs × {requests} requests",
        agree as f64 * 100.0 / total as f64
    );
    for (k, n) in &kinds {
        println!("  {n:4}  {k}");
    }
    for d in &disagreements {
        println!("{d}");
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements (above)",
        disagreements.len()
    );
}
