//! Endpoint choice: the DestinationRule's load balancer, built once per cluster at compile time
//! ([`Selector::build`] / [`Selector::build_with`]) and consulted per request ([`pick`]) with
//! caller-supplied state, time and random draws. Hashing is deterministic (xxh64, fixed seeds) so
//! every Envoy worker, the CLI and the browser agree.
//!
//! Semantics: `reference/istio-semantics.md` §2.3 (LB kinds; LEAST_CONN and unset mean
//! LEAST_REQUEST), §2.5 (outlier detection). Each algorithm follows Envoy's source:
//!
//! | policy | Envoy source | pick cost |
//! |---|---|---|
//! | `ROUND_ROBIN` | `load_balancing_policies/round_robin/round_robin_lb.h`; EDF scheduler `source/common/upstream/edf_scheduler.h` when weights differ | O(1) equal weights, O(log n) weighted |
//! | `LEAST_REQUEST` | `load_balancing_policies/least_request/least_request_lb.cc` (P2C on equal weights, EDF with `weight / (active + 1)` otherwise) | O(1) / O(log n) |
//! | `RANDOM` | `load_balancing_policies/random/random_lb.cc` (uniform, **ignores endpoint weights**) | O(1) |
//! | `RING_HASH` | `load_balancing_policies/ring_hash/ring_hash_lb.cc` (Ketama ring of `xxh64("addr_i")`) | O(log ring) |
//! | `MAGLEV` | `load_balancing_policies/maglev/maglev_lb.cc` (Maglev paper, listing 1, weighted) | O(1) |
//! | `PASSTHROUGH` | `ORIGINAL_DST` + `CLUSTER_PROVIDED`: no choice here, [`pick`] returns `None` | — |
//!
//! Health and panic follow `load_balancing_policies/common/load_balancer_impl.cc`
//! (`recalculatePerPriorityState`, `recalculatePerPriorityPanic`, `isHostSetInPanic`): the
//! balancer chooses among *healthy* endpoints (`healthy` and not ejected by outlier detection);
//! when the healthy share drops below the cluster's `healthy_panic_threshold` it chooses among
//! *all* endpoints. Istio sets that threshold from `outlierDetection.minHealthPercent` (default
//! **0 = panic disabled**, so with every endpoint unhealthy there is no endpoint: 503); a cluster
//! without outlier detection keeps Envoy's default of 50% ([`istio_panic_threshold`]).
//!
//! Outlier detection ([`record_response`]) follows `source/common/upstream/outlier_detection_impl.cc`;
//! see the `outlier` module notes. Its state is per [`ClusterState`], i.e. per worker, where
//! Envoy's detector is per cluster across workers.
//!
//! ```
//! use meshroute_core::lb::*;
//! let eps: Vec<Endpoint> = (1..=3)
//!     .map(|i| Endpoint { address: format!("10.0.0.{i}:80"), weight: 1, healthy: true, source: String::new() })
//!     .collect();
//! let sel = Selector::build(LbPolicy::RingHash { minimum_ring_size: 1024 }, &eps);
//! let mut state = ClusterState::default();
//! let mut rng = SplitMix64(7);
//! let h = hash_key(b"user-42");
//! let first = pick(&sel, &eps, &mut state, Some(h), 0, &mut rng);
//! assert_eq!(pick(&sel, &eps, &mut state, Some(h), 1, &mut rng), first);
//! ```
//!
//! Memory: a selector holds a few bytes per endpoint, plus for hashing policies the ring
//! (12 bytes × ring size; 1024 points ≈ 12 KiB, at most 8 Mi points) or the Maglev table
//! (4 bytes × table size; 65537 entries ≈ 256 KiB). Only hashing clusters pay for a table, and a
//! worker's [`ClusterState`] holds a second one only while some endpoint is ejected.

mod edf;
mod hashing;
mod outlier;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::Serialize;

pub use hashing::{
    effective_maglev_table_size, effective_min_ring_size, DEFAULT_MAGLEV_TABLE_SIZE,
    DEFAULT_MIN_RING_SIZE, MAX_MAGLEV_TABLE_SIZE, MAX_RING_SIZE,
};
pub use outlier::{record_response, HostOutlier, DEFAULT_MAX_EJECTION_TIME_MS};

