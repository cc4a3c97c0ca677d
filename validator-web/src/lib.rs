//! # meshroute-validator-web
//!
//! The engine of meshroute's browser config checker: `meshroute-core` — the same code the Envoy
//! filter runs — behind four functions that take text and return JSON strings, so the page is a
//! thin shell (the Ruff/Biome playground shape). Nothing leaves the browser.
//!
//! | function | returns |
//! |---|---|
//! | [`validate`]`(text)` | diagnostics (1-based line, UTF-16 column, code, severity, resource, field path, message) |
//! | [`proxies`]`(text)` | the proxies the config implies: each Gateway selector as a gateway, each namespace with workloads as a sidecar |
//! | [`tables`]`(text, proxy, now_ms)` | `istioctl proxy-config` listeners/routes/clusters/endpoints/secret for one proxy at `Date.now()`, plus a traffic graph |
//! | [`simulate`]`(text, proxy, request)` | the routing decision for one request and its step-by-step trace |
//! | [`envoy_config`]`(text, proxy)` | the files `meshroute bootstrap` would write for that proxy (bootstrap, ECDS, CDS, EDS, LDS, SDS) and the `--native` bootstrap, private keys and certificates redacted |
//! | [`run_tests`]`(text, tests)` | route test cases (meshroute's `tests:` or istio-config-validator's `testCases:`) run on the config: pass/fail with the failures and trace, and coverage |
//! | [`diff`]`(old, new)` | what `new` changes against `old`: proxy-config rows and the requests that route differently, per proxy |
//!
//! `text` is what a person would `kubectl apply` (multi-document YAML, JSON, `kind: List`), or a
//! whole meshroute config file (`proxy:` + `resources:`). `proxy` is a JSON object
//! `{"kind": "gateway"|"sidecar", "namespace": "...", "labels": {...}}` — an entry of
//! [`proxies`] works as is — or an empty string for the default (the config file's proxy, else
//! the first implied proxy).
//!
//! ```
//! let seed = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: default}\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: {host: nowhere}\n";
//! let out: serde_json::Value = serde_json::from_str(&meshroute_validator_web::validate(seed)).unwrap();
//! assert_eq!(out["diagnostics"][0]["code"], "IST0101");
//! assert_eq!(out["diagnostics"][0]["line"], 8);
//! ```
//!
//! The `#[wasm_bindgen]` exports (only on `wasm32`) are one-line wrappers of these functions, so
//! everything is tested natively.
#![deny(unsafe_code)]

use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::certs;
use meshroute_core::check::{check_resources, rejects};
use meshroute_core::compile::compile;
use meshroute_core::config::{parse_config, ProxyIdentity, ProxyKind};
use meshroute_core::diag::{self, Diagnostic, Severity};
use meshroute_core::lb::SplitMix64;
use meshroute_core::node::Value as NodeValue;
use meshroute_core::registry::labels_contain;
use meshroute_core::resources::{LoadOptions, Resources};
use meshroute_core::route::{decide, LbState, Request};
use meshroute_core::table::{Action, ClusterRef, RouteTable};
use meshroute_core::views;
use meshroute_core::yaml::parse_documents;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The file name diagnostics carry (the page has one editor).
pub const INPUT_NAME: &str = "input.yaml";

// ---------------------------------------------------------------------------------------------
// The four functions (JSON strings in and out)

/// Loads and checks `text`: `{"diagnostics": [...], "resources": N, "counts": {kind: n},
/// "errors": N, "warnings": N, "infos": N, "rejected": bool, "config": bool}`.
///
/// `rejected` says the Kubernetes API server (or the filter) would refuse something: unparsable
/// YAML, unknown fields, wrong types, Istio webhook errors. Analyzer errors such as IST0101 are
/// reported but applied anyway, as with `istioctl analyze`.
pub fn validate(text: &str) -> String {
    to_json(&validate_value(text))
}

/// The proxies `text` implies, for a picker: `[{"kind", "namespace", "labels", "name",
/// "source"}]`. Never empty: without workloads it offers a sidecar in `default`.
pub fn proxies(text: &str) -> String {
    to_json(&proxies_value(text))
}

/// The five `istioctl proxy-config` views for one proxy (listeners, routes, clusters,
/// endpoints, secrets), plus `graph` (listener → virtual hosts → routes → weighted clusters)
/// and the compile and certificate diagnostics; `{"error"}` for a bad `proxy`. `now_ms` is
/// `Date.now()`: the secrets' VALID CERT and the expiry warnings are at that time (NaN: none).
pub fn tables(text: &str, proxy: &str, now_ms: f64) -> String {
    to_json(&tables_value(text, proxy, now_ms))
}

