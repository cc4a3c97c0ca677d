//! Passive outlier detection, as Envoy's `source/common/upstream/outlier_detection_impl.cc` with
//! the settings Istio produces (success-rate and failure-percentage ejection off, errors not
//! split by origin, no jitter):
//!
//! - `putHttpResponseCode`: a 5xx bumps the consecutive-5xx counter; 502/503/504 also bump the
//!   gateway counter (any other 5xx resets it); anything else resets both. A counter reaching its
//!   threshold (exactly, `==`) reports the host. Connect failures and resets (status 0 here) are
//!   mapped to 503 (`resultToHttpCode`: `LocalOriginConnectFailed` → 503).
//! - `onConsecutiveErrorWorker`: an already ejected host is left alone (its counter keeps
//!   counting); otherwise `ejectHost` runs and the reporting counter is reset either way.
//! - `ejectHost`: ejects only if `100 × (ejected + 1) / hosts ≤ max_ejection_percent` — so with
//!   the default 10% a cluster of fewer than 10 endpoints never ejects (`always_eject_one_host`,
//!   which Istio does not set, would allow one). The backoff multiplier grows by one per ejection
//!   while `backoff × base < max_ejection_time + base`.
//! - `onIntervalTimer` (every `interval`): un-ejects hosts whose `min(base × backoff,
//!   max_ejection_time)` has passed since their ejection, then lowers the backoff by one for each
//!   host that has stayed un-ejected for at least an interval. Ejections therefore end at the
//!   first sweep after their duration, not at the exact millisecond.
//!
//! There are no timers here: sweeps that fell due are replayed (in closed form) whenever the
//! state is touched ([`super::pick`], [`record_response`]), so a pick costs O(1) except once per
//! interval.

use serde::Serialize;

use super::{ClusterState, OutlierPolicy};

/// Envoy's default `max_ejection_time` (300 s); the effective cap is the larger of this and the
/// base ejection time (`DetectorConfig`, which Istio mirrors by raising `max_ejection_time` to a
/// larger `baseEjectionTime`).
pub const DEFAULT_MAX_EJECTION_TIME_MS: u64 = 300_000;

/// Outlier-detection state of one endpoint (Envoy `DetectorHostMonitorImpl`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HostOutlier {
    pub consecutive_5xx: u32,
    pub consecutive_gateway_errors: u32,
    /// When the current ejection began; `None` while not ejected.
    pub ejected_at_ms: Option<u64>,
    /// When the last ejection ended.
    pub unejected_at_ms: Option<u64>,
    /// How many times the endpoint has been ejected (Envoy `num_ejections`).
    pub times_ejected: u32,
    /// Multiplier of the base ejection time (Envoy `ejectTimeBackoff`): +1 per ejection, −1 per
    /// interval spent un-ejected.
    pub backoff: u32,
}

impl HostOutlier {
    pub fn is_ejected(&self) -> bool {
        self.ejected_at_ms.is_some()
    }
}

fn max_ejection_ms(policy: &OutlierPolicy) -> u64 {
    DEFAULT_MAX_EJECTION_TIME_MS.max(policy.base_ejection_ms)
}

/// How long an ejection with this backoff lasts (before rounding up to a sweep).
fn ejection_duration(policy: &OutlierPolicy, backoff: u32) -> u64 {
    policy
        .base_ejection_ms
        .saturating_mul(u64::from(backoff))
        .min(max_ejection_ms(policy))
}

/// Feeds one upstream result to outlier detection: `status` is the HTTP status of the response,
/// or 0 for a connect failure / reset / timeout before a response (counted as 503). Ejects the
/// endpoint when a consecutive-error threshold is reached and `max_ejection_percent` allows.
/// Indices outside the state are ignored: the state is sized by the first [`super::pick`] or by
/// [`ClusterState::with_endpoints`].
pub fn record_response(
    policy: &OutlierPolicy,
    state: &mut ClusterState,
    endpoint_index: usize,
    status: u16,
    now_ms: u64,
) {
    sweep(policy, state, now_ms);
    if endpoint_index >= state.outlier.len() {
        // Not an endpoint of this cluster (or the state was never sized: see
        // `ClusterState::with_endpoints`).
        return;
    }
    let status = if status == 0 { 503 } else { status };
    let host = &mut state.outlier[endpoint_index];
    let mut gateway_hit = false;
    let mut five_xx_hit = false;
    if (500..600).contains(&status) {
        if matches!(status, 502..=504) {
            host.consecutive_gateway_errors = host.consecutive_gateway_errors.saturating_add(1);
            gateway_hit = policy.consecutive_gateway_errors > 0
                && host.consecutive_gateway_errors == policy.consecutive_gateway_errors;
        } else {
            host.consecutive_gateway_errors = 0;
        }
        host.consecutive_5xx = host.consecutive_5xx.saturating_add(1);
        five_xx_hit = policy.consecutive_5xx > 0 && host.consecutive_5xx == policy.consecutive_5xx;
    } else {
        host.consecutive_5xx = 0;
        host.consecutive_gateway_errors = 0;
    }
    // Envoy checks the gateway counter first, and both reports are handled in that order.
    if gateway_hit {
        on_consecutive_error(policy, state, endpoint_index, true, now_ms);
    }
    if five_xx_hit {
        on_consecutive_error(policy, state, endpoint_index, false, now_ms);
    }
}