/// Envoy's default `healthy_panic_threshold` (percent), kept by Istio for clusters without
/// outlier detection.
pub const ENVOY_DEFAULT_PANIC_THRESHOLD: u32 = 50;

/// Envoy's default overprovisioning factor (percent), which caps a priority's health at 100 once
/// 100/1.4 ≈ 71.4% of its endpoints are healthy (`kDefaultOverProvisioningFactor`).
const OVERPROVISIONING_FACTOR: u64 = 140;

/// A caller-supplied source of random numbers (core owns no global randomness).
pub trait Rng {
    fn next_u64(&mut self) -> u64;
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        // Lemire's multiply-shift; bias is negligible for LB purposes.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// SplitMix64: small, fast, deterministic for a seed (CLI `--seed`, tests); the filter seeds it
/// once per worker from the host's random source.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl Rng for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// One upstream endpoint of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// `ip:port` (IPv6 bracketed), what the steering header carries. Hashing policies hash it
    /// exactly as Envoy hashes `address()->asString()`.
    pub address: String,
    /// Load-balancing weight (WorkloadEntry `weight`, default 1). 0 counts as 1: Envoy requires
    /// weights ≥ 1 and Istio sends 1 for an unset weight.
    pub weight: u32,
    /// False for endpoints of not-ready pods (Istio marks them unhealthy).
    pub healthy: bool,
    /// Where it came from, for views: `Pod ns/name`, `WorkloadEntry ns/name`, `ServiceEntry ns/name`.
    pub source: String,
}

/// The load-balancing algorithm of a cluster, after Istio's defaulting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LbPolicy {
    RoundRobin,
    LeastRequest,
    Random,
    /// `simple: PASSTHROUGH`: forward to the original destination; no endpoint choice.
    Passthrough,
    /// 0 means Envoy's default (1024); values above 8 Mi are clamped
    /// ([`effective_min_ring_size`]).
    RingHash {
        minimum_ring_size: u64,
    },
    /// Must be prime (Istio validation, Envoy rejects others); 0 means 65537, a non-prime is
    /// rounded up to the next prime, values above 5000011 are clamped
    /// ([`effective_maglev_table_size`]).
    Maglev {
        table_size: u64,
    },
}

impl LbPolicy {
    /// Envoy's name, as `istioctl proxy-config cluster -o json` shows it.
    pub fn envoy_name(&self) -> &'static str {
        match self {
            LbPolicy::RoundRobin => "ROUND_ROBIN",
            LbPolicy::LeastRequest => "LEAST_REQUEST",
            LbPolicy::Random => "RANDOM",
            LbPolicy::Passthrough => "CLUSTER_PROVIDED",
            LbPolicy::RingHash { .. } => "RING_HASH",
            LbPolicy::Maglev { .. } => "MAGLEV",
        }
    }
}

/// Outlier detection settings after Istio's defaulting (§2.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlierPolicy {
    /// 0 disables.
    pub consecutive_5xx: u32,
    /// 0 disables.
    pub consecutive_gateway_errors: u32,
    /// Sweep interval; ejections end only at a sweep. 0 is treated as 1 ms.
    pub interval_ms: u64,
    pub base_ejection_ms: u64,
    /// Taken literally: 0 ejects nothing (Istio turns an unset/0 field into Envoy's default 10
    /// before this point).
    pub max_ejection_percent: u32,
    /// Becomes the cluster's `healthy_panic_threshold`; 0 disables panic mode.
    pub min_health_percent: u32,
}

impl Default for OutlierPolicy {
    /// Istio's defaults for an `outlierDetection: {}` block: 5 consecutive 5xx, gateway errors
    /// off, 10 s interval, 30 s base ejection, Envoy's 10% max ejection, panic disabled.
    fn default() -> Self {
        OutlierPolicy {
            consecutive_5xx: 5,
            consecutive_gateway_errors: 0,
            interval_ms: 10_000,
            base_ejection_ms: 30_000,
            max_ejection_percent: 10,
            min_health_percent: 0,
        }
    }
}