/// Routes one request: `request` is `{"url", "method"?, "headers"?, "sourceIp"?,
/// "listenerPort"?, "seed"?}` (headers as `[{"name","value"}]`, `{"name": "value"}`, `[[name,
/// value]]` or `"Name: value"` lines). Returns the decision (virtual host, VirtualService,
/// route, cluster, endpoint or local reply, rewrites) with its trace; `{"error"}` for bad input.
pub fn simulate(text: &str, proxy: &str, request: &str) -> String {
    to_json(&simulate_value(text, proxy, request))
}

/// The Envoy configuration `meshroute bootstrap` would give Envoy for one proxy:
/// `{"proxy", "listen", "command", "files": [{"path", "text"}], "native": {"path", "text"} |
/// {"error"}, "diagnostics"}`, from the same library the CLI writes them with; `{"error",
/// "refused"?}` when the filter would refuse the config or `proxy` is malformed.
pub fn envoy_config(text: &str, proxy: &str) -> String {
    to_json(&envoy_config_value(text, proxy))
}

/// Runs the route test cases in `tests` (YAML) against `text`: `{"results": [...], "passed",
/// "failed", "errors", "coverage": {...}, "text": "the CLI's report", "diagnostics": [...]}`
/// (diagnostics: problems in the test text, positioned in it). As `meshroute test -f … --coverage`.
pub fn run_tests(text: &str, tests: &str) -> String {
    to_json(&run_tests_value(text, tests))
}

/// What `new` changes against `old` (both as the editor holds them): `{"proxies": [{proxy,
/// describe, rows, requests: [{request, from, location, before, after}], probes, unprobed}],
/// "changedRequests": N, "text", "markdown"}` (`before`/`after` as one line each). As
/// `meshroute diff OLD NEW`.
pub fn diff(old: &str, new: &str) -> String {
    to_json(&diff_value(old, new))
}

fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"serialize: {e}\"}}"))
}

fn error(msg: impl Into<String>) -> Value {
    json!({ "error": msg.into() })
}

// ---------------------------------------------------------------------------------------------
// Input: plain resources or a meshroute config file

/// What the editor holds, loaded.
struct Loaded {
    res: Resources,
    diags: Vec<Diagnostic>,
    /// Set when the text is a meshroute config file.
    config: Option<ConfigPart>,
}

struct ConfigPart {
    /// None when the config file itself is unusable (its diagnostics say why).
    proxy: Option<ProxyIdentity>,
    listener_port: Option<u32>,
}

/// Whether the text is a meshroute config file rather than Kubernetes objects: its first
/// document is a mapping with `resources` and no `kind`. Cheap pre-check first so that plain
/// resources are parsed once.
fn is_config_file(text: &str) -> bool {
    let hint = text.trim_start().starts_with('{')
        || text.lines().any(|l| {
            let l = l.trim_start_matches(['"', '\'']);
            l.starts_with("resources") || l.starts_with("proxy")
        });
    if !hint {
        return false;
    }
    let opts = LoadOptions::default();
    parse_documents(text, &opts.limits)
        .into_iter()
        .find_map(|d| d.node)
        .is_some_and(|n| match &n.value {
            NodeValue::Map(_) => n.get("resources").is_some() && n.get("kind").is_none(),
            _ => false,
        })
}

fn load(text: &str, check: bool) -> Loaded {
    let opts = LoadOptions::default();
    let (res, mut diags, config) = if is_config_file(text) {
        let (cfg, diags) = parse_config(INPUT_NAME, text.as_bytes(), &opts);
        match cfg {
            Some(c) => (
                c.resources,
                diags,
                Some(ConfigPart {
                    proxy: Some(c.proxy),
                    listener_port: c.listener_port,
                }),
            ),
            None => (
                Resources::default(),
                diags,
                Some(ConfigPart {
                    proxy: None,
                    listener_port: None,
                }),
            ),
        }
    } else {
        let mut res = Resources::default();
        let diags = res.add_text(INPUT_NAME, text, &opts);
        (res, diags, None)
    };
    if check {
        check_resources(&res, &AnalyzeOptions::default(), &mut diags);
    } else {
        diag::sort(&mut diags);
    }
    Loaded { res, diags, config }
}

// ---------------------------------------------------------------------------------------------
// validate

fn validate_value(text: &str) -> Value {
    let l = load(text, true);
    let count = |s: Severity| l.diags.iter().filter(|d| d.severity == s).count();
    let r = &l.res;
    let mut counts = BTreeMap::new();
    for (k, n) in [
        ("Gateway", r.gateways.len()),
        ("VirtualService", r.virtual_services.len()),
        ("DestinationRule", r.destination_rules.len()),
        ("ServiceEntry", r.service_entries.len()),
        ("WorkloadEntry", r.workload_entries.len()),
        ("Service", r.services.len()),
        ("Pod", r.pods.len()),
        ("Node", r.nodes.len()),
        ("Gateway (Gateway API)", r.kube_gateways.len()),
        ("HTTPRoute", r.http_routes.len()),
        ("GRPCRoute", r.grpc_routes.len()),
        ("ReferenceGrant", r.reference_grants.len()),
        ("GatewayClass", r.gateway_classes.len()),
        ("Namespace", r.namespaces.len()),
    ] {
        if n > 0 {
            counts.insert(k, n);
        }
    }
    json!({
        "diagnostics": l.diags,
        "resources": r.len(),
        "counts": counts,
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
        "infos": count(Severity::Info),
        "rejected": l.diags.iter().any(rejects),
        "config": l.config.is_some(),
    })
}

