//! Gateway rules. Istio: pkg/config/validation/validation.go `ValidateGateway`,
//! `validateServer`, `validateServerPort`, `validateServerBind`, `validateTLSOptions`;
//! agent/validation.go `ValidateNamespaceSlashWildcardHostname`; CRD CEL rules on
//! `credentialName`/`credentialNames`/`tlsCertificates`.

use super::common::*;
use super::Sink;
use crate::model::istio::*;

pub(crate) fn validate(s: &mut Sink, gw: &Gateway) {
    // Gateway names are DNS labels (no dots).
    if !is_dns1123_label(s.name) {
        let n = s.name.to_string();
        s.err(
            "metadata.name",
            format!("invalid gateway name {n:?}: expected a DNS-1123 label (letters, digits and '-', no dots)"),
        );
    }
    if gw.servers.is_empty() {
        s.err("spec", "a gateway must have at least one server");
    }
    for (i, srv) in gw.servers.iter().enumerate() {
        let p = format!("spec.servers[{i}]");
        if s.is_null(&p) {
            s.err(&p, "server may not be null");
            continue;
        }
        server(s, &p, srv);
    }
    // Port names are unique across servers.
    let mut names: Vec<&str> = Vec::new();
    for (i, srv) in gw.servers.iter().enumerate() {
        let Some(port) = &srv.port else { continue };
        let name = port.name.as_deref().unwrap_or("");
        if names.contains(&name) {
            s.err(
                &format!("spec.servers[{i}].port.name"),
                format!("port names in servers must be unique: duplicate name {name:?}"),
            );
        }
        names.push(name);
        let proto = Protocol::parse(port.protocol.as_deref().unwrap_or(""));
        if !proto.is_http() && srv.tls.as_ref().and_then(|t| t.https_redirect) == Some(true) {
            s.warn(
                &format!("spec.servers[{i}].tls.httpsRedirect"),
                "tls.httpsRedirect should only be used with HTTP servers",
            );
        }
    }
}

/// Istio: validation.go `validateServer`.
fn server(s: &mut Sink, path: &str, srv: &Server) {
    if srv.hosts.is_empty() {
        s.err(path, "a server must contain at least one host");
    }
    for (i, h) in srv.hosts.iter().enumerate() {
        for e in server_host(h) {
            s.err(&format!("{path}.hosts[{i}]"), e);
        }
    }
    let bind = srv.bind.as_deref().unwrap_or("");
    let port_ok = server_port(s, path, srv.port.as_ref(), bind);
    // Istio: validateServerBind.
    if let Some(rest) = bind.strip_prefix("unix://") {
        s.check(&format!("{path}.bind"), validate_unix_address(rest));
        if let Some(n) = srv.port.as_ref().and_then(|p| p.number) {
            if n != 0 {
                s.err(
                    &format!("{path}.port.number"),
                    format!("port number must be 0 for a unix domain socket bind, got {n}"),
                );
            }
        }
    } else if !bind.is_empty() {
        if let Err(e) = validate_ip(bind) {
            s.err(
                &format!("{path}.bind"),
                format!("bind: {e} (expected an IP address or unix:///path)"),
            );
        }
    }
    if let Some(t) = &srv.tls {
        tls_options(s, &format!("{path}.tls"), t);
    }
    if port_ok {
        let Some(port) = &srv.port else { return };
        let p = Protocol::parse(port.protocol.as_deref().unwrap_or(""));
        if p.is_tls() && srv.tls.is_none() {
            s.err(
                path,
                "a server with protocol HTTPS or TLS must have tls settings (mode and certificates)",
            );
        } else if !p.is_tls() {
            if let Some(t) = &srv.tls {
                if p.is_http() {
                    // Only a redirect-only block is allowed on plain HTTP. Istio checks
                    // gateway.IsPassThroughServer, and PASSTHROUGH is the proto default mode,
                    // so `tls: {httpsRedirect: true}` passes.
                    let set = |o: &Option<String>| o.as_deref().is_some_and(|v| !v.is_empty());
                    let passthrough = matches!(
                        t.mode.unwrap_or(ServerTlsMode::Passthrough),
                        ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
                    );
                    if !passthrough
                        || set(&t.ca_certificates)
                        || set(&t.private_key)
                        || set(&t.server_certificate)
                    {
                        s.err(
                            &format!("{path}.tls"),
                            "a plain-text HTTP server cannot have TLS settings other than httpsRedirect",
                        );
                    }
                } else {
                    s.err(
                        &format!("{path}.tls"),
                        "a server cannot have TLS settings for non-HTTPS/TLS ports",
                    );
                }
            }
        }
    }
}

