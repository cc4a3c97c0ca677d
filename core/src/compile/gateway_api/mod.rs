//! The Kubernetes Gateway API on a gateway proxy: the listeners of the Gateway this proxy is,
//! the HTTPRoutes and GRPCRoutes attached to them, compiled into the same route table as
//! Istio's own Gateways — with the Gateway API's semantics, as istiod translates them.
//!
//! istiod turns every Gateway listener into an internal Istio `Gateway` server and every
//! (listener, route hostname) into an internal `VirtualService` holding the rules of every
//! route attached there, sorted by Gateway API precedence; the gateway then builds its
//! listeners, route configurations and virtual hosts from those as from any others. This module
//! does the same steps, named after the files they follow:
//!
//! | module | does | Istio (`pilot/pkg/config/kube/`) |
//! | --- | --- | --- |
//! | `parents` | Gateways of class `istio`, listeners, allowed namespaces/kinds/hostnames; which parentRefs attach | `gateway/gateway_collection.go`, `gateway/conversion.go` (`buildListener`, `referenceAllowed`, `extractParentReferenceInfo`), `gatewaycommon/listener_conflict.go` |
//! | `conversion` | rules → Istio HTTP routes: matches, filters, backends, timeouts, retries; precedence | `gateway/conversion.go` (`convertHTTPRoute`, `convertGRPCRoute`, `buildDestination`, `sortHTTPRoutes`) |
//! | `references` | ReferenceGrants | `gatewaycommon/references.go` |
//! | this file | one merged VirtualService per listener and hostname, virtual hosts per listener port; status conditions | `gateway/route_collections.go` (`HTTPRouteCollection`, `mergeHTTPRoutes`), `gateway/conditions.go`, `pilot/pkg/networking/core/gateway.go` |
//!
//! The deployment model is Istio's automated one: a Gateway `NS/NAME` of class `istio` is served
//! by the proxy `{kind: gateway, namespace: NS, labels: {gateway.networking.k8s.io/gateway-name:
//! NAME}}`, listening on each listener's own port.

mod conversion;
mod mesh;
mod parents;
mod references;

#[cfg(test)]
mod tests;

use super::{Cx, Vs};
use crate::config::{ProxyIdentity, ProxyKind};
use crate::diag::{Diagnostic, Severity};
use crate::model::gateway_api::{GrpcRouteSpec, HttpRouteSpec, KubeGateway, ParentReference};
use crate::model::istio::VirtualService;
use crate::resources::{Meta, Object, Resources, Src};
use crate::table::*;
use conversion::{convert, precedence, Conversion};
use parents::{hostname_allowed_by_isolation, parent_target, route_parents, ParentTarget, Parents};
use references::Grants;
use std::collections::{BTreeMap, HashMap};

pub use parents::GATEWAY_NAME_LABEL;

/// meshroute's codes for the status conditions istiod writes on Gateway API resources.
pub mod codes {
    /// A route's parentRef is not accepted (`Accepted: False`: NotAllowedByListeners,
    /// NoMatchingListenerHostname, NoMatchingParent), or its parent does not exist.
    pub const NOT_ACCEPTED: &str = "MR0801";
    /// A route's reference does not resolve (`ResolvedRefs: False`: BackendNotFound,
    /// RefNotPermitted, InvalidKind), or a rule istiod cannot translate (InvalidFilter,
    /// InvalidDestination): the route is not programmed.
    pub const UNRESOLVED_REF: &str = "MR0802";
    /// A Gateway or listener condition: unknown class, conflicting listeners, unsupported
    /// protocol or route kinds, listeners meshroute does not serve.
    pub const GATEWAY_CONDITION: &str = "MR0803";
}

