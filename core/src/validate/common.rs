//! Checks shared by every kind: host names, ports, labels, header names and values, regexes,
//! durations, exportTo. Each returns `Err(message)` with Istio's reason and the expected form;
//! callers attach the field path.
//!
//! Sources: `pkg/config/validation/agent/validation.go`, `pkg/config/labels/instance.go`,
//! `pkg/config/validation/validation.go`, `pkg/config/validation/header_value_validator.go`,
//! `pkg/config/visibility/visibility.go`.

use crate::decode::Duration;
use std::collections::BTreeMap;

pub type Check = Result<(), String>;

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

/// Istio: agent/validation.go `ValidateDuration` — at least 1ms, whole milliseconds.
/// (The CRD also says `duration(self) >= duration('1ms')`.)
pub fn validate_duration(d: Duration) -> Check {
    if d.nanos < 1_000_000 {
        return Err(format!(
            "duration must be at least 1ms, got {d}; use forms like \"500ms\" or \"2s\""
        ));
    }
    if d.nanos % 1_000_000 != 0 {
        return Err(format!(
            "only durations to millisecond precision are supported, got {d}"
        ));
    }
    Ok(())
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

/// RFC 7230 token characters (Istio: validation.go `tchars`).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Istio: validation.go `validHeaderNameRegex`.
pub fn is_header_token(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_tchar)
}

/// Istio: pkg/jwt/routing.go `ToRoutingClaim(name).Match` — `@request.auth.claims.a.b` or
/// `@request.auth.claims[a][b]` (the prefix compared case-insensitively).
pub fn is_jwt_claim_header(name: &str) -> bool {
    const P: &str = "@request.auth.claims";
    if name.len() < P.len() || !name.is_char_boundary(P.len()) {
        return false;
    }
    if !name[..P.len()].eq_ignore_ascii_case(P) {
        return false;
    }
    let rest = &name[P.len()..];
    (rest.starts_with('.') && rest.len() > 1)
        || (rest.starts_with('[') && rest.ends_with(']') && rest.len() > 2)
}

/// Istio: validation.go `ValidateHTTPHeaderNameOrJwtClaimRoute` (match headers).
pub fn validate_match_header_name(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if is_jwt_claim_header(name)
        || matches!(
            name,
            ":method" | ":scheme" | ":authority" | ":path" | ":status"
        )
        || is_header_token(name)
    {
        return Ok(());
    }
    Err(format!(
        "{name:?} is not a valid header name: expected token characters (letters, digits and !#$%&'*+-.^_`|~), a pseudo-header (:method, :scheme, :authority, :path, :status) or @request.auth.claims.<claim>"
    ))
}

/// Istio: validation.go `ValidateCORSHTTPHeaderName`.
pub fn validate_cors_header_name(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if name == "*" || is_header_token(name) {
        return Ok(());
    }
    Err(format!(
        "{name:?} is not a valid header name: expected \"*\" or token characters (letters, digits and !#$%&'*+-.^_`|~)"
    ))
}

fn is_authority_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case("host")
}

/// Istio: virtualservice.go `isInternalHeader`.
fn is_internal_header(name: &str) -> bool {
    name.starts_with(':') || name.eq_ignore_ascii_case("host")
}

/// Istio: validation.go `ValidateHTTPHeaderWithAuthorityOperationName` (request set/add).
pub fn validate_header_op_name_with_authority(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if is_internal_header(name) && !is_authority_header(name) {
        return Err(format!(
            "invalid header {name:?}: a header to set or add cannot start with ':' (only :authority is allowed)"
        ));
    }
    Ok(())
}

/// Istio: validation.go `ValidateHTTPHeaderOperationName` (request remove, response ops).
pub fn validate_header_op_name(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if name.eq_ignore_ascii_case("host") {
        return Err(format!(
            "invalid header {name:?}: the Host header cannot be changed here"
        ));
    }
    if is_internal_header(name) {
        return Err(format!(
            "invalid header {name:?}: header cannot have a ':' prefix"
        ));
    }
    Ok(())
}

/// Whether a request `set`/`add` key is the authority (`:authority` or `host`).
pub fn is_authority(name: &str) -> bool {
    is_authority_header(name)
}