/// Istio: agent/validation.go `ValidateNamespaceSlashWildcardHostname(host, isGateway=true)`.
fn server_host(h: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let name = match h.split_once('/') {
        None => h,
        Some((ns, name)) => {
            if ns.is_empty() || name.is_empty() {
                errs.push(format!(
                    "host {h:?}: the namespace and the DNS name cannot be empty (expected [namespace/]dnsName)"
                ));
            }
            if ns != "*" && ns != "." && !is_dns1123_label(ns) {
                errs.push(format!(
                    "host {h:?}: invalid namespace {ns:?}; expected \"*\", \".\" or a namespace name"
                ));
            }
            name
        }
    };
    // Istio: validateSidecarOrGatewayHostnamePart(hostname, isGateway=true).
    if name != "*" && !name.contains('.') {
        errs.push(format!(
            "host {name:?}: short names (non FQDN) are not allowed; use a full name like \"bookinfo.example.com\", \"*.example.com\" or \"*\""
        ));
    }
    if let Err(e) = validate_wildcard_domain(name) {
        // a gateway host may also be an IP
        if !is_ip(name) {
            errs.push(e);
        }
    }
    if name.contains('*') && name.len() != 1 && !name.starts_with("*.") {
        errs.push(format!(
            "host {name:?}: partial wildcard is not allowed; a wildcard must be the whole first label (\"*.example.com\")"
        ));
    }
    errs
}

/// Istio: validation.go `validateServerPort`. Returns whether the port is usable.
fn server_port(s: &mut Sink, path: &str, port: Option<&ServerPort>, bind: &str) -> bool {
    let Some(port) = port else {
        s.err(path, "port is required: {number, name, protocol}");
        return false;
    };
    let pp = format!("{path}.port");
    let mut ok = true;
    let proto = port.protocol.as_deref().unwrap_or("");
    if Protocol::parse(proto) == Protocol::Unsupported {
        s.err(
            &(if port.protocol.is_some() { format!("{pp}.protocol") } else { pp.clone() }),
            format!("invalid protocol {proto:?}, supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS, MYSQL"),
        );
        ok = false;
    }
    let n = port.number.unwrap_or(0);
    if n > 0 || !bind.starts_with("unix://") {
        if let Err(e) = validate_port(n) {
            s.err(
                &(if port.number.is_some() {
                    format!("{pp}.number")
                } else {
                    pp.clone()
                }),
                e,
            );
            ok = false;
        }
    }
    if port.target_port.is_some_and(|t| t > 0) {
        s.err(
            &format!("{pp}.targetPort"),
            "targetPort has no effect on gateways; remove it",
        );
        ok = false;
    }
    if port.name.as_deref().unwrap_or("").is_empty() {
        s.err(&pp, "port name must be set");
        ok = false;
    }
    ok
}