/// The `healthy_panic_threshold` Istio gives a cluster: `minHealthPercent` when the cluster has
/// outlier detection (set even when 0, which disables panic mode), Envoy's default 50 otherwise
/// (Istio: `applyOutlierDetection` in `pilot/pkg/networking/core/cluster_traffic_policy.go`).
/// Services that publish not-ready endpoints (`SupportsUnhealthyEndpoints`) get 0 regardless;
/// pass 0 to [`Selector::build_with`] for those.
pub fn istio_panic_threshold(outlier: Option<&OutlierPolicy>) -> u32 {
    outlier.map_or(ENVOY_DEFAULT_PANIC_THRESHOLD, |o| o.min_health_percent)
}

/// Whether Envoy runs a (single-priority) host set in panic mode, i.e. balances over all hosts.
/// `recalculatePerPriorityPanic` + `isHostSetInPanic`: never when the threshold is 0; always
/// when the normalized availability (`140 * healthy / total`, integer, capped at 100) is 0; never
/// when it is 100; otherwise when the healthy percentage is below the threshold.
pub fn in_panic(panic_threshold: u32, healthy: usize, total: usize) -> bool {
    if total == 0 || panic_threshold == 0 {
        return false;
    }
    let availability = (OVERPROVISIONING_FACTOR * healthy as u64 / total as u64).min(100);
    if availability == 0 {
        return true;
    }
    if availability == 100 {
        return false;
    }
    (100.0 * healthy as f64 / total as f64) < f64::from(panic_threshold.min(100))
}

/// Per-cluster selector, built once at compile time, shared read-only by all requests.
#[derive(Clone)]
pub struct Selector {
    pub policy: LbPolicy,
    /// The cluster's outlier detection, consulted by [`pick`] to end ejections.
    pub outlier: Option<OutlierPolicy>,
    /// Envoy `healthy_panic_threshold` in percent; 0 disables panic mode.
    pub panic_threshold: u32,
    /// Effective weights (0 → 1), per endpoint.
    weights: Vec<u32>,
    healthy: Vec<bool>,
    /// Identifies the endpoint list and policy, so a [`ClusterState`] notices a new selector.
    fingerprint: u64,
    /// The plan with no endpoint ejected.
    base: Plan,
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("policy", &self.policy)
            .field("outlier", &self.outlier)
            .field("panic_threshold", &self.panic_threshold)
            .field("endpoints", &self.weights.len())
            .field("base", &self.base)
            .finish()
    }
}

impl Selector {
    /// A selector without outlier detection (Envoy's default panic threshold, 50%).
    pub fn build(policy: LbPolicy, endpoints: &[Endpoint]) -> Selector {
        Selector::build_with(policy, endpoints, None, ENVOY_DEFAULT_PANIC_THRESHOLD)
    }

    /// A selector with the cluster's outlier detection and panic threshold (see
    /// [`istio_panic_threshold`]). Ring and Maglev tables are built here, over the healthy
    /// endpoints (all of them in panic mode), as Envoy's `ThreadAwareLoadBalancerBase::refresh`.
    pub fn build_with(
        policy: LbPolicy,
        endpoints: &[Endpoint],
        outlier: Option<&OutlierPolicy>,
        panic_threshold: u32,
    ) -> Selector {
        let weights: Vec<u32> = endpoints.iter().map(|e| e.weight.max(1)).collect();
        let healthy: Vec<bool> = endpoints.iter().map(|e| e.healthy).collect();
        let panic_threshold = panic_threshold.min(100);
        let base = Plan::build(&policy, endpoints, &weights, panic_threshold, |i| {
            healthy[i]
        });
        let fingerprint = fingerprint(&policy, endpoints);
        Selector {
            policy,
            outlier: outlier.cloned(),
            panic_threshold,
            weights,
            healthy,
            fingerprint,
            base,
        }
    }

    /// Number of endpoints the selector was built for.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Whether the cluster is in panic mode with no endpoint ejected.
    pub fn in_panic(&self) -> bool {
        self.base.panic
    }

