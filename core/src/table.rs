//! The compiled route table: what Envoy would hold after istiod's translation — listeners,
//! route configurations with virtual hosts and ordered routes, clusters with endpoints and
//! policy. Immutable after [`crate::compile::compile`]; shared by every request.

use crate::config::ProxyIdentity;
use crate::lb::{Endpoint, OutlierPolicy, Selector};
use regex::bytes::Regex;
use serde::Serialize;
use std::collections::HashMap;

/// A compiled `StringMatch`.
#[derive(Debug, Clone)]
pub enum StrMatch {
    Exact(String),
    Prefix(String),
    /// RE2 full match (compiled as `^(?:…)$`); keeps the source for views.
    Regex(Regex, String),
    Present,
}

impl StrMatch {
    pub fn matches(&self, value: &[u8]) -> bool {
        match self {
            StrMatch::Exact(e) => value == e.as_bytes(),
            StrMatch::Prefix(p) => value.starts_with(p.as_bytes()),
            StrMatch::Regex(r, _) => r.is_match(value),
            StrMatch::Present => true,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            StrMatch::Exact(e) => format!("exact {e:?}"),
            StrMatch::Prefix(p) => format!("prefix {p:?}"),
            StrMatch::Regex(_, s) => format!("regex {s:?}"),
            StrMatch::Present => "present".into(),
        }
    }
}

/// Path specifier of an Envoy route (whole path without the query string).
#[derive(Debug, Clone)]
pub enum PathMatch {
    Prefix(String),
    Exact(String),
    Regex(Regex, String),
    /// Envoy `path_separated_prefix` (Gateway API `PathPrefix`): the path equals the prefix or
    /// continues it with `/`; the prefix has no trailing `/`.
    PathSeparatedPrefix(String),
}

#[derive(Debug, Clone)]
pub struct HeaderMatcher {
    /// Lower-case name; pseudo-headers `:authority`, `:method`, `:scheme` included.
    pub name: String,
    pub matcher: StrMatch,
    /// `withoutHeaders`: the match fails when this matcher matches.
    pub invert: bool,
    /// Istio sets `treat_missing_header_as_empty` for withoutHeaders value matchers.
    pub missing_as_empty: bool,
}

#[derive(Debug, Clone)]
pub struct QueryMatcher {
    pub name: String,
    pub matcher: StrMatch,
}

#[derive(Debug, Clone)]
pub struct RouteMatch {
    pub path: PathMatch,
    pub case_sensitive: bool,
    pub headers: Vec<HeaderMatcher>,
    pub query: Vec<QueryMatcher>,
    /// A JWT-claim match (`@request.auth.claims…`): never true without RequestAuthentication.
    pub never: bool,
}

impl RouteMatch {
    pub fn catch_all() -> RouteMatch {
        RouteMatch {
            path: PathMatch::Prefix("/".into()),
            case_sensitive: true,
            headers: Vec::new(),
            query: Vec::new(),
            never: false,
        }
    }

    /// `IsCatchAllRoute` (route.go): prefix exactly `/` or regex exactly `.*`, with no header,
    /// query or metadata matcher. (`prefix: ""` matches everything too but is not a catch-all
    /// for istiod: it neither ends translation nor moves last on gateways.)
    pub fn is_catch_all(&self) -> bool {
        let path_all = match &self.path {
            PathMatch::Prefix(p) | PathMatch::PathSeparatedPrefix(p) => p == "/",
            PathMatch::Regex(_, s) => s == ".*",
            PathMatch::Exact(_) => false,
        };
        path_all && self.headers.is_empty() && self.query.is_empty() && !self.never
    }

    /// istioctl's MATCH column: `/*`, `/foo*`, `/exact`, `~regex`, plus `(+N)` for other matchers.
    pub fn describe(&self) -> String {
        let mut s = match &self.path {
            PathMatch::Prefix(p) => format!("{p}*"),
            PathMatch::PathSeparatedPrefix(p) => format!("{p}/*"),
            PathMatch::Exact(p) => p.clone(),
            PathMatch::Regex(_, r) => format!("~{r}"),
        };
        let extra = self.headers.len() + self.query.len();
        if extra > 0 {
            s.push_str(&format!(" (+{extra} more)"));
        }
        s
    }
}

