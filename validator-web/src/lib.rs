//! Browser bindings of meshroute-core (filled by the validator-web issue).
#![forbid(unsafe_code)]