    /// Ring entries (RING_HASH) or table slots (MAGLEV) of the plan with no endpoint ejected;
    /// 0 for the other policies.
    pub fn table_len(&self) -> usize {
        self.base.table.len()
    }

    /// The endpoint a hash maps to with no endpoint ejected (hashing policies only), without
    /// touching any state; for views ("which pod gets user 42?") and tests.
    pub fn hash_owner(&self, hash: u64) -> Option<usize> {
        self.base.table.lookup(hash).map(|i| i as usize)
    }
}

fn fingerprint(policy: &LbPolicy, endpoints: &[Endpoint]) -> u64 {
    let mut h = xxhash_rust::xxh64::Xxh64::new(0);
    h.update(policy.envoy_name().as_bytes());
    let param = match policy {
        LbPolicy::RingHash { minimum_ring_size } => *minimum_ring_size,
        LbPolicy::Maglev { table_size } => *table_size,
        _ => 0,
    };
    h.update(&param.to_le_bytes());
    h.update(&(endpoints.len() as u64).to_le_bytes());
    for e in endpoints {
        h.update(&(e.address.len() as u64).to_le_bytes());
        h.update(e.address.as_bytes());
        h.update(&e.weight.to_le_bytes());
        h.update(&[u8::from(e.healthy)]);
    }
    h.digest()
}

/// What the balancer chooses among for one set of usable endpoints: Envoy's "hosts to use"
/// (healthy hosts, or all hosts in panic mode) with the precomputed hash table.
#[derive(Clone, Default)]
struct Plan {
    /// Endpoint indices, ascending.
    members: Vec<u32>,
    panic: bool,
    /// All members have the same weight: Envoy skips the EDF scheduler (`hostWeightsAreEqual`).
    equal_weights: bool,
    table: hashing::Table,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("members", &self.members.len())
            .field("panic", &self.panic)
            .field("equal_weights", &self.equal_weights)
            .field("table_len", &self.table.len())
            .finish()
    }
}

impl Plan {
    fn build(
        policy: &LbPolicy,
        endpoints: &[Endpoint],
        weights: &[u32],
        panic_threshold: u32,
        usable: impl Fn(usize) -> bool,
    ) -> Plan {
        let n = endpoints.len().min(weights.len()).min(u32::MAX as usize);
        let healthy: Vec<u32> = (0..n).filter(|&i| usable(i)).map(|i| i as u32).collect();
        let panic = in_panic(panic_threshold, healthy.len(), n);
        let members: Vec<u32> = if panic {
            (0..n as u32).collect()
        } else {
            healthy
        };
        let equal_weights = members.first().is_none_or(|&f| {
            members
                .iter()
                .all(|&m| weights[m as usize] == weights[f as usize])
        });
        let table = match policy {
            LbPolicy::RingHash { minimum_ring_size } => {
                hashing::ring(endpoints, weights, &members, *minimum_ring_size)
            }
            LbPolicy::Maglev { table_size } => {
                hashing::maglev(endpoints, weights, &members, *table_size)
            }
            _ => hashing::Table::None,
        };
        Plan {
            members,
            panic,
            equal_weights,
            table,
        }
    }
}

/// Per-worker, per-cluster mutable state the caller keeps (round-robin cursor, in-flight
/// counts, outlier state, schedulers). Start from `ClusterState::default()`; it binds itself to
/// a selector on the first [`pick`] and resets its per-endpoint state when a selector for a
/// different endpoint list comes along.
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    /// Unweighted round-robin index; seeded from the random source on the first pick, as Envoy
    /// seeds each balancer (`seed_`), so workers do not move in lockstep.
    pub rr_cursor: u64,
    /// In-flight requests per endpoint index (the caller increments on forward and decrements
    /// when the stream ends). Grown to the endpoint count on the first pick; missing entries
    /// count as 0.
    pub in_flight: Vec<u32>,
    /// Outlier-detection state per endpoint index.
    pub outlier: Vec<HostOutlier>,
    /// Endpoints currently ejected.
    pub ejected: usize,
    /// When the next outlier-detection sweep (Envoy's `interval` timer) happens; armed at the
    /// first pick or response seen with outlier detection.
    pub next_sweep_ms: Option<u64>,
    /// Schedulers and tables the balancer keeps between picks; leave it to `Default`.
    pub cache: StateCache,
}