/// Istio: validation.go `validateTLSOptions` plus the CRD's CEL rules.
fn tls_options(s: &mut Sink, path: &str, t: &ServerTlsSettings) {
    let set = |o: &Option<String>| o.as_deref().is_some_and(|v| !v.is_empty());
    if matches!(
        t.min_protocol_version.as_deref(),
        Some("TLSV1_0") | Some("TLSV1_1")
    ) && t.cipher_suites.is_empty()
    {
        s.warn(
            &format!("{path}.minProtocolVersion"),
            "TLS versions below TLSV1_2 require setting compatible cipherSuites, as the defaults no longer include them",
        );
    }
    let mut invalid: Vec<&str> = Vec::new();
    let mut valid: Vec<&str> = Vec::new();
    let mut dup: Vec<&str> = Vec::new();
    for c in &t.cipher_suites {
        if !is_valid_cipher_suite(c) {
            invalid.push(c);
        } else if valid.contains(&c.as_str()) {
            dup.push(c);
        } else {
            valid.push(c);
        }
    }
    invalid.sort_unstable();
    invalid.dedup();
    dup.sort_unstable();
    dup.dedup();
    if !invalid.is_empty() {
        s.warn(
            &format!("{path}.cipherSuites"),
            format!("ignoring invalid cipher suites: {invalid:?}"),
        );
    }
    if !dup.is_empty() {
        s.warn(
            &format!("{path}.cipherSuites"),
            format!("ignoring duplicate cipher suites: {dup:?}"),
        );
    }
    // CRD CEL: credentialName, credentialNames and tlsCertificates are mutually exclusive;
    // credentialNames/tlsCertificates hold 1-2 items.
    for (field, n) in [
        ("credentialNames", t.credential_names.len()),
        ("tlsCertificates", t.tls_certificates.len()),
    ] {
        if n > 2 {
            s.err(
                &format!("{path}.{field}"),
                format!("{field} holds at most 2 items, got {n}"),
            );
        }
    }
    // PASSTHROUGH is the proto default.
    let mode = Some(t.mode.unwrap_or(ServerTlsMode::Passthrough));
    if mode == Some(ServerTlsMode::IstioMutual) {
        for (field, present) in [
            ("serverCertificate", set(&t.server_certificate)),
            ("privateKey", set(&t.private_key)),
            ("caCertificates", set(&t.ca_certificates)),
            ("tlsCertificates", !t.tls_certificates.is_empty()),
            ("credentialName", set(&t.credential_name)),
            ("credentialNames", !t.credential_names.is_empty()),
        ] {
            if present {
                s.err(
                    &format!("{path}.{field}"),
                    format!("ISTIO_MUTUAL TLS cannot have {field}: it uses the mesh certificates"),
                );
            }
        }
        return;
    }
    if matches!(
        mode,
        Some(ServerTlsMode::Passthrough) | Some(ServerTlsMode::AutoPassthrough)
    ) && (set(&t.ca_crl)
        || set(&t.server_certificate)
        || set(&t.private_key)
        || set(&t.ca_certificates)
        || !t.tls_certificates.is_empty()
        || set(&t.credential_name)
        || !t.credential_names.is_empty())
    {
        s.warn(
            path,
            format!(
                "{} mode does not use certificates; they will be ignored",
                mode.map(|m| m.as_str()).unwrap_or("")
            ),
        );
    }
    let mut sources = 0;
    if set(&t.server_certificate) && set(&t.private_key) {
        sources += 1;
    }
    if set(&t.credential_name) {
        sources += 1;
    }
    if !t.credential_names.is_empty() {
        sources += 1;
    }
    if !t.tls_certificates.is_empty() {
        sources += 1;
    }
    if sources > 1 {
        s.err(
            path,
            "only one of credentialName, credentialNames, serverCertificate/privateKey or tlsCertificates should be specified",
        );
    }
    let terminating = matches!(
        mode,
        Some(ServerTlsMode::Simple)
            | Some(ServerTlsMode::Mutual)
            | Some(ServerTlsMode::OptionalMutual)
    );
    if terminating && (set(&t.credential_name) || !t.credential_names.is_empty()) {
        return;
    }
    if terminating {
        let prefix = if mode == Some(ServerTlsMode::Simple) {
            "SIMPLE TLS"
        } else {
            if !set(&t.ca_certificates) {
                s.err(
                    path,
                    "MUTUAL TLS requires a client CA bundle (caCertificates) or a credentialName",
                );
            }
            "MUTUAL TLS"
        };
        if t.tls_certificates.is_empty() {
            if !set(&t.server_certificate) {
                s.err(path, format!("{prefix} requires a server certificate (serverCertificate, or credentialName)"));
            }
            if !set(&t.private_key) {
                s.err(
                    path,
                    format!("{prefix} requires a private key (privateKey, or credentialName)"),
                );
            }
        } else {
            for (i, c) in t.tls_certificates.iter().enumerate() {
                let cp = format!("{path}.tlsCertificates[{i}]");
                let has = |k: &str| {
                    c.get(k)
                        .and_then(crate::node::Node::as_str)
                        .is_some_and(|v| !v.is_empty())
                };
                if !has("serverCertificate") {
                    s.err(&cp, format!("{prefix} requires a server certificate"));
                }
                if !has("privateKey") {
                    s.err(&cp, format!("{prefix} requires a private key"));
                }
            }
        }
    }
    if set(&t.ca_crl) {
        if set(&t.credential_name) {
            s.err(
                &format!("{path}.caCrl"),
                "caCrl is not supported with credentialName; put the CRL in the credential",
            );
        }
        if mode == Some(ServerTlsMode::Simple) {
            s.err(
                &format!("{path}.caCrl"),
                "caCrl is not supported with SIMPLE TLS",
            );
        }
    }
}
