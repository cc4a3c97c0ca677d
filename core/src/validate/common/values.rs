//! Durations, exportTo entries and enumerated values: protocols, HTTP status codes, retryOn
//! policies, gRPC status names, TLS cipher suites, unix addresses.

use super::names::is_dns1123_label;
use super::Check;
use crate::decode::Duration;

/// Istio: agent/validation.go `ValidateDuration` — at least 1ms, whole milliseconds.
/// (The CRD also says `duration(self) >= duration('1ms')`.)
pub fn validate_duration(d: Duration) -> Check {
    if d.nanos < 1_000_000 {
        return Err(format!(
            "duration must be at least 1ms, got {d}; use forms like \"500ms\" or \"2s\""
        ));
    }
    if d.nanos % 1_000_000 != 0 {
        return Err(format!(
            "only durations to millisecond precision are supported, got {d}"
        ));
    }
    Ok(())
}

/// Istio: validation.go `validateExportTo`. Returns `(index, message)` pairs.
pub fn validate_export_to(
    namespace: &str,
    export_to: &[String],
    is_service_entry: bool,
    is_dr_with_selector: bool,
) -> Vec<(Option<usize>, String)> {
    let mut errs = Vec::new();
    if export_to.is_empty() {
        return errs;
    }
    let mut set: Vec<String> = Vec::new();
    for (i, e) in export_to.iter().enumerate() {
        let key = if e == "." {
            namespace.to_string()
        } else {
            e.clone()
        };
        if set.contains(&key) {
            if key != *e {
                errs.push((
                    Some(i),
                    format!("duplicate entries in exportTo: \".\" and the current namespace {namespace:?}"),
                ));
            } else {
                errs.push((Some(i), format!("duplicate entry {e:?} in exportTo")));
            }
        } else if is_service_entry && e == "~" {
            set.push(key);
        } else {
            // Istio: pkg/config/visibility/visibility.go `Instance.Validate`
            match key.as_str() {
                "." | "*" => set.push(key),
                "~" => errs.push((
                    Some(i),
                    "exportTo \"~\" (none) is not allowed for this kind; use \".\", \"*\" or namespace names".into(),
                )),
                k if is_dns1123_label(k) => set.push(key),
                _ => errs.push((
                    Some(i),
                    format!("exportTo entry {e:?} is invalid: only \".\", \"*\" or a namespace name (DNS-1123 label) is allowed"),
                )),
            }
        }
    }
    if is_dr_with_selector && !set.is_empty() {
        if set.iter().any(|s| s == namespace) {
            if set.len() > 1 {
                errs.push((
                    None,
                    "a destination rule with a workloadSelector cannot have several entries in exportTo".into(),
                ));
            }
        } else {
            errs.push((
                None,
                "a destination rule with a workloadSelector cannot be exported beyond its own namespace".into(),
            ));
        }
    }
    if set.iter().any(|s| s == "*") && export_to.len() > 1 {
        errs.push((
            None,
            "exportTo cannot combine public (\"*\") with other entries; \"*\" alone already exports everywhere".into(),
        ));
    }
    if set.iter().any(|s| s == "~") && export_to.len() > 1 {
        errs.push((
            None,
            "cannot export a service entry to no one (\"~\") and to someone".into(),
        ));
    }
    errs
}

/// Istio: pkg/config/protocol/instance.go `Parse` (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Grpc,
    GrpcWeb,
    Http,
    HttpProxy,
    Http2,
    Https,
    Tls,
    Mongo,
    Redis,
    Mysql,
    Unsupported,
}

impl Protocol {
    pub fn parse(s: &str) -> Protocol {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "grpc" => Protocol::Grpc,
            "grpc-web" => Protocol::GrpcWeb,
            "http" => Protocol::Http,
            "http_proxy" => Protocol::HttpProxy,
            "http2" => Protocol::Http2,
            "https" => Protocol::Https,
            "tls" => Protocol::Tls,
            "mongo" => Protocol::Mongo,
            "redis" => Protocol::Redis,
            "mysql" => Protocol::Mysql,
            _ => Protocol::Unsupported,
        }
    }
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http
                | Protocol::Http2
                | Protocol::HttpProxy
                | Protocol::Grpc
                | Protocol::GrpcWeb
        )
    }
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
    pub fn is_tcp(self) -> bool {
        matches!(
            self,
            Protocol::Tcp
                | Protocol::Https
                | Protocol::Tls
                | Protocol::Mongo
                | Protocol::Redis
                | Protocol::Mysql
        )
    }
}

/// Go's `net/http.StatusText(code) != ""`: the status codes Go knows.
pub fn is_known_http_status(code: i64) -> bool {
    matches!(code,
        100..=103 | 200..=208 | 226 | 300..=305 | 307 | 308 | 400..=418 | 421..=426 | 428 | 429
        | 431 | 451 | 500..=508 | 510 | 511)
}

/// Istio: agent/validation.go `supportedRetryOnPolicies`.
pub const RETRY_ON_POLICIES: &[&str] = &[
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// Istio: pkg/util/grpc/codes.go `SupportedGRPCStatus`.
pub const GRPC_STATUS_NAMES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Istio: pkg/config/security/security.go `ValidCipherSuites` / `IsValidCipherSuite`.
pub fn is_valid_cipher_suite(cs: &str) -> bool {
    const VALID: &[&str] = &[
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA",
        "AES256-SHA",
        "DES-CBC3-SHA",
    ];
    if cs.is_empty() || cs == "ALL" {
        return true;
    }
    match cs.chars().next() {
        Some(c) if !c.is_alphanumeric() => true,
        _ => VALID.contains(&cs),
    }
}

/// Istio: validation.go `ValidateUnixAddress`.
pub fn validate_unix_address(addr: &str) -> Check {
    if addr.is_empty() {
        return Err("unix address must not be empty".into());
    }
    if addr.starts_with('@') {
        return Ok(());
    }
    if !addr.starts_with('/') || addr.ends_with('/') {
        return Err(format!(
            "{addr:?} is not an absolute path to a file (expected unix:///path/to/socket or an abstract socket unix://@name)"
        ));
    }
    Ok(())
}