/// Header mutations, in Istio's order (set, then add; remove).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HeaderOps {
    pub set: Vec<(String, String)>,
    pub add: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl HeaderOps {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }
    /// Appends `other` after `self` (destination-level ops after route-level ones).
    pub fn extend(&mut self, other: &HeaderOps) {
        self.set.extend(other.set.iter().cloned());
        self.add.extend(other.add.iter().cloned());
        self.remove.extend(other.remove.iter().cloned());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ClusterRef {
    Known(u32),
    /// A cluster istiod would name but that does not exist (unknown host, subset or port):
    /// Envoy answers 503 (cluster not found).
    Missing(u32),
}

#[derive(Debug, Clone)]
pub struct WeightedDest {
    pub cluster: ClusterRef,
    /// `outbound|PORT|SUBSET|FQDN`.
    pub cluster_name: String,
    pub weight: u32,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
    /// Destination-level `:authority`/`host` header set (used only without a route-level one).
    pub authority: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RedirectAction {
    pub uri: Option<String>,
    /// Envoy `prefix_rewrite` on the redirect: the matched prefix swapped for this.
    pub prefix_rewrite: Option<String>,
    pub authority: Option<String>,
    pub scheme: Option<String>,
    /// Explicit port, or the server/listener port for `derivePort: FROM_REQUEST_PORT`.
    pub port: Option<u32>,
    pub code: u16,
}

#[derive(Debug, Clone)]
pub enum Action {
    Forward(Vec<WeightedDest>),
    Redirect(RedirectAction),
    DirectResponse {
        status: u16,
        body: Option<String>,
    },
    /// `allow_any` catch-all (ALLOW_ANY): Envoy's PassthroughCluster.
    Passthrough,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrySpec {
    /// Retries, not attempts (max requests = 1 + retries).
    pub num_retries: u32,
    pub retry_on: String,
    pub retriable_status_codes: Vec<u32>,
    pub per_try_timeout_ms: Option<u64>,
    /// Whether the default policy (no `retries` in the VirtualService) applies.
    pub is_default: bool,
    /// Istio's `retry_host_predicate: previous_hosts` (on unless `retryIgnorePreviousHosts:
    /// false`; istiod also drops it for a consistent-hash destination, which
    /// [`crate::lb::retry_picks`] applies per cluster): a retry avoids the hosts already tried.
    pub previous_hosts: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultSpec {
    pub delay_ms: Option<u64>,
    /// Parts per million of requests delayed.
    pub delay_per_million: u32,
    pub abort_status: Option<u16>,
    pub abort_grpc_status: Option<u32>,
    pub abort_per_million: u32,
}

#[derive(Debug, Clone)]
pub struct CorsSpec {
    pub allow_origins: Vec<StrMatch>,
    pub allow_methods: String,
    pub allow_headers: String,
    pub expose_headers: String,
    pub max_age: Option<String>,
    pub allow_credentials: bool,
    /// `unmatchedPreflights: IGNORE`.
    pub ignore_unmatched_preflights: bool,
}

#[derive(Debug, Clone)]
pub struct MirrorSpec {
    pub cluster: ClusterRef,
    pub cluster_name: String,
    pub per_million: u32,
}

#[derive(Debug, Clone)]
pub enum UriRewrite {
    /// Envoy `prefix_rewrite`: replaces the matched prefix (whole path for exact/regex matches).
    Prefix(String),
    /// Envoy `regex_rewrite`: replaces every match in the path.
    Regex(Regex, String),
}

/// Everything a route does besides choosing where to go.
#[derive(Debug, Clone, Default)]
pub struct RouteExtras {
    pub uri_rewrite: Option<UriRewrite>,
    pub authority_rewrite: Option<String>,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
    /// 0 = disabled (Istio's default).
    pub timeout_ms: u64,
    pub retry: Option<RetrySpec>,
    pub fault: Option<FaultSpec>,
    pub mirrors: Vec<MirrorSpec>,
    pub cors: Option<CorsSpec>,
    /// Envoy `cluster_not_found_response_code`: unset is 503; Istio sets 500 on routes it
    /// translates from the Gateway API (route.go applyHTTPRouteDestination).
    pub cluster_not_found_status: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Route {
    /// Envoy route name: `route.name[.match.name]`, or `default`.
    pub name: String,
    /// `ns/name` of the VirtualService the route came from.
    pub virtual_service: Option<String>,
    pub matcher: RouteMatch,
    pub action: Action,
    pub extras: RouteExtras,
    /// Where in the user's YAML the route was written (None for routes istiod makes up:
    /// default and allow_any routes). Test coverage and `meshroute diff` read it.
    pub origin: Option<RouteOrigin>,
}

/// A VirtualService rule, match block or destination, by index as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RulePath {
    /// `ns/name` of the VirtualService.
    pub virtual_service: String,
    /// Index in `spec.http`.
    pub rule: usize,
}

/// Where a compiled route came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RouteOrigin {
    /// The `http` rule as written: the delegate's rule for a delegated one.
    pub rule: Option<RulePath>,
    /// The match block the route was built from (`spec.http[rule].match[index]`, in the
    /// VirtualService that wrote it: a delegate's, or its root's when the delegate has none);
    /// None for a rule without matches.
    pub match_block: Option<(RulePath, usize)>,
    /// The root's rule that delegated to [`RouteOrigin::rule`].
    pub delegated_from: Option<RulePath>,
    /// For each weighted destination of a forward action, its index in the rule's `route`.
    pub destinations: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct VirtualHost {
    pub name: String,
    pub domains: Vec<String>,
    pub routes: Vec<Route>,
    /// Gateway `httpsRedirect`: every request gets a 301 to https.
    pub require_tls: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RouteConfig {
    pub name: String,
    pub virtual_hosts: Vec<VirtualHost>,
    exact: HashMap<String, usize>,
    /// `*.foo.com` style, longest suffix first.
    suffix: Vec<(String, usize)>,
    /// `foo.*` style, longest prefix first.
    prefix: Vec<(String, usize)>,
    star: Option<usize>,
}

impl RouteConfig {
    pub fn new(name: String, virtual_hosts: Vec<VirtualHost>) -> RouteConfig {
        let mut rc = RouteConfig {
            name,
            virtual_hosts,
            ..Default::default()
        };
        for (i, vh) in rc.virtual_hosts.iter().enumerate() {
            for d in &vh.domains {
                let d = d.to_ascii_lowercase();
                if d == "*" {
                    rc.star.get_or_insert(i);
                } else if let Some(s) = d.strip_prefix('*') {
                    rc.suffix.push((s.to_string(), i));
                } else if let Some(p) = d.strip_suffix('*') {
                    rc.prefix.push((p.to_string(), i));
                } else {
                    rc.exact.entry(d).or_insert(i);
                }
            }
        }
        rc.suffix.sort_by_key(|x| std::cmp::Reverse(x.0.len()));
        rc.prefix.sort_by_key(|x| std::cmp::Reverse(x.0.len()));
        rc
    }

    /// Envoy's virtual-host search: exact, then suffix wildcards (longest first), then prefix
    /// wildcards, then `*` (route_components.proto `VirtualHost.domains`). `host` is already
    /// lower-cased and stripped of its port (Istio sets `ignore_port_in_host_matching`).
    pub fn find_virtual_host(&self, host: &str) -> Option<usize> {
        if let Some(&i) = self.exact.get(host) {
            return Some(i);
        }
        for (s, i) in &self.suffix {
            // The wildcard must match at least one character.
            if host.len() > s.len() && host.ends_with(s.as_str()) {
                return Some(*i);
            }
        }
        for (p, i) in &self.prefix {
            if host.len() > p.len() && host.starts_with(p.as_str()) {
                return Some(*i);
            }
        }
        self.star
    }
}

/// What `istioctl proxy-config listeners` shows, reduced to HTTP.
#[derive(Debug, Clone, Serialize)]
pub struct Listener {
    /// `0.0.0.0_8080`
    pub name: String,
    /// The port Envoy listens on (gateway: the Service targetPort the server port maps to).
    pub port: u32,
    /// Route configuration index.
    #[serde(skip)]
    pub route_config: usize,
    pub route_config_name: String,
    /// Gateway: the server port numbers (`match.port`, `derivePort` use these).
    pub server_ports: Vec<u32>,
    pub gateways: Vec<String>,
    /// Gateway: the listener's TLS filter chains, one per HTTPS server, chosen by SNI (empty:
    /// one plaintext chain serving [`Listener::route_config`]). A listener with plaintext
    /// servers too keeps them on `route_config`, matched for non-TLS connections.
    pub filter_chains: Vec<FilterChain>,
    /// Whether plaintext servers are bound to this port (besides any TLS chains).
    pub plaintext: bool,
}

impl Listener {
    /// The route configuration for a request on this listener: the TLS filter chain Envoy
    /// chose (by its name, which the filter reads from Envoy), else the plaintext one.
    pub fn route_config_for(&self, filter_chain: &[u8]) -> usize {
        if !filter_chain.is_empty() {
            if let Some(c) = self
                .filter_chains
                .iter()
                .find(|c| c.name.as_bytes() == filter_chain)
            {
                return c.route_config;
            }
        }
        self.route_config
    }

    /// The TLS filter chain Envoy picks for an SNI (`filter_chain_match.server_names`,
    /// filter_chain_manager_impl.cc): an exact server name, then the longest `*.suffix`
    /// wildcard, then a chain without server names. None: the handshake is refused (or, with
    /// plaintext servers and no SNI, the plaintext chain serves).
    pub fn chain_for_sni(&self, sni: &str) -> Option<&FilterChain> {
        by_server_name(&self.filter_chains, |c| &c.server_names, sni).or_else(|| {
            self.filter_chains
                .iter()
                .find(|c| c.server_names.is_empty())
        })
    }
}

/// Envoy's `filter_chain_match.server_names` choice among `chains` (filter_chain_manager_impl.cc):
/// an exact server name, then the longest `*.suffix` wildcard. None: no chain names this SNI.
fn by_server_name<'a, T>(
    chains: impl IntoIterator<Item = &'a T> + Clone,
    names: impl Fn(&T) -> &[String],
    sni: &str,
) -> Option<&'a T> {
    let sni = sni.to_ascii_lowercase();
    if let Some(c) = chains.clone().into_iter().find(|c| names(c).contains(&sni)) {
        return Some(c);
    }
    let mut best: Option<(&T, usize)> = None;
    for c in chains {
        for n in names(c) {
            if let Some(suffix) = n.strip_prefix('*') {
                if sni.len() > suffix.len()
                    && sni.ends_with(suffix)
                    && best.is_none_or(|(_, l)| suffix.len() > l)
                {
                    best = Some((c, suffix.len()));
                }
            }
        }
    }
    best.map(|(c, _)| c)
}

/// One HTTPS server of a gateway: a filter chain terminating TLS, chosen by SNI, with its own
/// route configuration (Istio: one `https.PORT.NAME.GATEWAY.NS` route per HTTPS server,
/// pilot/pkg/networking/core/gateway.go `buildGatewayListeners` / `createGatewayHTTPFilterChainOpts`).
#[derive(Debug, Clone, Serialize)]
pub struct FilterChain {
    /// The route configuration's name; also the Envoy filter chain's name.
    pub name: String,
    /// SNI names (the server's hosts without namespace; empty when a host is `*`).
    pub server_names: Vec<String>,
    #[serde(skip)]
    pub route_config: usize,
    pub tls: ServerTls,
    /// `ns/name` of the Gateway and the server's index, for views and diagnostics.
    pub gateway: String,
    pub server: usize,
}

/// A server's `tls`, resolved: the SDS secret names Envoy asks for (Istio's names:
/// `kubernetes://NAME`, `kubernetes://NAME-cacert`, `file-cert:CERT~KEY`, `file-root:CA`) and
/// the handshake parameters.
#[derive(Debug, Clone, Serialize)]
pub struct ServerTls {
    pub mode: TlsMode,
    pub certificate: String,
    /// The validation context (CA) secret: MUTUAL and OPTIONAL_MUTUAL.
    pub ca: Option<String>,
    /// Envoy's names: `TLSv1_2`, `TLSv1_3` (Istio's default minimum is TLS 1.2).
    pub min_version: Option<&'static str>,
    pub max_version: Option<&'static str>,
    pub cipher_suites: Vec<String>,
    pub subject_alt_names: Vec<String>,
    pub verify_spki: Vec<String>,
    pub verify_hash: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TlsMode {
    Simple,
    Mutual,
    OptionalMutual,
}

/// A gateway port's TCP-level filter chains — TLS PASSTHROUGH servers with VirtualService `tls`
/// routes and TCP servers with `tcp` routes: Envoy's `tcp_proxy` to clusters Envoy balances
/// itself. The HTTP filter is not in this path (Istio: gateway.go
/// `buildGatewayNetworkFiltersFromTLSRoutes` / `…FromTCPRoutes`).
#[derive(Debug, Clone, Serialize)]
pub struct TcpListener {
    pub port: u32,
    /// The server port numbers that listen here (443 for the 8443 listener).
    pub server_ports: Vec<u32>,
    pub chains: Vec<TcpChain>,
}

impl TcpListener {
    /// The chain Envoy picks for a connection: TLS passthrough chains by SNI (exact, then the
    /// longest `*.` wildcard, then one without names), a TCP chain for anything else.
    pub fn chain_for(&self, sni: Option<&str>) -> Option<&TcpChain> {
        let tls = self.chains.iter().filter(|c| c.tls_passthrough);
        if let Some(c) = sni.and_then(|sni| by_server_name(tls, |c| &c.server_names, sni)) {
            return Some(c);
        }
        self.chains
            .iter()
            .find(|c| !c.tls_passthrough || (sni.is_some() && c.server_names.is_empty()))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TcpChain {
    /// `tls.PORT.SNI…` or `tcp.PORT`: the Envoy filter chain's name.
    pub name: String,
    /// TLS passthrough: the SNI names this chain takes (empty: any); TCP: empty.
    pub server_names: Vec<String>,
    pub tls_passthrough: bool,
    pub destinations: Vec<TcpDestination>,
    /// `ns/name` of the VirtualService and the Gateway, and the server's index.
    pub virtual_service: String,
    pub gateway: String,
    pub server: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TcpDestination {
    #[serde(skip)]
    pub cluster: ClusterRef,
    pub cluster_name: String,
    pub weight: u32,
}

/// A certificate (or CA bundle) the listeners need, by its SDS name.
#[derive(Debug, Clone, Serialize)]
pub struct TlsSecret {
    pub name: String,
    pub data: SecretData,
    /// Where it came from: `Secret istio-system/demoapp-cert`, `file /etc/certs/cert.pem`.
    pub source: String,
}

/// The PEM itself (from a Kubernetes Secret), or files Envoy reads. Never serialised: views show
/// fingerprints, not keys.
#[derive(Debug, Clone)]
pub enum SecretData {
    Certificate { chain: String, key: String },
    CertificateFiles { chain: String, key: String },
    Ca { pem: String },
    CaFile { path: String },
}

impl Serialize for SecretData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            SecretData::Certificate { .. } | SecretData::CertificateFiles { .. } => "Cert Chain",
            SecretData::Ca { .. } | SecretData::CaFile { .. } => "CA",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum HashPolicy {
    Header(String),
    Cookie {
        name: String,
        path: Option<String>,
        ttl_ms: Option<u64>,
    },
    Query(String),
    SourceIp,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PoolLimits {
    pub max_connections: Option<u32>,
    pub http1_max_pending_requests: Option<u32>,
    pub http2_max_requests: Option<u32>,
    pub max_requests_per_connection: Option<u32>,
    pub max_retries: Option<u32>,
    pub connect_timeout_ms: Option<u64>,
    /// HTTP idle timeout (`http.idleTimeout`, else `tcp.idleTimeout`).
    pub idle_timeout_ms: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    /// Service hostname (FQDN).
    pub service: String,
    pub port: u32,
    pub subset: String,
    pub endpoints: Vec<Endpoint>,
    pub selector: Selector,
    pub hash: Option<HashPolicy>,
    pub outlier: Option<OutlierPolicy>,
    pub pool: Option<PoolLimits>,
    /// `ns/name` of the DestinationRule(s) applied.
    pub destination_rule: Option<String>,
    /// `EDS`, `ORIGINAL_DST` (passthrough), `STATIC`, …: the TYPE column of istioctl.
    pub discovery: &'static str,
}

/// Istio's sidecar catch-all cluster under ALLOW_ANY: ORIGINAL_DST, the request's own
/// destination (pilot/pkg/networking/util `PassthroughCluster`; core/cluster.go
/// `buildDefaultPassthroughCluster`).
pub const PASSTHROUGH_CLUSTER: &str = "PassthroughCluster";
/// Istio's name for where REGISTRY_ONLY traffic goes (util `BlackHoleCluster`): for HTTP the
/// `block_all` route answers 502 itself, and telemetry names this cluster.
pub const BLACKHOLE_CLUSTER: &str = "BlackHoleCluster";
/// The REGISTRY_ONLY catch-all virtual host and route (util `BlackHoleRouteName`).
pub const BLOCK_ALL_ROUTE: &str = "block_all";

/// The compiled table for one proxy.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub proxy: ProxyIdentity,
    pub listeners: Vec<Listener>,
    pub route_configs: Vec<RouteConfig>,
    pub clusters: Vec<Cluster>,
    /// Names of clusters routes refer to that do not exist (`ClusterRef::Missing`).
    pub missing_clusters: Vec<String>,
    pub cluster_index: HashMap<String, u32>,
    pub listener_index: HashMap<u32, usize>,
    /// Certificates and CA bundles the gateway's TLS filter chains use (SDS names, each once).
    pub secrets: Vec<TlsSecret>,
    /// Gateway ports with TLS PASSTHROUGH or TCP servers.
    pub tcp_listeners: Vec<TcpListener>,
}

impl Cluster {
    /// Whether Envoy needs a cluster of its own for this one: DestinationRule connection-pool
    /// settings are Envoy cluster settings (circuit breakers, connect timeout …), so such
    /// clusters get a dedicated ORIGINAL_DST Envoy cluster named like Istio's; every other
    /// cluster shares one. The bootstrap and the filter both decide with this function.
    pub fn needs_own_envoy_cluster(&self) -> bool {
        self.pool.is_some()
    }
}

impl RouteTable {
    /// Whether any decision can read the client's address: consistent hashing on the source
    /// IP, or a hash cookie Envoy generates (its value hashes the source address). A proxy
    /// that never needs it need not ask Envoy for it on every request.
    pub fn uses_source_ip(&self) -> bool {
        self.clusters.iter().any(|c| {
            matches!(
                c.hash,
                Some(HashPolicy::SourceIp)
                    | Some(HashPolicy::Cookie {
                        ttl_ms: Some(_),
                        ..
                    })
            )
        })
    }

    /// Whether any decision depends on the time: only outlier detection (ejection times and
    /// interval sweeps) does.
    pub fn uses_clock(&self) -> bool {
        self.clusters.iter().any(|c| c.outlier.is_some())
    }

    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.cluster_index
            .get(name)
            .map(|&i| &self.clusters[i as usize])
    }

    /// The listener serving a (logical) port.
    pub fn listener(&self, port: u32) -> Option<&Listener> {
        self.listener_index.get(&port).map(|&i| &self.listeners[i])
    }
}
