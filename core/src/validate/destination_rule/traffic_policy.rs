//! Traffic policies (also per port) with their outlier detection, connection pool and client
//! TLS settings. Istio: validation.go `validateTrafficPolicy`, `validatePortTrafficPolicies`,
//! `validateOutlierDetection`, `validateConnectionPool`; agent/validation.go `ValidateTLS`.

use super::load_balancer::load_balancer;
use super::raw::*;
use super::{decode_raw, duration};
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::Sink;

/// Istio: validation.go `validateTrafficPolicy`.
pub(super) fn traffic_policy(s: &mut Sink, path: &str, tp: &TrafficPolicy) {
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
