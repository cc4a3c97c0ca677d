//! Retry policies: Istio's default and a VirtualService's `retries` (Istio:
//! pilot/pkg/networking/core/route/retry/retry.go).

use crate::model::istio::*;
use crate::table::*;

/// Istio's default retry policy (`retry.go` `defaultPolicy`): 2 retries on connect-failure,
/// refused-stream, unavailable, cancelled and retriable 503s.
pub fn default_retry() -> RetrySpec {
    RetrySpec {
        num_retries: 2,
        retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
            .into(),
        retriable_status_codes: vec![503],
        per_try_timeout_ms: None,
        is_default: true,
        previous_hosts: true,
    }
}

/// `retry.ConvertPolicy`: unset ⇒ default; attempts ≤ 0 ⇒ disabled; integers in retryOn become
/// retriable status codes (and `retriable-status-codes` is appended).
pub(super) fn retry_spec(r: Option<&HttpRetry>) -> Option<RetrySpec> {
    let Some(r) = r else {
        return Some(default_retry());
    };
    let attempts = r.attempts.unwrap_or(0);
    if attempts <= 0 {
        return None;
    }
    let mut out = default_retry();
    out.is_default = false;
    out.num_retries = attempts.min(u32::MAX as i64) as u32;
    if let Some(on) = r.retry_on.as_deref().filter(|s| !s.is_empty()) {
        let mut words = Vec::new();
        let mut codes = Vec::new();
        for t in on.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match t.parse::<u32>() {
                Ok(c) => codes.push(c),
                Err(_) => words.push(t.to_string()),
            }
        }
        if !codes.is_empty() && !words.iter().any(|w| w == "retriable-status-codes") {
            words.push("retriable-status-codes".into());
        }
        out.retry_on = words.join(",");
        out.retriable_status_codes = codes;
    }
    out.per_try_timeout_ms = r.per_try_timeout.map(|d| d.as_millis().max(0) as u64);
    // retry.go: `retryIgnorePreviousHosts: false` removes the previous_hosts predicate.
    out.previous_hosts = r.retry_ignore_previous_hosts != Some(false);
    Some(out)
}
