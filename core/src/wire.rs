//! The contract between the filter and the Envoy bootstrap `meshroute bootstrap` writes: the
//! request headers the filter sets and the bootstrap's routes, `header_to_metadata` rule and
//! clusters read, and the cluster names. One definition, used by `filter/src/plan.rs` and
//! `envoy-config/src/filter.rs`, so the two cannot drift apart.

/// Request header carrying the endpoint the filter chose (`IP:PORT`). `header_to_metadata`
/// copies it into dynamic metadata for the `ORIGINAL_DST` cluster; every bootstrap route
/// requires it, so a request the filter did not steer is never forwarded.
pub const ENDPOINT_HEADER: &str = "x-meshroute-endpoint";
/// With retries the endpoint header lists every attempt's endpoint, comma-separated (`IP:PORT,
/// IP:PORT,…`, Envoy's `override_host` load-balancing policy walks it, one entry per attempt).
/// At most this many retries are listed; a route with more runs out of endpoints after that
/// many and its further retries fail with 503 (no healthy upstream).
pub const MAX_LISTED_RETRIES: usize = 64;
/// Dynamic metadata namespace and key the endpoint is copied to.
pub const ENDPOINT_METADATA_NAMESPACE: &str = "meshroute";
pub const ENDPOINT_METADATA_KEY: &str = "endpoint";
/// Request header the catch-all route's `cluster_header` reads (services with an Envoy cluster
/// of their own, for connection-pool limits).
pub const CLUSTER_HEADER: &str = "x-meshroute-cluster";
/// Request header that selects the bootstrap's route without a retry policy. The bootstrap's
/// default route carries Istio's default retry policy and timeout (0, disabled), so a request
/// whose VirtualService route uses both needs no router header at all; any other retry policy
/// is written as `x-envoy-retry-*` headers on the marked route. (Envoy ORs `x-envoy-retry-on`
/// with the route's own `retry_on` — source/common/router/retry_state_impl.cc — so a custom
/// policy must not meet the default one.) The route removes it before the upstream.
pub const RETRY_ROUTE_HEADER: &str = "x-meshroute-retry";
/// The cluster every forwarded request uses (an ORIGINAL_DST cluster in the bootstrap).
pub const UPSTREAM_CLUSTER: &str = "meshroute_upstream";
/// Mirror `i` (0..MAX_MIRRORS) is steered by `x-meshroute-mirror-cluster-i` (the route's i-th
/// mirror policy reads it) to Envoy cluster `meshroute_mirror_i`, whose ORIGINAL_DST reads
/// `x-meshroute-mirror-endpoint-i`.
pub const MAX_MIRRORS: usize = 4;
pub const MIRROR_CLUSTER_HEADERS: [&str; MAX_MIRRORS] = [
    "x-meshroute-mirror-cluster-0",
    "x-meshroute-mirror-cluster-1",
    "x-meshroute-mirror-cluster-2",
    "x-meshroute-mirror-cluster-3",
];
pub const MIRROR_ENDPOINT_HEADERS: [&str; MAX_MIRRORS] = [
    "x-meshroute-mirror-endpoint-0",
    "x-meshroute-mirror-endpoint-1",
    "x-meshroute-mirror-endpoint-2",
    "x-meshroute-mirror-endpoint-3",
];
pub const MIRROR_CLUSTERS: [&str; MAX_MIRRORS] = [
    "meshroute_mirror_0",
    "meshroute_mirror_1",
    "meshroute_mirror_2",
    "meshroute_mirror_3",
];
/// Not a wire header: how a local reply from [`crate::route::decide`] asks the filter to hold
/// it first (a fault delay before an abort or a router reply). The filter removes it.
pub const DELAY_PSEUDO_HEADER: &str = "x-meshroute-delay-ms";
/// The fault filter's request headers the filter sets; the routes remove them once consumed.
pub const FAULT_HEADERS: [&str; 3] = [
    "x-envoy-fault-delay-request",
    "x-envoy-fault-abort-request",
    "x-envoy-fault-abort-grpc-request",
];