fn on_consecutive_error(
    policy: &OutlierPolicy,
    state: &mut ClusterState,
    i: usize,
    gateway: bool,
    now_ms: u64,
) {
    if state.outlier[i].is_ejected() {
        return;
    }
    eject(policy, state, i, now_ms);
    let host = &mut state.outlier[i];
    if gateway {
        host.consecutive_gateway_errors = 0;
    } else {
        host.consecutive_5xx = 0;
    }
}

fn eject(policy: &OutlierPolicy, state: &mut ClusterState, i: usize, now_ms: u64) {
    let hosts = state.outlier.len().max(1);
    let max_percent = f64::from(policy.max_ejection_percent.min(100));
    let ejected_percent = 100.0 * (state.ejected + 1) as f64 / hosts as f64;
    if ejected_percent > max_percent {
        return; // Envoy: ejections_overflow
    }
    let max_ms = max_ejection_ms(policy);
    let host = &mut state.outlier[i];
    host.ejected_at_ms = Some(now_ms);
    host.times_ejected = host.times_ejected.saturating_add(1);
    if policy
        .base_ejection_ms
        .saturating_mul(u64::from(host.backoff))
        < max_ms.saturating_add(policy.base_ejection_ms)
    {
        host.backoff = host.backoff.saturating_add(1);
    }
    state.ejected += 1;
    state.cache.generation = state.cache.generation.wrapping_add(1);
}

/// Replays the interval sweeps due by `now_ms` (arming the first one on first use).
pub(super) fn sweep(policy: &OutlierPolicy, state: &mut ClusterState, now_ms: u64) {
    let interval = policy.interval_ms.max(1);
    let Some(first) = state.next_sweep_ms else {
        state.next_sweep_ms = Some(now_ms.saturating_add(interval));
        return;
    };
    if now_ms < first {
        return;
    }
    // Sweeps at first, first + interval, …, last ≤ now.
    let last = first + (now_ms - first) / interval * interval;
    state.next_sweep_ms = Some(last.saturating_add(interval));
    // The first sweep at or after t.
    let sweep_at = |t: u64| -> u64 {
        if t <= first {
            first
        } else {
            first.saturating_add((t - first).div_ceil(interval).saturating_mul(interval))
        }
    };
    let mut unejected = 0;
    for host in state.outlier.iter_mut() {
        if let Some(at) = host.ejected_at_ms {
            let until = sweep_at(at.saturating_add(ejection_duration(policy, host.backoff)));
            if until <= last {
                host.ejected_at_ms = None;
                host.unejected_at_ms = Some(until);
                // Envoy resets the counters on un-ejection so a few new errors do not re-eject.
                host.consecutive_5xx = 0;
                host.consecutive_gateway_errors = 0;
                unejected += 1;
                // The backoff decays at each later sweep (not the un-ejecting one itself).
                let decays = (last - until) / interval;
                host.backoff = host
                    .backoff
                    .saturating_sub(u32::try_from(decays).unwrap_or(u32::MAX));
            }
        } else if let Some(at) = host.unejected_at_ms {
            let start = sweep_at(at.saturating_add(interval));
            if start <= last {
                let decays = (last - start) / interval + 1;
                host.backoff = host
                    .backoff
                    .saturating_sub(u32::try_from(decays).unwrap_or(u32::MAX));
            }
        }
    }
    if unejected > 0 {
        state.ejected = state.ejected.saturating_sub(unejected);
        state.cache.generation = state.cache.generation.wrapping_add(1);
    }
}

impl ClusterState {
    /// When endpoint `i`'s current ejection ends: the first sweep at or after ejection time +
    /// `min(base × backoff, max_ejection_time)`; `None` if it is not ejected.
    pub fn ejection_end_ms(&self, policy: &OutlierPolicy, i: usize) -> Option<u64> {
        let host = self.outlier.get(i)?;
        let at = host.ejected_at_ms?;
        let due = at.saturating_add(ejection_duration(policy, host.backoff));
        let interval = policy.interval_ms.max(1);
        Some(match self.next_sweep_ms {
            Some(next) if due > next => {
                next.saturating_add((due - next).div_ceil(interval).saturating_mul(interval))
            }
            Some(next) => next,
            None => due,
        })
    }
}
