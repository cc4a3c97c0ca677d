//! DestinationRule rules. Istio: pkg/config/validation/validation.go
//! `ValidateDestinationRule`, `validateTrafficPolicy`, `validateOutlierDetection`,
//! `validateConnectionPool`, `validateLoadBalancer`, `validatePortTrafficPolicies`,
//! `validateSubset`, `validateWorkloadSelector`; agent/validation.go `ValidateTLS`,
//! `ValidateLocalityLbSetting`, `ValidateZoneAwareLbSetting`.
//!
//! Sub-messages the model keeps as raw trees (locality, warmup, keepalives, tunnel …) are
//! decoded here, strictly, so that typos in them are reported too.

use super::common::*;
use super::virtual_service::{export_to, subset_name};
use super::{key, Sink};
use crate::decode::{Decoder, Duration, FromNode};
use crate::diag::Severity;
use crate::model::istio::*;
use crate::node::Node;
use std::collections::BTreeMap;

/// Typed forms of the sub-messages the model keeps as raw trees.
#[allow(dead_code)]
mod raw {
    use crate::decode::Duration;
    use crate::model::istio::Percent;
    use crate::{decode_enum, decode_struct};
    use std::collections::BTreeMap;

    decode_struct! { strict
        pub struct LocalityLb {
            enabled: Option<bool> = "enabled",
            distribute: Vec<LocalityDistribute> = "distribute",
            failover: Vec<LocalityFailover> = "failover",
            failover_priority: Vec<String> = "failoverPriority",
        }
    }

    decode_struct! { strict
        pub struct ZoneAwareLb {
            enabled: Option<bool> = "enabled",
            failover: Vec<LocalityFailover> = "failover",
            failover_priority: Vec<String> = "failoverPriority",
            min_cluster_size: Option<u64> = "minClusterSize",
        }
    }

    decode_struct! { strict
        pub struct LocalityDistribute { from: Option<String> = "from", to: BTreeMap<String, i64> = "to" }
    }

    decode_struct! { strict
        pub struct LocalityFailover { from: Option<String> = "from", to: Option<String> = "to" }
    }

    decode_struct! { strict
        pub struct Warmup {
            duration: Option<Duration> = "duration",
            minimum_percent: Option<f64> = "minimumPercent",
            aggression: Option<f64> = "aggression",
        }
    }

    decode_struct! { strict
        pub struct TcpKeepalive {
            probes: Option<u32> = "probes",
            time: Option<Duration> = "time",
            interval: Option<Duration> = "interval",
        }
    }

    decode_struct! { strict
        pub struct Http2KeepAlive { interval: Option<Duration> = "interval", timeout: Option<Duration> = "timeout" }
    }

    decode_struct! { strict
        pub struct Tunnel {
            protocol: Option<String> = "protocol",
            target_host: Option<String> = "targetHost",
            target_port: Option<i64> = "targetPort",
        }
    }

    decode_enum! {
        pub enum ProxyProtocolVersion { V1 = "V1", V2 = "V2" }
    }

    decode_struct! { strict
        pub struct ProxyProtocol { version: Option<ProxyProtocolVersion> = "version" }
    }

    decode_struct! { strict
        pub struct RetryBudget {
            percent: Option<Percent> = "percent",
            min_retry_concurrency: Option<u32> = "minRetryConcurrency",
            budget_interval: Option<Duration> = "budgetInterval",
        }
    }
}
use raw::*;

/// Decodes a raw sub-tree strictly; decoding problems are reported as the loader would have.
fn decode_raw<T: FromNode + Default>(s: &mut Sink, node: &Node, path: &str) -> T {
    let mut d = Decoder::default();
    let v = T::from_node(node, path, &mut d).unwrap_or_default();
    for e in d.errors {
        s.emit(e.code, Severity::Error, &e.path, e.message);
    }
    v
}

