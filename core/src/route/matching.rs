//! What routing matches on: the [`Request`] (its authority's port picks the listener, its
//! host the virtual host) and a route's match on path, headers and query parameters.

use crate::table::*;
use std::borrow::Cow;
use std::net::IpAddr;

/// The request as the filter (or the simulator) sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The logical listener port (gateway: 8080 for the seed; sidecar: ignored, the authority's
    /// port is used).
    pub listener_port: u32,
    pub authority: &'a [u8],
    /// Path and query, as received.
    pub path: &'a [u8],
    pub method: &'a [u8],
    pub scheme: &'a [u8],
    /// Lower-case names; repeated names allowed.
    pub headers: &'a [(&'a [u8], &'a [u8])],
    pub source_ip: Option<IpAddr>,
    /// The name of the TLS filter chain Envoy chose (by SNI) on a gateway listener with HTTPS
    /// servers; empty for plaintext (the listener's own route configuration).
    pub filter_chain: &'a [u8],
}

impl<'a> Request<'a> {
    /// All values of a header joined with `,` (how Envoy's header matchers see repeated
    /// headers); pseudo-headers come from the request line.
    pub fn header(&self, name: &str) -> Option<Cow<'a, [u8]>> {
        match name {
            ":authority" | "host" => return Some(Cow::Borrowed(self.authority)),
            ":method" => return Some(Cow::Borrowed(self.method)),
            ":scheme" => return Some(Cow::Borrowed(self.scheme)),
            ":path" => return Some(Cow::Borrowed(self.path)),
            _ => {}
        }
        let mut found: Option<Cow<'a, [u8]>> = None;
        for (k, v) in self.headers {
            if k.eq_ignore_ascii_case(name.as_bytes()) {
                found = Some(match found {
                    None => Cow::Borrowed(*v),
                    Some(prev) => {
                        let mut j = prev.into_owned();
                        j.push(b',');
                        j.extend_from_slice(v);
                        Cow::Owned(j)
                    }
                });
            }
        }
        found
    }

    /// Path without the query string.
    pub fn path_only(&self) -> &'a [u8] {
        match self.path.iter().position(|&b| b == b'?') {
            Some(i) => &self.path[..i],
            None => self.path,
        }
    }

    pub fn query(&self) -> &'a [u8] {
        match self.path.iter().position(|&b| b == b'?') {
            Some(i) => &self.path[i + 1..],
            None => b"",
        }
    }

    /// Host part of the authority, lower-cased, without port (IPv6 brackets kept).
    pub fn host(&self) -> String {
        let a = String::from_utf8_lossy(self.authority);
        let h = if a.starts_with('[') {
            match a.find(']') {
                Some(i) => &a[..=i],
                None => &a,
            }
        } else {
            match a.rfind(':') {
                Some(i) if a[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &a[..i],
                _ => &a,
            }
        };
        h.to_ascii_lowercase()
    }

    /// Port of the authority, if any.
    pub fn authority_port(&self) -> Option<u32> {
        let a = self.authority;
        let colon = a.iter().rposition(|&b| b == b':')?;
        if a.iter()
            .rposition(|&b| b == b']')
            .is_some_and(|br| br > colon)
        {
            return None;
        }
        std::str::from_utf8(&a[colon + 1..]).ok()?.parse().ok()
    }
}

pub(super) fn route_matches(
    m: &RouteMatch,
    req: &Request,
    path: &[u8],
    query: &[u8],
) -> Result<(), String> {
    if m.never {
        return Err("JWT claim matches need RequestAuthentication".into());
    }
    let ok = match &m.path {
        PathMatch::Prefix(p) => {
            if m.case_sensitive {
                path.starts_with(p.as_bytes())
            } else {
                path.len() >= p.len() && path[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            }
        }
        PathMatch::Exact(e) => {
            if m.case_sensitive {
                path == e.as_bytes()
            } else {
                path.eq_ignore_ascii_case(e.as_bytes())
            }
        }
        PathMatch::Regex(re, _) => re.is_match(path),
        PathMatch::PathSeparatedPrefix(p) => {
            let p = p.as_bytes();
            let head = path.get(..p.len());
            let same = if m.case_sensitive {
                head == Some(p)
            } else {
                head.is_some_and(|h| h.eq_ignore_ascii_case(p))
            };
            same && matches!(path.get(p.len()), None | Some(b'/'))
        }
    };
    if !ok {
        return Err(format!("path {:?}", String::from_utf8_lossy(path)));
    }
    for h in &m.headers {
        let v = req.header(&h.name);
        let matched = match (&v, h.missing_as_empty) {
            (Some(v), _) => h.matcher.matches(v),
            (None, true) => h.matcher.matches(b""),
            (None, false) => false,
        };
        if matched == h.invert {
            return Err(if h.invert {
                format!(
                    "header {} {} (withoutHeaders)",
                    h.name,
                    h.matcher.describe()
                )
            } else {
                format!("header {} is not {}", h.name, h.matcher.describe())
            });
        }
    }
    for q in &m.query {
        if !query_matches(query, &q.name, &q.matcher) {
            return Err(format!(
                "query parameter {} is not {}",
                q.name,
                q.matcher.describe()
            ));
        }
    }
    Ok(())
}

/// Envoy `QueryParameterMatcher`: the first parameter with that name decides.
fn query_matches(query: &[u8], name: &str, m: &StrMatch) -> bool {
    for pair in query.split(|&b| b == b'&') {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if k == name.as_bytes() {
            return m.matches(v);
        }
    }
    false
}
