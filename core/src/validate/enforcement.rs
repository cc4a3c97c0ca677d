//! Fields meshroute reads and accepts but does not enforce in Envoy (MR0201 warnings).
//!
//! One table, [`not_enforced_table`], drives both the warnings and the docs. Each entry is
//! `(pattern, reason)`; a pattern is `<Kind> <path>[<condition>]`:
//! - path segments as in diagnostics (`spec.http[*].retries.retryRemoteLocalities`); `[*]` is
//!   any list index or map key, `[prefix*]` a map key starting with `prefix` (ASCII case
//!   insensitive);
//! - `{policy}` stands for every place a DestinationRule traffic policy can sit
//!   (`spec.trafficPolicy`, `spec.trafficPolicy.portLevelSettings[*]`,
//!   `spec.subsets[*].trafficPolicy`, `spec.subsets[*].trafficPolicy.portLevelSettings[*]`),
//!   `{trafficPolicy}` for the two non-port-level ones;
//! - conditions: `=A|B` (the value is one of these strings), `=<CIDR>` (the value holds a
//!   `/`), `!key` (the mapping has some key other than `key`).
//!
//! A warning is emitted once for every field of a resource that matches, at that field.

use super::Sink;
use crate::diag::{codes, Severity};
use crate::node::{Node, Value};
use crate::resources::Kind;

const TLS_ORIGINATION: &str =
    "upstream TLS origination is Envoy cluster configuration, which the filter does not control";
const CONNECTION: &str = "upstream connections are managed by Envoy's ORIGINAL_DST cluster, which the filter does not configure";
const LOCALITY: &str =
    "meshroute balances over all endpoints of a subset; it does not model localities";
const WARMUP: &str = "meshroute does not ramp up new endpoints (no slow start)";
const WORKLOAD_IDENTITY: &str = "meshroute does not use it to choose or secure endpoints";

const L4_ADDRESSES: &str = "meshroute's TLS and TCP routes match by port, SNI, gateway and source labels; address ranges are not matched";
const L4_SOURCE_NAMESPACE: &str = "on a gateway the source is the gateway itself; meshroute does not match TLS and TCP routes by source namespace";

const LOCAL_ORIGIN: &str = "meshroute's passive outlier detection counts upstream 5xx and gateway errors only; local-origin errors and custom error codes are not distinguished";