pub(crate) fn validate(s: &mut Sink, dr: &DestinationRule) {
    let host = dr.host.as_deref().unwrap_or("");
    if let Err(e) = validate_wildcard_domain(host) {
        if dr.host.is_none() {
            s.err("spec", "host is required: the service the rule applies to (\"reviews\", \"reviews.prod.svc.cluster.local\", \"*.example.com\")");
        } else {
            s.err("spec.host", format!("invalid host: {e}"));
        }
    }
    if let Some(tp) = &dr.traffic_policy {
        traffic_policy(s, "spec.trafficPolicy", tp);
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, sub) in dr.subsets.iter().enumerate() {
        let p = format!("spec.subsets[{i}]");
        if s.is_null(&p) {
            s.err(&p, "subset may not be null");
            continue;
        }
        let name = sub.name.as_deref().unwrap_or("");
        if seen.contains(&name) {
            s.err(
                &format!("{p}.name"),
                format!("duplicate subset name {name:?}; subset names must be unique"),
            );
        }
        seen.push(name);
        // Istio: validateSubset.
        subset_name(
            s,
            &(if sub.name.is_some() {
                format!("{p}.name")
            } else {
                p.clone()
            }),
            name,
        );
        super::virtual_service::labels(s, &format!("{p}.labels"), &sub.labels);
        if let Some(tp) = &sub.traffic_policy {
            traffic_policy(s, &format!("{p}.trafficPolicy"), tp);
        }
    }
    export_to(s, &dr.export_to, false, dr.workload_selector.is_some());
    if let Some(ws) = &dr.workload_selector {
        // Istio: validation.go validateWorkloadSelector (the CRD's CEL adds the same rules).
        for (k, v) in &ws.match_labels {
            let p = key("spec.workloadSelector.matchLabels", k);
            if k.is_empty() {
                s.err(
                    &p,
                    format!("empty key is not supported in selector: \"{k}={v}\""),
                );
            }
            if k.contains('*') || v.contains('*') {
                s.err(
                    &p,
                    format!("wildcard is not supported in selector: \"{k}={v}\""),
                );
            }
        }
        if ws.match_labels.is_empty() {
            s.warn(
                "spec.workloadSelector",
                "workload selector specified without labels: it selects every workload in the namespace",
            );
        }
    }
}

/// Istio: validation.go `validateTrafficPolicy`.
fn traffic_policy(s: &mut Sink, path: &str, tp: &TrafficPolicy) {
    if tp.outlier_detection.is_none()
        && tp.connection_pool.is_none()
        && tp.load_balancer.is_none()
        && tp.tls.is_none()
        && tp.port_level_settings.is_empty()
        && tp.tunnel.is_none()
        && tp.proxy_protocol.is_none()
        && tp.retry_budget.is_none()
    {
        s.err(
            path,
            "traffic policy must have at least one field (loadBalancer, connectionPool, outlierDetection, tls, portLevelSettings …); remove it if it is empty",
        );
        return;
    }
    if tp.tunnel.is_some() && tp.proxy_protocol.is_some() {
        s.err(
            &format!("{path}.proxyProtocol"),
            "tunnel and proxyProtocol must not be set together",
        );
        return;
    }
    outlier(
        s,
        &format!("{path}.outlierDetection"),
        tp.outlier_detection.as_ref(),
    );
    connection_pool(
        s,
        &format!("{path}.connectionPool"),
        tp.connection_pool.as_ref(),
    );
    load_balancer(
        s,
        &format!("{path}.loadBalancer"),
        tp.load_balancer.as_ref(),
        tp.outlier_detection.is_some(),
    );
    tls(s, &format!("{path}.tls"), tp.tls.as_ref());
    for (i, pl) in tp.port_level_settings.iter().enumerate() {
        let p = format!("{path}.portLevelSettings[{i}]");
        if s.is_null(&p) {
            s.err(&p, "port traffic policy may not be null");
            continue;
        }
        if pl.port.is_none() {
            s.err(
                &p,
                "a portLevelSettings entry needs a port: {number: <port>}",
            );
        }
        if pl.outlier_detection.is_none()
            && pl.connection_pool.is_none()
            && pl.load_balancer.is_none()
            && pl.tls.is_none()
        {
            s.err(
                &p,
                "port traffic policy must have at least one field (loadBalancer, connectionPool, outlierDetection or tls)",
            );
        } else {
            outlier(
                s,
                &format!("{p}.outlierDetection"),
                pl.outlier_detection.as_ref(),
            );
            connection_pool(
                s,
                &format!("{p}.connectionPool"),
                pl.connection_pool.as_ref(),
            );
            load_balancer(
                s,
                &format!("{p}.loadBalancer"),
                pl.load_balancer.as_ref(),
                pl.outlier_detection.is_some(),
            );
            tls(s, &format!("{p}.tls"), pl.tls.as_ref());
        }
    }
    if let Some(n) = &tp.tunnel {
        let p = format!("{path}.tunnel");
        let t: Tunnel = decode_raw(s, n, &p);
        // Istio: validateTunnelSettings.
        if let Some(pr) = t.protocol.as_deref() {
            if !pr.is_empty() && pr != "CONNECT" && pr != "POST" {
                s.err(
                    &format!("{p}.protocol"),
                    "tunnel protocol must be \"CONNECT\" or \"POST\"",
                );
            }
        }
        let th = t.target_host.as_deref().unwrap_or("");
        if let Err(e) = validate_fqdn(th) {
            if !is_ip(th) {
                s.err(
                    &format!("{p}.targetHost"),
                    format!("tunnel target host must be a valid FQDN or IP address: {e}"),
                );
            }
        }
        if let Err(e) = validate_port(t.target_port.unwrap_or(0)) {
            s.err(
                &format!("{p}.targetPort"),
                format!("tunnel target port is invalid: {e}"),
            );
        }
    }
    if let Some(n) = &tp.proxy_protocol {
        let _: ProxyProtocol = decode_raw(s, n, &format!("{path}.proxyProtocol"));
    }
    if let Some(n) = &tp.retry_budget {
        let p = format!("{path}.retryBudget");
        let rb: RetryBudget = decode_raw(s, n, &p);
        if let Some(v) = rb.percent.as_ref().and_then(|x| x.value) {
            if !(0.0..=100.0).contains(&v) {
                s.err(
                    &format!("{p}.percent.value"),
                    format!("retry budget percent must be in the range 0..100, got {v}"),
                );
            }
        }
        if let Some(d) = rb.budget_interval {
            duration(s, &format!("{p}.budgetInterval"), d);
        }
    }
}