/// Istio: validation.go `ValidateHTTPHeaderValue` — no control characters, and Envoy
/// `%VAR%` formatters must be well formed (header_value_validator.go, a port of Envoy's
/// header_parser.cc).
pub fn validate_header_value(value: &str) -> Check {
    if value
        .chars()
        .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'))
    {
        return Err(format!(
            "header value {value:?} is invalid: it contains control characters"
        ));
    }
    #[derive(PartialEq)]
    enum St {
        Literal,
        VarName,
        ExpectArray,
        ExpectString,
        Str,
        ExpectDelimOrEnd,
        ExpectArgsEnd,
        ExpectVarEnd,
    }
    let b = value.as_bytes();
    let mut pos = 0;
    let mut st = St::Literal;
    let bad = |why: &str| {
        Err(format!(
            "header value {value:?} is invalid: {why} (write a literal % as %%; formatters look like %HOSTNAME% or %REQ(x-header)%)"
        ))
    };
    while pos < b.len() {
        let ch = b[pos];
        let has_next = pos + 1 < b.len();
        match st {
            St::Literal => {
                if ch == b'%' {
                    if !has_next {
                        return bad("un-escaped %");
                    }
                    if b[pos + 1] == b'%' {
                        pos += 1;
                    } else {
                        st = St::VarName;
                    }
                }
            }
            St::VarName => {
                if ch == b'%' {
                    st = St::Literal;
                } else if ch == b'(' {
                    st = St::ExpectArray;
                }
            }
            St::ExpectArray => {
                if ch == b'[' {
                    st = St::ExpectString;
                } else if ch != b' ' {
                    st = St::Str;
                }
            }
            St::ExpectDelimOrEnd => {
                if ch == b',' {
                    st = St::ExpectString;
                } else if ch == b']' {
                    st = St::ExpectArgsEnd;
                } else if ch != b' ' {
                    return bad("expecting ',', ']' or whitespace");
                }
            }
            St::ExpectString => {
                if ch == b'"' {
                    st = St::Str;
                } else if ch != b' ' {
                    return bad("expecting '\"'");
                }
            }
            St::Str => {
                if ch == b'\\' {
                    if !has_next {
                        return bad("un-terminated backslash in JSON string");
                    }
                    pos += 1;
                } else if ch == b')' {
                    st = St::ExpectVarEnd;
                } else if ch == b'"' {
                    st = St::ExpectDelimOrEnd;
                }
            }
            St::ExpectArgsEnd => {
                if ch == b')' {
                    st = St::ExpectVarEnd;
                } else if ch != b' ' {
                    return bad("expecting ')' or whitespace");
                }
            }
            St::ExpectVarEnd => {
                if ch == b'%' {
                    st = St::Literal;
                } else if ch != b' ' {
                    return bad("expecting '%' or whitespace");
                }
            }
        }
        pos += 1;
    }
    if st != St::Literal {
        return bad("un-terminated variable expression");
    }
    Ok(())
}

