//! The LDS and SDS files of filter mode: one Envoy listener per port the proxy listens on
//! (gateway: each server port's target port; sidecar and `--listen`: one), HTTPS servers as TLS
//! filter chains chosen by SNI (`tls_inspector`), their certificates delivered as SDS files so a
//! rotation needs no listener change (Istio: pilot/pkg/networking/core/gateway.go
//! `buildGatewayListeners`, util `BuildListenerTLSContext`).

use crate::model::*;
use crate::{join, split_addr, to_json_pretty, Options};
use meshroute_core::table::{ClusterRef, RouteTable, SecretData, ServerTls, TcpChain, TlsMode};

/// The SDS file of a secret, in the CDS directory: its name made safe, and a hash of the exact
/// name (`kubernetes://NAME`, `file-cert:A~B`).
pub fn sds_file_name(secret: &str) -> String {
    crate::clusters::safe_file_name("sds", secret)
}

fn sds_config(o: &Options, secret: &str) -> SdsSecretConfig {
    SdsSecretConfig {
        name: secret.into(),
        sds_config: ConfigSource::file(
            join(&o.cds_dir, &sds_file_name(secret)),
            Some(o.cds_dir.clone()),
        ),
    }
}

/// Istio's gateway TLS context for a server (BuildListenerTLSContext): ALPN h2 and HTTP/1.1,
/// the certificate from SDS, for MUTUAL / OPTIONAL_MUTUAL the CA from SDS with the server's
/// SAN, SPKI and hash checks; a client certificate required only for MUTUAL.
fn tls_context(o: &Options, t: &ServerTls) -> DownstreamTlsContext {
    let combined_validation_context = t.ca.as_ref().map(|ca| {
        let sans = t
            .subject_alt_names
            .iter()
            .flat_map(|s| {
                ["DNS", "URI"].map(|san_type| SubjectAltNameMatcher {
                    san_type,
                    matcher: StringMatcher::Exact(s.clone()),
                })
            })
            .collect();
        CombinedValidationContext {
            default_validation_context: CertificateValidationContext {
                trusted_ca: None,
                match_typed_subject_alt_names: sans,
                verify_certificate_spki: t.verify_spki.clone(),
                verify_certificate_hash: t.verify_hash.clone(),
            },
            validation_context_sds_secret_config: sds_config(o, ca),
        }
    });
    DownstreamTlsContext {
        common_tls_context: CommonTlsContext {
            tls_params: TlsParameters {
                tls_minimum_protocol_version: t.min_version,
                tls_maximum_protocol_version: t.max_version,
                cipher_suites: t.cipher_suites.clone(),
            },
            alpn_protocols: vec!["h2".into(), "http/1.1".into()],
            tls_certificate_sds_secret_configs: vec![sds_config(o, &t.certificate)],
            combined_validation_context,
        },
        require_client_certificate: (t.mode == TlsMode::Mutual).then_some(true),
    }
}

/// The listeners: `(name, IP, port, logical port)` for each, their chains from the table.
pub(crate) fn listeners(
    table: &RouteTable,
    o: &Options,
    hcm: impl Fn() -> HttpConnectionManager,
) -> Result<Vec<Listener>, String> {
    let single = |addr: &str| -> Result<Vec<Listener>, String> {
        let (h, p) = split_addr(addr)?;
        Ok(vec![Listener::http(
            format!("meshroute_{p}"),
            Address::socket(h, p),
            hcm(),
        )])
    };
    let Some(bind) = &o.bind else {
        return single(&o.listen);
    };
    if table.proxy.kind == meshroute_core::config::ProxyKind::Sidecar
        || (table.listeners.is_empty() && table.tcp_listeners.is_empty())
    {
        // A sidecar has one catch-all listener (Istio's virtualOutbound); a gateway no server
        // selects still answers 404 on the usual port.
        return single(&o.listen);
    }
    let mut out = Vec::new();
    let port_of = |p: u32| u16::try_from(p).map_err(|_| format!("listener port {p} out of range"));
    let tcp_only = table
        .tcp_listeners
        .iter()
        .filter(|t| table.listener(t.port).is_none());
    for t in tcp_only {
        let port = port_of(t.port)?;
        out.push(Listener {
            name: format!("meshroute_{port}"),
            address: Address::socket(bind.clone(), port),
            listener_filters: tls_inspector(t.chains.iter().any(|c| c.tls_passthrough)),
            filter_chains: t.chains.iter().map(|c| tcp_chain(table, c)).collect(),
        });
    }
    for l in &table.listeners {
        let port = port_of(l.port)?;
        let tcp = table.tcp_listeners.iter().find(|t| t.port == l.port);
        let mut chains: Vec<FilterChain> = tcp
            .iter()
            .flat_map(|t| t.chains.iter().map(|c| tcp_chain(table, c)))
            .collect();
        for c in &l.filter_chains {
            let mut chain = FilterChain::http(hcm());
            chain.name = Some(c.name.clone());
            chain.filter_chain_match = Some(FilterChainMatch {
                server_names: c.server_names.clone(),
                transport_protocol: Some("tls"),
            });
            chain.transport_socket = Some(TransportSocket {
                name: "envoy.transport_sockets.tls".into(),
                typed_config: Any::DownstreamTlsContext(Box::new(tls_context(o, &c.tls))),
            });
            chains.push(chain);
        }
        if l.plaintext || l.filter_chains.is_empty() {
            let mut chain = FilterChain::http(hcm());
            if !chains.is_empty() {
                chain.filter_chain_match = Some(FilterChainMatch {
                    server_names: Vec::new(),
                    transport_protocol: Some("raw_buffer"),
                });
            }
            chains.push(chain);
        }
        let passthrough = tcp.is_some_and(|t| t.chains.iter().any(|c| c.tls_passthrough));
        let listener_filters = tls_inspector(!l.filter_chains.is_empty() || passthrough);
        out.push(Listener {
            name: format!("meshroute_{port}"),
            address: Address::socket(bind.clone(), port),
            listener_filters,
            filter_chains: chains,
        });
    }
    Ok(out)
}