// ---------------------------------------------------------------------------------------------
// proxies

/// One entry of the proxy picker. Serializes to the `proxy` argument shape (plus display
/// fields, which [`parse_proxy`] ignores).
#[derive(Debug, Clone, PartialEq, Serialize)]
struct ProxyEntry {
    kind: ProxyKind,
    namespace: String,
    labels: BTreeMap<String, String>,
    /// `gateway istio-system {istio=ingressgateway}`.
    name: String,
    /// Why it is offered: `Gateway istio-system/gw (pod istio-system/gw-1)`, `3 pods`, ….
    source: String,
}

fn entry(p: ProxyIdentity, source: String) -> ProxyEntry {
    let labels: Vec<String> = p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let kind = match p.kind {
        ProxyKind::Gateway => "gateway",
        ProxyKind::Sidecar => "sidecar",
    };
    let name = if labels.is_empty() {
        format!("{kind} {}", p.namespace)
    } else {
        format!("{kind} {} {{{}}}", p.namespace, labels.join(","))
    };
    ProxyEntry {
        kind: p.kind,
        namespace: p.namespace,
        labels: p.labels,
        name,
        source,
    }
}

fn implied_proxies(l: &Loaded) -> Vec<ProxyEntry> {
    let res = &l.res;
    let mut out: Vec<ProxyEntry> = Vec::new();
    let push = |e: ProxyEntry, out: &mut Vec<ProxyEntry>| {
        if !out
            .iter()
            .any(|o| o.kind == e.kind && o.namespace == e.namespace && o.labels == e.labels)
        {
            out.push(e);
        }
    };
    if let Some(p) = l.config.as_ref().and_then(|c| c.proxy.clone()) {
        push(entry(p, "the config file's proxy".into()), &mut out);
    }
    // A Gateway selects gateway pods by label, in any namespace (Istio's default,
    // PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false). The proxy takes the first matching pod's
    // namespace and labels (the gateway's Service selects on those); without a pod, the
    // Gateway's namespace and its selector.
    let mut gateway_pods = vec![false; res.pods.len()];
    for g in &res.gateways {
        let sel = &g.spec.selector;
        let mut first = None;
        for (i, p) in res.pods.iter().enumerate() {
            if !sel.is_empty() && labels_contain(&p.meta.labels, sel) {
                gateway_pods[i] = true;
                first.get_or_insert(i);
            }
        }
        let gid = format!("Gateway {}/{}", g.meta.namespace, g.meta.name);
        let e = match first {
            Some(i) => {
                let p = &res.pods[i];
                entry(
                    ProxyIdentity {
                        kind: ProxyKind::Gateway,
                        namespace: p.meta.namespace.clone(),
                        labels: p.meta.labels.clone(),
                    },
                    format!("{gid} (pod {}/{})", p.meta.namespace, p.meta.name),
                )
            }
            None => entry(
                ProxyIdentity {
                    kind: ProxyKind::Gateway,
                    namespace: g.meta.namespace.clone(),
                    labels: sel.clone(),
                },
                format!("{gid} (no pod matches its selector)"),
            ),
        };
        push(e, &mut out);
    }
    // A Gateway API Gateway is served by the proxy Istio deploys for it (labelled with its name).
    for g in &res.kube_gateways {
        let p = ProxyIdentity::gateway(
            &g.meta.namespace,
            &[(
                meshroute_core::compile::GATEWAY_API_NAME_LABEL,
                g.meta.name.as_str(),
            )],
        );
        let source = format!("Gateway API Gateway {}/{}", g.meta.namespace, g.meta.name);
        push(entry(p, source), &mut out);
    }
    // Each namespace with workloads (pods that are not gateways, WorkloadEntries) has sidecars.
    let mut namespaces: Vec<(String, usize, usize)> = Vec::new();
    let mut bump = |ns: &str, pod: bool| match namespaces.iter_mut().find(|(n, _, _)| n == ns) {
        Some(e) => {
            if pod {
                e.1 += 1
            } else {
                e.2 += 1
            }
        }
        None => namespaces.push((ns.to_string(), pod as usize, !pod as usize)),
    };
    for (i, p) in res.pods.iter().enumerate() {
        if !gateway_pods[i] {
            bump(&p.meta.namespace, true);
        }
    }
    for w in &res.workload_entries {
        bump(&w.meta.namespace, false);
    }
    for (ns, pods, wes) in namespaces {
        let mut what = Vec::new();
        if pods > 0 {
            what.push(format!("{pods} pod{}", if pods == 1 { "" } else { "s" }));
        }
        if wes > 0 {
            what.push(format!(
                "{wes} WorkloadEntr{}",
                if wes == 1 { "y" } else { "ies" }
            ));
        }
        push(
            entry(
                ProxyIdentity::sidecar(&ns, &[]),
                format!("workloads in {ns}: {}", what.join(", ")),
            ),
            &mut out,
        );
    }
    if out.is_empty() {
        push(
            entry(
                ProxyIdentity::sidecar("default", &[]),
                "no workloads: a sidecar in default".into(),
            ),
            &mut out,
        );
    }
    out
}