static TABLE: &[(&str, &str)] = &[
    ("DestinationRule {policy}.tls", TLS_ORIGINATION),
    ("DestinationRule {trafficPolicy}.tunnel", "HTTP CONNECT/POST tunnelling to the upstream is Envoy cluster configuration, which the filter does not control"),
    ("DestinationRule {trafficPolicy}.proxyProtocol", "sending the PROXY protocol header is Envoy cluster configuration, which the filter does not control"),
    ("DestinationRule {trafficPolicy}.retryBudget", "retry budgets are Envoy cluster circuit-breaker configuration, which the filter does not control; meshroute only applies retries.attempts"),
    ("DestinationRule {policy}.loadBalancer.localityLbSetting", LOCALITY),
    ("DestinationRule {policy}.loadBalancer.zoneAwareLbSetting", LOCALITY),
    ("DestinationRule {policy}.loadBalancer.warmup", WARMUP),
    ("DestinationRule {policy}.loadBalancer.warmupDurationSecs", WARMUP),
    ("DestinationRule {policy}.connectionPool.tcp.tcpKeepalive", CONNECTION),
    ("DestinationRule {policy}.connectionPool.tcp.maxConnectionDuration", CONNECTION),
    ("DestinationRule {policy}.connectionPool.http.h2UpgradePolicy", "the upstream HTTP protocol is chosen by Envoy's cluster, which the filter does not configure"),
    ("DestinationRule {policy}.connectionPool.http.useClientProtocol", "the upstream HTTP protocol is chosen by Envoy's cluster, which the filter does not configure"),
    ("DestinationRule {policy}.connectionPool.http.maxConcurrentStreams", CONNECTION),
    ("DestinationRule {policy}.connectionPool.http.http2KeepAlive", CONNECTION),
    // HTTPS servers with SIMPLE, MUTUAL and OPTIONAL_MUTUAL are terminated (listener filter
    // chains, SDS certificates); these parts of `tls` are not.
    ("Gateway spec.servers[*].tls.mode=ISTIO_MUTUAL", "Istio's mutual TLS needs Istio's CA and workload certificates, which meshroute does not have; the server gets no filter chain"),
    ("Gateway spec.servers[*].tls.mode=AUTO_PASSTHROUGH", "AUTO_PASSTHROUGH routes by SNI to Istio's outbound_.PORT_.SUBSET_.HOST cluster names, which meshroute does not build; the server gets no filter chain"),
    ("Gateway spec.servers[*].tls.mode=PASSTHROUGH", "TLS passthrough is not served yet; the server gets no filter chain"),
    ("Gateway spec.servers[*].tls.caCrl", "no revocation list is given to Envoy: revoked client certificates are accepted"),
    ("Gateway spec.servers[*].tls.credentialNames", "meshroute reads one certificate per server, from credentialName (or serverCertificate/privateKey)"),
    ("Gateway spec.servers[*].tls.tlsCertificates", "meshroute reads one certificate per server, from credentialName (or serverCertificate/privateKey)"),
    ("Gateway spec.servers[*].tls.caCertCredentialName", "the client CA comes from the credentialName Secret's ca.crt (or cacert) or the NAME-cacert Secret"),
    ("Gateway spec.servers[*].tls.insecureSkipVerify", "client certificates are verified as the mode says"),
    ("Gateway spec.servers[*].bind", "Envoy's listeners come from the bootstrap; the filter cannot bind addresses"),
    ("Gateway spec.servers[*].defaultEndpoint", "Envoy's listeners and clusters come from the bootstrap; the filter cannot forward to a default endpoint"),
    // TLS and TCP routes are Envoy tcp_proxy chains on gateway listeners (meshroute bootstrap);
    // these match fields select by addresses meshroute does not model.
    ("VirtualService spec.tls[*].match[*].destinationSubnets", L4_ADDRESSES),
    ("VirtualService spec.tcp[*].match[*].destinationSubnets", L4_ADDRESSES),
    ("VirtualService spec.tcp[*].match[*].sourceSubnet", L4_ADDRESSES),
    ("VirtualService spec.tls[*].match[*].sourceNamespace", L4_SOURCE_NAMESPACE),
    ("VirtualService spec.tcp[*].match[*].sourceNamespace", L4_SOURCE_NAMESPACE),
    ("VirtualService spec.http[*].match[*].headers[@request.auth.claims*]", "JWT claim matching needs a RequestAuthentication (Envoy's jwt_authn filter), which meshroute does not provide; the match never succeeds"),
    ("VirtualService spec.http[*].match[*].withoutHeaders[@request.auth.claims*]", "JWT claim matching needs a RequestAuthentication (Envoy's jwt_authn filter), which meshroute does not provide"),
    ("VirtualService spec.http[*].retries.retryRemoteLocalities", "meshroute does not model localities, so retries cannot prefer other localities"),
    ("ServiceEntry spec.resolution=DNS|DNS_ROUND_ROBIN|DYNAMIC_DNS", "meshroute only uses STATIC endpoint IPs; it does not resolve DNS names (the filter has no resolver)"),
    ("ServiceEntry spec.addresses[*]=<CIDR>", "meshroute matches HTTP by host; CIDR address ranges are not used"),
    ("ServiceEntry spec.endpoints[*].network", WORKLOAD_IDENTITY),
    ("ServiceEntry spec.endpoints[*].locality", LOCALITY),
    ("ServiceEntry spec.endpoints[*].serviceAccount", WORKLOAD_IDENTITY),
    ("WorkloadEntry spec.network", WORKLOAD_IDENTITY),
    ("WorkloadEntry spec.locality", LOCALITY),
    ("WorkloadEntry spec.serviceAccount", WORKLOAD_IDENTITY),
    ("DestinationRule {policy}.outlierDetection.splitExternalLocalOriginErrors", LOCAL_ORIGIN),
    ("DestinationRule {policy}.outlierDetection.consecutiveLocalOriginFailures", LOCAL_ORIGIN),
    ("DestinationRule {policy}.outlierDetection.outlierDetectionHttpErrorCodes", LOCAL_ORIGIN),
    ("VirtualService spec.http[*].retries.backoff", "retry back-off comes from the bootstrap route's retry policy (Envoy's 25 ms base); the filter cannot set it per request"),
];

/// `(pattern, reason)` for every field meshroute accepts but does not enforce; the pattern
/// syntax is described in the module documentation. Used for the warnings and for
/// `docs/FEATURES.md`.
pub fn not_enforced_table() -> &'static [(&'static str, &'static str)] {
    TABLE
}

#[derive(Debug, Clone, PartialEq)]
enum Pat {
    Field(String),
    AnyIndexOrKey,
    KeyPrefix(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Present,
    OneOf(Vec<String>),
    Cidr,
    OtherKeyThan(String),
}

/// Splits a pattern into kind, expanded paths and condition.
fn parse(pattern: &str) -> Option<(&str, Vec<String>, Cond)> {
    let (kind, rest) = pattern.split_once(' ')?;
    let (path, cond) = if let Some((p, c)) = rest.split_once('=') {
        if c == "<CIDR>" {
            (p, Cond::Cidr)
        } else {
            (p, Cond::OneOf(c.split('|').map(str::to_string).collect()))
        }
    } else if let Some((p, k)) = rest.split_once('!') {
        (p, Cond::OtherKeyThan(k.to_string()))
    } else {
        (rest, Cond::Present)
    };
    const TP: [&str; 2] = ["spec.trafficPolicy", "spec.subsets[*].trafficPolicy"];
    let paths: Vec<String> = if let Some(tail) = path.strip_prefix("{policy}") {
        TP.iter()
            .flat_map(|t| {
                [
                    format!("{t}{tail}"),
                    format!("{t}.portLevelSettings[*]{tail}"),
                ]
            })
            .collect()
    } else if let Some(tail) = path.strip_prefix("{trafficPolicy}") {
        TP.iter().map(|t| format!("{t}{tail}")).collect()
    } else {
        vec![path.to_string()]
    };
    Some((kind, paths, cond))
}

fn segments(path: &str) -> Vec<Pat> {
    // The diagnostics' own path syntax (brackets may hold dots: `[@request.auth.claims*]`),
    // with `[*]` and `[prefix*]` as wildcards.
    crate::node::parse_path(path)
        .into_iter()
        .map(|seg| match seg {
            crate::node::Seg::Field(f) if f == "*" => Pat::AnyIndexOrKey,
            crate::node::Seg::Field(f) => match f.strip_suffix('*') {
                Some(p) => Pat::KeyPrefix(p.to_ascii_lowercase()),
                None => Pat::Field(f),
            },
            crate::node::Seg::Index(i) => Pat::Field(i.to_string()),
        })
        .collect()
}

fn is_empty(n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Seq(v) => v.is_empty(),
        Value::Map(v) => v.is_empty(),
        _ => false,
    }
}

