//! TLS for the gateway tests: a CA and certificates generated per test (rcgen, nothing
//! committed), rustls handshakes that report the certificate the server presented, and HTTPS
//! requests through ureq with the test CA, a client certificate and the SNI of the URL's host
//! (a fixed resolver sends every name to the gateway's address).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, StreamOwned, SupportedProtocolVersion,
};
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A certificate with its key, PEM and DER.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
}

/// A test CA.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
    pub pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("CA key");
        let cert = p.self_signed(&key).expect("CA certificate");
        Ca {
            pem: cert.pem(),
            cert,
            key,
        }
    }

    /// A certificate for `names` (DNS SANs; the first is the common name), signed by this CA.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("leaf params");
        p.distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        let key = KeyPair::generate().expect("leaf key");
        let cert = p
            .signed_by(&key, &self.cert, &self.key)
            .expect("leaf certificate");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }
}

/// A `kubernetes.io/tls` Secret (stringData, as `kubectl create secret tls` would hold it),
/// with `ca.crt` when given.
pub fn tls_secret(name: &str, namespace: &str, leaf: &Leaf, ca: Option<&str>) -> String {
    let block = |pem: &str| {
        pem.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let mut s = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {namespace}}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        block(&leaf.cert_pem),
        block(&leaf.key_pem)
    );
    if let Some(ca) = ca {
        s.push_str(&format!("  ca.crt: |\n{}", block(ca)));
    }
    s
}

fn roots(ca_pem: &str) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for c in rustls_pemfile(ca_pem) {
        roots.add(c).expect("CA certificate");
    }
    roots
}

/// The certificates in a PEM text (rustls' own PEM reader).
fn rustls_pemfile(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .filter_map(Result::ok)
        .collect()
}

fn client_config(
    ca_pem: &str,
    client: Option<&Leaf>,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    let b = ClientConfig::builder_with_protocol_versions(versions)
        .with_root_certificates(roots(ca_pem));
    match client {
        None => Ok(b.with_no_client_auth()),
        Some(c) => b
            .with_client_auth_cert(
                rustls_pemfile(&c.cert_pem),
                PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string()),
    }
}

/// Connects to `addr` with `sni`, completes the handshake and waits briefly for an alert (a
/// server refusing a missing client certificate says so after TLS 1.3's handshake): the DER of
/// the certificate the server presented, or why the connection was refused.
pub fn handshake(
    addr: SocketAddr,
    sni: &str,
    ca_pem: &str,
    client: Option<&Leaf>,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<Vec<u8>, String> {
    let cfg = client_config(ca_pem, client, versions)?;
    let name = ServerName::try_from(sni.to_string()).map_err(|e| e.to_string())?;
    let conn = ClientConnection::new(Arc::new(cfg), name).map_err(|e| e.to_string())?;
    let sock =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_millis(500))).ok();
    let mut tls = StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(|e| format!("handshake: {e}"))?;
    }
    let der = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .ok_or("no server certificate")?;
    let mut buf = [0u8; 1];
    match tls.read(&mut buf) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Ok(der)
        }
        Err(e) => Err(format!("after the handshake: {e}")),
        Ok(0) => Err("the server closed the connection after the handshake".into()),
        Ok(_) => Ok(der),
    }
}

/// Sends every name to one address: the gateway, reached by the URL's host as SNI and Host.
#[derive(Debug)]
struct To(SocketAddr);

impl ureq::unversioned::resolver::Resolver for To {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let mut v = self.empty();
        v.push(self.0);
        Ok(v)
    }
}

/// An HTTPS client for one gateway address: the test CA as the only root, an optional client
/// certificate, no redirects followed, statuses as answers. Keeps connections alive (one pool
/// per client).
pub struct Https {
    agent: ureq::Agent,
}

impl Https {
    pub fn new(addr: SocketAddr, ca_pem: &str, client: Option<&Leaf>) -> Https {
        use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
        let ca = Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM");
        let mut tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::Specific(Arc::new(vec![ca])));
        if let Some(c) = client {
            tls = tls.client_cert(Some(ClientCert::new_with_certs(
                &[Certificate::from_pem(c.cert_pem.as_bytes()).expect("client PEM")],
                PrivateKey::from_pem(c.key_pem.as_bytes()).expect("client key PEM"),
            )));
        }
        let config = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(10)))
            .build();
        Https {
            agent: ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::default(),
                To(addr),
            ),
        }
    }

    /// `GET url` (`https://host:port/path`): status and body.
    pub fn get(&self, url: &str) -> Result<(u16, String), String> {
        self.send(self.agent.get(url), url)
    }

    /// `GET url` with another `Host` than the URL's (the SNI stays the URL's host).
    pub fn get_with_host(&self, url: &str, host: &str) -> Result<(u16, String), String> {
        self.send(self.agent.get(url).header("host", host), url)
    }

    fn send(
        &self,
        req: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
        url: &str,
    ) -> Result<(u16, String), String> {
        let mut r = req.call().map_err(|e| format!("GET {url}: {e}"))?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_string().unwrap_or_default();
        Ok((status, body))
    }
}
