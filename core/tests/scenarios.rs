//! Scenario runner: every `tests/scenarios/*.yaml` is a meshroute config plus requests with the
//! decision istiod + Envoy would make, written beside them.
//!
//! ```yaml
//! name: seed-gateway
//! description: what Istio rule this pins down (and where in Istio's source it comes from)
//! config:                     # a meshroute config file: proxy + resources
//!   proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}
//!   resources: |
//!     apiVersion: v1
//!     ...
//! resourceFiles: [examples/seed/gateway.yaml]   # optional: repository files added to resources
//! clusters:                   # optional: compiled clusters
//!   "outbound|8080||web.default.svc.cluster.local": {endpoints: [10.0.0.1:8080], lb: LEAST_REQUEST}
//! missingClusters: []         # optional: names routes refer to that do not exist
//! requests:
//! - name: routed
//!   port: 8080                # listener port (sidecar: the authority's port decides)
//!   authority: web.example.com
//!   path: /x?y=1              # default /
//!   method: GET               # default GET
//!   scheme: http              # default http
//!   headers: {x-user: jason}  # a list value sends the header several times
//!   sourceIp: 10.1.1.1
//!   expect:
//!     status: null            # null = forwarded; a number = local reply status
//!     cluster: "outbound|8080||web.default.svc.cluster.local"
//!     endpointIn: [10.0.0.1:8080]
//! distribution:               # optional: many requests, shares within a tolerance
//! - name: split
//!   request: {port: 8080, authority: web.example.com}
//!   requests: 20000
//!   seed: 7
//!   tolerance: 0.02
//!   expect: {clusters: {"outbound|...": 0.8}, status: {"503": 0.1}, mirrors: {...}, delayed: 0.5}
//! ```
//! Every key of `expect` is checked only when present; unknown keys are errors, so a typo cannot
//! make a scenario pass silently.

use meshroute_core::compile::compile;
use meshroute_core::config::parse_config;
use meshroute_core::diag::Severity;
use meshroute_core::lb::SplitMix64;
use meshroute_core::node::{Node, Value};
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{decide, Decision, LbState, Outcome};
use meshroute_core::table::{HashPolicy, HeaderOps, RouteTable};
use meshroute_core::yaml::{parse_documents, Limits};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenarios() {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenario files");
    let only = std::env::var("SCENARIO").ok();
    let mut failures = String::new();
    let mut requests = 0usize;
    let mut ran = 0usize;
    for f in &files {
        let fname = f.file_name().unwrap().to_string_lossy().into_owned();
        if only.as_ref().is_some_and(|o| !fname.contains(o.as_str())) {
            continue;
        }
        ran += 1;
        let text = std::fs::read_to_string(f).unwrap();
        match run_file(&fname, &text) {
            Ok((n, errs)) => {
                requests += n;
                for e in errs {
                    let _ = writeln!(failures, "\n✗ {fname}: {e}");
                }
            }
            Err(e) => {
                let _ = writeln!(failures, "\n✗ {fname}: cannot run scenario: {e}");
            }
        }
    }
    println!("{ran} scenario files, {requests} requests");
    if !failures.is_empty() {
        panic!("scenario failures:{failures}");
    }
}

