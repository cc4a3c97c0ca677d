//! `envoy.extensions.transport_sockets.tls.v3`: downstream TLS contexts and SDS secrets.

use super::*;
use serde::Serialize;

/// `DownstreamTlsContext`: the gateway's side of an HTTPS server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DownstreamTlsContext {
    pub common_tls_context: CommonTlsContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_client_certificate: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommonTlsContext {
    pub tls_params: TlsParameters,
    pub alpn_protocols: Vec<String>,
    pub tls_certificate_sds_secret_configs: Vec<SdsSecretConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combined_validation_context: Option<CombinedValidationContext>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TlsParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_minimum_protocol_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_maximum_protocol_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
}

/// A secret Envoy reads through SDS (here: a watched file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdsSecretConfig {
    pub name: String,
    pub sds_config: ConfigSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombinedValidationContext {
    pub default_validation_context: CertificateValidationContext,
    pub validation_context_sds_secret_config: SdsSecretConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CertificateValidationContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_ca: Option<DataSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_typed_subject_alt_names: Vec<SubjectAltNameMatcher>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verify_certificate_spki: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verify_certificate_hash: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectAltNameMatcher {
    pub san_type: &'static str,
    pub matcher: StringMatcher,
}

/// `Secret`: a certificate with its key, or a validation context (CA).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Secret {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_certificate: Option<TlsCertificate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_context: Option<CertificateValidationContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsCertificate {
    pub certificate_chain: DataSource,
    pub private_key: DataSource,
}