/// Go's regexp rejects repetition counts above 1000 (`invalid repeat count`); the `regex`
/// crate accepts them, so this is checked separately.
fn repeat_count_too_large(re: &str) -> bool {
    let b = re.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'{' if !in_class => {
                let mut j = i + 1;
                let mut nums: Vec<u64> = Vec::new();
                let mut cur: Option<u64> = None;
                let mut ok = false;
                while j < b.len() {
                    match b[j] {
                        d @ b'0'..=b'9' => {
                            cur = Some(
                                cur.unwrap_or(0)
                                    .saturating_mul(10)
                                    .saturating_add(u64::from(d - b'0')),
                            )
                        }
                        b',' => nums.extend(cur.take()),
                        b'}' => {
                            nums.extend(cur.take());
                            ok = true;
                            break;
                        }
                        _ => break,
                    }
                    j += 1;
                }
                if ok && nums.iter().any(|n| *n > 1000) {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Istio: validation.go `validateStringRegexp` — at most 1024 characters and valid RE2.
/// meshroute compiles it as Envoy matches it: the whole value, `^(?:…)$`.
pub fn validate_regex(re: &str) -> Check {
    if re.len() > 1024 {
        return Err(format!(
            "regex is too large: {} characters, the maximum is 1024",
            re.len()
        ));
    }
    if repeat_count_too_large(re) {
        return Err(format!(
            "regex {re:?} is invalid: repeat count above 1000; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
        ));
    }
    let translated = go_syntax_to_rust(re)?;
    match regex::RegexBuilder::new(&format!("^(?:{translated})$"))
        .octal(true)
        .size_limit(1 << 22)
        .build()
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let detail = match &e {
                regex::Error::Syntax(s) => s
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .map(|l| l.trim_start_matches("error:").trim().to_string())
                    .unwrap_or_else(|| s.clone()),
                other => other.to_string(),
            };
            // A build of the `regex` crate without Unicode tables refuses `\p{Greek}` with
            // "Unicode property not found", exactly as it refuses an unknown property; RE2's
            // property names are not checked here (no false errors; the filter's compile step
            // reports what its build cannot match).
            if detail.contains("Unicode") {
                return Ok(());
            }
            Err(format!(
                "regex {re:?} is invalid: {detail}; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
            ))
        }
    }
}

/// Rewrites the RE2/Go syntax the `regex` crate lacks: `\Q…\E` literal spans become escaped
/// text. Go treats `\1`-`\7` not followed by an octal digit as a backreference (an error),
/// while `\0` and `\12` are octal escapes.
fn go_syntax_to_rust(re: &str) -> Result<String, String> {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Q') if !in_class => {
                    let mut lit = String::new();
                    while let Some(c) = chars.next() {
                        if c == '\\' && chars.peek() == Some(&'E') {
                            chars.next();
                            break;
                        }
                        lit.push(c);
                    }
                    out.push_str(&regex::escape(&lit));
                }
                Some(d @ '1'..='7') if !chars.peek().is_some_and(|n| ('0'..='7').contains(n)) => {
                    return Err(format!(
                        "regex {re:?} is invalid: invalid escape sequence \"\\{d}\" (backreferences are not supported); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
                    ));
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // a leading `]` (or `^]`) is a literal
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Istio: validation.go `validateExportTo`. Returns `(index, message)` pairs.
pub fn validate_export_to(
    namespace: &str,
    export_to: &[String],
    is_service_entry: bool,
    is_dr_with_selector: bool,
) -> Vec<(Option<usize>, String)> {
    let mut errs = Vec::new();
    if export_to.is_empty() {
        return errs;
    }
    let mut set: Vec<String> = Vec::new();
    for (i, e) in export_to.iter().enumerate() {
        let key = if e == "." {
            namespace.to_string()
        } else {
            e.clone()
        };
        if set.contains(&key) {
            if key != *e {
                errs.push((
                    Some(i),
                    format!("duplicate entries in exportTo: \".\" and the current namespace {namespace:?}"),
                ));
            } else {
                errs.push((Some(i), format!("duplicate entry {e:?} in exportTo")));
            }
        } else if is_service_entry && e == "~" {
            set.push(key);
        } else {
            // Istio: pkg/config/visibility/visibility.go `Instance.Validate`
            match key.as_str() {
                "." | "*" => set.push(key),
                "~" => errs.push((
                    Some(i),
                    "exportTo \"~\" (none) is not allowed for this kind; use \".\", \"*\" or namespace names".into(),
                )),
                k if is_dns1123_label(k) => set.push(key),
                _ => errs.push((
                    Some(i),
                    format!("exportTo entry {e:?} is invalid: only \".\", \"*\" or a namespace name (DNS-1123 label) is allowed"),
                )),
            }
        }
    }
    if is_dr_with_selector && !set.is_empty() {
        if set.iter().any(|s| s == namespace) {
            if set.len() > 1 {
                errs.push((
                    None,
                    "a destination rule with a workloadSelector cannot have several entries in exportTo".into(),
                ));
            }
        } else {
            errs.push((
                None,
                "a destination rule with a workloadSelector cannot be exported beyond its own namespace".into(),
            ));
        }
    }
    if set.iter().any(|s| s == "*") && export_to.len() > 1 {
        errs.push((
            None,
            "exportTo cannot combine public (\"*\") with other entries; \"*\" alone already exports everywhere".into(),
        ));
    }
    if set.iter().any(|s| s == "~") && export_to.len() > 1 {
        errs.push((
            None,
            "cannot export a service entry to no one (\"~\") and to someone".into(),
        ));
    }
    errs
}

/// Istio: pkg/config/protocol/instance.go `Parse` (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Grpc,
    GrpcWeb,
    Http,
    HttpProxy,
    Http2,
    Https,
    Tls,
    Mongo,
    Redis,
    Mysql,
    Unsupported,
}

impl Protocol {
    pub fn parse(s: &str) -> Protocol {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "grpc" => Protocol::Grpc,
            "grpc-web" => Protocol::GrpcWeb,
            "http" => Protocol::Http,
            "http_proxy" => Protocol::HttpProxy,
            "http2" => Protocol::Http2,
            "https" => Protocol::Https,
            "tls" => Protocol::Tls,
            "mongo" => Protocol::Mongo,
            "redis" => Protocol::Redis,
            "mysql" => Protocol::Mysql,
            _ => Protocol::Unsupported,
        }
    }
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http
                | Protocol::Http2
                | Protocol::HttpProxy
                | Protocol::Grpc
                | Protocol::GrpcWeb
        )
    }
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
    pub fn is_tcp(self) -> bool {
        matches!(
            self,
            Protocol::Tcp
                | Protocol::Https
                | Protocol::Tls
                | Protocol::Mongo
                | Protocol::Redis
                | Protocol::Mysql
        )
    }
}