/// Condition reasons (`sigs.k8s.io/gateway-api` `RouteReason*`, Istio's `ConfigErrorReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    NotAllowedByListeners,
    NoMatchingListenerHostname,
    NoMatchingParent,
    RefNotPermitted,
    BackendNotFound,
    InvalidKind,
    InvalidDestination,
    InvalidFilter,
    InvalidConfiguration,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotAllowedByListeners => "NotAllowedByListeners",
            Reason::NoMatchingListenerHostname => "NoMatchingListenerHostname",
            Reason::NoMatchingParent => "NoMatchingParent",
            Reason::RefNotPermitted => "RefNotPermitted",
            Reason::BackendNotFound => "BackendNotFound",
            Reason::InvalidKind => "InvalidKind",
            Reason::InvalidDestination => "InvalidDestination",
            Reason::InvalidFilter => "InvalidFilter",
            Reason::InvalidConfiguration => "InvalidConfiguration",
        }
    }
}

/// An HTTPRoute or a GRPCRoute.
#[derive(Clone, Copy)]
pub enum RouteObj<'a> {
    Http(&'a Object<HttpRouteSpec>),
    Grpc(&'a Object<GrpcRouteSpec>),
}

impl<'a> RouteObj<'a> {
    pub fn meta(&self) -> &'a Meta {
        match self {
            RouteObj::Http(o) => &o.meta,
            RouteObj::Grpc(o) => &o.meta,
        }
    }
    pub fn src(&self) -> Src {
        match self {
            RouteObj::Http(o) => o.src,
            RouteObj::Grpc(o) => o.src,
        }
    }
    pub fn namespace(&self) -> &'a str {
        &self.meta().namespace
    }
    pub fn name(&self) -> &'a str {
        &self.meta().name
    }
    pub fn kind(&self) -> &'static str {
        match self {
            RouteObj::Http(_) => "HTTPRoute",
            RouteObj::Grpc(_) => "GRPCRoute",
        }
    }
    pub fn parent_refs(&self) -> &'a [ParentReference] {
        match self {
            RouteObj::Http(o) => &o.spec.parent_refs,
            RouteObj::Grpc(o) => &o.spec.parent_refs,
        }
    }
    pub fn hostnames(&self) -> &'a [String] {
        match self {
            RouteObj::Http(o) => &o.spec.hostnames,
            RouteObj::Grpc(o) => &o.spec.hostnames,
        }
    }
    /// `sortRoutesByCreationTime`: creation time, then namespace, then name.
    pub(super) fn creation_key(&self) -> (String, String, String) {
        let m = self.meta();
        (
            m.creation_timestamp.clone().unwrap_or_default(),
            m.namespace.clone(),
            m.name.clone(),
        )
    }
    fn diag(
        &self,
        res: &Resources,
        code: &str,
        severity: Severity,
        path: &str,
        msg: String,
    ) -> Diagnostic {
        match self {
            RouteObj::Http(o) => res.diag(*o, code, severity, path, msg),
            RouteObj::Grpc(o) => res.diag(*o, code, severity, path, msg),
        }
    }
}

/// Every HTTPRoute, then every GRPCRoute (istiod merges both into the same VirtualServices).
fn all_routes(res: &Resources) -> Vec<RouteObj<'_>> {
    res.http_routes
        .iter()
        .map(RouteObj::Http)
        .chain(res.grpc_routes.iter().map(RouteObj::Grpc))
        .collect()
}

/// Whether this proxy is the one Istio deploys for Gateway `gw`.
pub fn serves(proxy: &ProxyIdentity, gw: &Object<KubeGateway>) -> bool {
    proxy.kind == ProxyKind::Gateway
        && proxy.namespace == gw.meta.namespace
        && [GATEWAY_NAME_LABEL, parents::ISTIO_GATEWAY_NAME_LABEL]
            .iter()
            .any(|l| proxy.labels.get(*l) == Some(&gw.meta.name))
}

/// A bound VirtualService's place: visibility group, then creation (time, name, namespace).
type BoundOrder = (u8, (String, String, String));

/// What a listener's virtual hosts come from: an internal VirtualService of Gateway API routes,
/// or a user VirtualService (index into the proxy's VirtualServices) naming the internal gateway.
enum Bound<'m> {
    Api(&'m Merged),
    User(usize),
}