fn proxies_value(text: &str) -> Value {
    json!(implied_proxies(&load(text, false)))
}

// ---------------------------------------------------------------------------------------------
// tables

/// Parses the `proxy` argument; empty (or `null`) picks the default proxy.
fn parse_proxy(proxy: &str, l: &Loaded) -> Result<ProxyIdentity, String> {
    let v: Value = if proxy.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(proxy).map_err(|e| format!("proxy is not JSON: {e}"))?
    };
    if v.is_null() {
        let e = implied_proxies(l).into_iter().next();
        return Ok(match e {
            Some(e) => ProxyIdentity {
                kind: e.kind,
                namespace: e.namespace,
                labels: e.labels,
            },
            None => ProxyIdentity::sidecar("default", &[]),
        });
    }
    let Value::Object(m) = v else {
        return Err("proxy must be a JSON object {kind, namespace, labels}".into());
    };
    let kind = match m.get("kind").and_then(Value::as_str) {
        None | Some("gateway") => ProxyKind::Gateway,
        Some("sidecar") => ProxyKind::Sidecar,
        Some(k) => return Err(format!("proxy.kind must be gateway or sidecar, got {k:?}")),
    };
    let namespace = match m.get("namespace") {
        None | Some(Value::Null) => "default".to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => {
            return Err(format!(
                "proxy.namespace must be a non-empty string, got {other}"
            ))
        }
    };
    let mut labels = BTreeMap::new();
    match m.get("labels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(lm)) => {
            for (k, v) in lm {
                let Some(v) = v.as_str() else {
                    return Err(format!("proxy.labels.{k} must be a string"));
                };
                labels.insert(k.clone(), v.to_string());
            }
        }
        Some(_) => return Err("proxy.labels must be an object of strings".into()),
    }
    Ok(ProxyIdentity {
        kind,
        namespace,
        labels,
    })
}

/// Listener → virtual hosts → routes → weighted destinations, for the traffic picture.
fn graph(t: &RouteTable) -> Value {
    // Each filter chain is drawn as its own entry point: the plaintext chain, then each TLS
    // chain (an HTTPS server: SNI names, route configuration of its own).
    let mut entries: Vec<(&meshroute_core::table::Listener, usize, Option<String>)> = Vec::new();
    for l in &t.listeners {
        if l.plaintext || l.filter_chains.is_empty() {
            entries.push((l, l.route_config, None));
        }
        for c in &l.filter_chains {
            let sni = if c.server_names.is_empty() {
                "*".to_string()
            } else {
                c.server_names.join(",")
            };
            entries.push((
                l,
                c.route_config,
                Some(format!(
                    "TLS {} · SNI {sni}",
                    views::tls_mode_name(c.tls.mode)
                )),
            ));
        }
    }
    let listeners: Vec<Value> = entries
        .into_iter()
        .map(|(l, rci, tls)| {
            let rc = &t.route_configs[rci];
            let vhosts: Vec<Value> = rc
                .virtual_hosts
                .iter()
                .map(|vh| {
                    let routes: Vec<Value> = vh
                        .routes
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let (kind, label, dests) = match &r.action {
                                Action::Forward(ds) => (
                                    "forward",
                                    String::new(),
                                    ds.iter()
                                        .map(|d| {
                                            json!({
                                                "cluster": d.cluster_name,
                                                "weight": d.weight,
                                                "missing": matches!(d.cluster, ClusterRef::Missing(_)),
                                            })
                                        })
                                        .collect::<Vec<_>>(),
                                ),
                                Action::Redirect(rd) => {
                                    ("redirect", format!("redirect {}", rd.code), Vec::new())
                                }
                                Action::DirectResponse { status, .. } => {
                                    ("direct", format!("direct response {status}"), Vec::new())
                                }
                                Action::Passthrough => {
                                    ("passthrough", "PassthroughCluster".into(), Vec::new())
                                }
                            };
                            json!({
                                "index": i,
                                "name": r.name,
                                "match": r.matcher.describe(),
                                "virtualService": r.virtual_service,
                                "kind": kind,
                                "label": label,
                                "destinations": dests,
                            })
                        })
                        .collect();
                    json!({
                        "name": vh.name,
                        "domains": vh.domains,
                        "requireTls": vh.require_tls,
                        "routes": routes,
                    })
                })
                .collect();
            json!({
                "name": l.name,
                "port": l.port,
                "serverPorts": l.server_ports,
                "routeConfig": rc.name,
                "tls": tls,
                "virtualHosts": vhosts,
            })
        })
        .collect();
    json!({ "listeners": listeners, "missingClusters": t.missing_clusters })
}

