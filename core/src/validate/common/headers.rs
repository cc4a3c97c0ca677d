//! Header names (match, CORS, operation) and header values. Istio: validation.go,
//! virtualservice.go, header_value_validator.go, pkg/jwt/routing.go.

use super::Check;

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