/// One internal VirtualService: the rules of every route attached to one listener for one
/// hostname (`mergeHTTPRoutes`, keyed `<internal gateway>/<hostname>`).
struct Merged {
    /// Index of the listener in `Parents::by_gateway`'s list (via its internal name).
    internal_name: String,
    host: String,
    /// Indexes of the routes (into `all_routes`) contributing, in creation order.
    routes: Vec<usize>,
}

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // Gateway API gateways (route_collections.go, then gateway.go on the internal config)

    pub(super) fn build_gateway_api(&mut self) {
        let res = self.res;
        if !res.kube_gateways.iter().any(|g| serves(self.proxy, g)) {
            return;
        }
        let parents = Parents::build(res);
        let grants = Grants::build(res);
        let routes = all_routes(res);
        let user_vss = self.virtual_services();
        let conversions: Vec<Conversion> = routes
            .iter()
            .map(|r| convert(res, Some(&grants), r))
            .collect();

        // HTTPRouteCollection: per accepted parent (sorted by internal name) and route
        // hostname (`*` without hostnames) allowed by listener isolation, one VirtualService.
        let mut merged: BTreeMap<String, Merged> = BTreeMap::new();
        for (ri, route) in routes.iter().enumerate() {
            if conversions[ri].routes.is_empty() {
                continue;
            }
            let mut rps: Vec<_> = route_parents(&parents, route)
                .into_iter()
                .filter(|rp| {
                    rp.denied.is_none()
                        && rp.parent.serves_http
                        && serves(self.proxy, rp.parent.gateway)
                })
                .collect();
            rps.sort_by(|a, b| a.parent.internal_name.cmp(&b.parent.internal_name));
            let star = ["*".to_string()];
            let hosts = if route.hostnames().is_empty() {
                &star[..]
            } else {
                route.hostnames()
            };
            for rp in &rps {
                for h in hosts {
                    if !hostname_allowed_by_isolation(rp, h) {
                        continue;
                    }
                    let key = format!("{}/{h}", rp.parent.internal_name);
                    let m = merged.entry(key).or_insert_with(|| Merged {
                        internal_name: rp.parent.internal_name.clone(),
                        host: h.clone(),
                        routes: Vec::new(),
                    });
                    if !m.routes.contains(&ri) {
                        m.routes.push(ri);
                    }
                }
            }
        }
        for m in merged.values_mut() {
            m.routes.sort_by_key(|&ri| routes[ri].creation_key());
        }

        // The routes' stand-in VirtualServices: route translation names its routes after them
        // and reports problems at their documents.
        let stand_ins: Vec<Object<VirtualService>> = routes
            .iter()
            .map(|r| Object {
                meta: r.meta().clone(),
                spec: VirtualService::default(),
                src: r.src(),
            })
            .collect();

        // Listeners of this proxy's Gateways that carry HTTP, by port (gateway.go: servers of
        // one port share a route configuration), in internal-gateway order.
        let mut by_port: BTreeMap<u32, Vec<&parents::Parent>> = BTreeMap::new();
        for list in parents.by_gateway.values() {
            for p in list {
                if p.serves_http && p.port > 0 && serves(self.proxy, p.gateway) {
                    by_port.entry(p.port).or_default().push(p);
                }
            }
        }
        for (port, mut servers) in by_port {
            servers.sort_by(|a, b| {
                (&a.gateway.meta.creation_timestamp, &a.internal_name)
                    .cmp(&(&b.gateway.meta.creation_timestamp, &b.internal_name))
            });
            let mut plain_vhosts: Vec<VirtualHost> = Vec::new();
            let mut plain_index: HashMap<String, usize> = HashMap::new();
            // HTTPS listeners terminating TLS: a route configuration and filter chain each.
            let mut tls_servers: Vec<(&parents::Parent, Vec<VirtualHost>)> = Vec::new();
            for server in &servers {
                let is_tls = server.protocol == "HTTPS";
                let mut own_vhosts: Vec<VirtualHost> = Vec::new();
                let mut own_index: HashMap<String, usize> = HashMap::new();
                let (vhosts, index) = if is_tls {
                    (&mut own_vhosts, &mut own_index)
                } else {
                    (&mut plain_vhosts, &mut plain_index)
                };
                // The VirtualServices bound to this listener, in VirtualServicesForGateway's
                // order: the user's private and exported ones, then the public ones —
                // Gateway API routes of the proxy's namespace first — each by creation. A
                // user VirtualService may name the internal gateway (IST0165 warns).
                let mut bound: Vec<(BoundOrder, Bound)> = Vec::new();
                for m in merged
                    .values()
                    .filter(|m| m.internal_name == server.internal_name)
                {
                    let oldest = &routes[m.routes[0]];
                    let own = oldest.namespace() == self.proxy.namespace;
                    let (ts, _, ns) = oldest.creation_key();
                    let name = format!("{}~{}", m.internal_name.replace('/', "~"), m.host);
                    bound.push(((if own { 2 } else { 3 }, (ts, name, ns)), Bound::Api(m)));
                }
                for (vi, v) in user_vss.iter().enumerate() {
                    if !v.gateways.contains(&server.internal_name) {
                        continue;
                    }
                    let group = super::virtual_service::vs_visibility_group(
                        &v.obj.spec.export_to,
                        &v.obj.meta.namespace,
                        &self.proxy.namespace,
                    )
                    .map_or(3, |g| if g == 2 { 3 } else { g });
                    bound.push(((group, super::creation_key(v.obj)), Bound::User(vi)));
                }
                bound.sort_by(|a, b| a.0.cmp(&b.0));
                for (_, b) in bound {
                    let (vs_ns, vs_hosts) = match &b {
                        Bound::Api(m) => (routes[m.routes[0]].namespace(), vec![m.host.clone()]),
                        Bound::User(vi) => (
                            user_vss[*vi].obj.meta.namespace.as_str(),
                            user_vss[*vi].hosts.clone(),
                        ),
                    };
                    let server_hosts = super::gateway::names_for_namespace(
                        &server.hostnames,
                        vs_ns,
                        &server.gateway.meta.namespace,
                    );
                    let hosts = super::gateway::intersection(&server_hosts, &vs_hosts);
                    if hosts.is_empty() {
                        continue;
                    }
                    let translated = match b {
                        Bound::Api(m) => self.translate_merged(
                            m,
                            &routes,
                            &conversions,
                            &stand_ins,
                            port,
                            &server.internal_name,
                            is_tls,
                        ),
                        Bound::User(vi) => {
                            self.translate_vs(&user_vss[vi], port, &server.internal_name, is_tls)
                        }
                    };
                    if translated.is_empty() {
                        continue;
                    }
                    for h in hosts {
                        let key = h.to_ascii_lowercase();
                        match index.get(&key) {
                            Some(&i) => vhosts[i].routes.extend(translated.iter().cloned()),
                            None => {
                                index.insert(key.clone(), vhosts.len());
                                vhosts.push(VirtualHost {
                                    name: format!("{key}:{port}"),
                                    domains: vec![key],
                                    routes: translated.clone(),
                                    require_tls: false,
                                });
                            }
                        }
                    }
                }
                if is_tls {
                    tls_servers.push((server, own_vhosts));
                }
            }
            let names: Vec<String> = servers.iter().map(|s| s.internal_name.clone()).collect();
            // Plaintext listeners on this port: a Gateway API HTTP listener, or an Istio
            // Gateway's plaintext server that built the listener before.
            let plain = servers.iter().any(|s| s.protocol != "HTTPS");
            let before = self
                .table
                .listener_index
                .get(&port)
                .map(|&li| self.table.listeners[li].plaintext);
            self.add_gateway_api_listener(port, plain_vhosts, names);
            let li = self.table.listener_index[&port];
            self.table.listeners[li].plaintext = before.unwrap_or(false) || plain;
            for (server, vhosts) in tls_servers {
                self.gateway_api_tls_chain(port, server, vhosts);
            }
        }
    }

    /// An HTTPS listener terminating TLS (`tls.mode: Terminate`, the default): its own route
    /// configuration (`https.PORT.LISTENER.GATEWAY.NS`, as istiod names a server's) and a TLS
    /// filter chain with the certificate of its first `certificateRefs` Secret, chosen by SNI
    /// from the listener's hostname (Istio: pilot/pkg/config/kube/gateway/conversion.go
    /// `buildTLS`: credentialName from the Secret reference; the Secret is read in the
    /// Gateway's namespace). Without a usable certificate the listener gets no chain (MR0501).
    fn gateway_api_tls_chain(
        &mut self,
        port: u32,
        server: &parents::Parent,
        mut vhosts: Vec<VirtualHost>,
    ) {
        let g = server.gateway;
        let Some((li, listener)) = g
            .spec
            .listeners
            .iter()
            .enumerate()
            .find(|(_, l)| l.name.as_deref() == Some(server.section_name.as_str()))
        else {
            return;
        };
        let path = format!("spec.listeners[{li}].tls");
        let refs = listener
            .tls
            .as_ref()
            .map(|t| t.certificate_refs.as_slice())
            .unwrap_or(&[]);
        let Some(first) = refs.first() else {
            return;
        };
        let kind_ok = matches!(first.kind.as_deref(), None | Some("Secret"))
            && matches!(first.group.as_deref(), None | Some(""));
        let same_ns = first
            .namespace
            .as_deref()
            .is_none_or(|n| n == g.meta.namespace);
        if !kind_ok || !same_ns {
            self.diags.push(self.res.diag(
                g,
                super::gateway_tls::TLS_CREDENTIAL,
                crate::diag::Severity::Error,
                &format!("{path}.certificateRefs[0]"),
                "meshroute reads certificateRefs to a core Secret in the Gateway's namespace only",
            ));
            return;
        }
        let name = first.name.clone().unwrap_or_default();
        let Some((certificate, ca)) =
            self.secret_credential(g, &path, "certificateRefs[0]", &name, TlsMode::Simple)
        else {
            return;
        };
        super::gateway::finish_vhosts(&mut vhosts, port);
        let name = format!(
            "https.{port}.{}.{}.{}",
            server.section_name, g.meta.name, g.meta.namespace
        );
        let rc = self.table.route_configs.len();
        self.table
            .route_configs
            .push(RouteConfig::new(name.clone(), vhosts));
        let server_names = match server.original_hostname.as_str() {
            "" | "*" => Vec::new(),
            h => vec![h.to_ascii_lowercase()],
        };
        let li_table = self.table.listener_index[&port];
        self.table.listeners[li_table]
            .filter_chains
            .push(FilterChain {
                name,
                server_names,
                route_config: rc,
                tls: ServerTls {
                    mode: TlsMode::Simple,
                    certificate,
                    ca,
                    min_version: Some("TLSv1_2"),
                    max_version: None,
                    cipher_suites: Vec::new(),
                    subject_alt_names: Vec::new(),
                    verify_spki: Vec::new(),
                    verify_hash: Vec::new(),
                },
                gateway: format!("{}/{}", g.meta.namespace, g.meta.name),
                server: li,
            });
    }

    /// `BuildHTTPRoutesForVirtualService` on one merged VirtualService: its rules in Gateway API
    /// precedence, translated for `port`, up to the first catch-all.
    #[allow(clippy::too_many_arguments)]
    fn translate_merged(
        &mut self,
        m: &Merged,
        routes: &[RouteObj],
        conversions: &[Conversion],
        stand_ins: &[Object<VirtualService>],
        port: u32,
        gateway: &str,
        is_tls: bool,
    ) -> Vec<Route> {
        // mergeHTTPRoutes: routes by creation time, rules appended, then a stable sort.
        let mut rules: Vec<(usize, &conversion::Converted)> = m
            .routes
            .iter()
            .flat_map(|&ri| conversions[ri].routes.iter().map(move |c| (ri, c)))
            .collect();
        rules.sort_by(|a, b| precedence(&a.1.route, &b.1.route));
        let mut out = Vec::new();
        for (ri, c) in rules {
            let vs = Vs {
                obj: &stand_ins[ri],
                hosts: vec![m.host.clone()],
                gateways: vec![gateway.to_string()],
                http: Vec::new(),
                gateway_semantics: true,
                origins: Vec::new(),
            };
            let id = format!("{}/{}", routes[ri].namespace(), routes[ri].name());
            let base = format!("spec.rules[{}]", c.rule_index);
            let r = self.translate_route(
                &vs,
                &id,
                &c.route,
                c.route.matches.first().map(|mm| (0, mm)),
                port,
                gateway,
                is_tls,
                &base,
            );
            if let Some(r) = r {
                let catch_all = r.matcher.is_catch_all();
                out.push(r);
                if catch_all {
                    break;
                }
            }
        }
        out
    }

    /// Adds the route configuration of one Gateway API listener port, merging into the one an
    /// Istio Gateway on the same port built (gateway.go: servers of one port share it).
    fn add_gateway_api_listener(
        &mut self,
        port: u32,
        vhosts: Vec<VirtualHost>,
        names: Vec<String>,
    ) {
        let mut all = match self.table.listener_index.get(&port) {
            Some(&li) => {
                let rc = self.table.listeners[li].route_config;
                std::mem::take(&mut self.table.route_configs[rc].virtual_hosts)
                    .into_iter()
                    .filter(|v| !(v.name.starts_with("blackhole:") && v.routes.is_empty()))
                    .collect()
            }
            None => Vec::new(),
        };
        for vh in vhosts {
            match all
                .iter_mut()
                .find(|v: &&mut VirtualHost| v.domains == vh.domains)
            {
                Some(v) => v.routes.extend(vh.routes),
                None => all.push(vh),
            }
        }
        // SortVHostRoutes: catch-all routes last, the rest in order; a blackhole when empty.
        super::gateway::finish_vhosts(&mut all, port);
        let rc_name = format!("http.{port}");
        match self.table.listener_index.get(&port) {
            Some(&li) => {
                let rc = self.table.listeners[li].route_config;
                self.table.route_configs[rc] = RouteConfig::new(rc_name, all);
                let l = &mut self.table.listeners[li];
                if !l.server_ports.contains(&port) {
                    l.server_ports.push(port);
                }
                l.gateways.extend(names);
            }
            None => self.push_listener(port, rc_name, all, vec![port], names),
        }
    }
}

