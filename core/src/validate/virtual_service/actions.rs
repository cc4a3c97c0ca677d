//! Redirects, direct responses and rewrites. Istio: validation.go `validateHTTPRedirect`,
//! `validateHTTPDirectResponse`, `validateHTTPRewrite` and `validateURIRegexRewrite`.

use super::policies::http_status;
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::Sink;

/// Istio: validation.go `validateHTTPRedirect` (which stops at the first problem).
pub(super) fn redirect(s: &mut Sink, path: &str, r: &HttpRedirect, matches: &[HttpMatchRequest]) {
    let uri = r.uri.as_deref().unwrap_or("");
    let prefix = r.prefix_rewrite.as_deref().unwrap_or("");
    if !uri.is_empty() && !prefix.is_empty() {
        s.err(
            &format!("{path}.prefixRewrite"),
            "a redirect may specify only one of uri or prefixRewrite",
        );
        return;
    }
    if !prefix.is_empty() {
        for (j, m) in matches.iter().enumerate() {
            if let Some(u) = &m.uri {
                if u.prefix.is_none() {
                    s.err(
                        &format!("{path}.prefixRewrite"),
                        format!("redirect prefixRewrite requires every URI match to be a prefix match, but match[{j}].uri is not"),
                    );
                    return;
                }
            }
        }
    }
    let has_port = r.port.is_some() || r.derive_port.is_some();
    if uri.is_empty()
        && prefix.is_empty()
        && r.authority.as_deref().unwrap_or("").is_empty()
        && !has_port
        && r.scheme.as_deref().unwrap_or("").is_empty()
    {
        s.err(
            path,
            "a redirect must specify at least one of uri, prefixRewrite, authority, scheme, port or derivePort",
        );
        return;
    }
    if r.port.is_some() && r.derive_port.is_some() {
        s.err(path, "a redirect sets only one of port or derivePort");
        return;
    }
    if let Some(c) = r.redirect_code {
        if c != 0 && !(300..=399).contains(&c) {
            s.err(
                &format!("{path}.redirectCode"),
                format!(
                    "{c} is not a valid redirect code, must be 3xx (301, 302, 303, 307 or 308)"
                ),
            );
            return;
        }
    }
    if let Some(sc) = r.scheme.as_deref() {
        if !sc.is_empty() && sc != "http" && sc != "https" {
            s.err(
                &format!("{path}.scheme"),
                format!("invalid redirect scheme {sc:?}, must be \"http\" or \"https\""),
            );
            return;
        }
    }
    if let Some(p) = r.port {
        // Istio validates only positive ports; the CRD (uint32) refuses negative ones.
        if p != 0 {
            s.check(&format!("{path}.port"), validate_port(p));
        }
    }
}

/// Istio: validation.go `validateHTTPDirectResponse`.
pub(super) fn direct_response(s: &mut Sink, path: &str, d: &HttpDirectResponse) {
    if let Some(b) = &d.body {
        let bp = format!("{path}.body");
        if b.string.is_some() && b.bytes.is_some() {
            s.err(&bp, "a body sets exactly one of string or bytes");
        }
        let size = match (&b.string, &b.bytes) {
            (Some(st), _) => st.len(),
            // protobuf JSON `bytes` are base64: decoded length is 3/4 of the text.
            (None, Some(by)) => by.trim_end_matches('=').len() * 3 / 4,
            _ => 0,
        };
        const KB: usize = 1024;
        if size > KB * KB {
            s.err(
                &bp,
                format!("direct response body is {size} bytes; it must be less than 1MB (large direct responses may impact control plane performance)"),
            );
        } else if size > 100 * KB {
            s.warn(
                &bp,
                format!("direct response body is {size} bytes; large direct responses (over 100KB) may impact control plane performance"),
            );
        }
    }
    let st = d.status.unwrap_or(0);
    http_status(s, &format!("{path}.status"), st);
}

/// Istio: validation.go `validateHTTPRewrite` / `validateURIRegexRewrite`.
pub(super) fn rewrite(s: &mut Sink, path: &str, r: &HttpRewrite) {
    let uri = r.uri.as_deref().unwrap_or("");
    if !uri.is_empty() && r.uri_regex_rewrite.is_some() {
        s.err(
            &format!("{path}.uriRegexRewrite"),
            "a rewrite may contain only one of uri or uriRegexRewrite",
        );
        return;
    }
    if uri.is_empty()
        && r.uri_regex_rewrite.is_none()
        && r.authority.as_deref().unwrap_or("").is_empty()
    {
        s.err(
            path,
            "a rewrite must specify at least one of uri, uriRegexRewrite or authority",
        );
        return;
    }
    if let Some(rr) = &r.uri_regex_rewrite {
        let p = format!("{path}.uriRegexRewrite");
        let m = rr.pattern.as_deref().unwrap_or("");
        if m.is_empty() || rr.rewrite.as_deref().unwrap_or("").is_empty() {
            s.err(&p, "uriRegexRewrite requires both match and rewrite");
            return;
        }
        s.check(&format!("{p}.match"), validate_regex(m));
    }
}
