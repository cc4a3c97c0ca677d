//! meshroute proxy-wasm filter (filled by the filter issue).
#![forbid(unsafe_code)]