fn tls_inspector(needed: bool) -> Vec<ListenerFilter> {
    if !needed {
        return Vec::new();
    }
    vec![ListenerFilter {
        name: "envoy.filters.listener.tls_inspector".into(),
        typed_config: Any::TlsInspector(Empty {}),
    }]
}

/// The Envoy cluster a TCP route's destination uses: Istio's name, unless filter mode already
/// has an `override_host` cluster of that name (a service with connection-pool limits), which
/// only steered HTTP requests can use.
pub(crate) fn tcp_cluster_name(table: &RouteTable, name: &str) -> String {
    let taken = table
        .cluster(name)
        .is_some_and(|c| c.needs_own_envoy_cluster());
    if taken {
        format!("tcp|{name}")
    } else {
        name.to_string()
    }
}

/// A TLS passthrough or TCP chain: `tcp_proxy` to the route's cluster(s).
fn tcp_chain(table: &RouteTable, c: &TcpChain) -> FilterChain {
    let name = |d: &meshroute_core::table::TcpDestination| match d.cluster {
        ClusterRef::Known(_) => tcp_cluster_name(table, &d.cluster_name),
        ClusterRef::Missing(_) => d.cluster_name.clone(),
    };
    let proxy = if c.destinations.len() == 1 {
        TcpProxy {
            stat_prefix: c.name.clone(),
            cluster: Some(name(&c.destinations[0])),
            weighted_clusters: None,
        }
    } else {
        TcpProxy {
            stat_prefix: c.name.clone(),
            cluster: None,
            weighted_clusters: Some(TcpWeightedClusters {
                clusters: c
                    .destinations
                    .iter()
                    .map(|d| TcpClusterWeight {
                        name: name(d),
                        weight: d.weight,
                    })
                    .collect(),
            }),
        }
    };
    FilterChain {
        name: Some(c.name.clone()),
        filter_chain_match: c.tls_passthrough.then(|| FilterChainMatch {
            server_names: c.server_names.clone(),
            transport_protocol: Some("tls"),
        }),
        transport_socket: None,
        filters: vec![NetworkFilter {
            name: "envoy.filters.network.tcp_proxy".into(),
            typed_config: Any::TcpProxy(proxy),
        }],
    }
}

/// The LDS file.
pub(crate) fn lds(listeners: Vec<Listener>) -> String {
    to_json_pretty(&DiscoveryResponse {
        version_info: "1".into(),
        resources: listeners
            .into_iter()
            .map(|l| Any::Listener(Box::new(l)))
            .collect(),
    })
}

/// The SDS files: one per certificate or CA the listeners use, `(file name, text)`.
pub(crate) fn sds(table: &RouteTable) -> Vec<(String, String)> {
    table
        .secrets
        .iter()
        .map(|s| {
            let (tls_certificate, validation_context) = match &s.data {
                SecretData::Certificate { chain, key } => (
                    Some(TlsCertificate {
                        certificate_chain: DataSource::inline(chain),
                        private_key: DataSource::inline(key),
                    }),
                    None,
                ),
                SecretData::CertificateFiles { chain, key } => (
                    Some(TlsCertificate {
                        certificate_chain: DataSource::file(chain),
                        private_key: DataSource::file(key),
                    }),
                    None,
                ),
                SecretData::Ca { pem } => (
                    None,
                    Some(CertificateValidationContext {
                        trusted_ca: Some(DataSource::inline(pem)),
                        ..Default::default()
                    }),
                ),
                SecretData::CaFile { path } => (
                    None,
                    Some(CertificateValidationContext {
                        trusted_ca: Some(DataSource::file(path)),
                        ..Default::default()
                    }),
                ),
            };
            let secret = Secret {
                name: s.name.clone(),
                tls_certificate,
                validation_context,
            };
            let text = to_json_pretty(&DiscoveryResponse {
                version_info: "1".into(),
                resources: vec![Any::Secret(Box::new(secret))],
            });
            (sds_file_name(&s.name), text)
        })
        .collect()
}