/// Finds every concrete field matching `pats` under `node`, with its path.
fn walk(node: &Node, pats: &[Pat], path: String, out: &mut Vec<(String, Node)>) {
    let Some((first, rest)) = pats.split_first() else {
        if !is_empty(node) {
            out.push((path, node.clone()));
        }
        return;
    };
    match (&node.value, first) {
        (Value::Map(entries), Pat::Field(f)) => {
            if let Some((_, v)) = entries
                .iter()
                .find(|(k, _)| k.name == *f || crate::decode::camel(&k.name) == *f)
            {
                let p = if path.is_empty() {
                    f.clone()
                } else {
                    format!("{path}.{f}")
                };
                walk(v, rest, p, out);
            }
        }
        (Value::Map(entries), Pat::AnyIndexOrKey) => {
            for (k, v) in entries {
                walk(v, rest, format!("{path}[{}]", k.name), out);
            }
        }
        (Value::Map(entries), Pat::KeyPrefix(pre)) => {
            for (k, v) in entries {
                let lower = k.name.to_ascii_lowercase();
                let claim = !pre.starts_with('@') || super::common::is_jwt_claim_header(&k.name);
                if lower.starts_with(pre.as_str()) && claim {
                    // A key present with an empty value (`{}` = "header present") still counts.
                    let p = format!("{path}[{}]", k.name);
                    if rest.is_empty() {
                        out.push((p, v.clone()));
                    } else {
                        walk(v, rest, p, out);
                    }
                }
            }
        }
        (Value::Seq(items), Pat::AnyIndexOrKey) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, rest, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn holds(node: &Node, cond: &Cond) -> bool {
    match cond {
        Cond::Present => true,
        Cond::OneOf(alts) => node.as_str().is_some_and(|v| alts.iter().any(|a| a == v)),
        Cond::Cidr => node.as_str().is_some_and(|v| v.contains('/')),
        Cond::OtherKeyThan(k) => match &node.value {
            Value::Map(entries) => entries
                .iter()
                .any(|(key, _)| key.name != *k && crate::decode::camel(&key.name) != *k),
            _ => false,
        },
    }
}

/// Emits one MR0201 warning per matching field of the resource.
pub(crate) fn check(s: &mut Sink, kind: Kind) {
    let mut found: Vec<(String, &'static str)> = Vec::new();
    for (pattern, reason) in TABLE {
        let Some((k, paths, cond)) = parse(pattern) else {
            continue;
        };
        if k != kind.as_str() {
            continue;
        }
        for p in paths {
            let mut hits = Vec::new();
            walk(s.root, &segments(&p), String::new(), &mut hits);
            for (path, node) in hits {
                if holds(&node, &cond) && !found.iter().any(|(fp, _)| *fp == path) {
                    found.push((path, reason));
                }
            }
        }
    }
    for (path, reason) in found {
        s.emit(
            codes::NOT_ENFORCED,
            Severity::Warning,
            &path,
            format!("{path} is accepted but not enforced by meshroute: {reason}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_pattern_parses() {
        for (p, r) in not_enforced_table() {
            let (kind, paths, _) = parse(p).expect(p);
            assert!(
                [
                    "VirtualService",
                    "DestinationRule",
                    "Gateway",
                    "ServiceEntry",
                    "WorkloadEntry"
                ]
                .contains(&kind),
                "{p}"
            );
            assert!(!paths.is_empty() && !r.is_empty(), "{p}");
            for path in paths {
                assert!(path.starts_with("spec."), "{path}");
                assert!(!segments(&path).is_empty());
            }
        }
    }

    #[test]
    fn policy_placeholder_expands_to_four_places() {
        let (_, paths, _) = parse("DestinationRule {policy}.tls").unwrap();
        assert_eq!(
            paths,
            vec![
                "spec.trafficPolicy.tls",
                "spec.trafficPolicy.portLevelSettings[*].tls",
                "spec.subsets[*].trafficPolicy.tls",
                "spec.subsets[*].trafficPolicy.portLevelSettings[*].tls",
            ]
        );
    }
}