fn duration(s: &mut Sink, path: &str, d: Duration) {
    if let Err(e) = validate_duration(d) {
        s.err(path, e);
    }
}

/// Istio: validation.go `validateOutlierDetection`.
fn outlier(s: &mut Sink, path: &str, o: Option<&OutlierDetection>) {
    let Some(o) = o else { return };
    if let Some(d) = o.base_ejection_time {
        duration(s, &format!("{path}.baseEjectionTime"), d);
    }
    if o.consecutive_errors.is_some_and(|v| v != 0) {
        s.warn(
            &format!("{path}.consecutiveErrors"),
            "outlier detection consecutiveErrors is deprecated; use consecutiveGatewayErrors or consecutive5xxErrors instead",
        );
    }
    if !o.split_external_local_origin_errors.unwrap_or(false)
        && o.consecutive_local_origin_failures.unwrap_or(0) > 0
    {
        s.err(
            &format!("{path}.consecutiveLocalOriginFailures"),
            "consecutiveLocalOriginFailures is set, but splitExternalLocalOriginErrors is false; set splitExternalLocalOriginErrors: true",
        );
    }
    if let Some(d) = o.interval {
        duration(s, &format!("{path}.interval"), d);
    }
    for (field, v) in [
        ("maxEjectionPercent", o.max_ejection_percent),
        ("minHealthPercent", o.min_health_percent),
    ] {
        if let Some(v) = v {
            if !(0..=100).contains(&v) {
                s.err(
                    &format!("{path}.{field}"),
                    format!("{field} must be in the range 0..100, got {v}"),
                );
            }
        }
    }
    // The CRD limits uint32 counters and the error codes (100-599).
    for (field, v) in [
        ("consecutive5xxErrors", o.consecutive_5xx_errors),
        ("consecutiveGatewayErrors", o.consecutive_gateway_errors),
        (
            "consecutiveLocalOriginFailures",
            o.consecutive_local_origin_failures,
        ),
    ] {
        if let Some(v) = v {
            if !(0..=i64::from(u32::MAX)).contains(&v) {
                s.err(
                    &format!("{path}.{field}"),
                    format!("{field} must be in the range 0..4294967295, got {v}"),
                );
            }
        }
    }
    for (i, c) in o.outlier_detection_http_error_codes.iter().enumerate() {
        if !(100..=599).contains(c) {
            s.err(
                &format!("{path}.outlierDetectionHttpErrorCodes[{i}]"),
                format!("HTTP error codes must be in the range 100..599, got {c}"),
            );
        }
    }
}

