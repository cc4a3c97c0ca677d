//! DNS labels and domain names, IP addresses and subnets, ports, label keys and values.
//! Istio: agent/validation.go, pkg/config/labels/instance.go, pkg/util/net/ip.go.

use super::Check;
use std::collections::BTreeMap;

/// Istio: pkg/config/labels/instance.go `IsDNS1123Label` —
/// `[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?`, at most 63 characters. (Istio allows upper case.)
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// Istio: pkg/config/labels/instance.go `IsWildcardDNS1123Label` — `*`, or a DNS-1123 label
/// optionally preceded by `*` or `*-` (`*foo`, `*-foo`).
pub fn is_wildcard_dns1123_label(s: &str) -> bool {
    if s.len() > 63 {
        return false;
    }
    if s == "*" {
        return true;
    }
    if let Some(rest) = s.strip_prefix("*-") {
        is_dns1123_label(rest)
    } else if let Some(rest) = s.strip_prefix('*') {
        is_dns1123_label(rest)
    } else {
        is_dns1123_label(s)
    }
}

/// Istio: agent/validation.go `CheckDNS1123Preconditions`.
fn dns1123_preconditions(name: &str) -> Check {
    if name.len() > 255 {
        return Err(format!(
            "domain name {name:?} is too long (max 255 characters)"
        ));
    }
    if name.is_empty() {
        return Err("empty domain name is not allowed".into());
    }
    Ok(())
}

/// Go's `strconv.Atoi` succeeds (an optional sign then decimal digits).
fn go_atoi_ok(s: &str) -> bool {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
}

/// Istio: agent/validation.go `ValidateDNS1123Labels`.
fn dns1123_labels(domain: &str) -> Check {
    let parts: Vec<&str> = domain.split('.').collect();
    let tld = parts.last().copied().unwrap_or("");
    if go_atoi_ok(tld) {
        return Err(format!(
            "domain name {domain:?} is invalid: the top-level domain {tld:?} cannot be all-numeric"
        ));
    }
    for (i, label) in parts.iter().enumerate() {
        if i == parts.len() - 1 && label.is_empty() {
            return Ok(());
        }
        if !is_dns1123_label(label) {
            return Err(format!(
                "domain name {domain:?} is invalid: label {label:?} is not a DNS-1123 label (letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)"
            ));
        }
    }
    Ok(())
}

/// Istio: agent/validation.go `ValidateFQDN`.
pub fn validate_fqdn(fqdn: &str) -> Check {
    dns1123_preconditions(fqdn)?;
    dns1123_labels(fqdn)
}

/// Istio: agent/validation.go `ValidateWildcardDomain` — a DNS name whose first label may be a
/// wildcard (`*`, `*.example.com`, `*foo.example.com`).
pub fn validate_wildcard_domain(domain: &str) -> Check {
    dns1123_preconditions(domain)?;
    let (first, rest) = match domain.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (domain, None),
    };
    if !is_wildcard_dns1123_label(first) {
        return Err(format!(
            "domain name {domain:?} is invalid: label {first:?} is not a DNS-1123 label; a wildcard is only allowed as the whole first label (\"*.example.com\") or its prefix (\"*foo.example.com\")"
        ));
    }
    match rest {
        Some(r) => dns1123_labels(r),
        None => Ok(()),
    }
}

/// Istio: agent/validation.go `ValidateWildcardDomainForVirtualServiceBoundToGateway` — as
/// [`validate_wildcard_domain`], plus the AUTO_PASSTHROUGH SNI form `outbound_.PORT_._.HOST`.
pub fn validate_wildcard_domain_for_gateway(sni: bool, domain: &str) -> Check {
    dns1123_preconditions(domain)?;
    if sni && domain.starts_with("outbound_") {
        let parts: Vec<&str> = domain.split('_').collect();
        let format = "outbound_.<PORT>_._.<HOSTNAME>";
        if parts.len() < 4 {
            return Err(format!(
                "domain name {domain} is invalid, it should follow the {format:?} format"
            ));
        }
        let port = parts[1].trim_matches('.');
        let hostname = parts[3].trim_matches('.');
        // Istio uses unanchored regexes `([0-9].*)` and `([a-zA-Z].*)`: any digit / letter.
        if !port.bytes().any(|c| c.is_ascii_digit()) {
            return Err(format!(
                "domain name {domain:?} is invalid (label {port:?} invalid), it should follow the {format:?} format"
            ));
        }
        if !hostname.bytes().any(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "domain name {domain:?} is invalid (label {hostname:?} invalid), it should follow the {format:?} format"
            ));
        }
        return Ok(());
    }
    validate_wildcard_domain(domain)
}

