//! DestinationRule analyzers (`pkg/config/analysis/analyzers/destinationrule/`).

pub mod ca_certificate;
pub mod subset;