/// Istio: validation.go `validateConnectionPool`.
fn connection_pool(s: &mut Sink, path: &str, c: Option<&ConnectionPoolSettings>) {
    let Some(c) = c else { return };
    if c.http.is_none() && c.tcp.is_none() {
        s.err(
            path,
            "connection pool must have at least one of http or tcp",
        );
        return;
    }
    let non_negative = |s: &mut Sink, p: String, what: &str, v: Option<i64>| {
        if let Some(v) = v {
            if v < 0 {
                s.err(&p, format!("{what} must be non-negative, got {v}"));
            } else if v > i64::from(i32::MAX) {
                s.err(
                    &p,
                    format!("{what} must be at most {} (int32), got {v}", i32::MAX),
                );
            }
        }
    };
    if let Some(h) = &c.http {
        let hp = format!("{path}.http");
        non_negative(
            s,
            format!("{hp}.http1MaxPendingRequests"),
            "http1MaxPendingRequests",
            h.http1_max_pending_requests,
        );
        non_negative(
            s,
            format!("{hp}.http2MaxRequests"),
            "http2MaxRequests",
            h.http2_max_requests,
        );
        non_negative(
            s,
            format!("{hp}.maxRequestsPerConnection"),
            "maxRequestsPerConnection",
            h.max_requests_per_connection,
        );
        non_negative(s, format!("{hp}.maxRetries"), "maxRetries", h.max_retries);
        if let Some(d) = h.idle_timeout {
            duration(s, &format!("{hp}.idleTimeout"), d);
        }
        if h.h2_upgrade_policy == Some(H2UpgradePolicy::Upgrade)
            && h.use_client_protocol == Some(true)
        {
            s.err(
                &format!("{hp}.useClientProtocol"),
                "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE",
            );
        }
        non_negative(
            s,
            format!("{hp}.maxConcurrentStreams"),
            "maxConcurrentStreams",
            h.max_concurrent_streams,
        );
        if let Some(n) = &h.http2_keep_alive {
            let kp = format!("{hp}.http2KeepAlive");
            if !matches!(n.value, crate::node::Value::Null) {
                let k: Http2KeepAlive = decode_raw(s, n, &kp);
                match k.interval {
                    None => s.err(&kp, "http2KeepAlive interval is required"),
                    Some(d) => duration(s, &format!("{kp}.interval"), d),
                }
                match k.timeout {
                    None => s.err(&kp, "http2KeepAlive timeout is required"),
                    Some(d) => duration(s, &format!("{kp}.timeout"), d),
                }
            }
        }
    }
    if let Some(t) = &c.tcp {
        let tp = format!("{path}.tcp");
        non_negative(
            s,
            format!("{tp}.maxConnections"),
            "maxConnections",
            t.max_connections,
        );
        if let Some(d) = t.connect_timeout {
            duration(s, &format!("{tp}.connectTimeout"), d);
        }
        if let Some(d) = t.max_connection_duration {
            duration(s, &format!("{tp}.maxConnectionDuration"), d);
        }
        // 0s disables the idle timeout (Istio skips validation then).
        if let Some(d) = t.idle_timeout {
            if d.as_millis() != 0 {
                duration(s, &format!("{tp}.idleTimeout"), d);
            }
        }
        if let Some(n) = &t.tcp_keepalive {
            let kp = format!("{tp}.tcpKeepalive");
            let k: TcpKeepalive = decode_raw(s, n, &kp);
            if let Some(d) = k.time {
                duration(s, &format!("{kp}.time"), d);
            }
            if let Some(d) = k.interval {
                duration(s, &format!("{kp}.interval"), d);
            }
        }
    }
}

/// Envoy's `isPrime` (copied by Istio into validation.go).
fn is_prime(x: u64) -> bool {
    if x != 0 && x < 4 {
        return true;
    }
    if x & 1 == 0 {
        return false;
    }
    let mut f = 3u64;
    while f.saturating_mul(f) <= x {
        if x.is_multiple_of(f) {
            return false;
        }
        f += 2;
    }
    true
}

