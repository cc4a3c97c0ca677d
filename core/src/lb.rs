//! Endpoint choice: the DestinationRule's load balancer, built once per cluster at compile time
//! ([`Selector::build`]) and consulted per request ([`pick`]) with caller-supplied state, time
//! and random draws. Hashing is deterministic (xxh64, fixed seed) so every Envoy worker agrees.
//!
//! Semantics: `reference/istio-semantics.md` §2.3 (LB kinds; LEAST_CONN and unset mean
//! LEAST_REQUEST), §2.5 (outlier detection), Envoy's `least_request` (power of two choices),
//! `ring_hash` (minimum ring size, default 1024) and `maglev` (table size, default 65537).

use serde::Serialize;

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
    /// `ip:port` (IPv6 bracketed), what the steering header carries.
    pub address: String,
    /// Load-balancing weight (WorkloadEntry `weight`, default 1).
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
    RingHash {
        minimum_ring_size: u64,
    },
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
    pub interval_ms: u64,
    pub base_ejection_ms: u64,
    pub max_ejection_percent: u32,
    pub min_health_percent: u32,
}

/// Per-cluster selector, built once at compile time.
#[derive(Debug, Clone)]
pub struct Selector {
    pub policy: LbPolicy,
    // filled by the implementation (ring, maglev table, weights …)
}

impl Selector {
    pub fn build(policy: LbPolicy, endpoints: &[Endpoint]) -> Selector {
        let _ = endpoints;
        Selector { policy }
    }
}

/// Per-worker, per-cluster mutable state the caller keeps (round-robin cursor, in-flight
/// counts, outlier state).
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    pub rr_cursor: u64,
    /// In-flight requests per endpoint index (the caller increments on forward and decrements
    /// when the stream ends).
    pub in_flight: Vec<u32>,
}

/// Chooses an endpoint index, or `None` when the cluster has no usable endpoint.
/// `hash` is the request's consistent-hash key (already hashed), when the policy uses one.
pub fn pick(
    sel: &Selector,
    endpoints: &[Endpoint],
    state: &mut ClusterState,
    hash: Option<u64>,
    now_ms: u64,
    rng: &mut dyn Rng,
) -> Option<usize> {
    let _ = (sel, hash, now_ms);
    if endpoints.is_empty() {
        return None;
    }
    state.rr_cursor = state.rr_cursor.wrapping_add(1);
    Some(rng.below(endpoints.len() as u64) as usize)
}

/// Deterministic 64-bit hash of a key (xxh64, seed 0), as every worker must agree.
pub fn hash_key(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(bytes, 0)
}