/// Milliseconds since the epoch (JavaScript's `Date.now()`) → Unix seconds; None for a value
/// that is not a time (NaN, ±∞, `undefined` from JavaScript).
fn unix_seconds(now_ms: f64) -> Option<i64> {
    (now_ms.is_finite() && now_ms.abs() < 1e17).then(|| (now_ms / 1000.0).floor() as i64)
}

fn tables_value(text: &str, proxy: &str, now_ms: f64) -> Value {
    let l = load(text, false);
    let p = match parse_proxy(proxy, &l) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let (table, mut diags) = compile(&l.res, &p);
    // The browser reads no files: file certificates are shown as not read.
    let files = certs::FileContents::new();
    let now = unix_seconds(now_ms);
    diags.extend(certs::certificate_diagnostics(&l.res, &table, &files, now));
    diag::sort(&mut diags);
    let mut v = views::tables_json(&table, &files, now.unwrap_or(0));
    if let Value::Object(m) = &mut v {
        m.insert("graph".into(), graph(&table));
        m.insert("diagnostics".into(), json!(diags));
    }
    v
}

// ---------------------------------------------------------------------------------------------
// envoyConfig

/// The configuration the filter reads for `p`: a config file's own keys (its `proxy` replaced
/// by the chosen one), or plain resources wrapped in one; without an access log nothing reads
/// the filter state, so `accessLogState: false` as `meshroute bootstrap` writes it.
fn plugin_config(text: &str, l: &Loaded, p: &ProxyIdentity) -> Result<String, String> {
    let mut out = serde_json::Map::new();
    if l.config.is_some() {
        let root = parse_documents(text, &LoadOptions::default().limits)
            .into_iter()
            .find_map(|d| d.node);
        if let Some(NodeValue::Map(entries)) = root.map(|n| n.value) {
            for (k, v) in entries {
                if k.name == "include" {
                    return Err("`include:` names files the browser cannot read: paste their resources under `resources:` (meshroute bootstrap inlines them)".into());
                }
                out.insert(
                    k.name.clone(),
                    serde_json::to_value(&v).map_err(|e| e.to_string())?,
                );
            }
        }
    } else {
        out.insert("resources".into(), Value::String(text.to_string()));
    }
    // The page shows this file: Secrets go in as documents whose keys are redacted and whose
    // certificates are named by fingerprint (the file `meshroute bootstrap` writes has them).
    if !l.res.secrets.is_empty() {
        if let Some(r) = out.get_mut("resources") {
            *r = redact::resources(r);
        }
    }
    out.insert("proxy".into(), json!(p));
    out.entry("accessLogState").or_insert(Value::Bool(false));
    Ok(Value::Object(out).to_string())
}

