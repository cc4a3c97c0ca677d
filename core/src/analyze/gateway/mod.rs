//! Gateway analyzers (`pkg/config/analysis/analyzers/gateway/`).

pub mod certificate;
pub mod conflicting;
pub mod ingress_port;

use crate::node::join_field;
use std::collections::BTreeMap;

/// Path of a Gateway's selector entry (Istio: `util.GatewaySelector` with the first label of the
/// selector string), or of the whole selector when it is empty.
pub(crate) fn selector_path(selector: &BTreeMap<String, String>) -> String {
    match selector.keys().next() {
        Some(k) => join_field("spec.selector", k),
        None => "spec.selector".to_string(),
    }
}
