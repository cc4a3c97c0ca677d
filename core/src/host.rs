//! Host names the way Istio compares them (`pkg/config/host/name.go`, `names.go`) and the
//! name-resolution helpers of `pilot/pkg/model/config.go`.

/// Kubernetes cluster domain suffix istiod uses by default.
pub const DOMAIN_SUFFIX: &str = "cluster.local";
/// Istio's root namespace (mesh config `rootNamespace`).
pub const ROOT_NAMESPACE: &str = "istio-system";
/// The implicit gateway name of all sidecars.
pub const MESH_GATEWAY: &str = "mesh";

pub fn is_wildcard(h: &str) -> bool {
    h.starts_with('*')
}

/// `host.Name.Matches`: true when the two names (either may be a wildcard) overlap.
pub fn matches(n: &str, o: &str) -> bool {
    match (is_wildcard(n), is_wildcard(o)) {
        (true, true) => {
            if n.len() < o.len() {
                o[1..].ends_with(&n[1..])
            } else {
                n[1..].ends_with(&o[1..])
            }
        }
        (true, false) => o.ends_with(&n[1..]),
        (false, true) => n.ends_with(&o[1..]),
        (false, false) => n == o,
    }
}

/// `host.Name.SubsetOf`: every name `n` matches is also matched by `o`.
pub fn subset_of(n: &str, o: &str) -> bool {
    if is_wildcard(o) {
        if is_wildcard(n) {
            n[1..].ends_with(&o[1..])
        } else {
            n.ends_with(&o[1..])
        }
    } else {
        !is_wildcard(n) && n == o
    }
}

/// `host.MoreSpecific`: exact beats wildcard; among equals, the longer name.
pub fn more_specific(a: &str, b: &str) -> bool {
    match (is_wildcard(a), is_wildcard(b)) {
        (false, true) => true,
        (true, false) => false,
        _ => a.len() > b.len(),
    }
}

/// `MostSpecificHostMatch` (pilot/pkg/model/config.go): the exact entry if present, else the
/// most specific wildcard entry matching `needle`. Returns the index into `hosts`.
pub fn most_specific_match<S: AsRef<str>>(needle: &str, hosts: &[S]) -> Option<usize> {
    if let Some(i) = hosts.iter().position(|h| h.as_ref() == needle) {
        return Some(i);
    }
    let bare = if is_wildcard(needle) {
        &needle[1..]
    } else {
        needle
    };
    let mut best: Option<usize> = None;
    for (i, h) in hosts.iter().enumerate() {
        let h = h.as_ref();
        if is_wildcard(h) && bare.ends_with(&h[1..]) {
            best = match best {
                Some(b) if !more_specific(h, hosts[b].as_ref()) => Some(b),
                _ => Some(i),
            };
        }
    }
    best
}

pub fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// `ResolveShortnameToFQDN`: a name without a dot becomes `name.<namespace>.svc.cluster.local`
/// (the namespace of the *config* that names it); dotted names, `*` and IPs are kept verbatim.
pub fn resolve_short_name(h: &str, namespace: &str) -> String {
    if h.is_empty() || h == "*" || is_ip(h) || h.contains('.') {
        return h.to_string();
    }
    let mut out = h.to_string();
    if !namespace.is_empty() {
        out.push('.');
        out.push_str(namespace);
    }
    out.push_str(".svc.");
    out.push_str(DOMAIN_SUFFIX);
    out
}

/// `resolveGatewayName`: `name` and `./name` → `<ns>/name`; `ns/name` kept; legacy
/// `name.ns[.svc.cluster.local]` → `ns/name`; `mesh` kept.
pub fn resolve_gateway_name(gw: &str, namespace: &str) -> String {
    if gw == MESH_GATEWAY {
        return gw.to_string();
    }
    match gw.find('/') {
        None => match gw.find('.') {
            None => format!("{namespace}/{gw}"),
            Some(i) => {
                let rest = &gw[i + 1..];
                match rest.find('.') {
                    None => format!("{rest}/{}", &gw[..i]),
                    Some(j) => format!("{}/{}", &rest[..j], &gw[..i]),
                }
            }
        },
        Some(i) if &gw[..i] == "." => format!("{namespace}/{}", &gw[i + 1..]),
        Some(_) => gw.to_string(),
    }
}

/// Splits a Gateway server host `ns/host` (namespace part defaults to `*`).
pub fn split_server_host(h: &str) -> (&str, &str) {
    match h.split_once('/') {
        Some((ns, host)) => (ns, host),
        None => ("*", h),
    }
}

/// The FQDN istiod gives a Kubernetes Service.
pub fn service_fqdn(name: &str, namespace: &str) -> String {
    format!("{name}.{namespace}.svc.{DOMAIN_SUFFIX}")
}

/// Istio's cluster name: `outbound|PORT|SUBSET|FQDN` (`BuildSubsetKey`, pilot/pkg/model/service.go).
pub fn cluster_name(port: u32, subset: &str, fqdn: &str) -> String {
    format!("outbound|{port}|{subset}|{fqdn}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_with_the_config_namespace_and_dotted_names_are_literal() {
        assert_eq!(
            resolve_short_name("reviews", "foo"),
            "reviews.foo.svc.cluster.local"
        );
        assert_eq!(
            resolve_short_name("demoappv10.default.svc", "x"),
            "demoappv10.default.svc"
        );
        assert_eq!(resolve_short_name("*", "x"), "*");
        assert_eq!(resolve_short_name("10.0.0.1", "x"), "10.0.0.1");
        assert_eq!(resolve_short_name("*.foo.com", "x"), "*.foo.com");
    }

    #[test]
    fn gateway_names_resolve_like_istiod() {
        assert_eq!(resolve_gateway_name("gw", "ns"), "ns/gw");
        assert_eq!(resolve_gateway_name("./gw", "ns"), "ns/gw");
        assert_eq!(resolve_gateway_name("other/gw", "ns"), "other/gw");
        assert_eq!(
            resolve_gateway_name("gw.other.svc.cluster.local", "ns"),
            "other/gw"
        );
        assert_eq!(resolve_gateway_name("gw.other", "ns"), "other/gw");
        assert_eq!(resolve_gateway_name("mesh", "ns"), "mesh");
    }

    #[test]
    fn wildcard_matching_follows_host_name_matches() {
        assert!(matches("*.foo.com", "a.foo.com"));
        assert!(matches("a.foo.com", "*.foo.com"));
        assert!(matches("*", "anything"));
        assert!(matches("*.com", "*.foo.com"));
        assert!(!matches("a.foo.com", "b.foo.com"));
        assert!(subset_of("a.foo.com", "*.foo.com"));
        assert!(!subset_of("*.foo.com", "a.foo.com"));
        assert!(subset_of("*.a.foo.com", "*.foo.com"));
    }

    #[test]
    fn most_specific_host_wins() {
        let hosts = ["*", "*.com", "*.foo.com", "a.foo.com"];
        assert_eq!(most_specific_match("a.foo.com", &hosts), Some(3));
        assert_eq!(most_specific_match("b.foo.com", &hosts), Some(2));
        assert_eq!(most_specific_match("x.org", &hosts), Some(0));
        assert_eq!(most_specific_match("x.org", &["*.com"]), None);
    }
}