fn envoy_config_value(text: &str, proxy: &str) -> Value {
    let l = load(text, true);
    if l.diags.iter().any(rejects) {
        let n = l.diags.iter().filter(|d| rejects(d)).count();
        return json!({"error": format!("meshroute bootstrap refuses this config: {n} error(s) the filter would refuse (see the diagnostics)"), "refused": true});
    }
    let p = match parse_proxy(proxy, &l) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let plugin = match plugin_config(text, &l, &p) {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    let (table, mut diags) = compile(&l.res, &p);
    diags.extend(certs::certificate_diagnostics(
        &l.res,
        &table,
        &certs::FileContents::new(),
        None,
    ));
    diag::sort(&mut diags);
    // As `meshroute bootstrap` refuses certificates Envoy cannot use.
    if diags.iter().any(certs::refuses) {
        let n = diags.iter().filter(|d| certs::refuses(d)).count();
        return json!({"error": format!("meshroute bootstrap refuses this config: {n} TLS certificate(s) Envoy cannot use (see the diagnostics of the proxy-config tabs)"), "refused": true, "diagnostics": diags});
    }
    // The listener: the config's listenerPort, else the first one the proxy has.
    let port = l
        .config
        .as_ref()
        .and_then(|c| c.listener_port)
        .or_else(|| table.listeners.first().map(|x| x.port))
        .unwrap_or(8080);
    // A gateway gets one listener per port (`meshroute bootstrap`'s default, here bound to
    // 0.0.0.0 as istioctl shows addresses); a sidecar one listener.
    let per_port = p.kind == ProxyKind::Gateway && !table.listeners.is_empty();
    let o = meshroute_envoy_config::Options {
        listen: format!("0.0.0.0:{port}"),
        bind: per_port.then(|| "0.0.0.0".to_string()),
        ..meshroute_envoy_config::Options::default()
    };
    let files = match meshroute_envoy_config::filter_files(&table, &o, &plugin, |_| Vec::new()) {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    let mut list = vec![
        json!({"path": "envoy.yaml", "text": files.bootstrap}),
        json!({"path": format!("{}/{}", o.ecds_dir, meshroute_envoy_config::ECDS_FILE), "text": files.ecds}),
        json!({"path": format!("{}/{}", o.cds_dir, meshroute_envoy_config::CDS_FILE), "text": files.cds}),
        json!({"path": format!("{}/{}", o.cds_dir, meshroute_envoy_config::LDS_FILE), "text": files.lds}),
    ];
    for (name, text) in files.eds {
        list.push(json!({"path": format!("{}/{name}", o.cds_dir), "text": text}));
    }
    list.push(json!({"path": format!("{}/{}", o.cds_dir, meshroute_envoy_config::LDS_FILE), "text": files.lds}));
    for (name, text) in files.sds {
        list.push(json!({"path": format!("{}/{name}", o.cds_dir), "text": redact::sds(&text), "redacted": true}));
    }
    let native = match meshroute_envoy_config::native_bootstrap(&table, &o) {
        Ok(t) => json!({"path": "envoy.yaml", "text": t}),
        Err(e) => json!({"error": e}),
    };
    let command = if per_port {
        format!(
            "meshroute bootstrap -c CONFIG -o DIR --bind 0.0.0.0 --wasm {}",
            o.wasm
        )
    } else {
        format!(
            "meshroute bootstrap -c CONFIG -o DIR --listen {} --wasm {}",
            o.listen, o.wasm
        )
    };
    json!({
        "proxy": p,
        "listen": o.listen,
        "bind": o.bind,
        "command": command,
        "files": list,
        "native": native,
        "redacted": !table.secrets.is_empty() || !l.res.secrets.is_empty(),
        "diagnostics": diags,
    })
}

mod redact;

// ---------------------------------------------------------------------------------------------
// simulate

/// A URL split the way the simulator needs it.
#[derive(Debug, PartialEq)]
struct Url {
    scheme: String,
    /// `host[:port]` as sent in `:authority`.
    authority: String,
    port: Option<u32>,
    /// Path and query, `/` when absent.
    path: String,
}

/// `http://host[:port]/path?query`; a missing scheme means `http`; userinfo and fragment are
/// dropped, as a client would.
fn parse_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    let (scheme, rest) = match s.split_once("://") {
        Some((sc, r)) => (sc.to_ascii_lowercase(), r),
        None => ("http".to_string(), s),
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!("URL scheme must be http or https, got {scheme:?}"));
    }
    let rest = rest.split('#').next().unwrap_or("");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (auth, path) = rest.split_at(end);
    let auth = auth.rsplit('@').next().unwrap_or("");
    if auth.is_empty() {
        return Err(format!("URL {s:?} has no host"));
    }
    let port_str = if auth.starts_with('[') {
        auth.split_once("]:").map(|(_, p)| p)
    } else {
        auth.rsplit_once(':').map(|(_, p)| p)
    };
    let port = match port_str {
        None => None,
        Some(p) => Some(
            p.parse::<u32>()
                .ok()
                .filter(|p| (1..=65535).contains(p))
                .ok_or_else(|| format!("URL port must be 1-65535, got {p:?}"))?,
        ),
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Ok(Url {
        scheme,
        authority: auth.to_string(),
        port,
        path,
    })
}

/// Headers in any of the accepted shapes, as lower-case `(name, value)` pairs.
fn parse_headers(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut add = |k: &str, v: &str| -> Result<(), String> {
        let k = k.trim();
        if k.is_empty() {
            return Err("a header has an empty name".into());
        }
        out.push((k.to_ascii_lowercase(), v.trim().to_string()));
        Ok(())
    };
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            for line in s.lines().filter(|l| !l.trim().is_empty()) {
                // `:authority: x` keeps its leading colon.
                let split = if let Some(rest) = line.trim_start().strip_prefix(':') {
                    rest.split_once(':').map(|(k, v)| (format!(":{k}"), v))
                } else {
                    line.split_once(':').map(|(k, v)| (k.to_string(), v))
                };
                let Some((k, v)) = split else {
                    return Err(format!("header line {line:?} is not `Name: value`"));
                };
                add(&k, v)?;
            }
        }
        Some(Value::Object(m)) => {
            for (k, v) in m {
                add(k, v.as_str().ok_or("header values must be strings")?)?;
            }
        }
        Some(Value::Array(items)) => {
            for it in items {
                match it {
                    Value::Object(o) => add(
                        o.get("name").and_then(Value::as_str).unwrap_or(""),
                        o.get("value").and_then(Value::as_str).unwrap_or(""),
                    )?,
                    Value::Array(p) if p.len() == 2 => add(
                        p[0].as_str().unwrap_or(""),
                        p[1].as_str().ok_or("header values must be strings")?,
                    )?,
                    _ => return Err("headers must be {name, value} objects or pairs".into()),
                }
            }
        }
        Some(_) => return Err("headers must be a list, an object or `Name: value` lines".into()),
    }
    Ok(out)
}