/// The opaque part of a [`ClusterState`] (all fields of `ClusterState` stay public so callers
/// can write `ClusterState { in_flight, ..Default::default() }`).
#[derive(Debug, Clone, Default)]
pub struct StateCache {
    /// Bumped whenever the set of ejected endpoints changes.
    generation: u64,
    /// Fingerprint of the selector this state belongs to.
    bound: Option<u64>,
    /// The plan for the current ejections, tagged with the generation it was built for.
    view: Option<(u64, Plan)>,
    edf: edf::Edf,
    /// Which plan the EDF scheduler was built for: (uses the view, generation).
    edf_for: Option<(bool, u64)>,
}

impl ClusterState {
    /// State sized for `n` endpoints (handy when feeding [`record_response`] before any pick).
    pub fn with_endpoints(n: usize) -> ClusterState {
        ClusterState {
            in_flight: vec![0; n],
            outlier: vec![HostOutlier::default(); n],
            ..ClusterState::default()
        }
    }

    /// Whether endpoint `i` is currently ejected (as of the last pick or response).
    pub fn is_ejected(&self, i: usize) -> bool {
        self.outlier.get(i).is_some_and(HostOutlier::is_ejected)
    }

    fn bind(&mut self, sel: &Selector, rng: &mut dyn Rng) {
        if self.cache.bound == Some(sel.fingerprint) {
            return;
        }
        let n = sel.len();
        if self.cache.bound.is_some() {
            // Another endpoint list: per-index outlier state no longer describes these endpoints.
            self.outlier.clear();
            self.next_sweep_ms = None;
        }
        self.outlier.resize(n, HostOutlier::default());
        self.ejected = self.outlier.iter().filter(|h| h.is_ejected()).count();
        if self.in_flight.len() < n {
            self.in_flight.resize(n, 0);
        }
        let c = &mut self.cache;
        c.bound = Some(sel.fingerprint);
        c.generation = c.generation.wrapping_add(1);
        c.view = None;
        c.edf_for = None;
        self.rr_cursor = rng.next_u64();
    }
}

/// Chooses an endpoint index, or `None` when the cluster has no usable endpoint (Envoy: 503
/// `UH`), when the policy is `Passthrough` (the caller forwards to the original destination),
/// or when `endpoints` is not the list the selector was built from (different length).
///
/// `hash` is the request's consistent-hash key (already hashed, see [`hash_key`]); hashing
/// policies without one pick at random, as Envoy does (`ThreadAwareLoadBalancerBase::
/// LoadBalancerImpl::chooseHost` uses a random value as the hash). Outlier detection is the
/// selector's ([`Selector::outlier`]); see [`pick_with`] to pass another.
pub fn pick(
    sel: &Selector,
    endpoints: &[Endpoint],
    state: &mut ClusterState,
    hash: Option<u64>,
    now_ms: u64,
    rng: &mut dyn Rng,
) -> Option<usize> {
    pick_with(
        sel,
        endpoints,
        state,
        hash,
        sel.outlier.as_ref(),
        now_ms,
        rng,
    )
}