/// Istio: validation.go `validateLoadBalancer`.
fn load_balancer(s: &mut Sink, path: &str, lb: Option<&LoadBalancerSettings>, has_outlier: bool) {
    let Some(lb) = lb else { return };
    if let Some(ch) = &lb.consistent_hash {
        let cp = format!("{path}.consistentHash");
        let keys = [
            ch.http_header_name.is_some(),
            ch.http_cookie.is_some(),
            ch.use_source_ip.is_some(),
            ch.http_query_parameter_name.is_some(),
        ];
        if keys.iter().filter(|k| **k).count() > 1 {
            s.err(
                &cp,
                "consistentHash sets exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName",
            );
        }
        if ch.ring_hash.is_some() && ch.maglev.is_some() {
            s.err(&cp, "consistentHash sets only one of ringHash or maglev");
        }
        if let Some(c) = &ch.http_cookie {
            let kp = format!("{cp}.httpCookie");
            if c.name.as_deref().unwrap_or("").is_empty() {
                s.err(&kp, "httpCookie needs a name");
            }
            let mut names: Vec<&str> = Vec::new();
            for (i, a) in c.attributes.iter().enumerate() {
                let ap = format!("{kp}.attributes[{i}]");
                let n = a.name.as_deref().unwrap_or("");
                if n.is_empty() {
                    s.err(&ap, "cookie attribute name cannot be empty");
                    continue;
                }
                if names.contains(&n) {
                    s.err(
                        &format!("{ap}.name"),
                        format!("duplicate cookie attribute name {n:?}"),
                    );
                } else {
                    names.push(n);
                }
            }
        }
        if ch.minimum_ring_size.is_some_and(|v| v != 0) {
            s.warn(
                &format!("{cp}.minimumRingSize"),
                "consistentHash.minimumRingSize is deprecated; use consistentHash.ringHash.minimumRingSize instead",
            );
            if ch.ring_hash.is_some() || ch.maglev.is_some() {
                s.err(
                    &format!("{cp}.minimumRingSize"),
                    "only one of minimumRingSize or maglev/ringHash can be specified",
                );
            }
        }
        if let Some(m) = &ch.maglev {
            let mp = format!("{cp}.maglev.tableSize");
            let t = m.table_size.unwrap_or(0);
            if t == 0 {
                s.err(
                    &format!("{cp}.maglev"),
                    "tableSize must be set for maglev (a prime number such as 65537)",
                );
            }
            if t >= 5_000_011 {
                s.err(
                    &mp,
                    format!("tableSize must be less than 5000011 for maglev, got {t}"),
                );
            }
            if !is_prime(t) {
                s.err(
                    &mp,
                    format!("tableSize must be a prime number for maglev (such as 65537), got {t}"),
                );
            }
        }
    }
    if lb.simple.is_some() && lb.consistent_hash.is_some() {
        s.err(
            path,
            "loadBalancer sets only one of simple or consistentHash",
        );
    }
    if lb.locality_lb_setting.is_some() && lb.zone_aware_lb_setting.is_some() {
        s.err(
            &format!("{path}.zoneAwareLbSetting"),
            "only one of localityLbSetting and zoneAwareLbSetting can be set",
        );
    }
    if let Some(n) = &lb.locality_lb_setting {
        let p = format!("{path}.localityLbSetting");
        let l: LocalityLb = decode_raw(s, n, &p);
        locality(s, &p, &l, has_outlier);
    }
    if let Some(n) = &lb.zone_aware_lb_setting {
        let p = format!("{path}.zoneAwareLbSetting");
        let z: ZoneAwareLb = decode_raw(s, n, &p);
        zone_aware(s, &p, &z, has_outlier);
    }
    if lb.warmup.is_some() && lb.warmup_duration_secs.is_some() {
        // The CRD's CEL rule.
        s.err(path, "only one of warmupDurationSecs or warmup can be set");
    }
    if let Some(d) = lb.warmup_duration_secs {
        duration(s, &format!("{path}.warmupDurationSecs"), d);
    }
    if let Some(n) = &lb.warmup {
        let p = format!("{path}.warmup");
        let w: Warmup = decode_raw(s, n, &p);
        match w.duration {
            None => s.err(&p, "warmup duration is required"),
            Some(d) => duration(s, &format!("{p}.duration"), d),
        }
        if let Some(v) = w.minimum_percent {
            if !(0.0..=100.0).contains(&v) {
                s.err(
                    &format!("{p}.minimumPercent"),
                    format!("minimumPercent must be in the range 0..100, got {v}"),
                );
            }
        }
        if let Some(a) = w.aggression {
            if a <= 0.0 {
                s.err(
                    &format!("{p}.aggression"),
                    format!("aggression must be greater than 0, got {a}"),
                );
            }
        }
    }
}

const TOPOLOGY_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
];

