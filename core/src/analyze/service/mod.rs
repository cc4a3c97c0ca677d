//! Kubernetes Service analyzers (`pkg/config/analysis/analyzers/service/`).

pub mod port_name;
