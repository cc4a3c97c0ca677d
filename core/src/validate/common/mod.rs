//! Checks shared by every kind: host names, ports, labels, header names and values, regexes,
//! durations, exportTo. Each returns `Err(message)` with Istio's reason and the expected form;
//! callers attach the field path.
//!
//! Sources: `pkg/config/validation/agent/validation.go`, `pkg/config/labels/instance.go`,
//! `pkg/config/validation/validation.go`, `pkg/config/validation/header_value_validator.go`,
//! `pkg/config/visibility/visibility.go`.
//!
//! By subject: `names` (DNS labels and domains, IP addresses, subnets, ports, label keys and
//! values), `headers` (header names and values), `regexes` (RE2 regexes) and `values` (durations,
//! exportTo, protocols, status codes, retry policies, cipher suites, unix addresses).

mod headers;
mod names;
mod regexes;
mod values;

#[cfg(test)]
mod tests;

pub use headers::{
    is_authority, is_header_token, is_jwt_claim_header, validate_cors_header_name,
    validate_header_op_name, validate_header_op_name_with_authority, validate_header_value,
    validate_match_header_name,
};
pub use names::{
    is_dns1123_label, is_ip, is_wildcard_dns1123_label, validate_fqdn, validate_ip,
    validate_ip_subnet, validate_label_key, validate_label_value, validate_labels, validate_port,
    validate_wildcard_domain, validate_wildcard_domain_for_gateway,
};
pub use regexes::validate_regex;
pub use values::{
    is_known_http_status, is_valid_cipher_suite, validate_duration, validate_export_to,
    validate_unix_address, Protocol, GRPC_STATUS_NAMES, RETRY_ON_POLICIES,
};

pub type Check = Result<(), String>;