/// Go's `net/http.StatusText(code) != ""`: the status codes Go knows.
pub fn is_known_http_status(code: i64) -> bool {
    matches!(code,
        100..=103 | 200..=208 | 226 | 300..=305 | 307 | 308 | 400..=418 | 421..=426 | 428 | 429
        | 431 | 451 | 500..=508 | 510 | 511)
}

/// Istio: agent/validation.go `supportedRetryOnPolicies`.
pub const RETRY_ON_POLICIES: &[&str] = &[
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// Istio: pkg/util/grpc/codes.go `SupportedGRPCStatus`.
pub const GRPC_STATUS_NAMES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Istio: pkg/config/security/security.go `ValidCipherSuites` / `IsValidCipherSuite`.
pub fn is_valid_cipher_suite(cs: &str) -> bool {
    const VALID: &[&str] = &[
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA",
        "AES256-SHA",
        "DES-CBC3-SHA",
    ];
    if cs.is_empty() || cs == "ALL" {
        return true;
    }
    match cs.chars().next() {
        Some(c) if !c.is_alphanumeric() => true,
        _ => VALID.contains(&cs),
    }
}

/// Istio: validation.go `ValidateUnixAddress`.
pub fn validate_unix_address(addr: &str) -> Check {
    if addr.is_empty() {
        return Err("unix address must not be empty".into());
    }
    if addr.starts_with('@') {
        return Ok(());
    }
    if !addr.starts_with('/') || addr.ends_with('/') {
        return Err(format!(
            "{addr:?} is not an absolute path to a file (expected unix:///path/to/socket or an abstract socket unix://@name)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_labels_follow_istio() {
        for ok in ["*", "*foo", "*-foo", "foo", "a-b", "A1"] {
            assert!(is_wildcard_dns1123_label(ok), "{ok}");
        }
        for bad in ["", "*.", "f*o", "foo*", "-foo", "*-", "**", "*_x"] {
            assert!(!is_wildcard_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn wildcard_domains_follow_istio() {
        for ok in [
            "*",
            "*.foo.com",
            "foo.com",
            "foo.com.",
            "*foo.bar",
            "a",
            "reviews",
        ] {
            assert!(validate_wildcard_domain(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "foo.*.com",
            "*.*.com",
            "foo..com",
            "1.2.3.4",
            "a.123",
            "-a.com",
        ] {
            assert!(validate_wildcard_domain(bad).is_err(), "{bad}");
        }
        assert!(validate_wildcard_domain(&"a".repeat(256)).is_err());
    }

    #[test]
    fn header_value_formatters_are_checked_like_envoy() {
        for ok in [
            "foo",
            "%HOSTNAME%",
            "100%%",
            "prefix %HOSTNAME% suffix",
            "%REQ(x-a)%",
        ] {
            assert!(validate_header_value(ok).is_ok(), "{ok}");
        }
        for bad in ["abc%123", "%START_TIME%%", "a\nb", "50%"] {
            assert!(validate_header_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regexes_are_re2_like() {
        assert!(validate_regex("/api/v[0-9]+/.*").is_ok());
        assert!(validate_regex("(?i)abc").is_ok());
        assert!(validate_regex("*").is_err());
        assert!(validate_regex("a{1001}").is_err());
        assert!(validate_regex("[a{1001}]").is_ok());
        assert!(validate_regex(&"a".repeat(1025)).is_err());
        // RE2 forms the `regex` crate spells differently
        assert!(validate_regex(r"\Qa.b*\E+").is_ok());
        assert!(validate_regex(r"\012").is_ok());
        assert!(validate_regex(r"(a)\1").is_err());
        assert!(validate_regex(r"\pL+\p{Greek}").is_ok());
    }

    #[test]
    fn label_keys_and_values() {
        assert!(validate_label_key("app").is_ok());
        assert!(validate_label_key("app.kubernetes.io/name").is_ok());
        assert!(validate_label_key("a/b/c").is_err());
        assert!(validate_label_key("-a").is_err());
        assert!(validate_label_value("").is_ok());
        assert!(validate_label_value("v1.2_x").is_ok());
        assert!(validate_label_value("v1 ").is_err());
    }

    #[test]
    fn subnets() {
        assert!(validate_ip_subnet("10.0.0.0/8").is_ok());
        assert!(validate_ip_subnet("2001:1::1/64").is_ok());
        assert!(validate_ip_subnet("10.0.0.1").is_ok());
        assert!(validate_ip_subnet("10.0.0.0/33").is_err());
        assert!(validate_ip_subnet("10.0.0/8").is_err());
        assert!(validate_ip_subnet("foo").is_err());
    }
}
