//! CORS, fault injection and retries. Istio: validation.go `validateCORSPolicy`,
//! `validateHTTPFaultInjection`, `validatePercentage`, `validateHTTPStatus`; agent/validation.go
//! `ValidateHTTPRetry`.

use super::matches::{string_match_oneof, string_match_regex};
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::Sink;

/// Istio: validation.go `validateCORSPolicy`.
pub(super) fn cors(s: &mut Sink, path: &str, c: &CorsPolicy) {
    for (i, o) in c.allow_origins.iter().enumerate() {
        let p = format!("{path}.allowOrigins[{i}]");
        if !string_match_oneof(s, &p, o) {
            continue;
        }
        let v = o
            .exact
            .as_deref()
            .or(o.prefix.as_deref())
            .or(o.regex.as_deref())
            .unwrap_or("");
        if v.is_empty() {
            s.err(
                &p,
                "an allowOrigins entry needs a non-empty exact, prefix or regex",
            );
            continue;
        }
        string_match_regex(s, &p, o);
    }
    const METHODS: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*",
    ];
    for (i, m) in c.allow_methods.iter().enumerate() {
        if !METHODS.contains(&m.as_str()) {
            s.err(
                &format!("{path}.allowMethods[{i}]"),
                format!(
                    "{m:?} is not a supported HTTP method; expected one of {}",
                    METHODS.join(", ")
                ),
            );
        }
    }
    for (field, list) in [
        ("allowHeaders", &c.allow_headers),
        ("exposeHeaders", &c.expose_headers),
    ] {
        for (i, h) in list.iter().enumerate() {
            s.check(
                &format!("{path}.{field}[{i}]"),
                validate_cors_header_name(h),
            );
        }
    }
    if let Some(m) = c.max_age {
        let p = format!("{path}.maxAge");
        if let Err(e) = validate_duration(m) {
            s.err(&p, format!("maxAge: {e}"));
        }
        if m.nanos % 1_000_000_000 != 0 {
            s.err(
                &p,
                format!("maxAge is accurate only to seconds, got {m}; use whole seconds like \"24h\" or \"86400s\""),
            );
        }
    }
}

/// Istio: validation.go `validateHTTPFaultInjection` and the abort/delay helpers.
pub(super) fn fault(s: &mut Sink, path: &str, f: &HttpFaultInjection) {
    if f.abort.is_none() && f.delay.is_none() {
        s.err(path, "HTTP fault injection needs an abort and/or a delay");
    }
    if let Some(a) = &f.abort {
        let p = format!("{path}.abort");
        percentage(s, &format!("{p}.percentage"), a.percentage.as_ref());
        let kinds = [
            a.http_status.is_some(),
            a.grpc_status.is_some(),
            a.http2_error.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            s.err(
                &p,
                "an abort sets exactly one of httpStatus, grpcStatus or http2Error",
            );
        } else if let Some(g) = &a.grpc_status {
            if !GRPC_STATUS_NAMES.contains(&g.as_str()) {
                s.err(
                    &format!("{p}.grpcStatus"),
                    format!(
                        "gRPC status {g:?} is not supported; expected a name from https://github.com/grpc/grpc/blob/master/doc/statuscodes.md such as NOT_FOUND or UNAVAILABLE"
                    ),
                );
            }
        } else if a.http2_error.is_some() {
            s.err(
                &format!("{p}.http2Error"),
                "HTTP/2 abort fault injection is not supported yet; use httpStatus or grpcStatus",
            );
        } else if let Some(st) = a.http_status {
            http_status(s, &format!("{p}.httpStatus"), st);
        } else {
            s.warn(
                &p,
                "abort is configured but sets no error type (httpStatus or grpcStatus), so it does nothing",
            );
        }
    }
    if let Some(d) = &f.delay {
        let p = format!("{path}.delay");
        percentage(s, &format!("{p}.percentage"), d.percentage.as_ref());
        if d.fixed_delay.is_some() && d.exponential_delay.is_some() {
            s.err(
                &p,
                "a delay sets exactly one of fixedDelay or exponentialDelay",
            );
        }
        if let Some(fd) = d.fixed_delay {
            if let Err(e) = validate_duration(fd) {
                s.err(&format!("{p}.fixedDelay"), format!("fixedDelay: {e}"));
            }
        } else if let Some(ed) = d.exponential_delay {
            let ep = format!("{p}.exponentialDelay");
            if let Err(e) = validate_duration(ed) {
                s.err(&ep, format!("exponentialDelay: {e}"));
            }
            s.err(&ep, "exponentialDelay is not supported yet; use fixedDelay");
        }
    }
}

/// Istio: validation.go `validatePercentage` — 0, or between 0.0001 and 100.
fn percentage(s: &mut Sink, path: &str, p: Option<&Percent>) {
    let Some(p) = p else { return };
    let v = p.value.unwrap_or(0.0);
    if !(0.0..=100.0).contains(&v) || (v > 0.0 && v < 0.0001) {
        s.err(
            &format!("{path}.value"),
            format!("percentage {v} is neither 0 nor in the range [0.0001, 100]"),
        );
    }
}

/// Istio: validation.go `validateHTTPStatus` (the range is 200-600 inclusive, although the
/// message says 599).
pub(super) fn http_status(s: &mut Sink, path: &str, st: i64) {
    if !(200..=600).contains(&st) {
        s.err(
            path,
            format!("HTTP status {st} is not in the range 200-599"),
        );
    }
}

/// Istio: agent/validation.go `ValidateHTTPRetry`.
pub(super) fn retries(s: &mut Sink, path: &str, r: &HttpRetry) {
    let attempts = r.attempts.unwrap_or(0);
    if attempts < 0 {
        s.err(
            &format!("{path}.attempts"),
            format!("attempts cannot be negative, got {attempts}"),
        );
    }
    let retry_on = r.retry_on.as_deref().unwrap_or("");
    if attempts == 0
        && (r.per_try_timeout.is_some()
            || !retry_on.is_empty()
            || r.retry_remote_localities.is_some())
    {
        s.err(
            path,
            "a retry policy is configured while attempts is 0 (retries disabled); set attempts >= 1 or remove perTryTimeout/retryOn/retryRemoteLocalities",
        );
    }
    if let Some(t) = r.per_try_timeout {
        if let Err(e) = validate_duration(t) {
            s.err(
                &format!("{path}.perTryTimeout"),
                format!("perTryTimeout: {e}"),
            );
        }
    }
    if !retry_on.is_empty() {
        // Istio splits on "," without trimming: "5xx, reset" has the token " reset".
        for tok in retry_on.split(',') {
            let status_ok = tok
                .strip_prefix(['+', '-'])
                .unwrap_or(tok)
                .bytes()
                .all(|c| c.is_ascii_digit())
                && tok.parse::<i64>().is_ok_and(is_known_http_status);
            if !status_ok && !RETRY_ON_POLICIES.contains(&tok) {
                s.err(
                    &format!("{path}.retryOn"),
                    format!(
                        "retryOn {tok:?} is not a retry policy; expected a comma-separated list (no spaces) of {} or HTTP status codes like 503",
                        RETRY_ON_POLICIES.join(", ")
                    ),
                );
            }
        }
    }
    if let Some(b) = r.backoff {
        if let Err(e) = validate_duration(b) {
            s.err(&format!("{path}.backoff"), format!("backoff: {e}"));
        }
    }
}
