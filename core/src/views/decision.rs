//! One routing decision: the simulator's JSON (with or without the request) and its
//! person-readable rendering, trace included.

use crate::route::{Decision, Outcome, Request};
use crate::table::*;
use serde_json::{json, Map, Value};

fn header_ops_json(ops: &HeaderOps) -> Value {
    let pairs = |v: &[(String, String)]| -> Value {
        v.iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect()
    };
    json!({ "set": pairs(&ops.set), "add": pairs(&ops.add), "remove": ops.remove })
}

/// The simulator's JSON for one decision. `path` and `authority` are the rewritten values (null
/// when the route does not rewrite them); [`decision_json_for`] fills in the request's own.
///
/// Keys: `status` (local reply code, null when forwarded), `virtualService` (`ns/name`),
/// `route`, `cluster` (`outbound|PORT|SUBSET|FQDN`), `endpoint` (`ip:port`), `path`,
/// `authority`, `location` (redirect target), `trace`, and `outcome`, `listener`,
/// `routeConfig`, `virtualHost`, `reply`, `lbPolicy`, `endpointSource`, `requestHeaders`,
/// `responseHeaders`, `timeoutMs`, `retry`, `delayMs`, `mirrors`, `corsHeaders`, `setCookie`.
pub fn decision_json(d: &Decision, t: &RouteTable) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), json!(d.status()));
    m.insert(
        "outcome".into(),
        json!(match d.outcome {
            Outcome::Forward(_) => "forward",
            Outcome::Reply(_) => "local_reply",
        }),
    );
    m.insert("listener".into(), json!(d.listener));
    m.insert("routeConfig".into(), json!(d.route_config));
    m.insert("virtualHost".into(), json!(d.virtual_host));
    m.insert("virtualService".into(), json!(d.virtual_service));
    m.insert("route".into(), json!(d.route));
    m.insert("routeIndex".into(), json!(d.route_index));
    match &d.outcome {
        Outcome::Forward(f) => {
            let c = t.clusters.get(f.cluster as usize);
            m.insert("cluster".into(), json!(f.cluster_name));
            m.insert(
                "endpoint".into(),
                json!(f.endpoint_address.or(f.original_dst.as_deref())),
            );
            m.insert(
                "endpointSource".into(),
                json!(c
                    .zip(f.endpoint)
                    .and_then(|(c, i)| c.endpoints.get(i))
                    .map(|e| e.source.as_str())),
            );
            m.insert(
                "lbPolicy".into(),
                json!(c.map(|c| c.selector.policy.envoy_name())),
            );
            m.insert("path".into(), json!(f.path));
            m.insert("authority".into(), json!(f.authority));
            m.insert("location".into(), Value::Null);
            m.insert("reply".into(), Value::Null);
            m.insert("requestHeaders".into(), header_ops_json(&f.request_headers));
            m.insert(
                "responseHeaders".into(),
                header_ops_json(&f.response_headers),
            );
            m.insert("timeoutMs".into(), json!(f.timeout_ms));
            m.insert(
                "retry".into(),
                match f.retry {
                    Some(r) => json!({
                        "numRetries": r.num_retries,
                        "retryOn": r.retry_on,
                        "retriableStatusCodes": r.retriable_status_codes,
                        "perTryTimeoutMs": r.per_try_timeout_ms,
                        "default": r.is_default,
                    }),
                    None => Value::Null,
                },
            );
            m.insert("delayMs".into(), json!(f.delay_ms));
            m.insert(
                "mirrors".into(),
                f.mirrors
                    .iter()
                    .map(|(ci, ei)| {
                        let mc = t.clusters.get(*ci as usize);
                        json!({
                            "cluster": mc.map(|c| c.name.as_str()),
                            "endpoint": mc.zip(*ei).and_then(|(c, i)| c.endpoints.get(i)).map(|e| e.address.as_str()),
                        })
                    })
                    .collect(),
            );
            m.insert(
                "corsHeaders".into(),
                f.cors_headers
                    .iter()
                    .map(|(k, v)| json!({ "name": k, "value": v }))
                    .collect(),
            );
            m.insert("setCookie".into(), json!(f.set_cookie));
        }
        Outcome::Reply(r) => {
            // 503 UH names the chosen cluster (no healthy endpoint), as Istio's access log does.
            m.insert("cluster".into(), json!(r.cluster));
            m.insert("endpoint".into(), Value::Null);
            m.insert("path".into(), Value::Null);
            m.insert("authority".into(), Value::Null);
            let location = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.as_str());
            m.insert("location".into(), json!(location));
            m.insert(
                "reply".into(),
                json!({
                    "kind": r.kind,
                    "flag": r.kind.flag(),
                    "body": r.body,
                    "headers": r.headers.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect::<Vec<_>>(),
                    "grpcStatus": r.grpc_status,
                }),
            );
        }
    }
    m.insert("trace".into(), json!(d.trace));
    Value::Object(m)
}

