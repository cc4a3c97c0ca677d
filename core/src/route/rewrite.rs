//! What a route changes: header operations (layered as Envoy's header parsers apply them),
//! path rewrites and redirect locations.

use super::matching::Request;
use crate::table::*;

/// `first` then `then`, as one `HeaderOps` applied remove → set → add. `same_parser`: both lists
/// belong to one Envoy header parser (all removes happen before any add); otherwise `then` is a
/// later parser whose removes also drop what `first` added.
pub fn layer(first: &HeaderOps, then: &HeaderOps, same_parser: bool) -> HeaderOps {
    let removed_later = |k: &str| !same_parser && then.remove.iter().any(|r| r == k);
    let mut out = HeaderOps::default();
    out.remove.extend(first.remove.iter().cloned());
    for r in &then.remove {
        if !out.remove.contains(r) {
            out.remove.push(r.clone());
        }
    }
    out.set
        .extend(first.set.iter().filter(|(k, _)| !removed_later(k)).cloned());
    out.set.extend(then.set.iter().cloned());
    // An earlier `add` followed by a later `set` of the same header ends as the `set` alone;
    // with set-before-add application order the earlier add must go.
    out.add.extend(
        first
            .add
            .iter()
            .filter(|(k, _)| !removed_later(k) && !then.set.iter().any(|(s, _)| s == k))
            .cloned(),
    );
    out.add.extend(then.add.iter().cloned());
    out
}

/// Applies response header operations to a local reply's headers (remove, set, add).
pub(super) fn apply_ops(headers: &mut Vec<(String, String)>, ops: &HeaderOps) {
    headers.retain(|(k, _)| !ops.remove.iter().any(|r| r.eq_ignore_ascii_case(k)));
    for (k, v) in &ops.set {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.clone()));
    }
    for (k, v) in &ops.add {
        headers.push((k.clone(), v.clone()));
    }
}

/// The request's own URI, as Envoy's `newUri` builds it with no redirect configuration.
pub(super) fn request_uri(req: &Request) -> String {
    let scheme = if req.scheme.eq_ignore_ascii_case(b"https") {
        "https"
    } else {
        "http"
    };
    format!(
        "{scheme}://{}{}",
        String::from_utf8_lossy(req.authority),
        String::from_utf8_lossy(req.path)
    )
}

/// Envoy `prefix_rewrite` / `regex_rewrite`; the query string is kept.
pub(super) fn rewrite_path(
    m: &RouteMatch,
    rw: Option<&UriRewrite>,
    req: &Request,
) -> Option<String> {
    let rw = rw?;
    let path = String::from_utf8_lossy(req.path_only()).into_owned();
    let q = req.query();
    let new = match rw {
        UriRewrite::Prefix(to) => match &m.path {
            PathMatch::Prefix(p) | PathMatch::PathSeparatedPrefix(p) => {
                let n = p.len().min(path.len());
                // The matched prefix is replaced (case-insensitively matched prefixes too).
                format!("{to}{}", path.get(n..).unwrap_or(""))
            }
            PathMatch::Exact(_) | PathMatch::Regex(..) => to.clone(),
        },
        UriRewrite::Regex(re, to) => {
            String::from_utf8_lossy(&re.replace_all(path.as_bytes(), to.as_bytes())).into_owned()
        }
    };
    Some(if q.is_empty() && !req.path.contains(&b'?') {
        new
    } else {
        format!("{new}?{}", String::from_utf8_lossy(q))
    })
}

/// Envoy's redirect URI (`Http::Utility::newUri`, source/common/http/utility.cc): scheme from the
/// redirect or the request; host from the redirect (dropping the request's port) or the request's
/// authority, whose port is dropped when a new port is set or when the scheme changes away from
/// that port's default; `:port` only when the route sets one (Istio already elided 80/443 for
/// their schemes); path from the redirect keeping the request's query unless the new path has
/// one, or with `prefixRewrite` the request's path with the matched prefix swapped (Envoy
/// `RedirectAction.prefix_rewrite`, the query kept, as the forward rewrite).
pub fn redirect_location(rd: &RedirectAction, m: &RouteMatch, req: &Request) -> String {
    let req_scheme = if req.scheme.eq_ignore_ascii_case(b"https") {
        "https"
    } else {
        "http"
    };
    let scheme = rd.scheme.clone().unwrap_or_else(|| req_scheme.to_string());
    let new_port = rd.port.map(|p| format!(":{p}")).unwrap_or_default();
    let host = match &rd.authority {
        Some(a) if !a.is_empty() => a.clone(),
        _ => {
            // processRequestHost
            let a = String::from_utf8_lossy(req.authority).into_owned();
            let port_start = if a.starts_with('[') {
                a.rfind("]:").map(|i| i + 1)
            } else {
                a.rfind(':')
            };
            match port_start {
                Some(i) => {
                    let req_port = &a[i..];
                    let mut remove = !new_port.is_empty();
                    if scheme != req_scheme {
                        remove |= (req_scheme == "https" && req_port == ":443")
                            || (req_scheme == "http" && req_port == ":80");
                    }
                    if remove {
                        a[..i].to_string()
                    } else {
                        a
                    }
                }
                None => a,
            }
        }
    };
    let path = match (&rd.prefix_rewrite, &rd.uri) {
        (Some(p), _) => {
            rewrite_path(m, Some(&UriRewrite::Prefix(p.clone())), req).unwrap_or_default()
        }
        (None, Some(u)) if !u.is_empty() => {
            if u.contains('?') {
                u.clone()
            } else {
                match req.path.iter().position(|&b| b == b'?') {
                    Some(i) => format!("{u}{}", String::from_utf8_lossy(&req.path[i..])),
                    None => u.clone(),
                }
            }
        }
        _ => String::from_utf8_lossy(req.path).into_owned(),
    };
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    format!("{scheme}://{host}{new_port}{path}")
}
