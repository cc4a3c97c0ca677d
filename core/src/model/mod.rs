//! Typed resources. Semantics live elsewhere; these are plain data, decoded from YAML.
pub mod gateway_api;
pub mod istio;
pub mod kube;
