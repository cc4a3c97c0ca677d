//! Delegate VirtualServices: a root route that delegates is replaced by the delegate's routes
//! merged with it, unless they conflict (Istio: pilot/pkg/model/virtualservice.go
//! `mergeVirtualServicesIfNeeded`, `mergeHTTPRoute`, `hasConflict`).

use super::virtual_service::resolve_route_names;
use super::{Cx, RuleOrigin};
use crate::diag::Severity;
use crate::model::istio::*;
use crate::registry::visible;
use crate::resources::Object;
use crate::table::RulePath;

impl<'a> Cx<'a> {
    /// Expands root routes that delegate (`mergeVirtualServices`, virtualservice_controller.go):
    /// one level; a missing or invisible delegate drops that root route. Short names (destination
    /// hosts, match gateways) are resolved before merging, each with the namespace of the
    /// VirtualService that wrote them (`ResolveVirtualServiceShortnames` runs on the root and on
    /// every delegate separately).
    /// Returns the rules with where each was written.
    pub(super) fn merge_delegates(
        &mut self,
        root: &Object<VirtualService>,
    ) -> (Vec<HttpRoute>, Vec<RuleOrigin>) {
        let mut out = Vec::new();
        let mut origins = Vec::new();
        let root_id = format!("{}/{}", root.meta.namespace, root.meta.name);
        for (i, r) in root.spec.http.iter().enumerate() {
            let r = resolve_route_names(r, &root.meta.namespace);
            let Some(del) = &r.delegate else {
                origins.push(RuleOrigin::own(&root_id, i, r.matches.len()));
                out.push(r);
                continue;
            };
            let name = del.name.clone().unwrap_or_default();
            let ns = del
                .namespace
                .clone()
                .unwrap_or_else(|| root.meta.namespace.clone());
            let leaf =
                self.res.virtual_services.iter().find(|v| {
                    v.meta.name == name && v.meta.namespace == ns && v.spec.hosts.is_empty()
                });
            let Some(leaf) = leaf
                .filter(|l| visible(&l.spec.export_to, &l.meta.namespace, &root.meta.namespace))
            else {
                self.diags.push(self.res.diag(
                    root,
                    "MR0401",
                    Severity::Warning,
                    &format!("spec.http[{i}].delegate"),
                    format!("delegate VirtualService {ns}/{name} not found or not visible to namespace {}; istiod drops this route", root.meta.namespace),
                ));
                continue;
            };
            let leaf_id = format!("{}/{}", leaf.meta.namespace, leaf.meta.name);
            for (li, lr) in leaf.spec.http.iter().enumerate() {
                let lr = resolve_route_names(lr, &leaf.meta.namespace);
                match merge_http_route(&r, &lr) {
                    Some(m) => {
                        origins.push(delegated_origin(&root_id, i, &r, &leaf_id, li, &lr));
                        out.push(m);
                    }
                    None => self.diags.push(self.res.diag(
                        leaf,
                        "MR0403",
                        Severity::Warning,
                        &format!("spec.http[{li}].match"),
                        format!(
                            "a match of this delegate route is not within any match of root {}/{} route {i}; istiod ignores this delegate route",
                            root.meta.namespace, root.meta.name
                        ),
                    )),
                }
            }
        }
        (out, origins)
    }
}

/// Where the match blocks of a merged delegate rule come from: the delegate's own blocks (each
/// merged with every root block it fits, in [`merge_http_matches`]' order), or the root's when
/// the delegate has none.
fn delegated_origin(
    root_id: &str,
    ri: usize,
    root: &HttpRoute,
    leaf_id: &str,
    li: usize,
    leaf: &HttpRoute,
) -> RuleOrigin {
    let root_path = RulePath {
        virtual_service: root_id.to_string(),
        rule: ri,
    };
    let leaf_path = RulePath {
        virtual_service: leaf_id.to_string(),
        rule: li,
    };
    let matches = if leaf.matches.is_empty() {
        (0..root.matches.len())
            .map(|m| (root_path.clone(), m))
            .collect()
    } else if root.matches.is_empty() {
        (0..leaf.matches.len())
            .map(|m| (leaf_path.clone(), m))
            .collect()
    } else {
        let mut v = Vec::new();
        for (lmi, lm) in leaf.matches.iter().enumerate() {
            for rm in &root.matches {
                if !has_conflict(rm, lm) {
                    v.push((leaf_path.clone(), lmi));
                }
            }
        }
        v
    };
    RuleOrigin {
        rule: leaf_path,
        delegated_from: Some(root_path),
        matches,
    }
}

/// Delegate merge (`mergeHTTPRoute`, virtualservice.go): leaf fields win, root fills the rest.
/// `None` when the delegate route conflicts with the root (then istiod ignores it).
fn merge_http_route(root: &HttpRoute, leaf: &HttpRoute) -> Option<HttpRoute> {
    let matches = merge_http_matches(&root.matches, &leaf.matches)?;
    let mut out = leaf.clone();
    out.delegate = None;
    out.matches = matches;
    macro_rules! fill {
        ($($f:ident),*) => {$( if out.$f.is_none() { out.$f = root.$f.clone(); } )*};
    }
    fill!(
        rewrite,
        direct_response,
        timeout,
        retries,
        fault,
        mirror,
        mirror_percentage,
        mirror_percent,
        cors_policy,
        headers
    );
    if out.mirrors.is_empty() {
        out.mirrors = root.mirrors.clone();
    }
    out.name = join_names(root.name.as_deref(), leaf.name.as_deref());
    Some(out)
}

