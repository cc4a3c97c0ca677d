//! Test helpers shared by the end-to-end and conformance tests.