/// Istio: pkg/util/net/ip.go `IsValidIPAddress` (Go's `netip.ParseAddr`).
pub fn is_ip(s: &str) -> bool {
    crate::host::is_ip(s)
}

/// Istio: agent/validation.go `ValidateIPAddress`.
pub fn validate_ip(s: &str) -> Check {
    if is_ip(s) {
        Ok(())
    } else {
        Err(format!("{s:?} is not a valid IP address"))
    }
}

/// Istio: agent/validation.go `ValidateIPSubnet` — an IP or a CIDR block.
pub fn validate_ip_subnet(s: &str) -> Check {
    if s.matches('/').count() == 1 {
        let (ip, bits) = s.split_once('/').unwrap_or((s, ""));
        let max = match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => 32,
            Ok(std::net::IpAddr::V6(_)) => 128,
            Err(_) => return Err(format!("{s:?} is not a valid CIDR block (like 10.0.0.0/8)")),
        };
        let ok = !bits.is_empty()
            && bits.len() <= 3
            && bits.bytes().all(|c| c.is_ascii_digit())
            && !(bits.len() > 1 && bits.starts_with('0'))
            && bits.parse::<u32>().is_ok_and(|b| b <= max);
        if ok {
            return Ok(());
        }
        return Err(format!("{s:?} is not a valid CIDR block (like 10.0.0.0/8)"));
    }
    validate_ip(s).map_err(|_| format!("{s:?} is not a valid IP address or CIDR block"))
}

/// Istio: agent/validation.go `ValidatePort`.
pub fn validate_port(port: i64) -> Check {
    if (1..=65535).contains(&port) {
        Ok(())
    } else {
        Err(format!(
            "port number must be in the range 1..65535, got {port}"
        ))
    }
}

/// Istio: pkg/config/labels/instance.go `qualifiedNameFmt` —
/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Istio: pkg/config/labels/instance.go `validateTagKey` — `[dns.prefix/]name`.
pub fn validate_label_key(k: &str) -> Check {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let bad = || {
        Err(format!(
            "invalid label key {k:?}: expected an optional DNS prefix and a name (\"app\", \"example.com/tier\")"
        ))
    };
    if let Some(p) = prefix {
        if p.is_empty() || !p.split('.').all(is_dns1123_label) {
            return bad();
        }
        if p.len() > 253 {
            return Err(format!(
                "invalid label key {k:?}: the DNS prefix is longer than 253 characters"
            ));
        }
    }
    if !is_qualified_name(name) {
        return bad();
    }
    if name.len() > 63 {
        return Err(format!(
            "invalid label key {k:?}: the name part is longer than 63 characters"
        ));
    }
    Ok(())
}

/// Istio: pkg/config/labels/instance.go `labelValueRegexp` — empty or a qualified name.
pub fn validate_label_value(v: &str) -> Check {
    if v.is_empty() || is_qualified_name(v) {
        Ok(())
    } else {
        Err(format!(
            "invalid label value {v:?}: expected letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        ))
    }
}

/// Istio: `labels.Instance.Validate`; returns `(key, message)` for each bad entry.
pub fn validate_labels(labels: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in labels {
        if let Err(e) = validate_label_key(k) {
            out.push((k.clone(), e));
        }
        if let Err(e) = validate_label_value(v) {
            out.push((k.clone(), e));
        }
    }
    out
}