/// The status conditions istiod writes on Gateways and routes, as diagnostics: listeners it
/// does not program, parentRefs it does not accept, references it cannot resolve.
pub fn status(res: &Resources) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let parents = Parents::build(res);
    let grants = Grants::build(res);
    for p in &parents.problems {
        out.push(res.diag(
            p.gateway,
            codes::GATEWAY_CONDITION,
            Severity::Warning,
            &p.path,
            format!("{}=False ({}): {}", p.condition, p.reason, p.message),
        ));
    }
    for route in all_routes(res) {
        let rps = route_parents(&parents, &route);
        let mut istio_parent = false;
        let mut mesh_parent = false;
        for (i, r) in route.parent_refs().iter().enumerate() {
            let path = format!("spec.parentRefs[{i}]");
            match parent_target(r, route.namespace()) {
                ParentTarget::Gateway { namespace, name } => {
                    let exists = res
                        .kube_gateways
                        .iter()
                        .any(|g| g.meta.namespace == namespace && g.meta.name == name);
                    if !exists {
                        out.push(route.diag(
                            res,
                            codes::NOT_ACCEPTED,
                            Severity::Warning,
                            &path,
                            format!("parent Gateway {namespace}/{name} not found: the route is not attached to it"),
                        ));
                        continue;
                    }
                    if !parents.by_gateway.contains_key(&(namespace, name)) {
                        continue; // another controller's Gateway
                    }
                    istio_parent = true;
                    let mine: Vec<_> = rps.iter().filter(|rp| rp.ref_index == i).collect();
                    if mine.iter().any(|rp| rp.denied.is_none()) {
                        continue;
                    }
                    // createRouteStatus: the least severe reason wins; equal ones are joined.
                    let rank = |r: Reason| match r {
                        Reason::NotAllowedByListeners => 1,
                        Reason::NoMatchingListenerHostname => 2,
                        _ => 4,
                    };
                    let Some(best) = mine
                        .iter()
                        .filter_map(|rp| rp.denied.as_ref())
                        .map(|(r, _)| rank(*r))
                        .min()
                    else {
                        out.push(route.diag(
                            res,
                            codes::NOT_ACCEPTED,
                            Severity::Warning,
                            &path,
                            "Accepted=False (NoMatchingParent): the Gateway has no listener routes can attach to".into(),
                        ));
                        continue;
                    };
                    let chosen: Vec<&(Reason, String)> = mine
                        .iter()
                        .filter_map(|rp| rp.denied.as_ref())
                        .filter(|(r, _)| rank(*r) == best)
                        .collect();
                    let mut msgs: Vec<&str> = Vec::new();
                    for (_, m) in &chosen {
                        if !msgs.contains(&m.as_str()) {
                            msgs.push(m);
                        }
                    }
                    out.push(route.diag(
                        res,
                        codes::NOT_ACCEPTED,
                        Severity::Warning,
                        &path,
                        format!(
                            "Accepted=False ({}): {}",
                            chosen[0].0.as_str(),
                            msgs.join("; ")
                        ),
                    ));
                }
                ParentTarget::Mesh if r.kind.as_deref() == Some("Service") => {
                    let ns = r.namespace.as_deref().unwrap_or(route.namespace());
                    let name = r.name.as_deref().unwrap_or("");
                    if res
                        .services
                        .iter()
                        .any(|s| s.meta.namespace == ns && s.meta.name == name)
                    {
                        mesh_parent = true;
                    } else {
                        out.push(route.diag(
                            res,
                            codes::NOT_ACCEPTED,
                            Severity::Warning,
                            &path,
                            format!("Accepted=False (NoMatchingParent): parent service: {name:?} not found"),
                        ));
                    }
                }
                ParentTarget::Mesh => out.push(route.diag(
                    res,
                    crate::diag::codes::NOT_ENFORCED,
                    Severity::Warning,
                    &path,
                    "a ServiceEntry parentRef (mesh, GAMMA) is accepted but not applied: meshroute applies mesh routes to Service parents only".into(),
                )),
                ParentTarget::Other => {}
            }
        }
        // Gateway parents enforce ReferenceGrants; mesh parents do not (`enforceRefGrant`).
        let conv = match (istio_parent, mesh_parent) {
            (true, _) => convert(res, Some(&grants), &route),
            (false, true) => convert(res, None, &route),
            (false, false) => continue,
        };
        let hard = conv.hard.iter().map(|e| {
            let then = format!("; istiod programs no rule of this {}", route.kind());
            (e, "Accepted", then)
        });
        let soft = conv.errors.iter().map(|e| {
            let then = if e.path.contains("requestMirror") {
                "; the mirror is dropped"
            } else {
                "; requests for this backend get 500"
            };
            (e, "ResolvedRefs", then.to_string())
        });
        for (e, condition, then) in hard.chain(soft) {
            out.push(route.diag(
                res,
                codes::UNRESOLVED_REF,
                Severity::Error,
                &e.path,
                format!(
                    "{condition}=False ({}): {}{then}",
                    e.reason.as_str(),
                    e.message
                ),
            ));
        }
    }
    out
}