/// [`pick`] with an explicit outlier policy: `None` ignores outlier state entirely (Envoy has no
/// detector for a cluster without `outlier_detection`), `Some` ends due ejections at `now_ms`
/// and skips ejected endpoints (unless in panic mode).
pub fn pick_with(
    sel: &Selector,
    endpoints: &[Endpoint],
    state: &mut ClusterState,
    hash: Option<u64>,
    outlier: Option<&OutlierPolicy>,
    now_ms: u64,
    rng: &mut dyn Rng,
) -> Option<usize> {
    let n = sel.len();
    if matches!(sel.policy, LbPolicy::Passthrough) || n == 0 || endpoints.len() != n {
        return None;
    }
    state.bind(sel, rng);
    if let Some(policy) = outlier {
        outlier::sweep(policy, state, now_ms);
    }
    // Envoy rebuilds its host sets (and ring/table) when an ejection changes them; we build the
    // ejection-aware plan lazily, once per change, and use the shared one otherwise.
    let use_view = outlier.is_some() && state.ejected > 0;
    if use_view && state.cache.view.as_ref().map(|v| v.0) != Some(state.cache.generation) {
        let plan = Plan::build(
            &sel.policy,
            endpoints,
            &sel.weights,
            sel.panic_threshold,
            |i| sel.healthy[i] && !state.outlier.get(i).is_some_and(HostOutlier::is_ejected),
        );
        state.cache.view = Some((state.cache.generation, plan));
    } else if !use_view && state.cache.view.is_some() {
        state.cache.view = None; // nothing ejected any more: free the table
    }
    let ClusterState {
        rr_cursor,
        in_flight,
        cache: StateCache {
            view, edf, edf_for, ..
        },
        ..
    } = state;
    let (plan, plan_key) = match (use_view, view.as_ref()) {
        (true, Some((generation, plan))) => (plan, (true, *generation)),
        _ => (&sel.base, (false, 0)),
    };
    let members = &plan.members;
    let len = members.len() as u64;
    if len == 0 {
        return None;
    }
    let weights = &sel.weights;
    let active = |m: u32| in_flight.get(m as usize).copied().unwrap_or(0);
    let chosen = match &sel.policy {
        LbPolicy::Passthrough => return None,
        // random_lb.cc: `hosts_to_use[random % size]`, weights ignored.
        LbPolicy::Random => members[(rng.next_u64() % len) as usize],
        LbPolicy::RoundRobin if plan.equal_weights => {
            // round_robin_lb.h unweightedHostPick: `hosts_to_use[rr_index++ % size]`.
            let i = (*rr_cursor % len) as usize;
            *rr_cursor = rr_cursor.wrapping_add(1);
            members[i]
        }
        LbPolicy::RoundRobin => {
            let weight = |m: u32| f64::from(weights[m as usize]);
            if *edf_for != Some(plan_key) {
                edf.rebuild(members, weight, rng.next_u64() as u32);
                *edf_for = Some(plan_key);
            }
            edf.pick_and_add(weight)?
        }
        LbPolicy::LeastRequest if plan.equal_weights => two_choices(members, rng, active),
        LbPolicy::LeastRequest => {
            // least_request_lb.cc hostWeight with active_request_bias 1.0: the EDF weight is
            // `weight / (active + 1)`, re-evaluated whenever an endpoint is re-queued.
            let weight = |m: u32| f64::from(weights[m as usize]) / (f64::from(active(m)) + 1.0);
            if *edf_for != Some(plan_key) {
                edf.rebuild(members, weight, rng.next_u64() as u32);
                *edf_for = Some(plan_key);
            }
            edf.pick_and_add(weight)?
        }
        LbPolicy::RingHash { .. } | LbPolicy::Maglev { .. } => {
            let h = match hash {
                Some(h) => h,
                None => rng.next_u64(),
            };
            plan.table.lookup(h)?
        }
    };
    Some(chosen as usize)
}

/// least_request_lb.cc unweightedHostPickNChoices with choice_count 2: two draws (with
/// replacement, as Envoy) from non-empty `members`, the second wins only if strictly less loaded.
fn two_choices(members: &[u32], rng: &mut dyn Rng, active: impl Fn(u32) -> u32) -> u32 {
    let len = members.len() as u64;
    let first = members[(rng.next_u64() % len) as usize];
    let second = members[(rng.next_u64() % len) as usize];
    if active(second) < active(first) {
        second
    } else {
        first
    }
}

/// How many host choices one retry makes under `previous_hosts` before it takes the last one:
/// Istio's `host_selection_retry_max_attempts: 5` plus the first (`LoadBalancerBase::chooseHost`
/// loops `hostSelectionRetryCount() + 1` times, then "return the last host").
pub const HOST_SELECTION_ATTEMPTS: usize = 6;

