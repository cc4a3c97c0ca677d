//! A request as a person writes it — a URL, `name: value` headers, a method — turned into the
//! [`Request`] routing takes, on the listener the proxy would receive it on. `meshroute
//! simulate`, `meshroute test`, `meshroute diff` and the browser describe requests this way.

use crate::config::ProxyKind;
use crate::route::Request;
use crate::table::RouteTable;
use std::net::IpAddr;

/// The parts of a URL a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    /// `host[:port]` as written (user info dropped).
    pub authority: String,
    /// Path and query; `/` when absent. The fragment is dropped, as clients do.
    pub path: String,
    pub port: Option<u32>,
}

pub fn parse_url(s: &str) -> Result<Url, String> {
    let (scheme, rest) = match s.split_once("://") {
        Some((sc, rest)) => (sc.to_ascii_lowercase(), rest),
        None => ("http".to_string(), s),
    };
    if !matches!(scheme.as_str(), "http" | "https" | "tcp" | "tls") {
        return Err(format!(
            "URL scheme must be http, https, tls (a TLS connection: SNI = host) or tcp, got {scheme:?}"
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut authority = &rest[..end];
    if let Some((_, a)) = authority.rsplit_once('@') {
        authority = a;
    }
    if authority.is_empty() {
        return Err(format!("URL {s:?} has no host"));
    }
    let mut path = rest[end..].split('#').next().unwrap_or("").to_string();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let port = if authority.starts_with('[') {
        authority
            .rsplit_once("]:")
            .map(|(_, p)| p.parse::<u32>())
            .transpose()
    } else {
        authority
            .rsplit_once(':')
            .map(|(_, p)| p.parse::<u32>())
            .transpose()
    }
    .map_err(|_| format!("URL {s:?} has a bad port"))?;
    if port.is_some_and(|p| p == 0 || p > 65535) {
        return Err(format!("URL {s:?} has a bad port"));
    }
    Ok(Url {
        scheme,
        authority: authority.to_string(),
        path,
        port,
    })
}

/// `name: value` (also `:authority: value`) → lower-case name, value without leading spaces.
pub fn parse_header(h: &str) -> Result<(String, String), String> {
    let split_at = if let Some(rest) = h.strip_prefix(':') {
        rest.find(':').map(|i| i + 1)
    } else {
        h.find(':')
    };
    let Some(i) = split_at else {
        return Err(format!("header {h:?} must be 'name: value'"));
    };
    let name = h[..i].trim().to_ascii_lowercase();
    if name.is_empty() || name == ":" {
        return Err(format!("header {h:?} has no name"));
    }
    Ok((name, h[i + 1..].trim_start().to_string()))
}

/// The listener port a request for `url` arrives on: `flag` (given by the user), else the
/// config's `listenerPort`, else on a gateway the listener serving the URL's (Service/server)
/// port, else the only listener. A sidecar routes by the port the application dialled: the
/// URL's (`flag` is then ignored; see [`sidecar_ignores_listener_port`]).
pub fn listener_port(
    table: &RouteTable,
    config_port: Option<u32>,
    flag: Option<u32>,
    url: &Url,
) -> Result<u32, String> {
    let url_port = url
        .port
        .unwrap_or(if url.scheme == "https" { 443 } else { 80 });
    if table.proxy.kind == ProxyKind::Sidecar {
        // A sidecar routes by the port the application dialled: the URL's (core uses the
        // authority's port, 80 when absent).
        let port = url.port.unwrap_or(80);
        return Ok(port);
    }
    if let Some(p) = flag.or(config_port) {
        return Ok(p);
    }
    // A gateway listens on the Service's targetPort: find the listener serving the URL's
    // (Service/server) port.
    if let Some(l) = table
        .listeners
        .iter()
        .find(|l| l.server_ports.contains(&url_port))
        .or_else(|| table.listeners.iter().find(|l| l.port == url_port))
    {
        return Ok(l.port);
    }
    match table.listeners.as_slice() {
        [only] => Ok(only.port),
        [] => Err("the proxy has no listeners; nothing can be routed".into()),
        many => Err(format!(
            "give --listener-port; listeners: {}",
            many.iter()
                .map(|l| l.port.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Whether a sidecar will ignore `flag` for this URL (the caller may warn).
pub fn sidecar_ignores_listener_port(table: &RouteTable, flag: Option<u32>, url: &Url) -> bool {
    table.proxy.kind == ProxyKind::Sidecar && flag.is_some_and(|f| f != url.port.unwrap_or(80))
}

/// An owned request: what a person wrote, ready to be borrowed as a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Probe {
    pub listener_port: u32,
    pub authority: String,
    pub path: String,
    pub method: String,
    pub scheme: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub source_ip: Option<IpAddr>,
    /// The TLS filter chain an `https://` request lands on ([`Probe::choose_filter_chain`]).
    pub filter_chain: String,
}

impl Probe {
    /// For an `https://` URL on a gateway listener with HTTPS servers: the filter chain Envoy
    /// picks for the URL's host as SNI (what curl sends). `Err` when no chain serves that SNI:
    /// Envoy refuses the handshake. Plaintext URLs and listeners without TLS are left alone.
    pub fn choose_filter_chain(&mut self, table: &RouteTable, sni: &str) -> Result<(), String> {
        if self.scheme != "https" || table.proxy.kind != ProxyKind::Gateway {
            return Ok(());
        }
        let Some(l) = table.listener(self.listener_port) else {
            return Ok(());
        };
        if l.filter_chains.is_empty() {
            return Ok(());
        }
        match l.chain_for_sni(sni) {
            Some(c) => {
                self.filter_chain = c.name.clone();
                Ok(())
            }
            None => Err(format!(
                "the TLS handshake is refused: no HTTPS server on listener {} serves SNI {sni:?} (server names: {})",
                l.name,
                l.filter_chains
                    .iter()
                    .map(|c| if c.server_names.is_empty() { "*".to_string() } else { c.server_names.join(", ") })
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }

    /// `Host:` (or `:authority:`) among `headers` replaces the URL's authority, as with curl.
    pub fn new(
        url: &Url,
        listener_port: u32,
        method: &str,
        headers: &[(String, String)],
        source_ip: Option<IpAddr>,
    ) -> Probe {
        let mut authority = url.authority.clone();
        let mut rest = Vec::new();
        for (k, v) in headers {
            if k == "host" || k == ":authority" {
                authority = v.clone();
            } else {
                rest.push((k.clone(), v.clone()));
            }
        }
        Probe {
            listener_port,
            authority,
            path: url.path.clone(),
            method: method.to_ascii_uppercase(),
            scheme: url.scheme.clone(),
            headers: rest,
            source_ip,
            filter_chain: String::new(),
        }
    }

    /// The header pairs as bytes, for [`Probe::request`].
    pub fn header_bytes(&self) -> Vec<(&[u8], &[u8])> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect()
    }

    /// The request routing takes; `headers` from [`Probe::header_bytes`].
    pub fn request<'a>(&'a self, headers: &'a [(&'a [u8], &'a [u8])]) -> Request<'a> {
        Request {
            filter_chain: self.filter_chain.as_bytes(),
            listener_port: self.listener_port,
            authority: self.authority.as_bytes(),
            path: self.path.as_bytes(),
            method: self.method.as_bytes(),
            scheme: self.scheme.as_bytes(),
            headers,
            source_ip: self.source_ip,
        }
    }

    /// `GET http://host/path` for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} {}://{}{}",
            self.method, self.scheme, self.authority, self.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_authority_keeps_the_port_and_path_defaults_to_slash() {
        let u = parse_url("http://demoappv10.magedu.com:8080").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.authority, "demoappv10.magedu.com:8080");
        assert_eq!(u.port, Some(8080));
        assert_eq!(u.path, "/");
        let u = parse_url("https://u:p@h.com/a/b?q=1#frag").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (u.scheme.as_str(), u.authority.as_str(), u.path.as_str()),
            ("https", "h.com", "/a/b?q=1")
        );
        let u = parse_url("h.com?x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((u.scheme.as_str(), u.path.as_str()), ("http", "/?x"));
        let u = parse_url("http://[::1]:81/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.port, Some(81));
    }

    #[test]
    fn bad_urls_are_rejected() {
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http:///x").is_err());
        assert!(parse_url("http://x:http/").is_err());
        assert!(parse_url("http://x:70000/").is_err());
    }

    #[test]
    fn headers_are_lower_cased_name_value_pairs() {
        assert_eq!(
            parse_header("X-User:  jason").ok(),
            Some(("x-user".into(), "jason".into()))
        );
        assert_eq!(
            parse_header(":authority: a.com").ok(),
            Some((":authority".into(), "a.com".into()))
        );
        assert_eq!(
            parse_header("x-empty:").ok(),
            Some(("x-empty".into(), String::new()))
        );
        assert!(parse_header("novalue").is_err());
    }
}

/// What a gateway does with a TCP-level connection: the TLS passthrough or TCP chain Envoy
/// picks and the clusters its `tcp_proxy` balances over (Envoy's own load balancer; the filter
/// is not in this path).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L4Decision {
    pub listener_port: u32,
    pub filter_chain: String,
    pub tls_passthrough: bool,
    pub virtual_service: String,
    pub gateway: String,
    pub clusters: Vec<(String, u32)>,
    pub missing: Vec<String>,
    pub trace: Vec<String>,
}

/// The TCP-level decision for a `tcp://host:port` (TCP) or `tls://sni:port` / `https://…`
/// (TLS with that SNI) connection to a gateway, by server port (or listener port). None when no
/// TLS passthrough or TCP server listens there (for https:// the HTTP path applies then).
pub fn decide_l4(table: &RouteTable, url: &Url, sni: Option<&str>) -> Option<L4Decision> {
    if table.proxy.kind != ProxyKind::Gateway {
        return None;
    }
    let port = url
        .port
        .unwrap_or(if url.scheme == "tcp" { 0 } else { 443 });
    let l = table
        .tcp_listeners
        .iter()
        .find(|l| l.server_ports.contains(&port))
        .or_else(|| table.tcp_listeners.iter().find(|l| l.port == port))?;
    let c = l.chain_for(sni)?;
    let clusters = c
        .destinations
        .iter()
        .map(|d| (d.cluster_name.clone(), d.weight))
        .collect();
    let missing = c
        .destinations
        .iter()
        .filter(|d| matches!(d.cluster, crate::table::ClusterRef::Missing(_)))
        .map(|d| d.cluster_name.clone())
        .collect();
    let how = match (c.tls_passthrough, sni) {
        (true, Some(s)) => format!(
            "SNI {s:?} → TLS passthrough chain {:?} (server names {:?})",
            c.name, c.server_names
        ),
        (true, None) => format!("TLS passthrough chain {:?}", c.name),
        (false, _) => format!("TCP chain {:?}", c.name),
    };
    Some(L4Decision {
        listener_port: l.port,
        filter_chain: c.name.clone(),
        tls_passthrough: c.tls_passthrough,
        virtual_service: c.virtual_service.clone(),
        gateway: c.gateway.clone(),
        clusters,
        missing,
        trace: vec![
            format!("port {port} → listener 0.0.0.0_{}", l.port),
            how,
            format!(
                "VirtualService {} (gateway {}) → tcp_proxy to {}; Envoy balances the connection with the cluster's policy",
                c.virtual_service,
                c.gateway,
                c.destinations
                    .iter()
                    .map(|d| format!("{} ({})", d.cluster_name, d.weight))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ],
    })
}