/// `root-leaf`, or whichever is set.
fn join_names(root: Option<&str>, leaf: Option<&str>) -> Option<String> {
    match (
        root.filter(|r| !r.is_empty()),
        leaf.filter(|l| !l.is_empty()),
    ) {
        (Some(r), Some(l)) => Some(format!("{r}-{l}")),
        (Some(r), None) => Some(r.to_string()),
        (None, l) => l.map(str::to_string),
    }
}

/// `mergeHTTPMatchRequests` (virtualservice.go): every delegate match must fit at least one root
/// match, else the whole delegate route conflicts; the result lists, per delegate match in order,
/// its merge with each non-conflicting root match.
pub(super) fn merge_http_matches(
    root: &[HttpMatchRequest],
    leaf: &[HttpMatchRequest],
) -> Option<Vec<HttpMatchRequest>> {
    if root.is_empty() {
        return Some(leaf.to_vec());
    }
    if leaf.is_empty() {
        return Some(root.to_vec());
    }
    let mut out = Vec::new();
    for lm in leaf {
        let mut found = false;
        for rm in root {
            if has_conflict(rm, lm) {
                continue;
            }
            out.push(merge_http_match(rm, lm));
            found = true;
        }
        if !found {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `mergeHTTPMatchRequest`: the delegate's fields win; maps merged with the delegate winning.
fn merge_http_match(rm: &HttpMatchRequest, lm: &HttpMatchRequest) -> HttpMatchRequest {
    let mut m = lm.clone();
    m.name = join_names(rm.name.as_deref(), lm.name.as_deref());
    if m.uri.is_none() {
        m.uri = rm.uri.clone();
    }
    if m.scheme.is_none() {
        m.scheme = rm.scheme.clone();
    }
    if m.method.is_none() {
        m.method = rm.method.clone();
    }
    if m.authority.is_none() {
        m.authority = rm.authority.clone();
    }
    if m.port.unwrap_or(0) == 0 {
        m.port = rm.port;
    }
    if m.source_namespace.as_deref().unwrap_or("").is_empty() {
        m.source_namespace = rm.source_namespace.clone();
    }
    if m.gateways.is_empty() {
        m.gateways = rm.gateways.clone();
    }
    if m.stat_prefix.is_none() {
        m.stat_prefix = rm.stat_prefix.clone();
    }
    for (k, v) in &rm.headers {
        m.headers.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &rm.without_headers {
        m.without_headers
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    for (k, v) in &rm.query_params {
        m.query_params.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &rm.source_labels {
        m.source_labels
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    m
}

/// `stringMatchConflict` (virtualservice.go), including its quirks: a root match with no
/// exact/prefix/regex value (e.g. `{}` or `prefix: ""`) conflicts with any leaf match.
pub(super) fn string_match_conflict(
    root: Option<&StringMatch>,
    leaf: Option<&StringMatch>,
) -> bool {
    let (Some(r), Some(l)) = (root, leaf) else {
        return false;
    };
    fn nz(o: &Option<String>) -> Option<&str> {
        o.as_deref().filter(|s| !s.is_empty())
    }
    let (re, rp, rr) = (nz(&r.exact), nz(&r.prefix), nz(&r.regex));
    let (le, lp, lr) = (nz(&l.exact), nz(&l.prefix), nz(&l.regex));
    if rr.is_some() && (lr.is_some() || lp.is_some() || le.is_some()) {
        return true;
    }
    if lr.is_some() && (rr.is_some() || rp.is_some() || re.is_some()) {
        return true;
    }
    if let Some(exact) = re {
        return lp.is_some() || le != Some(exact);
    }
    if let Some(prefix) = rp {
        if let Some(p) = lp {
            return !p.starts_with(prefix);
        }
        if let Some(e) = le {
            return !e.starts_with(prefix);
        }
    }
    true
}

/// `hasConflict` (virtualservice.go).
fn has_conflict(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> bool {
    if string_match_conflict(root.uri.as_ref(), leaf.uri.as_ref())
        || string_match_conflict(root.scheme.as_ref(), leaf.scheme.as_ref())
        || string_match_conflict(root.method.as_ref(), leaf.method.as_ref())
        || string_match_conflict(root.authority.as_ref(), leaf.authority.as_ref())
    {
        return true;
    }
    if leaf
        .headers
        .iter()
        .any(|(k, l)| string_match_conflict(root.headers.get(k), Some(l)))
        || leaf
            .without_headers
            .iter()
            .any(|(k, l)| string_match_conflict(root.without_headers.get(k), Some(l)))
        || leaf
            .query_params
            .iter()
            .any(|(k, l)| string_match_conflict(root.query_params.get(k), Some(l)))
    {
        return true;
    }
    if root.ignore_uri_case.unwrap_or(false) != leaf.ignore_uri_case.unwrap_or(false) {
        return true;
    }
    let (rp, lp) = (root.port.unwrap_or(0), leaf.port.unwrap_or(0));
    if rp > 0 && lp > 0 && rp != lp {
        return true;
    }
    let rns = root.source_namespace.as_deref().unwrap_or("");
    if !rns.is_empty() && leaf.source_namespace.as_deref().unwrap_or("") != rns {
        return true;
    }
    if leaf
        .source_labels
        .iter()
        .any(|(k, v)| root.source_labels.get(k).is_some_and(|rv| rv != v))
    {
        return true;
    }
    if !root.gateways.is_empty()
        && !leaf.gateways.is_empty()
        && (root.gateways.len() < leaf.gateways.len()
            || leaf.gateways.iter().any(|g| !root.gateways.contains(g)))
    {
        return true;
    }
    false
}