/// The endpoints the retries of a request go to, drawn when the request is routed: `retries`
/// indices appended to `out` (which holds the first pick, `first`), one per retry, in order.
/// Envoy's router asks the load balancer again for every retry; under Istio's
/// `previous_hosts` predicate a choice that names a host already tried is rejected and drawn
/// again, up to [`HOST_SELECTION_ATTEMPTS`] times, after which the last one stands (so a
/// one-endpoint cluster retries the same endpoint). Hashing policies never have the
/// predicate (istiod drops it for consistent-hash destinations, retry.go) and look the same
/// hash up again, so a request with a hash key retries where its first attempt went (one
/// without a key draws a new random hash per retry, as Envoy draws one per `chooseHost`).
///
/// The draws do not touch `state`: the retries happen later or not at all, so they must not
/// move the round-robin cursor or the schedulers the next requests use. Round robin continues
/// from the cursor; weighted round robin and weighted least request (Envoy's EDF schedulers)
/// draw by weight (`weight / (active + 1)` for least request) instead of from the scheduler;
/// least request with equal weights is power of two choices over the current in-flight counts.
/// Ejected endpoints are skipped exactly as in [`pick_with`] (same plan).
#[allow(clippy::too_many_arguments)]
pub fn retry_picks(
    sel: &Selector,
    state: &ClusterState,
    hash: Option<u64>,
    outlier: Option<&OutlierPolicy>,
    previous_hosts: bool,
    retries: usize,
    rng: &mut dyn Rng,
    out: &mut Vec<usize>,
) {
    let use_view = outlier.is_some() && state.ejected > 0;
    let plan = match (use_view, state.cache.view.as_ref()) {
        (true, Some((generation, plan))) if *generation == state.cache.generation => plan,
        _ => &sel.base,
    };
    let members = &plan.members;
    let len = members.len() as u64;
    if len == 0 || out.is_empty() {
        return;
    }
    let hashing = matches!(
        sel.policy,
        LbPolicy::RingHash { .. } | LbPolicy::Maglev { .. }
    );
    // istiod: no previous_hosts predicate for a consistent-hash destination (retry.go).
    let previous_hosts = previous_hosts && !hashing;
    let weights = &sel.weights;
    let active = |m: u32| state.in_flight.get(m as usize).copied().unwrap_or(0);
    let mut cursor = state.rr_cursor;
    let weighted = |rng: &mut dyn Rng, w: &dyn Fn(u32) -> f64| -> u32 {
        let total: f64 = members.iter().map(|&m| w(m)).sum();
        let mut x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        for &m in members {
            x -= w(m);
            if x < 0.0 {
                return m;
            }
        }
        members[members.len() - 1]
    };
    for _ in 0..retries {
        let h = hash.unwrap_or_else(|| rng.next_u64());
        let attempts = if previous_hosts {
            HOST_SELECTION_ATTEMPTS
        } else {
            1
        };
        let mut chosen = out[out.len() - 1] as u32;
        for _ in 0..attempts {
            chosen = match &sel.policy {
                LbPolicy::Passthrough => return,
                LbPolicy::Random => members[(rng.next_u64() % len) as usize],
                LbPolicy::RoundRobin if plan.equal_weights => {
                    let m = members[(cursor % len) as usize];
                    cursor = cursor.wrapping_add(1);
                    m
                }
                LbPolicy::RoundRobin => weighted(rng, &|m| f64::from(weights[m as usize])),
                LbPolicy::LeastRequest if plan.equal_weights => two_choices(members, rng, active),
                LbPolicy::LeastRequest => weighted(rng, &|m| {
                    f64::from(weights[m as usize]) / (f64::from(active(m)) + 1.0)
                }),
                LbPolicy::RingHash { .. } | LbPolicy::Maglev { .. } => match plan.table.lookup(h) {
                    Some(m) => m,
                    None => return,
                },
            };
            if !previous_hosts || !out.contains(&(chosen as usize)) {
                break;
            }
        }
        out.push(chosen as usize);
    }
}

/// Deterministic 64-bit hash of a key (xxh64, seed 0), as every worker must agree.
pub fn hash_key(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(bytes, 0)
}