/// Runs one scenario file; returns the number of requests checked and the failures.
fn run_file(fname: &str, text: &str) -> Result<(usize, Vec<String>), String> {
    let docs = parse_documents(text, &Limits::default());
    let doc = docs.into_iter().next().ok_or("empty file")?;
    if let Some(e) = doc.errors.first() {
        return Err(format!("YAML error line {}: {}", e.pos.line, e.message));
    }
    let root = doc.node.ok_or("empty document")?;
    check_keys(
        &root,
        &[
            "name",
            "description",
            "config",
            "requests",
            "distribution",
            "clusters",
            "missingClusters",
            "allowDiagnostics",
            "compileDiagnostics",
            "resourceFiles",
        ],
        "scenario",
    )?;
    str_of(root.get("name")).ok_or("missing `name`")?;
    str_of(root.get("description")).ok_or("missing `description`")?;
    let config = root.get("config").ok_or("missing `config`")?;
    // The config is handed to meshroute's own config parser as JSON (a subset of YAML).
    let mut json: serde_json::Value = serde_json::to_value(config).map_err(|e| e.to_string())?;
    if let Some(files) = root.get("resourceFiles") {
        // Repository files (e.g. examples/seed/*.yaml) appended to `config.resources`, so a
        // scenario can pin down what a shipped example does.
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut text = json["resources"].as_str().unwrap_or_default().to_string();
        for f in str_list(files)? {
            let body = std::fs::read_to_string(repo.join(&f)).map_err(|e| format!("{f}: {e}"))?;
            text.push_str("\n---\n");
            text.push_str(&body);
        }
        json["resources"] = serde_json::Value::String(text);
    }
    let json = json.to_string();
    let (cfg, diags) = parse_config(
        &format!("{fname}#config"),
        json.as_bytes(),
        &LoadOptions::default(),
    );
    let allow = matches!(
        root.get("allowDiagnostics").map(|n| &n.value),
        Some(Value::Bool(true))
    );
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error || !allow)
        .map(|d| format!("{} {} {}: {}", d.code, d.kind, d.path, d.message))
        .collect();
    if !errors.is_empty() && !allow {
        return Err(format!("config diagnostics:\n  {}", errors.join("\n  ")));
    }
    let cfg = cfg.ok_or("config unusable")?;
    let (table, cdiags) = compile(&cfg.resources, &cfg.proxy);
    let mut fails = Vec::new();
    if let Some(want) = root.get("compileDiagnostics") {
        let want = str_list(want)?;
        let got: Vec<String> = cdiags.iter().map(|d| d.code.clone()).collect();
        if want != got {
            fails.push(format!(
                "compile diagnostics: expected {want:?}, got {:?}",
                cdiags
                    .iter()
                    .map(|d| format!("{}: {}", d.code, d.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    if let Some(cl) = root.get("clusters") {
        fails.extend(check_clusters(&table, cl)?);
    }
    if let Some(m) = root.get("missingClusters") {
        let want = str_list(m)?;
        if want != table.missing_clusters {
            fails.push(format!(
                "missingClusters: expected {want:?}, got {:?}",
                table.missing_clusters
            ));
        }
    }
    let mut state = LbState::for_table(&table);
    let mut rng = SplitMix64(1);
    let mut n = 0;
    if let Some(reqs) = root.get("requests") {
        let Value::Seq(reqs) = &reqs.value else {
            return Err("`requests` must be a list".into());
        };
        for (i, r) in reqs.iter().enumerate() {
            let name = str_of(r.get("name")).unwrap_or_default();
            let label = format!("request #{i} {name:?}");
            check_keys(
                r,
                &[
                    "name",
                    "port",
                    "authority",
                    "path",
                    "method",
                    "scheme",
                    "headers",
                    "sourceIp",
                    "expect",
                    "seed",
                ],
                &label,
            )?;
            let owned = OwnedRequest::from_node(r).map_err(|e| format!("{label}: {e}"))?;
            if let Some(s) = r.get("seed").and_then(int_of) {
                rng = SplitMix64(s as u64);
            }
            let headers = owned.header_refs();
            let req = owned.request(&headers);
            let d = decide(&table, &req, &mut state, 0, &mut rng, true);
            n += 1;
            let expect = r
                .get("expect")
                .ok_or_else(|| format!("{label}: missing `expect`"))?;
            let errs = check_expect(&table, &d, expect).map_err(|e| format!("{label}: {e}"))?;
            if !errs.is_empty() {
                fails.push(format!(
                    "{label} ({} {}{})\n    {}\n  decision: {}\n  trace:\n    {}",
                    owned.method,
                    owned.authority,
                    owned.path,
                    errs.join("\n    "),
                    summary(&d),
                    d.trace.join("\n    ")
                ));
            }
        }
    }
    if let Some(dist) = root.get("distribution") {
        let Value::Seq(items) = &dist.value else {
            return Err("`distribution` must be a list".into());
        };
        for item in items {
            let (count, errs) = run_distribution(&table, item)?;
            n += count;
            fails.extend(errs);
        }
    }
    Ok((n, fails))
}

/// The request as owned strings, turned into the core's borrowed `Request`.
struct OwnedRequest {
    port: u32,
    authority: String,
    path: String,
    method: String,
    scheme: String,
    headers: Vec<(String, String)>,
    source_ip: Option<std::net::IpAddr>,
}

impl OwnedRequest {
    fn from_node(r: &Node) -> Result<OwnedRequest, String> {
        let mut headers = Vec::new();
        if let Some(h) = r.get("headers") {
            let Value::Map(entries) = &h.value else {
                return Err("`headers` must be a mapping".into());
            };
            for (k, v) in entries {
                match &v.value {
                    Value::Seq(vs) => {
                        for v in vs {
                            headers.push((k.name.to_ascii_lowercase(), scalar(v)?));
                        }
                    }
                    _ => headers.push((k.name.to_ascii_lowercase(), scalar(v)?)),
                }
            }
        }
        Ok(OwnedRequest {
            port: r.get("port").and_then(int_of).unwrap_or(80) as u32,
            authority: str_of(r.get("authority")).ok_or("missing `authority`")?,
            path: str_of(r.get("path")).unwrap_or_else(|| "/".into()),
            method: str_of(r.get("method")).unwrap_or_else(|| "GET".into()),
            scheme: str_of(r.get("scheme")).unwrap_or_else(|| "http".into()),
            headers,
            source_ip: match str_of(r.get("sourceIp")) {
                Some(s) => Some(s.parse().map_err(|e| format!("sourceIp {s:?}: {e}"))?),
                None => None,
            },
        })
    }

    fn header_refs(&self) -> Vec<(&[u8], &[u8])> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect()
    }

    fn request<'a>(
        &'a self,
        headers: &'a [(&'a [u8], &'a [u8])],
    ) -> meshroute_core::route::Request<'a> {
        meshroute_core::route::Request {
            filter_chain: b"",
            listener_port: self.port,
            authority: self.authority.as_bytes(),
            path: self.path.as_bytes(),
            method: self.method.as_bytes(),
            scheme: self.scheme.as_bytes(),
            headers,
            source_ip: self.source_ip,
        }
    }
}

fn summary(d: &Decision) -> String {
    match &d.outcome {
        Outcome::Forward(f) => format!(
            "forward vhost={:?} vs={:?} route={:?} cluster={} endpoint={:?} path={:?} authority={:?}",
            d.virtual_host,
            d.virtual_service,
            d.route,
            f.cluster_name,
            f.endpoint_address,
            f.path,
            f.authority
        ),
        Outcome::Reply(r) => format!(
            "reply {} ({:?}) vhost={:?} vs={:?} route={:?} headers={:?} body={:?}",
            r.status, r.kind, d.virtual_host, d.virtual_service, d.route, r.headers, r.body
        ),
    }
}

const EXPECT_KEYS: &[&str] = &[
    "status",
    "virtualHost",
    "virtualService",
    "route",
    "cluster",
    "endpointIn",
    "path",
    "authority",
    "location",
    "timeoutMs",
    "retry",
    "requestHeaders",
    "responseHeaders",
    "delayMs",
    "mirrors",
    "cors",
    "replyHeaders",
    "body",
    "grpcStatus",
    "hashed",
    "setCookie",
    "lb",
    "reply",
    "traceContains",
];

fn check_expect(table: &RouteTable, d: &Decision, e: &Node) -> Result<Vec<String>, String> {
    check_keys(e, EXPECT_KEYS, "expect")?;
    let mut errs = Vec::new();
    fn cmp_into(errs: &mut Vec<String>, what: &str, want: String, got: String) {
        if want != got {
            errs.push(format!("{what}: expected {want}, got {got}"));
        }
    }
    macro_rules! cmp {
        ($what:expr, $want:expr, $got:expr $(,)?) => {
            cmp_into(&mut errs, $what, $want, $got)
        };
    }
    let fwd = match &d.outcome {
        Outcome::Forward(f) => Some(f.as_ref()),
        Outcome::Reply(_) => None,
    };
    let reply = match &d.outcome {
        Outcome::Reply(r) => Some(r),
        Outcome::Forward(_) => None,
    };
    if let Some(s) = e.get("status") {
        let want = match &s.value {
            Value::Null => "forwarded".to_string(),
            Value::Int(i) => i.to_string(),
            _ => return Err("status must be null or a number".into()),
        };
        let got = d
            .status()
            .map_or("forwarded".to_string(), |s| s.to_string());
        cmp!("status", want, got);
    }
    for (key, got) in [
        ("virtualHost", d.virtual_host),
        ("virtualService", d.virtual_service),
        ("route", d.route),
    ] {
        if let Some(n) = e.get(key) {
            cmp!(key, opt_str(n)?, fmt_opt(got));
        }
    }
    if let Some(n) = e.get("cluster") {
        cmp!("cluster", opt_str(n)?, fmt_opt(fwd.map(|f| f.cluster_name)));
    }
    if let Some(n) = e.get("endpointIn") {
        let set = str_list(n)?;
        let got = fwd.and_then(|f| f.endpoint_address);
        if !got.is_some_and(|g| set.iter().any(|s| s == g)) {
            errs.push(format!("endpointIn: expected one of {set:?}, got {got:?}"));
        }
    }
    if let Some(n) = e.get("path") {
        // Expected path as sent upstream (the request's own path when not rewritten).
        let got = fwd.map(|f| f.path.clone().unwrap_or_else(|| "(unchanged)".into()));
        cmp!("path", opt_str(n)?, fmt_opt(got.as_deref()));
    }
    if let Some(n) = e.get("authority") {
        let got = fwd.map(|f| f.authority.clone().unwrap_or_else(|| "(unchanged)".into()));
        cmp!("authority", opt_str(n)?, fmt_opt(got.as_deref()));
    }
    if let Some(n) = e.get("location") {
        let got = reply.and_then(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "location")
                .map(|(_, v)| v.as_str())
        });
        cmp!("location", opt_str(n)?, fmt_opt(got));
    }
    if let Some(n) = e.get("body") {
        cmp!("body", opt_str(n)?, fmt_opt(reply.map(|r| r.body.as_str())));
    }
    if let Some(n) = e.get("grpcStatus") {
        let want = match &n.value {
            Value::Null => "null".to_string(),
            _ => int_of(n).ok_or("grpcStatus must be a number")?.to_string(),
        };
        let got = reply
            .and_then(|r| r.grpc_status)
            .map_or("null".into(), |g| g.to_string());
        cmp!("grpcStatus", want, got);
    }
    if let Some(n) = e.get("replyHeaders") {
        let want = str_map(n)?;
        let got: BTreeMap<String, String> = reply
            .map(|r| r.headers.iter().cloned().collect())
            .unwrap_or_default();
        cmp!("replyHeaders", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(n) = e.get("timeoutMs") {
        let want = int_of(n).ok_or("timeoutMs must be a number")?;
        cmp!(
            "timeoutMs",
            want.to_string(),
            fmt_opt(fwd.map(|f| f.timeout_ms.to_string()).as_deref()),
        );
    }
    if let Some(n) = e.get("delayMs") {
        let want = match &n.value {
            Value::Null => "null".to_string(),
            _ => int_of(n)
                .ok_or("delayMs must be null or a number")?
                .to_string(),
        };
        let got = match (fwd, reply) {
            (Some(f), _) => f.delay_ms.map_or("null".into(), |d| d.to_string()),
            (None, Some(r)) => r
                .headers
                .iter()
                .find(|(k, _)| k == "x-meshroute-delay-ms")
                .map_or("null".into(), |(_, v)| v.clone()),
            _ => "null".into(),
        };
        cmp!("delayMs", want, got);
    }
    if let Some(n) = e.get("retry") {
        let got = fwd.and_then(|f| f.retry);
        match (&n.value, got) {
            (Value::Null, None) => {}
            (Value::Null, Some(r)) => errs.push(format!("retry: expected none, got {r:?}")),
            (_, None) => errs.push("retry: expected a policy, got none".into()),
            (_, Some(r)) => {
                check_keys(
                    n,
                    &[
                        "numRetries",
                        "retryOn",
                        "retriableStatusCodes",
                        "perTryTimeoutMs",
                        "default",
                    ],
                    "retry",
                )?;
                let mut got_s = BTreeMap::new();
                let mut want_s = BTreeMap::new();
                if let Some(v) = n.get("numRetries") {
                    want_s.insert("numRetries", int_of(v).unwrap_or(-1).to_string());
                    got_s.insert("numRetries", r.num_retries.to_string());
                }
                if let Some(v) = n.get("retryOn") {
                    want_s.insert("retryOn", str_of(Some(v)).unwrap_or_default());
                    got_s.insert("retryOn", r.retry_on.clone());
                }
                if let Some(v) = n.get("retriableStatusCodes") {
                    let Value::Seq(items) = &v.value else {
                        return Err("retriableStatusCodes must be a list".into());
                    };
                    let w: Vec<i64> = items.iter().filter_map(int_of).collect();
                    want_s.insert("retriableStatusCodes", format!("{w:?}"));
                    got_s.insert(
                        "retriableStatusCodes",
                        format!("{:?}", r.retriable_status_codes),
                    );
                }
                if let Some(v) = n.get("perTryTimeoutMs") {
                    want_s.insert(
                        "perTryTimeoutMs",
                        fmt_opt(int_of(v).map(|x| x.to_string()).as_deref()),
                    );
                    got_s.insert(
                        "perTryTimeoutMs",
                        fmt_opt(r.per_try_timeout_ms.map(|x| x.to_string()).as_deref()),
                    );
                }
                if let Some(Value::Bool(b)) = n.get("default").map(|v| &v.value) {
                    want_s.insert("default", b.to_string());
                    got_s.insert("default", r.is_default.to_string());
                }
                cmp!("retry", format!("{want_s:?}"), format!("{got_s:?}"));
            }
        }
    }
    for (key, pick) in [("requestHeaders", true), ("responseHeaders", false)] {
        if let Some(n) = e.get(key) {
            let got = fwd.map(|f| {
                if pick {
                    &f.request_headers
                } else {
                    &f.response_headers
                }
            });
            let got_ops = match (got, reply) {
                (Some(g), _) => g.clone(),
                (None, Some(r)) if !pick => HeaderOps {
                    set: r.headers.clone(),
                    ..Default::default()
                },
                _ => HeaderOps::default(),
            };
            cmp!(key, fmt_ops(&want_ops(n)?), fmt_ops(&got_ops));
        }
    }
    if let Some(n) = e.get("mirrors") {
        let want = str_list(n)?;
        let got: Vec<String> = fwd
            .map(|f| {
                f.mirrors
                    .iter()
                    .map(|(c, _)| table.clusters[*c as usize].name.clone())
                    .collect()
            })
            .unwrap_or_default();
        cmp!("mirrors", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(n) = e.get("cors") {
        // CORS headers added to a forwarded response.
        let want = str_map(n)?;
        let got: BTreeMap<String, String> = fwd
            .map(|f| f.cors_headers.iter().cloned().collect())
            .unwrap_or_default();
        cmp!("cors", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(n) = e.get("hashed") {
        let want = matches!(n.value, Value::Bool(true));
        cmp!(
            "hashed",
            want.to_string(),
            fwd.is_some_and(|f| f.hash.is_some()).to_string()
        );
    }
    if let Some(n) = e.get("setCookie") {
        cmp!(
            "setCookie",
            opt_str(n)?,
            fmt_opt(fwd.and_then(|f| f.set_cookie.as_deref())),
        );
    }
    if let Some(n) = e.get("reply") {
        // The local reply's kind: no_route, cluster_not_found, no_healthy_upstream, …
        let got = reply.map(|r| {
            serde_json::to_string(&r.kind)
                .unwrap_or_default()
                .replace('"', "")
        });
        cmp!("reply", opt_str(n)?, fmt_opt(got.as_deref()));
    }
    if let Some(n) = e.get("traceContains") {
        for want in str_list(n)? {
            if !d.trace.iter().any(|l| l.contains(&want)) {
                errs.push(format!("traceContains: no trace line contains {want:?}"));
            }
        }
    }
    if let Some(n) = e.get("lb") {
        let got = fwd.map(|f| {
            table.clusters[f.cluster as usize]
                .selector
                .policy
                .envoy_name()
        });
        cmp!("lb", opt_str(n)?, fmt_opt(got));
    }
    Ok(errs)
}

/// `{set: {k: v}, add: {k: v}, remove: [k]}`
fn want_ops(n: &Node) -> Result<HeaderOps, String> {
    check_keys(n, &["set", "add", "remove"], "header operations")?;
    Ok(HeaderOps {
        set: n.get("set").map(str_pairs).transpose()?.unwrap_or_default(),
        add: n.get("add").map(str_pairs).transpose()?.unwrap_or_default(),
        remove: n
            .get("remove")
            .map(str_list)
            .transpose()?
            .unwrap_or_default(),
    })
}

fn fmt_ops(o: &HeaderOps) -> String {
    format!("set={:?} add={:?} remove={:?}", o.set, o.add, o.remove)
}

fn check_clusters(table: &RouteTable, n: &Node) -> Result<Vec<String>, String> {
    let Value::Map(entries) = &n.value else {
        return Err("`clusters` must be a mapping".into());
    };
    let mut errs = Vec::new();
    for (k, v) in entries {
        let Some(c) = table.cluster(&k.name) else {
            if !matches!(v.value, Value::Null) {
                errs.push(format!(
                    "cluster {}: does not exist (clusters: {:?})",
                    k.name,
                    table.clusters.iter().map(|c| &c.name).collect::<Vec<_>>()
                ));
            }
            continue;
        };
        if matches!(v.value, Value::Null) {
            errs.push(format!("cluster {}: expected not to exist", k.name));
            continue;
        }
        check_keys(
            v,
            &[
                "endpoints",
                "lb",
                "hash",
                "destinationRule",
                "outlier",
                "pool",
                "discovery",
            ],
            "cluster",
        )?;
        if let Some(e) = v.get("endpoints") {
            let mut want = str_list(e)?;
            want.sort();
            let mut got: Vec<String> = c.endpoints.iter().map(|e| e.address.clone()).collect();
            got.sort();
            if want != got {
                errs.push(format!(
                    "cluster {} endpoints: expected {want:?}, got {got:?}",
                    k.name
                ));
            }
        }
        if let Some(l) = v.get("lb") {
            let want = opt_str(l)?;
            let got = c.selector.policy.envoy_name();
            if want != got {
                errs.push(format!("cluster {} lb: expected {want}, got {got}", k.name));
            }
        }
        if let Some(h) = v.get("hash") {
            let want = match &h.value {
                Value::Null => "null".to_string(),
                _ => {
                    check_keys(
                        h,
                        &["header", "cookie", "query", "sourceIp", "path", "ttlMs"],
                        "hash",
                    )?;
                    if let Some(x) = str_of(h.get("header")) {
                        format!("{:?}", Some(HashPolicy::Header(x)))
                    } else if let Some(x) = str_of(h.get("query")) {
                        format!("{:?}", Some(HashPolicy::Query(x)))
                    } else if let Some(x) = str_of(h.get("cookie")) {
                        format!(
                            "{:?}",
                            Some(HashPolicy::Cookie {
                                name: x,
                                path: str_of(h.get("path")),
                                ttl_ms: h.get("ttlMs").and_then(int_of).map(|t| t as u64),
                            })
                        )
                    } else {
                        format!("{:?}", Some(HashPolicy::SourceIp))
                    }
                }
            };
            let got = match &c.hash {
                None => "null".to_string(),
                h => format!("{h:?}"),
            };
            if want != got {
                errs.push(format!(
                    "cluster {} hash: expected {want}, got {got}",
                    k.name
                ));
            }
        }
        if let Some(d) = v.get("destinationRule") {
            let want = opt_str(d)?;
            let got = fmt_opt(c.destination_rule.as_deref());
            if want != got {
                errs.push(format!(
                    "cluster {} destinationRule: expected {want}, got {got}",
                    k.name
                ));
            }
        }
        if let Some(d) = v.get("discovery") {
            let want = opt_str(d)?;
            if want != c.discovery {
                errs.push(format!(
                    "cluster {} discovery: expected {want}, got {}",
                    k.name, c.discovery
                ));
            }
        }
        if let Some(o) = v.get("outlier") {
            let got = match &c.outlier {
                None => "null".to_string(),
                Some(p) => format!(
                    "consecutive5xx={} baseEjectionMs={} maxEjectionPercent={}",
                    p.consecutive_5xx, p.base_ejection_ms, p.max_ejection_percent
                ),
            };
            let want = match &o.value {
                Value::Null => "null".to_string(),
                _ => format!(
                    "consecutive5xx={} baseEjectionMs={} maxEjectionPercent={}",
                    o.get("consecutive5xx").and_then(int_of).unwrap_or(-1),
                    o.get("baseEjectionMs").and_then(int_of).unwrap_or(-1),
                    o.get("maxEjectionPercent").and_then(int_of).unwrap_or(-1)
                ),
            };
            if want != got {
                errs.push(format!(
                    "cluster {} outlier: expected {want}, got {got}",
                    k.name
                ));
            }
        }
        if let Some(p) = v.get("pool") {
            let got = match &c.pool {
                None => "null".to_string(),
                Some(p) => format!(
                    "maxConnections={:?} http1MaxPendingRequests={:?}",
                    p.max_connections, p.http1_max_pending_requests
                ),
            };
            let want = match &p.value {
                Value::Null => "null".to_string(),
                _ => format!(
                    "maxConnections={:?} http1MaxPendingRequests={:?}",
                    p.get("maxConnections").and_then(int_of).map(|x| x as u32),
                    p.get("http1MaxPendingRequests")
                        .and_then(int_of)
                        .map(|x| x as u32)
                ),
            };
            if want != got {
                errs.push(format!(
                    "cluster {} pool: expected {want}, got {got}",
                    k.name
                ));
            }
        }
    }
    Ok(errs)
}

fn run_distribution(table: &RouteTable, item: &Node) -> Result<(usize, Vec<String>), String> {
    check_keys(
        item,
        &["name", "request", "requests", "seed", "tolerance", "expect"],
        "distribution",
    )?;
    let name = str_of(item.get("name")).unwrap_or_default();
    let label = format!("distribution {name:?}");
    let req_node = item
        .get("request")
        .ok_or_else(|| format!("{label}: missing `request`"))?;
    let owned = OwnedRequest::from_node(req_node).map_err(|e| format!("{label}: {e}"))?;
    let count = item.get("requests").and_then(int_of).unwrap_or(10_000) as usize;
    let seed = item.get("seed").and_then(int_of).unwrap_or(1) as u64;
    let tol = match item.get("tolerance").map(|n| &n.value) {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i)) => *i as f64,
        _ => 0.02,
    };
    let expect = item
        .get("expect")
        .ok_or_else(|| format!("{label}: missing `expect`"))?;
    check_keys(
        expect,
        &["clusters", "status", "mirrors", "delayed"],
        "distribution expect",
    )?;
    let mut state = LbState::for_table(table);
    let mut rng = SplitMix64(seed);
    let headers = owned.header_refs();
    let req = owned.request(&headers);
    let mut clusters: BTreeMap<String, usize> = BTreeMap::new();
    let mut status: BTreeMap<String, usize> = BTreeMap::new();
    let mut mirrors: BTreeMap<String, usize> = BTreeMap::new();
    let mut delayed = 0usize;
    for _ in 0..count {
        let d = decide(table, &req, &mut state, 0, &mut rng, false);
        let s = d
            .status()
            .map_or("forwarded".to_string(), |s| s.to_string());
        *status.entry(s).or_default() += 1;
        match &d.outcome {
            Outcome::Forward(f) => {
                *clusters.entry(f.cluster_name.to_string()).or_default() += 1;
                for (m, _) in &f.mirrors {
                    *mirrors
                        .entry(table.clusters[*m as usize].name.clone())
                        .or_default() += 1;
                }
                if f.delay_ms.is_some() {
                    delayed += 1;
                }
            }
            Outcome::Reply(r) => {
                if r.headers.iter().any(|(k, _)| k == "x-meshroute-delay-ms") {
                    delayed += 1;
                }
            }
        }
    }
    let mut errs = Vec::new();
    let share = |n: usize| n as f64 / count as f64;
    for (key, got) in [
        ("clusters", &clusters),
        ("status", &status),
        ("mirrors", &mirrors),
    ] {
        let Some(want) = expect.get(key) else {
            continue;
        };
        let Value::Map(entries) = &want.value else {
            return Err(format!("{label}: expect.{key} must be a mapping"));
        };
        for (k, v) in entries {
            let w = float_of(v).ok_or_else(|| format!("{label}: share must be a number"))?;
            let g = share(got.get(&k.name).copied().unwrap_or(0));
            if (g - w).abs() > tol {
                errs.push(format!(
                    "{label}: {key} {}: expected share {w} ± {tol}, got {g:.4} (all: {got:?})",
                    k.name
                ));
            }
        }
    }
    if let Some(v) = expect.get("delayed") {
        let w = float_of(v).ok_or_else(|| format!("{label}: delayed must be a number"))?;
        let g = share(delayed);
        if (g - w).abs() > tol {
            errs.push(format!(
                "{label}: delayed: expected share {w} ± {tol}, got {g:.4}"
            ));
        }
    }
    Ok((count, errs))
}

// ---------------------------------------------------------------------------------------------
// Small Node helpers

fn check_keys(n: &Node, allowed: &[&str], what: &str) -> Result<(), String> {
    if let Value::Map(entries) = &n.value {
        for (k, _) in entries {
            if !allowed.contains(&k.name.as_str()) {
                return Err(format!(
                    "unknown key `{}` in {what} (line {}); allowed: {allowed:?}",
                    k.name, k.pos.line
                ));
            }
        }
        Ok(())
    } else {
        Err(format!("{what} must be a mapping (line {})", n.pos.line))
    }
}

fn scalar(n: &Node) -> Result<String, String> {
    match &n.value {
        Value::Str(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(format!("expected a scalar at line {}", n.pos.line)),
    }
}

fn str_of(n: Option<&Node>) -> Option<String> {
    n.and_then(|n| scalar(n).ok())
}

/// A string expectation; `null` is written as "null".
fn opt_str(n: &Node) -> Result<String, String> {
    match &n.value {
        Value::Null => Ok("null".into()),
        _ => scalar(n),
    }
}

fn fmt_opt(s: Option<&str>) -> String {
    s.map_or("null".into(), str::to_string)
}

fn int_of(n: &Node) -> Option<i64> {
    match &n.value {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.parse().ok(),
        _ => None,
    }
}

fn float_of(n: &Node) -> Option<f64> {
    match &n.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn str_list(n: &Node) -> Result<Vec<String>, String> {
    match &n.value {
        Value::Seq(items) => items.iter().map(scalar).collect(),
        Value::Null => Ok(Vec::new()),
        _ => Err(format!("expected a list at line {}", n.pos.line)),
    }
}

fn str_pairs(n: &Node) -> Result<Vec<(String, String)>, String> {
    match &n.value {
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| Ok((k.name.clone(), scalar(v)?)))
            .collect(),
        _ => Err(format!("expected a mapping at line {}", n.pos.line)),
    }
}

fn str_map(n: &Node) -> Result<BTreeMap<String, String>, String> {
    Ok(str_pairs(n)?.into_iter().collect())
}
