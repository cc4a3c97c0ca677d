//! ServiceEntry analyzers (`pkg/config/analysis/analyzers/serviceentry/`).

pub mod conflicting_protocol;
pub mod protocol_addresses;