/// Istio: agent/validation.go `ValidateLocalityLbSetting` (which stops at several errors).
fn locality(s: &mut Sink, path: &str, l: &LocalityLb, has_outlier: bool) {
    if !l.distribute.is_empty() && !l.failover.is_empty() {
        s.err(path, "cannot set both 'distribute' and 'failover'");
        return;
    }
    if !l.failover.is_empty() {
        for (i, lab) in l.failover_priority.iter().enumerate() {
            if TOPOLOGY_LABELS.contains(&lab.as_str()) {
                s.err(
                    &format!("{path}.failoverPriority[{i}]"),
                    format!("cannot set 'failover' together with the topology label {lab:?} in 'failoverPriority'"),
                );
                return;
            }
        }
    }
    let mut sources: Vec<String> = Vec::new();
    for (i, d) in l.distribute.iter().enumerate() {
        let dp = format!("{path}.distribute[{i}]");
        sources.push(d.from.clone().unwrap_or_default());
        let mut total: i64 = 0;
        for (loc, w) in &d.to {
            if *w <= 0 || *w > 100 {
                s.err(
                    &key(&format!("{dp}.to"), loc),
                    format!("locality weight must be in the range 1..100, got {w}"),
                );
                return;
            }
            total += w;
        }
        if total != 100 {
            s.err(
                &format!("{dp}.to"),
                format!("the locality weights must add up to 100, got {total}"),
            );
            return;
        }
        let dests: Vec<String> = d.to.keys().cloned().collect();
        if let Err(e) = localities(&dests) {
            s.err(&format!("{dp}.to"), e);
        }
    }
    if let Err(e) = localities(&sources) {
        s.err(&format!("{path}.distribute"), e);
    }
    if (!l.failover.is_empty() || !l.failover_priority.is_empty()) && !has_outlier {
        s.warn(
            path,
            "locality failover needs an outlierDetection policy; without it failover never happens",
        );
    }
    failovers(s, path, &l.failover, "locality lb failover");
}

fn failovers(s: &mut Sink, path: &str, list: &[LocalityFailover], what: &str) {
    for (i, f) in list.iter().enumerate() {
        let fp = format!("{path}.failover[{i}]");
        let from = f.from.as_deref().unwrap_or("");
        let to = f.to.as_deref().unwrap_or("");
        if from == to {
            s.err(
                &fp,
                format!("{what}: from and to must be different regions"),
            );
        }
        if from.contains('/') || to.contains('/') {
            s.err(
                &fp,
                format!("{what}: from and to name regions only (no '/')"),
            );
        }
        if from.contains('*') || to.contains('*') {
            s.err(
                &fp,
                format!("{what}: regions must not contain the '*' wildcard"),
            );
        }
    }
}

/// Istio: agent/validation.go `ValidateZoneAwareLbSetting`.
fn zone_aware(s: &mut Sink, path: &str, z: &ZoneAwareLb, has_outlier: bool) {
    for (i, lab) in z.failover_priority.iter().enumerate() {
        if TOPOLOGY_LABELS.contains(&lab.as_str()) {
            s.err(
                &format!("{path}.failoverPriority[{i}]"),
                format!("'failoverPriority' for zone aware lb must not use the topology label {lab:?}; region- and zone-level routing are handled automatically"),
            );
        }
    }
    if (!z.failover.is_empty() || !z.failover_priority.is_empty()) && !has_outlier {
        s.warn(
            path,
            "zone aware failover needs an outlierDetection policy; without it failover never happens",
        );
    }
    failovers(s, path, &z.failover, "zone aware lb failover");
}

