//! Structured configs and requests (via `arbitrary`) → check + compile + `route::decide`.
//!
//! The input picks a base configuration (the seed or a scenario, or none) and adds generated
//! resources to it: services with ports, pods with labels and IPs, a gateway, VirtualServices
//! with matches, weights, subsets, rewrites, redirects, faults and mirrors, DestinationRules with
//! every LB policy including consistent hashing. Names come mostly from small vocabularies (so
//! resources refer to each other) and sometimes from arbitrary strings. Then requests (authority,
//! path, method and headers, often arbitrary bytes) are decided, asserting:
//! - nothing panics;
//! - a forwarded decision's endpoint belongs to the chosen cluster, which is one of the matched
//!   route's weighted destinations (`assert_decision_invariants`);
//! - no route keeps a zero-weight destination among several (`assert_table_invariants`);
//! - over many draws each destination's share matches its weight (8σ), and no cluster outside
//!   the route is ever chosen;
//! - consistent hashing: the same request with the same key lands on the same endpoint.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::check::{check_resources, rejects};
use meshroute_core::compile::compile;
use meshroute_core::config::{parse_config, MeshConfig, ProxyIdentity};
use meshroute_core::lb::{LbPolicy, SplitMix64};
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{decide, route, LbState, Outcome, ReplyKind, Request};
use meshroute_core::table::{Action, RouteTable};
use meshroute_fuzz::{
    assert_decision_invariants, assert_table_invariants, base_configs, decided_route,
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::OnceLock;

const NAMESPACES: &[&str] = &["default", "istio-system", "other"];
const SERVICES: &[&str] = &["web", "reviews", "ratings", "db"];
const VERSIONS: &[&str] = &["v1", "v2", "v3"];
const HOSTS: &[&str] = &[
    "web",
    "reviews",
    "reviews.default.svc.cluster.local",
    "web.example.com",
    "*.example.com",
    "*",
    "ratings.other",
    "db.default.svc.cluster.local",
    "api.example.com",
];
const PATHS: &[&str] = &[
    "/",
    "/v1",
    "/v1/",
    "/api/items",
    "",
    "/a/b/../c",
    "/%2e%2e/x",
    "/UP",
    "/re/12",
];
const REGEXES: &[&str] = &[
    "/re/[0-9]+",
    ".*",
    "(a+)+$",
    "/x/.*/y",
    "(?i)/up",
    "/v[12]/.*",
];
const HEADER_NAMES: &[&str] = &[
    "x-user",
    "cookie",
    "x-canary",
    "end-user",
    "x-meshroute-endpoint",
];
const PORTS: &[u16] = &[80, 8080, 9080, 443];

fn s(u: &mut Unstructured, vocab: &[&str]) -> Result<String> {
    if u.ratio(1, 12)? {
        let v: String = u.arbitrary()?;
        Ok(v.chars().take(40).collect())
    } else {
        Ok(u.choose(vocab)?.to_string())
    }
}

fn string_match(u: &mut Unstructured, vocab: &[&str]) -> Result<Value> {
    Ok(match u.int_in_range(0..=2)? {
        0 => json!({"exact": s(u, vocab)?}),
        1 => json!({"prefix": s(u, vocab)?}),
        _ => json!({"regex": s(u, REGEXES)?}),
    })
}

fn header_ops(u: &mut Unstructured) -> Result<Value> {
    let mut ops = Map::new();
    for (k, _) in [("set", 0), ("add", 1)] {
        if u.arbitrary()? {
            ops.insert(
                k.into(),
                json!({ s(u, HEADER_NAMES)?: s(u, &["yes", "1", ""])? }),
            );
        }
    }
    if u.arbitrary()? {
        ops.insert("remove".into(), json!([s(u, HEADER_NAMES)?]));
    }
    Ok(Value::Object(ops))
}

fn destination(u: &mut Unstructured) -> Result<Value> {
    let mut d = Map::new();
    d.insert("host".into(), json!(s(u, HOSTS)?));
    if u.arbitrary()? {
        d.insert(
            "subset".into(),
            json!(s(u, &["v1", "v2", "v3", "all", "missing"])?),
        );
    }
    if u.ratio(1, 4)? {
        d.insert("port".into(), json!({"number": u.choose(PORTS)?}));
    }
    Ok(Value::Object(d))
}

fn http_route(u: &mut Unstructured, i: usize) -> Result<Value> {
    let mut r = Map::new();
    if u.arbitrary()? {
        r.insert("name".into(), json!(format!("r{i}")));
    }
    let mut matches = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let mut m = Map::new();
        if u.arbitrary()? {
            m.insert("uri".into(), string_match(u, PATHS)?);
        }
        if u.ratio(1, 3)? {
            m.insert(
                "headers".into(),
                json!({ s(u, HEADER_NAMES)?: string_match(u, &["yes", "jason", "a"])? }),
            );
        }
        if u.ratio(1, 5)? {
            m.insert("ignoreUriCase".into(), json!(true));
        }
        if u.ratio(1, 6)? {
            m.insert(
                "queryParams".into(),
                json!({"q": string_match(u, &["1", ""])?}),
            );
        }
        if u.ratio(1, 8)? {
            m.insert("withoutHeaders".into(), json!({"x-deny": {"exact": "yes"}}));
        }
        if u.ratio(1, 8)? {
            m.insert("port".into(), json!(u.choose(PORTS)?));
        }
        matches.push(Value::Object(m));
    }
    if !matches.is_empty() {
        r.insert("match".into(), Value::Array(matches));
    }
    match u.int_in_range(0..=7)? {
        0 => {
            let mut rd = Map::new();
            if u.arbitrary()? {
                rd.insert("uri".into(), json!(s(u, PATHS)?));
            }
            if u.arbitrary()? {
                rd.insert("authority".into(), json!(s(u, HOSTS)?));
            }
            if u.arbitrary()? {
                rd.insert("redirectCode".into(), json!(u.choose(&[301, 302, 308])?));
            }
            r.insert("redirect".into(), Value::Object(rd));
        }
        1 => {
            r.insert(
                "directResponse".into(),
                json!({"status": u.choose(&[200, 201, 301, 404, 503])?, "body": {"string": "hi"}}),
            );
        }
        _ => {
            let mut dests = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                let mut d = Map::new();
                d.insert("destination".into(), destination(u)?);
                if u.ratio(3, 4)? {
                    let w: i64 = if u.ratio(1, 10)? {
                        i64::from(u.arbitrary::<i32>()?)
                    } else {
                        *u.choose(&[0, 1, 3, 10, 50, 90, 100])?
                    };
                    d.insert("weight".into(), json!(w));
                }
                if u.ratio(1, 5)? {
                    d.insert("headers".into(), json!({"request": header_ops(u)?}));
                }
                dests.push(Value::Object(d));
            }
            r.insert("route".into(), Value::Array(dests));
            if u.ratio(1, 4)? {
                r.insert(
                    "timeout".into(),
                    json!(s(u, &["3s", "100ms", "0s", "1m30s"])?),
                );
            }
            if u.ratio(1, 5)? {
                r.insert(
                    "retries".into(),
                    json!({"attempts": u.int_in_range(0..=5)?, "perTryTimeout": "1s", "retryOn": "5xx,retriable-status-codes,503"}),
                );
            }
            if u.ratio(1, 5)? {
                r.insert("mirror".into(), destination(u)?);
                if u.arbitrary()? {
                    r.insert(
                        "mirrorPercentage".into(),
                        json!({"value": u.choose(&[0.0, 50.0, 100.0])?}),
                    );
                }
            }
        }
    }
    if u.ratio(1, 4)? {
        if u.arbitrary()? {
            r.insert("rewrite".into(), json!({"uri": s(u, PATHS)?}));
        } else {
            r.insert(
                "rewrite".into(),
                json!({"uriRegexRewrite": {"match": s(u, REGEXES)?, "rewrite": s(u, &["/", "/\\1", "/x/\\0"])?}}),
            );
        }
    }
    if u.ratio(1, 6)? {
        r.insert("rewrite".into(), json!({"authority": s(u, HOSTS)?}));
    }
    if u.ratio(1, 6)? {
        let pct: f64 = *u.choose(&[0.0, 0.1, 50.0, 100.0])?;
        let mut f = Map::new();
        if u.arbitrary()? {
            f.insert(
                "abort".into(),
                json!({"percentage": {"value": pct}, "httpStatus": u.choose(&[400, 503])?}),
            );
        }
        if u.arbitrary()? {
            f.insert(
                "delay".into(),
                json!({"percentage": {"value": pct}, "fixedDelay": "1s"}),
            );
        }
        r.insert("fault".into(), Value::Object(f));
    }
    if u.ratio(1, 4)? {
        r.insert(
            "headers".into(),
            json!({"request": header_ops(u)?, "response": header_ops(u)?}),
        );
    }
    if u.ratio(1, 8)? {
        r.insert(
            "corsPolicy".into(),
            json!({"allowOrigins": [string_match(u, &["https://a.com", "*"])?], "allowMethods": ["GET"]}),
        );
    }
    Ok(Value::Object(r))
}