/// The listener port a request for `url` arrives on (as `meshroute simulate` chooses it): a
/// sidecar routes by the URL's port; a gateway by the listener serving the URL's port (the
/// Service port maps to the targetPort Envoy listens on), else the only listener.
fn listener_port(
    t: &RouteTable,
    explicit: Option<u32>,
    config: Option<u32>,
    url: &Url,
) -> Result<u32, String> {
    if t.proxy.kind == ProxyKind::Sidecar {
        return Ok(url.port.unwrap_or(80));
    }
    if let Some(p) = explicit.or(config) {
        return Ok(p);
    }
    let url_port = url
        .port
        .unwrap_or(if url.scheme == "https" { 443 } else { 80 });
    if let Some(l) = t
        .listeners
        .iter()
        .find(|l| l.server_ports.contains(&url_port))
        .or_else(|| t.listeners.iter().find(|l| l.port == url_port))
    {
        return Ok(l.port);
    }
    match t.listeners.as_slice() {
        [only] => Ok(only.port),
        [] => Err("this proxy has no listeners: no Gateway selects it".into()),
        many => Err(format!(
            "no listener serves port {url_port}; set listenerPort to one of {}",
            many.iter()
                .map(|l| l.port.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn simulate_value(text: &str, proxy: &str, request: &str) -> Value {
    let l = load(text, false);
    let p = match parse_proxy(proxy, &l) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let rq: Value = match serde_json::from_str(request) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return error("request must be a JSON object {url, method, headers, sourceIp}"),
        Err(e) => return error(format!("request is not JSON: {e}")),
    };
    let url = match rq.get("url").and_then(Value::as_str).map(parse_url) {
        Some(Ok(u)) => u,
        Some(Err(e)) => return error(e),
        None => return error("request.url is required"),
    };
    let method = rq
        .get("method")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let headers = match parse_headers(rq.get("headers")) {
        Ok(h) => h,
        Err(e) => return error(e),
    };
    let source_ip = match rq.get("sourceIp").and_then(Value::as_str).map(str::trim) {
        None | Some("") => None,
        Some(s) => match s.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => return error(format!("sourceIp must be an IP address, got {s:?}")),
        },
    };
    let explicit_port = match rq.get("listenerPort") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|p| (1..=65535).contains(p)) {
            Some(p) => Some(p as u32),
            None => return error("listenerPort must be a port number 1-65535"),
        },
    };
    let seed = rq.get("seed").and_then(Value::as_u64).unwrap_or(0);

    let (table, _) = compile(&l.res, &p);
    let config_port = l.config.as_ref().and_then(|c| c.listener_port);
    let port = match listener_port(&table, explicit_port, config_port, &url) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    // A `Host` header replaces the URL's authority, as with curl.
    let mut authority = url.authority.clone();
    let mut hdrs: Vec<(&[u8], &[u8])> = Vec::new();
    for (k, v) in &headers {
        if k == "host" || k == ":authority" {
            authority = v.clone();
        } else {
            hdrs.push((k.as_bytes(), v.as_bytes()));
        }
    }
    let req = Request {
        filter_chain: b"",
        listener_port: port,
        authority: authority.as_bytes(),
        path: url.path.as_bytes(),
        method: method.as_bytes(),
        scheme: url.scheme.as_bytes(),
        headers: &hdrs,
        source_ip,
    };
    let mut state = LbState::for_table(&table);
    let mut rng = SplitMix64(seed);
    let d = decide(&table, &req, &mut state, 0, &mut rng, true);
    let mut v = views::decision_json_for(&d, &table, &req);
    if let Value::Object(m) = &mut v {
        m.insert("routeIndex".into(), json!(d.route_index));
        m.insert("proxy".into(), json!(table.proxy));
    }
    v
}

// ---------------------------------------------------------------------------------------------
// wasm-bindgen exports

// ---------------------------------------------------------------------------------------------
// Tests and Diff (`meshroute test`, `meshroute diff`)

fn defaults(l: &Loaded) -> meshroute_core::testcase::Defaults {
    meshroute_core::testcase::Defaults {
        proxy: l.config.as_ref().and_then(|c| c.proxy.clone()),
        listener_port: l.config.as_ref().and_then(|c| c.listener_port),
    }
}

fn run_tests_value(text: &str, tests: &str) -> Value {
    use meshroute_core::{coverage, testcase};
    let l = load(text, false);
    let refused: Vec<&Diagnostic> = l.diags.iter().filter(|d| rejects(d)).collect();
    if let Some(d) = refused.first() {
        return error(format!(
            "the configuration has errors the proxy would refuse: {d}"
        ));
    }
    let (cases, diags) = testcase::parse_tests("tests.yaml", tests);
    let report = testcase::run_cases(&l.res, &defaults(&l), &cases);
    let cov = coverage::coverage(&l.res, &report.hits);
    let mut text_report = testcase::render(&report);
    text_report.push_str(&coverage::render(&cov));
    let mut v = serde_json::to_value(&report).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "coverage".into(),
            serde_json::to_value(&cov).unwrap_or_default(),
        );
        m.insert(
            "diagnostics".into(),
            serde_json::to_value(&diags).unwrap_or_default(),
        );
        m.insert("text".into(), json!(text_report));
    }
    v
}