/// Istio: agent/validation.go `validateLocalities` — `region[/zone[/subzone]]`, one trailing
/// `*` at most, no overlaps.
fn localities(list: &[String]) -> Result<(), String> {
    // region -> zone -> subzones ("*" = everything below)
    let mut m: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let overlap = |l: &str| Err(format!("locality {l:?} overlaps with a previous one"));
    for l in list {
        let n = l.matches('*').count();
        if n > 0 && (n > 1 || !l.ends_with('*')) {
            return Err(format!(
                "locality {l:?}: at most one '*' wildcard, and only at the end"
            ));
        }
        if m.contains_key("*") {
            return overlap(l);
        }
        let items: Vec<&str> = l.splitn(3, '/').collect();
        if items.iter().any(|i| i.is_empty()) {
            return Err(format!(
                "locality {l:?} must not contain an empty region/zone/subzone"
            ));
        }
        let region = items[0].to_string();
        match items.len() {
            1 => {
                if m.contains_key(&region) {
                    return overlap(l);
                }
                let mut z = BTreeMap::new();
                z.insert("*".to_string(), vec!["*".to_string()]);
                m.insert(region, z);
            }
            2 => {
                let zone = items[1].to_string();
                if let Some(zs) = m.get_mut(&region) {
                    if zs.contains_key("*") || zs.contains_key(&zone) {
                        return overlap(l);
                    }
                    zs.insert(zone, vec!["*".to_string()]);
                } else {
                    let mut z = BTreeMap::new();
                    z.insert(zone, vec!["*".to_string()]);
                    m.insert(region, z);
                }
            }
            _ => {
                let zone = items[1].to_string();
                let sub = items[2].to_string();
                let zs = m.entry(region).or_default();
                if zs.contains_key("*") {
                    return overlap(l);
                }
                let subs = zs.entry(zone).or_default();
                if subs.iter().any(|x| x == "*" || *x == sub) {
                    return overlap(l);
                }
                subs.push(sub);
            }
        }
    }
    Ok(())
}

/// Istio: agent/validation.go `ValidateTLS` (client side).
fn tls(s: &mut Sink, path: &str, t: Option<&ClientTlsSettings>) {
    let Some(t) = t else { return };
    let cred = t.credential_name.as_deref().unwrap_or("");
    if let Some(rest) = cred.strip_prefix("configmap://") {
        // configmap://<name> or configmap://<namespace>/<name>; the namespace must be ours.
        let ns = match rest.split_once('/') {
            Some((ns, _)) => ns,
            None => s.namespace,
        };
        if rest.is_empty() || rest.split('/').count() > 2 {
            s.err(
                &format!("{path}.credentialName"),
                format!(
                    "invalid configmap:// credentialName {cred:?}: expected configmap://<name>"
                ),
            );
        } else if ns != s.namespace || s.namespace.is_empty() {
            s.err(
                &format!("{path}.credentialName"),
                format!("invalid configmap:// credentialName: the namespace must match the configuration namespace {:?}", s.namespace),
            );
        }
    }
    let set = |o: &Option<String>| o.as_deref().is_some_and(|v| !v.is_empty());
    let mode = t.mode.unwrap_or(ClientTlsMode::Disable);
    if t.insecure_skip_verify == Some(true) {
        if mode == ClientTlsMode::Simple
            && (set(&t.ca_certificates) || !cred.is_empty() || !t.subject_alt_names.is_empty())
        {
            s.err(
                &format!("{path}.insecureSkipVerify"),
                "cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true",
            );
        }
        if mode == ClientTlsMode::Mutual
            && (set(&t.ca_certificates) || !t.subject_alt_names.is_empty())
        {
            s.err(
                &format!("{path}.insecureSkipVerify"),
                "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true",
            );
        }
    }
    if matches!(mode, ClientTlsMode::Simple | ClientTlsMode::Mutual) && !cred.is_empty() {
        if set(&t.client_certificate)
            || set(&t.ca_certificates)
            || set(&t.private_key)
            || set(&t.ca_crl)
        {
            s.err(
                &format!("{path}.credentialName"),
                "cannot specify clientCertificate, privateKey, caCertificates or caCrl when credentialName is set",
            );
        }
        return;
    }
    if mode == ClientTlsMode::Mutual {
        if !set(&t.client_certificate) {
            s.err(
                path,
                "clientCertificate is required for MUTUAL tls (or use credentialName)",
            );
        }
        if !set(&t.private_key) {
            s.err(
                path,
                "privateKey is required for MUTUAL tls (or use credentialName)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_like_envoy() {
        assert!(is_prime(65537));
        assert!(is_prime(2));
        assert!(!is_prime(65536));
        assert!(!is_prime(9));
        assert!(!is_prime(0));
    }

    #[test]
    fn locality_overlaps() {
        let l = |v: &[&str]| localities(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(l(&["us", "eu/z1", "eu/z2/s1"]).is_ok());
        assert!(l(&["us", "us/z1"]).is_err());
        assert!(l(&["*", "us"]).is_err());
        assert!(l(&["us/*/x"]).is_err());
        assert!(l(&["us//x"]).is_err());
    }
}
