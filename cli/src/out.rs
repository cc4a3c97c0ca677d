//! Writing to stdout/stderr without panicking when the other end has gone away
//! (`meshroute check … | head`): `println!` would panic on a broken pipe.

use std::io::Write;

/// Writes `text` and a newline to stdout.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// Writes `text` and a newline to stderr.
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