fn diff_value(old: &str, new: &str) -> Value {
    use meshroute_core::diff;
    let (a, b) = (load(old, false), load(new, false));
    for (side, l) in [("old", &a), ("new", &b)] {
        if let Some(d) = l.diags.iter().find(|d| rejects(d)) {
            return error(format!(
                "the {side} configuration has errors the proxy would refuse: {d}"
            ));
        }
    }
    let proxies = match defaults(&b).proxy.or_else(|| defaults(&a).proxy) {
        Some(p) => vec![p],
        None => diff::implied_proxies(&[&a.res, &b.res]),
    };
    let d = diff::diff(&a.res, &b.res, &proxies, &[]);
    let per_proxy: Vec<Value> = d
        .proxies
        .iter()
        .map(|p| {
            let requests: Vec<Value> = p
                .requests
                .iter()
                .map(|c| {
                    json!({
                        "request": c.request,
                        "from": c.from,
                        "location": c.location,
                        "before": c.before.describe(),
                        "after": c.after.describe(),
                    })
                })
                .collect();
            json!({
                "proxy": p.proxy,
                "describe": p.proxy.describe(),
                "rows": p.rows,
                "requests": requests,
                "probes": p.probes,
                "unprobed": p.unprobed,
            })
        })
        .collect();
    json!({
        "proxies": per_proxy,
        "changedRequests": d.changed_requests(),
        "text": diff::render(&d),
        "markdown": diff::render_markdown(&d),
    })
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wasm-bindgen's generated glue
mod wasm {
    use wasm_bindgen::prelude::*;

    /// Diagnostics of `text` (resources or a meshroute config file), as a JSON string.
    #[wasm_bindgen(js_name = validate)]
    pub fn validate(text: &str) -> String {
        super::validate(text)
    }

    /// The proxies `text` implies, as a JSON string.
    #[wasm_bindgen(js_name = proxies)]
    pub fn proxies(text: &str) -> String {
        super::proxies(text)
    }

    /// The proxy-config tables for `proxy` (JSON, or "" for the default) at `now_ms`
    /// (`Date.now()`), as a JSON string.
    #[wasm_bindgen(js_name = tables)]
    pub fn tables(text: &str, proxy: &str, now_ms: f64) -> String {
        super::tables(text, proxy, now_ms)
    }

    /// The routing decision for `request` (JSON) on `proxy`, as a JSON string.
    #[wasm_bindgen(js_name = simulate)]
    pub fn simulate(text: &str, proxy: &str, request: &str) -> String {
        super::simulate(text, proxy, request)
    }

    /// The Envoy configuration `meshroute bootstrap` would write for `proxy`, as a JSON string.
    #[wasm_bindgen(js_name = envoyConfig)]
    pub fn envoy_config(text: &str, proxy: &str) -> String {
        super::envoy_config(text, proxy)
    }

    /// Route test cases `tests` (YAML) run on `text`, with coverage, as a JSON string.
    #[wasm_bindgen(js_name = runTests)]
    pub fn run_tests(text: &str, tests: &str) -> String {
        super::run_tests(text, tests)
    }

    /// What `new` changes against `old`: rows and requests that route differently, as JSON.
    #[wasm_bindgen(js_name = diff)]
    pub fn diff(old: &str, new: &str) -> String {
        super::diff(old, new)
    }

    /// The meshroute version the module was built from.
    #[wasm_bindgen(js_name = version)]
    pub fn version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
}

#[cfg(test)]
mod tests;
