//! Bytes on a plain socket, for the requests an HTTP client library does not send. Everything
//! else goes through [`super::http`] (ureq), including header values that are not UTF-8
//! ([`super::http::get_bytes`]: ureq writes them as given).
//!
//! What is left here, and why ureq cannot send it:
//! - **absolute-form request targets** (`GET http://demoappv10:8080/ HTTP/1.1`, as `curl -x`
//!   sends them to a proxy, and as an attacker aims at `http://169.254.169.254/`): ureq 3 always
//!   writes the origin form (path and query) and talks to an HTTP proxy with `CONNECT`;
//!   [`send`];
//! - **a request cut off halfway** (a head without its end, then the connection dropped): a
//!   client sends whole requests; [`abandon`].
//!
//! Responses are parsed by ureq's own protocol crate ([`ureq_proto::parser`]).

use super::http::{Response, TIMEOUT};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

/// Sends `raw` exactly as given on a fresh connection and reads one response: the head, then
/// the body by `content-length` or up to the end of the connection (chunked bodies are refused:
/// none of the answers these requests get has one).
pub fn send(addr: SocketAddr, raw: &[u8]) -> io::Result<Response> {
    let mut s = connect(addr)?;
    s.write_all(raw)?;
    s.flush()?;
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let mut buf = Vec::new();
    let (head_len, head) = loop {
        if let Some(parsed) = ureq_proto::parser::try_parse_response::<128>(&buf)
            .map_err(|e| bad(format!("bad response head: {e}")))?
        {
            break parsed;
        }
        if read_some(&mut s, &mut buf)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a complete response head",
            ));
        }
    };
    let headers = head.headers();
    if headers
        .get_all("transfer-encoding")
        .iter()
        .any(|v| v.as_bytes().to_ascii_lowercase().ends_with(b"chunked"))
    {
        return Err(bad("raw::send does not decode chunked bodies".into()));
    }
    let length = match headers.get("content-length") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| bad(format!("bad content-length {v:?}")))?,
        ),
        None => None,
    };
    let no_body = head.status().is_informational() || matches!(head.status().as_u16(), 204 | 304);
    let mut body = buf.split_off(head_len);
    match length {
        _ if no_body => body.clear(),
        Some(len) => {
            while body.len() < len {
                if read_some(&mut s, &mut body)? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside the body",
                    ));
                }
            }
            body.truncate(len);
        }
        None => {
            s.read_to_end(&mut body)?;
        }
    }
    Ok(Response::new(head.status(), headers, body))
}

/// Connects, writes `partial` (the start of a request) and drops the connection without
/// waiting for an answer. A failed connect is ignored: this is garbage traffic, not a check.
pub fn abandon(addr: SocketAddr, partial: &[u8]) {
    if let Ok(mut s) = connect(addr) {
        let _ = s.write_all(partial);
    }
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

fn read_some(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0; 8192];
    let n = s.read(&mut chunk)?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}