fn load_balancer(u: &mut Unstructured) -> Result<Value> {
    Ok(if u.arbitrary()? {
        json!({"simple": u.choose(&["ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "UNSPECIFIED"])?})
    } else {
        let mut ch = Map::new();
        match u.int_in_range(0..=3)? {
            0 => {
                ch.insert("httpHeaderName".into(), json!(s(u, HEADER_NAMES)?));
            }
            1 => {
                let mut c = Map::new();
                c.insert("name".into(), json!(s(u, &["session", "user"])?));
                if u.arbitrary()? {
                    c.insert("ttl".into(), json!(s(u, &["0s", "10s"])?));
                }
                if u.arbitrary()? {
                    c.insert("path".into(), json!("/"));
                }
                ch.insert("httpCookie".into(), Value::Object(c));
            }
            2 => {
                ch.insert("useSourceIp".into(), json!(true));
            }
            _ => {
                ch.insert("httpQueryParameterName".into(), json!("q"));
            }
        }
        if u.arbitrary()? {
            ch.insert(
                "maglev".into(),
                json!({"tableSize": u.choose(&[0u64, 4, 7, 13, 65537])?}),
            );
        } else if u.arbitrary()? {
            ch.insert(
                "ringHash".into(),
                json!({"minimumRingSize": u.choose(&[0u64, 1, 3, 1024, 5000])?}),
            );
        }
        json!({"consistentHash": ch})
    })
}

fn doc(kind: &str, api: &str, name: &str, ns: &str, rest: Map<String, Value>) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!(api));
    o.insert("kind".into(), json!(kind));
    o.insert("metadata".into(), json!({"name": name, "namespace": ns}));
    o.extend(rest);
    Value::Object(o)
}

const ISTIO: &str = "networking.istio.io/v1";

/// Generated resources, as JSON documents (JSON is YAML).
fn resources(u: &mut Unstructured, gateway: bool) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    if gateway && u.arbitrary()? {
        docs.push(doc("Service", "v1", "istio-ingressgateway", "istio-system", {
            let mut m = Map::new();
            m.insert("spec".into(), json!({"selector": {"istio": "ingressgateway"}, "ports": [{"name": "http2", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443, "targetPort": 8443}]}));
            m
        }));
        let mut servers = Vec::new();
        for _ in 0..u.int_in_range(1..=2)? {
            let port = *u.choose(&[80u16, 443, 8080])?;
            let mut hosts = Vec::new();
            for _ in 0..u.int_in_range(1..=2)? {
                hosts.push(json!(s(
                    u,
                    &[
                        "*",
                        "*.example.com",
                        "web.example.com",
                        "default/*",
                        "./web.example.com"
                    ]
                )?));
            }
            let mut srv = json!({"port": {"number": port, "name": format!("p{port}"), "protocol": if port == 443 { "HTTPS" } else { "HTTP" }}, "hosts": hosts});
            if port == 443 {
                srv["tls"] = json!({"mode": "SIMPLE", "credentialName": "c"});
            } else if u.ratio(1, 5)? {
                srv["tls"] = json!({"httpsRedirect": true});
            }
            servers.push(srv);
        }
        docs.push(doc("Gateway", ISTIO, "gw", "istio-system", {
            let mut m = Map::new();
            m.insert(
                "spec".into(),
                json!({"selector": {"istio": "ingressgateway"}, "servers": servers}),
            );
            m
        }));
    }
    for _ in 0..u.int_in_range(0..=3)? {
        let name = s(u, SERVICES)?;
        let ns = s(u, NAMESPACES)?;
        let mut ports = Vec::new();
        for _ in 0..u.int_in_range(1..=2)? {
            let mut p = json!({"name": s(u, &["http", "http2", "grpc", "tcp", "http-web"])?, "port": if u.ratio(1, 10)? { u.arbitrary::<u16>()? } else { *u.choose(PORTS)? }});
            if u.ratio(1, 4)? {
                p["targetPort"] = json!(u.choose(PORTS)?);
            }
            ports.push(p);
        }
        let mut m = Map::new();
        m.insert(
            "spec".into(),
            json!({"selector": {"app": name.clone()}, "ports": ports}),
        );
        docs.push(doc("Service", "v1", &name, &ns, m));
    }
    for i in 0..u.int_in_range(0..=6)? {
        let ns = s(u, NAMESPACES)?;
        let mut labels = BTreeMap::new();
        labels.insert("app", s(u, SERVICES)?);
        if u.arbitrary()? {
            labels.insert("version", s(u, VERSIONS)?);
        }
        let ip = match u.int_in_range(0..=9)? {
            0 => "fd00::1".to_string(),
            1 => s(u, &["not-an-ip", ""])?,
            _ => format!("10.0.{}.{}", i, u.int_in_range(1..=3)?),
        };
        let mut status = json!({"podIP": ip});
        if u.ratio(1, 5)? {
            status["conditions"] = json!([{"type": "Ready", "status": "False"}]);
        }
        let mut m = Map::new();
        m.insert("status".into(), status);
        let mut d = doc("Pod", "v1", &format!("pod{i}"), &ns, m);
        d["metadata"]["labels"] = json!(labels);
        docs.push(d);
    }
    for i in 0..u.int_in_range(0..=3)? {
        let ns = s(u, NAMESPACES)?;
        let mut hosts = Vec::new();
        for _ in 0..u.int_in_range(1..=2)? {
            hosts.push(json!(s(u, HOSTS)?));
        }
        let mut spec = Map::new();
        spec.insert("hosts".into(), Value::Array(hosts));
        if gateway || u.ratio(1, 4)? {
            let mut gws = Vec::new();
            for _ in 0..u.int_in_range(1..=2)? {
                gws.push(json!(s(u, &["istio-system/gw", "gw", "mesh", "other/gw"])?));
            }
            spec.insert("gateways".into(), Value::Array(gws));
        }
        let mut http = Vec::new();
        for j in 0..u.int_in_range(1..=3)? {
            http.push(http_route(u, j)?);
        }
        spec.insert("http".into(), Value::Array(http));
        let mut m = Map::new();
        m.insert("spec".into(), Value::Object(spec));
        docs.push(doc("VirtualService", ISTIO, &format!("vs{i}"), &ns, m));
    }
    for i in 0..u.int_in_range(0..=3)? {
        let ns = s(u, NAMESPACES)?;
        let mut spec = Map::new();
        spec.insert("host".into(), json!(s(u, HOSTS)?));
        let mut tp = Map::new();
        if u.arbitrary()? {
            tp.insert("loadBalancer".into(), load_balancer(u)?);
        }
        if u.ratio(1, 4)? {
            tp.insert(
                "outlierDetection".into(),
                json!({"consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "30s", "maxEjectionPercent": 100, "minHealthPercent": u.choose(&[0, 50])?}),
            );
        }
        spec.insert("trafficPolicy".into(), Value::Object(tp));
        let mut subsets = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let name = s(u, &["v1", "v2", "v3", "all"])?;
            let mut sub = json!({"name": name});
            if name != "all" {
                sub["labels"] = json!({"version": s(u, VERSIONS)?});
            }
            if u.ratio(1, 4)? {
                sub["trafficPolicy"] = json!({"loadBalancer": load_balancer(u)?});
            }
            subsets.push(sub);
        }
        spec.insert("subsets".into(), Value::Array(subsets));
        let mut m = Map::new();
        m.insert("spec".into(), Value::Object(spec));
        docs.push(doc("DestinationRule", ISTIO, &format!("dr{i}"), &ns, m));
    }
    Ok(docs)
}

/// Loads the base (if any), adds the generated resources, and does what `check::prepare` does:
/// refuse what the API server would refuse (mostly), compile the rest.
fn build(u: &mut Unstructured) -> Result<Option<RouteTable>> {
    // Base configs parsed once; each input clones one.
    static PARSED: OnceLock<Vec<Option<MeshConfig>>> = OnceLock::new();
    let bases = PARSED.get_or_init(|| {
        base_configs()
            .iter()
            .map(|(name, text)| parse_config(name, text.as_bytes(), &LoadOptions::default()).0)
            .collect()
    });
    let bi = u.int_in_range(0..=bases.len())?;
    let load = LoadOptions::default();
    let mut cfg = match bases.get(bi) {
        Some(Some(c)) => c.clone(),
        Some(None) => return Ok(None),
        None => MeshConfig {
            proxy: if u.arbitrary()? {
                ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")])
            } else {
                ProxyIdentity::sidecar(u.choose(NAMESPACES)?, &[("app", "web")])
            },
            ..Default::default()
        },
    };
    let gateway = cfg.proxy.kind == meshroute_core::config::ProxyKind::Gateway;
    let docs = resources(u, gateway)?;
    let text: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    let mut diags = cfg
        .resources
        .add_text("gen.yaml", &text.join("\n---\n"), &load);
    check_resources(&cfg.resources, &AnalyzeOptions::default(), &mut diags);
    // What the API server would refuse never reaches compile in the filter; compile it anyway
    // now and then (the scenario tests compile such configs, and compile must not panic).
    if diags.iter().any(rejects) && !u.ratio(1, 8)? {
        return Ok(None);
    }
    let (table, _) = compile(&cfg.resources, &cfg.proxy);
    Ok(Some(table))
}

fn bytes_or(u: &mut Unstructured, vocab: &[String]) -> Result<Vec<u8>> {
    if vocab.is_empty() || u.ratio(1, 6)? {
        let mut v: Vec<u8> = u.arbitrary()?;
        v.truncate(64);
        Ok(v)
    } else {
        Ok(u.choose(vocab)?.clone().into_bytes())
    }
}

/// Draws `n` routings of `req` and checks the weighted split of the route it matched.
fn check_weights(t: &RouteTable, req: &Request, seed: u64) {
    let mut rng = SplitMix64(seed);
    let first = route(t, req, &mut rng, false);
    let Some(r) = decided_route(t, &first) else {
        return;
    };
    let Action::Forward(dests) = &r.action else {
        return;
    };
    if dests.len() < 2 {
        return;
    }
    let total: u64 = dests.iter().map(|d| u64::from(d.weight)).sum();
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for d in dests {
        *expected.entry(d.cluster_name.as_str()).or_default() += u64::from(d.weight);
    }
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut n = 0u64;
    for _ in 0..400 {
        let d = route(t, req, &mut rng, false);
        let name = match &d.outcome {
            Outcome::Forward(f) => f.cluster_name.to_string(),
            Outcome::Reply(rep) if rep.kind == ReplyKind::ClusterNotFound => rep
                .body
                .strip_prefix("meshroute: cluster ")
                .and_then(|b| b.strip_suffix(" not found\n"))
                .unwrap_or_default()
                .to_string(),
            Outcome::Reply(_) => continue, // fault abort, CORS preflight: no split drawn
        };
        assert!(
            expected.contains_key(name.as_str()),
            "chose {name}, not a destination of route {}",
            r.name
        );
        *seen.entry(name).or_default() += 1;
        n += 1;
    }
    if n < 100 {
        return;
    }
    for (name, w) in &expected {
        let p = *w as f64 / total as f64;
        let want = n as f64 * p;
        let sigma = (n as f64 * p * (1.0 - p)).sqrt();
        let got = seen.get(*name).copied().unwrap_or(0) as f64;
        assert!(
            (got - want).abs() <= 8.0 * sigma + 1.0,
            "{name}: chosen {got} of {n}, weight share {p:.4} expects {want:.1}"
        );
    }
}

fn run(u: &mut Unstructured) -> Result<()> {
    let Some(t) = build(u)? else {
        return Ok(());
    };
    assert_table_invariants(&t);
    let mut domains: Vec<String> = Vec::new();
    let mut header_names: Vec<String> = HEADER_NAMES.iter().map(|s| s.to_string()).collect();
    let mut ports: Vec<u32> = vec![80, 8080];
    for l in &t.listeners {
        ports.push(l.port);
        for vh in &t.route_configs[l.route_config].virtual_hosts {
            domains.extend(vh.domains.iter().map(|d| d.replace('*', "x")));
            for r in &vh.routes {
                header_names.extend(r.matcher.headers.iter().map(|h| h.name.clone()));
            }
        }
    }
    let paths: Vec<String> = PATHS
        .iter()
        .flat_map(|p| [p.to_string(), format!("{p}?q=1")])
        .chain(["/re/7".to_string(), "http://evil.example/x".to_string()])
        .collect();
    let mut lb = LbState::for_table(&t);
    let mut rng = SplitMix64(u.arbitrary()?);
    let mut weights_checked = false;
    for _ in 0..u.int_in_range(1..=6)? {
        let authority = bytes_or(u, &domains)?;
        let path = bytes_or(u, &paths)?;
        let method = bytes_or(u, &["GET".into(), "POST".into(), "OPTIONS".into()])?;
        let scheme: &[u8] = if u.arbitrary()? { b"http" } else { b"https" };
        let mut owned: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for _ in 0..u.int_in_range(0..=4)? {
            owned.push((
                bytes_or(u, &header_names)?,
                bytes_or(u, &["yes".into(), "jason".into(), "session=abc".into()])?,
            ));
        }
        let headers: Vec<(&[u8], &[u8])> = owned
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        let source_ip: Option<IpAddr> = if u.arbitrary()? {
            Some(IpAddr::from(u.arbitrary::<[u8; 4]>()?))
        } else {
            None
        };
        let req = Request {
            filter_chain: b"",
            listener_port: *u.choose(&ports)?,
            authority: &authority,
            path: &path,
            method: &method,
            scheme,
            headers: &headers,
            source_ip,
        };
        let d = decide(&t, &req, &mut lb, 0, &mut rng, u.arbitrary()?);
        assert_decision_invariants(&t, &d);
        if let Outcome::Forward(f) = &d.outcome {
            // Consistent hashing: with a key, the same request lands on the same endpoint.
            let c = &t.clusters[f.cluster as usize];
            let hashing = matches!(
                c.selector.policy,
                LbPolicy::RingHash { .. } | LbPolicy::Maglev { .. }
            );
            if hashing && f.hash.is_some() && f.set_cookie.is_none() {
                let mut lb2 = lb.clone();
                let again = decide(&t, &req, &mut lb2, 0, &mut SplitMix64(1), false);
                if let Outcome::Forward(g) = &again.outcome {
                    if g.cluster == f.cluster {
                        assert_eq!(
                            g.hash, f.hash,
                            "hash key changed between identical requests"
                        );
                        assert_eq!(
                            g.endpoint, f.endpoint,
                            "consistent hash moved in {}",
                            c.name
                        );
                    }
                }
            }
            if !weights_checked && u.arbitrary()? {
                weights_checked = true;
                check_weights(&t, &req, u.arbitrary()?);
            }
        }
        if let Outcome::Reply(r) = &d.outcome {
            assert!((100..=999).contains(&r.status), "reply status {}", r.status);
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = run(&mut u);
});
