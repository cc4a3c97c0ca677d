//! Traffic policy: which DestinationRule blocks apply to a port and a subset, and their
//! translation into load balancing, outlier detection and connection pool limits (Istio:
//! pilot/pkg/networking/util/util.go `GetPortLevelTrafficPolicy`, `MergeSubsetTrafficPolicy`;
//! pilot/pkg/networking/core/cluster_traffic_policy.go).

use crate::lb::{LbPolicy, OutlierPolicy};
use crate::model::istio::*;
use crate::table::*;

/// `GetPortLevelTrafficPolicy`: a port-level entry replaces the four blocks wholesale.
pub(super) fn port_policy(policy: Option<&TrafficPolicy>, port: u32) -> Option<TrafficPolicy> {
    let p = policy?;
    let mut out = p.clone();
    apply_port_level(&mut out, p, port);
    Some(out)
}

/// If `from` has a port-level entry for `port`, its four blocks replace `out`'s wholesale
/// (absent blocks included). Returns whether there was one.
fn apply_port_level(out: &mut TrafficPolicy, from: &TrafficPolicy, port: u32) -> bool {
    let Some(pl) = from
        .port_level_settings
        .iter()
        .find(|pl| pl.port.as_ref().and_then(|x| x.number) == Some(i64::from(port)))
    else {
        return false;
    };
    out.load_balancer = pl.load_balancer.clone();
    out.connection_pool = pl.connection_pool.clone();
    out.outlier_detection = pl.outlier_detection.clone();
    out.tls = pl.tls.clone();
    true
}

/// `MergeSubsetTrafficPolicy`: subset blocks replace the DR's per block; a subset port-level
/// entry for this port replaces all four.
pub(super) fn merge_subset_policy(
    base: Option<TrafficPolicy>,
    subset: Option<&TrafficPolicy>,
    port: u32,
) -> Option<TrafficPolicy> {
    let Some(sp) = subset else { return base };
    let mut out = base.unwrap_or_default();
    if apply_port_level(&mut out, sp, port) {
        return Some(out);
    }
    if sp.load_balancer.is_some() {
        out.load_balancer = sp.load_balancer.clone();
    }
    if sp.connection_pool.is_some() {
        out.connection_pool = sp.connection_pool.clone();
    }
    if sp.outlier_detection.is_some() {
        out.outlier_detection = sp.outlier_detection.clone();
    }
    if sp.tls.is_some() {
        out.tls = sp.tls.clone();
    }
    Some(out)
}

/// `applyLoadBalancer` (cluster_traffic_policy.go): unset/UNSPECIFIED and LEAST_CONN ⇒
/// LEAST_REQUEST; consistent hash ⇒ RING_HASH (default 1024) or MAGLEV.
pub(super) fn lb_policy(lb: Option<&LoadBalancerSettings>) -> (LbPolicy, Option<HashPolicy>) {
    let Some(lb) = lb else {
        return (LbPolicy::LeastRequest, None);
    };
    if let Some(ch) = &lb.consistent_hash {
        let hash = if let Some(h) = &ch.http_header_name {
            Some(HashPolicy::Header(h.to_ascii_lowercase()))
        } else if let Some(c) = &ch.http_cookie {
            Some(HashPolicy::Cookie {
                name: c.name.clone().unwrap_or_default(),
                path: c.path.clone(),
                ttl_ms: c.ttl.map(|t| t.as_millis().max(0) as u64),
            })
        } else if ch.use_source_ip == Some(true) {
            Some(HashPolicy::SourceIp)
        } else {
            ch.http_query_parameter_name.clone().map(HashPolicy::Query)
        };
        let policy = if let Some(m) = &ch.maglev {
            LbPolicy::Maglev {
                table_size: m.table_size.unwrap_or(65537),
            }
        } else {
            LbPolicy::RingHash {
                minimum_ring_size: ch
                    .ring_hash
                    .as_ref()
                    .and_then(|r| r.minimum_ring_size)
                    .or(ch.minimum_ring_size)
                    .unwrap_or(1024),
            }
        };
        return (policy, hash);
    }
    let p = match lb.simple.unwrap_or(SimpleLb::Unspecified) {
        SimpleLb::Unspecified | SimpleLb::LeastConn | SimpleLb::LeastRequest => {
            LbPolicy::LeastRequest
        }
        SimpleLb::RoundRobin => LbPolicy::RoundRobin,
        SimpleLb::Random => LbPolicy::Random,
        SimpleLb::Passthrough => LbPolicy::Passthrough,
    };
    (p, None)
}

/// `applyOutlierDetection`: Envoy defaults filled in; Istio's minHealthPercent default 0.
pub(super) fn outlier_policy(o: &OutlierDetection) -> OutlierPolicy {
    let c5 = o
        .consecutive_5xx_errors
        .or(o.consecutive_errors)
        .unwrap_or(5);
    OutlierPolicy {
        consecutive_5xx: c5.clamp(0, u32::MAX as i64) as u32,
        consecutive_gateway_errors: o
            .consecutive_gateway_errors
            .unwrap_or(0)
            .clamp(0, u32::MAX as i64) as u32,
        interval_ms: o.interval.map_or(10_000, |d| d.as_millis().max(1) as u64),
        base_ejection_ms: o
            .base_ejection_time
            .map_or(30_000, |d| d.as_millis().max(1) as u64),
        max_ejection_percent: match o.max_ejection_percent {
            Some(p) if p > 0 => p.min(100) as u32,
            _ => 10,
        },
        min_health_percent: o.min_health_percent.unwrap_or(0).clamp(0, 100) as u32,
    }
}

pub(super) fn pool_limits(p: &ConnectionPoolSettings) -> PoolLimits {
    let u = |v: Option<i64>| v.filter(|x| *x > 0).map(|x| x.min(u32::MAX as i64) as u32);
    PoolLimits {
        max_connections: u(p.tcp.as_ref().and_then(|t| t.max_connections)),
        http1_max_pending_requests: u(p.http.as_ref().and_then(|h| h.http1_max_pending_requests)),
        http2_max_requests: u(p.http.as_ref().and_then(|h| h.http2_max_requests)),
        max_requests_per_connection: u(p.http.as_ref().and_then(|h| h.max_requests_per_connection)),
        max_retries: u(p.http.as_ref().and_then(|h| h.max_retries)),
        connect_timeout_ms: p
            .tcp
            .as_ref()
            .and_then(|t| t.connect_timeout)
            .map(|d| d.as_millis().max(1) as u64),
        idle_timeout_ms: p
            .http
            .as_ref()
            .and_then(|h| h.idle_timeout)
            .or_else(|| p.tcp.as_ref().and_then(|t| t.idle_timeout))
            .map(|d| d.as_millis().max(0) as u64),
    }
}