/// [`decision_json`] with `path` and `authority` as sent upstream: rewritten, or the request's
/// own when forwarded unchanged; plus the request itself under `request`.
pub fn decision_json_for(d: &Decision, t: &RouteTable, req: &Request) -> Value {
    let mut v = decision_json(d, t);
    if let (Outcome::Forward(_), Value::Object(m)) = (&d.outcome, &mut v) {
        if m.get("path").is_none_or(Value::is_null) {
            m.insert(
                "path".into(),
                json!(String::from_utf8_lossy(req.path).into_owned()),
            );
        }
        if m.get("authority").is_none_or(Value::is_null) {
            m.insert(
                "authority".into(),
                json!(String::from_utf8_lossy(req.authority).into_owned()),
            );
        }
    }
    if let Value::Object(m) = &mut v {
        m.insert(
            "request".into(),
            json!({
                "listenerPort": req.listener_port,
                "method": String::from_utf8_lossy(req.method),
                "scheme": String::from_utf8_lossy(req.scheme),
                "authority": String::from_utf8_lossy(req.authority),
                "path": String::from_utf8_lossy(req.path),
                "headers": req.headers.iter().map(|(k, v)| json!({
                    "name": String::from_utf8_lossy(k),
                    "value": String::from_utf8_lossy(v),
                })).collect::<Vec<_>>(),
                "sourceIp": req.source_ip.map(|i| i.to_string()),
            }),
        );
    }
    v
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A person-readable rendering of [`decision_json`] / [`decision_json_for`] output.
pub fn render_decision(v: &Value) -> String {
    let mut out = String::new();
    let mut field = |k: &str, val: &str| out.push_str(&format!("  {k:<16} {val}\n"));
    let mut head = String::new();
    if let Some(req) = v.get("request") {
        head = format!(
            "{} {}://{}{} (listener port {})\n",
            s(req, "method").unwrap_or("GET"),
            s(req, "scheme").unwrap_or("http"),
            s(req, "authority").unwrap_or(""),
            s(req, "path").unwrap_or("/"),
            req.get("listenerPort").and_then(Value::as_u64).unwrap_or(0),
        );
    }
    let verdict = match v.get("status").and_then(Value::as_u64) {
        None => format!(
            "FORWARD to {} ({})",
            s(v, "endpoint").unwrap_or("-"),
            s(v, "cluster").unwrap_or("-")
        ),
        Some(code) => {
            let reply = v.get("reply");
            let kind = reply.and_then(|r| s(r, "kind")).unwrap_or("local_reply");
            let flag = reply.and_then(|r| s(r, "flag")).unwrap_or("-");
            match s(v, "location") {
                Some(loc) => format!("LOCAL REPLY {code} ({kind}) location: {loc}"),
                None => format!("LOCAL REPLY {code} ({kind}, {flag})"),
            }
        }
    };
    // Unnamed VirtualService rules give Envoy routes an empty name: show their position.
    let route_label = match (s(v, "route"), v.get("routeIndex").and_then(Value::as_u64)) {
        (Some(""), Some(i)) => Some(format!("#{i} (unnamed)")),
        (Some(r), Some(i)) => Some(format!("{r} (#{i})")),
        (Some(r), None) => Some(r.to_string()),
        _ => None,
    };
    for (k, key) in [
        ("listener", "listener"),
        ("route config", "routeConfig"),
        ("virtual host", "virtualHost"),
        ("virtual service", "virtualService"),
        ("route", "-"),
        ("cluster", "cluster"),
        ("lb policy", "lbPolicy"),
        ("endpoint", "endpoint"),
        ("endpoint source", "endpointSource"),
        ("path", "path"),
        ("authority", "authority"),
        ("set-cookie", "setCookie"),
    ] {
        if key == "-" {
            if let Some(r) = &route_label {
                field(k, r);
            }
        } else if let Some(val) = s(v, key) {
            field(k, val);
        }
    }
    if let Some(ms) = v.get("timeoutMs").and_then(Value::as_u64) {
        field(
            "timeout",
            &if ms == 0 {
                "none".to_string()
            } else {
                format!("{ms} ms")
            },
        );
    }
    if let Some(r) = v.get("retry").filter(|r| !r.is_null()) {
        field(
            "retry",
            &format!(
                "{} retries on {}{}",
                r.get("numRetries").and_then(Value::as_u64).unwrap_or(0),
                s(r, "retryOn").unwrap_or(""),
                if r.get("default").and_then(Value::as_bool) == Some(true) {
                    " (Istio default)"
                } else {
                    ""
                }
            ),
        );
    }
    if let Some(ms) = v.get("delayMs").and_then(Value::as_u64) {
        field("fault delay", &format!("{ms} ms"));
    }
    for (label, key) in [
        ("request headers", "requestHeaders"),
        ("response headers", "responseHeaders"),
    ] {
        if let Some(ops) = v.get(key) {
            let mut parts = Vec::new();
            for (op, sym) in [("set", "="), ("add", "+=")] {
                for h in ops.get(op).and_then(Value::as_array).into_iter().flatten() {
                    parts.push(format!(
                        "{}{sym}{}",
                        s(h, "name").unwrap_or(""),
                        s(h, "value").unwrap_or("")
                    ));
                }
            }
            for h in ops
                .get("remove")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                parts.push(format!("-{}", h.as_str().unwrap_or("")));
            }
            if !parts.is_empty() {
                field(label, &parts.join(", "));
            }
        }
    }
    for m in v
        .get("mirrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        field(
            "mirror",
            &format!(
                "{} → {}",
                s(m, "cluster").unwrap_or("-"),
                s(m, "endpoint").unwrap_or("-")
            ),
        );
    }
    if let Some(body) = v
        .get("reply")
        .and_then(|r| s(r, "body"))
        .filter(|b| !b.is_empty())
    {
        field("body", body.trim_end());
    }
    let mut text = String::new();
    text.push_str(&head);
    text.push_str(&verdict);
    text.push('\n');
    text.push_str(&out);
    let trace: Vec<&str> = v
        .get("trace")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !trace.is_empty() {
        text.push_str("trace:\n");
        for (i, l) in trace.iter().enumerate() {
            text.push_str(&format!("  {}. {l}\n", i + 1));
        }
    }
    text
}
