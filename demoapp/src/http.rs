//! Minimal, panic-free HTTP/1.x request parsing and response serialisation.
//!
//! Only what a test backend needs: request heads bounded to
//! [`MAX_HEAD_BYTES`], bodies framed by `Content-Length` or
//! `Transfer-Encoding: chunked`, keep-alive and pipelining. Every input byte
//! sequence either parses or yields an [`HttpError`]; nothing here indexes
//! out of bounds or unwraps.

use std::fmt;
use std::io::{self, Read};

/// Largest accepted request head (request line + headers + blank line).
/// Bigger heads are answered with `431` and the connection is closed.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Largest body that is kept in memory (e.g. for `/echo`). Bodies that are
/// only discarded are not limited.
pub const MAX_KEPT_BODY_BYTES: u64 = 8 * 1024 * 1024;

/// Longest accepted chunk-size line (size plus extensions).
const MAX_CHUNK_LINE: usize = 4096;

/// Bytes requested from the socket per `read` call.
const READ_CHUNK: usize = 16 * 1024;

/// HTTP protocol version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`
    Http10,
    /// `HTTP/1.1`
    Http11,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Request method (a token, so always ASCII).
    pub method: String,
    /// Request target exactly as received (visible ASCII only).
    pub target: String,
    /// Protocol version.
    pub version: Version,
    /// Headers in arrival order: lower-cased name, raw value bytes (may be
    /// non-UTF-8; surrounding whitespace trimmed).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// How the request body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// `Content-Length: n` (n > 0).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A request body that was read off the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// The bytes, if they were kept; empty when discarded.
    pub bytes: Vec<u8>,
    /// Total number of body bytes received (kept or not).
    pub len: u64,
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum HttpError {
    /// The socket failed; nothing can be answered.
    Io(io::Error),
    /// The peer closed the connection in the middle of a request.
    UnexpectedEof,
    /// Malformed request.
    BadRequest(&'static str),
    /// Request head larger than [`MAX_HEAD_BYTES`].
    HeaderTooLarge,
    /// Body larger than [`MAX_KEPT_BODY_BYTES`] where it must be kept.
    BodyTooLarge,
    /// A transfer coding other than `chunked`.
    NotImplemented(&'static str),
    /// `HTTP/x.y` other than 1.0 or 1.1.
    VersionNotSupported,
}

impl HttpError {
    /// Status code to answer with (before closing), if answering makes sense.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Io(_) => None,
            HttpError::UnexpectedEof | HttpError::BadRequest(_) => Some(400),
            HttpError::HeaderTooLarge => Some(431),
            HttpError::BodyTooLarge => Some(413),
            HttpError::NotImplemented(_) => Some(501),
            HttpError::VersionNotSupported => Some(505),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "i/o error: {e}"),
            HttpError::UnexpectedEof => f.write_str("connection closed mid-request"),
            HttpError::BadRequest(why) => write!(f, "bad request: {why}"),
            HttpError::HeaderTooLarge => {
                write!(f, "request head larger than {MAX_HEAD_BYTES} bytes")
            }
            HttpError::BodyTooLarge => {
                write!(f, "request body larger than {MAX_KEPT_BODY_BYTES} bytes")
            }
            HttpError::NotImplemented(why) => write!(f, "not implemented: {why}"),
            HttpError::VersionNotSupported => f.write_str("HTTP version not supported"),
        }
    }
}

impl std::error::Error for HttpError {}

impl Head {
    /// First value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// All values of header `name` (lower-case), in arrival order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// First value of header `name`, converted lossily to UTF-8 ("" if absent).
    pub fn header_lossy(&self, name: &str) -> String {
        self.header(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    }

    /// Whether any comma-separated element of header `name` equals `token`
    /// (ASCII case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.header_values(name).any(|v| {
            v.split(|&b| b == b',')
                .any(|t| trim_ows(t).eq_ignore_ascii_case(token.as_bytes()))
        })
    }

    /// Whether the connection may be reused after answering this request.
    pub fn keep_alive(&self) -> bool {
        if self.has_token("connection", "close") {
            return false;
        }
        match self.version {
            Version::Http11 => true,
            Version::Http10 => self.has_token("connection", "keep-alive"),
        }
    }

    /// Whether the client waits for `100 Continue` before sending the body.
    pub fn expects_continue(&self) -> bool {
        self.version == Version::Http11
            && self
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue"))
    }

    /// The path used for routing: the target without query and fragment; an
    /// absolute-form target (`http://host/p`) is reduced to its path.
    pub fn path(&self) -> &str {
        let mut t = self.target.as_str();
        for scheme in ["http://", "https://"] {
            if t.len() >= scheme.len()
                && t.get(..scheme.len())
                    .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            {
                let rest = t.get(scheme.len()..).unwrap_or("");
                t = rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/");
                break;
            }
        }
        let end = t.find(['?', '#']).unwrap_or(t.len());
        t.get(..end).unwrap_or(t)
    }

    /// The query string (without `?` and fragment), "" if none.
    pub fn query(&self) -> &str {
        let t = self.target.as_str();
        match t.split_once('?') {
            Some((_, q)) => q.split('#').next().unwrap_or(""),
            None => "",
        }
    }

    /// Determine the body framing (RFC 9112 §6.3, strict).
    pub fn body_kind(&self) -> Result<BodyKind, HttpError> {
        let has_te = self.header("transfer-encoding").is_some();
        let has_cl = self.header("content-length").is_some();
        if has_te {
            if has_cl {
                return Err(HttpError::BadRequest(
                    "both Transfer-Encoding and Content-Length",
                ));
            }
            if self.version == Version::Http10 {
                return Err(HttpError::BadRequest("Transfer-Encoding in HTTP/1.0"));
            }
            let codings: Vec<&[u8]> = self
                .header_values("transfer-encoding")
                .flat_map(|v| v.split(|&b| b == b','))
                .map(trim_ows)
                .filter(|c| !c.is_empty())
                .collect();
            return match codings.as_slice() {
                [only] if only.eq_ignore_ascii_case(b"chunked") => Ok(BodyKind::Chunked),
                [.., last] if last.eq_ignore_ascii_case(b"chunked") => Err(
                    HttpError::NotImplemented("transfer coding other than chunked"),
                ),
                _ => Err(HttpError::BadRequest(
                    "chunked is not the final transfer coding",
                )),
            };
        }
        let mut len: Option<u64> = None;
        for value in self.header_values("content-length") {
            for part in value.split(|&b| b == b',') {
                let n = parse_decimal(trim_ows(part))
                    .ok_or(HttpError::BadRequest("invalid Content-Length"))?;
                match len {
                    Some(prev) if prev != n => {
                        return Err(HttpError::BadRequest("conflicting Content-Length"))
                    }
                    _ => len = Some(n),
                }
            }
        }
        Ok(match len {
            None | Some(0) => BodyKind::None,
            Some(n) => BodyKind::Length(n),
        })
    }
}

/// A buffered reader of consecutive requests on one connection.
pub struct Conn<R> {
    inner: R,
    /// `buf[start..end]` holds received, unconsumed bytes; `buf[end..]` is
    /// spare (already initialised) space for the next read.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl<R: Read> Conn<R> {
    /// Wrap a byte stream (usually `&TcpStream`).
    pub fn new(inner: R) -> Self {
        Conn {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// Bytes received but not consumed yet (e.g. a pipelined request).
    pub fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    /// Read more bytes into the buffer; returns how many (0 = EOF).
    fn fill(&mut self) -> Result<usize, HttpError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < READ_CHUNK / 2 {
            self.buf.resize(self.end + READ_CHUNK, 0);
        }
        loop {
            let res = match self.buf.get_mut(self.end..) {
                Some(space) => self.inner.read(space),
                None => Ok(0),
            };
            match res {
                Ok(n) => {
                    let n = n.min(self.buf.len() - self.end);
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(HttpError::Io(e)),
            }
        }
    }

    /// Read the next request head. `Ok(None)` means the peer closed the
    /// connection cleanly between requests.
    pub fn read_head(&mut self) -> Result<Option<Head>, HttpError> {
        let mut scanned = 0usize;
        loop {
            // RFC 9112 §2.2: ignore empty lines before the request line.
            while matches!(self.buffered().first(), Some(b'\r' | b'\n')) {
                self.start += 1;
            }
            let avail = self.buffered();
            if let Some(end) = find_head_end(avail, scanned) {
                if end > MAX_HEAD_BYTES {
                    return Err(HttpError::HeaderTooLarge);
                }
                let head = parse_head(avail.get(..end).unwrap_or(&[]))?;
                self.start += end;
                return Ok(Some(head));
            }
            if avail.len() >= MAX_HEAD_BYTES {
                return Err(HttpError::HeaderTooLarge);
            }
            let had = avail.len();
            scanned = had.saturating_sub(3);
            if self.fill()? == 0 {
                return if had == 0 {
                    Ok(None)
                } else {
                    Err(HttpError::UnexpectedEof)
                };
            }
        }
    }

    /// Read one line (without CR LF), failing if it exceeds `max` bytes.
    fn read_line(&mut self, max: usize, too_long: HttpError) -> Result<Vec<u8>, HttpError> {
        let mut scanned = 0usize;
        loop {
            let avail = self.buffered();
            if let Some(i) = avail
                .get(scanned..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .map(|i| i + scanned)
            {
                let mut line = avail.get(..i).unwrap_or(&[]);
                if let Some(stripped) = line.strip_suffix(b"\r") {
                    line = stripped;
                }
                if line.len() > max {
                    return Err(too_long);
                }
                if line.contains(&b'\r') {
                    return Err(HttpError::BadRequest("bare CR"));
                }
                let line = line.to_vec();
                self.start += i + 1;
                return Ok(line);
            }
            if avail.len() > max + 1 {
                return Err(too_long);
            }
            scanned = avail.len();
            if self.fill()? == 0 {
                return Err(HttpError::UnexpectedEof);
            }
        }
    }

    /// Consume exactly `n` body bytes, appending them to `out` if `keep`.
    fn consume(&mut self, mut n: u64, keep: bool, out: &mut Vec<u8>) -> Result<(), HttpError> {
        while n > 0 {
            if self.buffered().is_empty() && self.fill()? == 0 {
                return Err(HttpError::UnexpectedEof);
            }
            let avail = self.buffered();
            let take = usize::try_from(n).unwrap_or(usize::MAX).min(avail.len());
            if keep {
                out.extend_from_slice(avail.get(..take).unwrap_or(&[]));
            }
            self.start += take;
            n -= take as u64;
        }
        Ok(())
    }

    /// Read the body announced by `kind`. With `keep`, the bytes are returned
    /// (up to [`MAX_KEPT_BODY_BYTES`]); otherwise they are discarded.
    pub fn read_body(&mut self, kind: BodyKind, keep: bool) -> Result<Body, HttpError> {
        let mut body = Body::default();
        match kind {
            BodyKind::None => {}
            BodyKind::Length(n) => {
                if keep && n > MAX_KEPT_BODY_BYTES {
                    return Err(HttpError::BodyTooLarge);
                }
                self.consume(n, keep, &mut body.bytes)?;
                body.len = n;
            }
            BodyKind::Chunked => {
                loop {
                    let line = self.read_line(
                        MAX_CHUNK_LINE,
                        HttpError::BadRequest("chunk size line too long"),
                    )?;
                    let size = parse_chunk_size(&line)?;
                    if size == 0 {
                        break;
                    }
                    body.len = body.len.saturating_add(size);
                    if keep && body.len > MAX_KEPT_BODY_BYTES {
                        return Err(HttpError::BodyTooLarge);
                    }
                    self.consume(size, keep, &mut body.bytes)?;
                    let end = self.read_line(0, HttpError::BadRequest("chunk data too long"))?;
                    if !end.is_empty() {
                        return Err(HttpError::BadRequest("chunk data too long"));
                    }
                }
                // Trailer section, bounded like a head.
                let mut total = 0usize;
                loop {
                    let line = self.read_line(MAX_HEAD_BYTES, HttpError::HeaderTooLarge)?;
                    if line.is_empty() {
                        break;
                    }
                    total = total.saturating_add(line.len() + 2);
                    if total > MAX_HEAD_BYTES {
                        return Err(HttpError::HeaderTooLarge);
                    }
                    if !line.contains(&b':') || matches!(line.first(), Some(b' ' | b'\t')) {
                        return Err(HttpError::BadRequest("malformed trailer"));
                    }
                }
            }
        }
        Ok(body)
    }

    /// Convenience for tests and simple callers: head plus (kept) body.
    pub fn read_request(&mut self) -> Result<Option<(Head, Body)>, HttpError> {
        let Some(head) = self.read_head()? else {
            return Ok(None);
        };
        let kind = head.body_kind()?;
        let body = self.read_body(kind, true)?;
        Ok(Some((head, body)))
    }
}

/// Index just past the blank line ending a head, searching from `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(rel) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + rel;
        match (buf.get(nl + 1), buf.get(nl + 2)) {
            (Some(b'\n'), _) => return Some(nl + 2),
            (Some(b'\r'), Some(b'\n')) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Parse a complete head (including its terminating blank line).
pub fn parse_head(bytes: &[u8]) -> Result<Head, HttpError> {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next().ok_or(HttpError::BadRequest("empty request"))?;
    if request_line.contains(&b'\r') {
        return Err(HttpError::BadRequest("bare CR"));
    }
    let mut parts = request_line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::BadRequest("malformed request line"));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(HttpError::BadRequest("invalid method"));
    }
    if target.is_empty() || !target.iter().all(|&b| (0x21..=0x7e).contains(&b)) {
        return Err(HttpError::BadRequest("invalid request target"));
    }
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(HttpError::VersionNotSupported)
        }
        _ => return Err(HttpError::BadRequest("invalid HTTP version")),
    };

    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.contains(&b'\r') {
            return Err(HttpError::BadRequest("bare CR"));
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return Err(HttpError::BadRequest("obsolete header line folding"));
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(HttpError::BadRequest("header line without colon"))?;
        let (name, rest) = line.split_at(colon);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(HttpError::BadRequest("invalid header name"));
        }
        let value = trim_ows(rest.get(1..).unwrap_or(&[]));
        if value.contains(&0) {
            return Err(HttpError::BadRequest("NUL in header value"));
        }
        headers.push((
            String::from_utf8_lossy(name).to_ascii_lowercase(),
            value.to_vec(),
        ));
    }
    Ok(Head {
        method: String::from_utf8_lossy(method).into_owned(),
        target: String::from_utf8_lossy(target).into_owned(),
        version,
        headers,
    })
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Trim optional whitespace (SP / HTAB) on both ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Strict decimal: 1..=19 ASCII digits, no sign, no overflow.
fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `chunk-size [; ext]` → size.
fn parse_chunk_size(line: &[u8]) -> Result<u64, HttpError> {
    let bad = HttpError::BadRequest("invalid chunk size");
    let size = line.split(|&b| b == b';').next().unwrap_or(&[]);
    let mut size = size;
    while let [rest @ .., b' ' | b'\t'] = size {
        size = rest;
    }
    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad);
    }
    let s = std::str::from_utf8(size).map_err(|_| HttpError::BadRequest("invalid chunk size"))?;
    u64::from_str_radix(s, 16).map_err(|_| bad)
}

/// Standard reason phrase for `status` (a generic one for unknown codes).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        425 => "Too Early",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => match status / 100 {
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
}

/// A response to be serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code (200..=599).
    pub status: u16,
    /// Headers other than `content-length` and `connection`.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body (omitted on the wire for HEAD, 204 and 304).
    pub body: Vec<u8>,
    /// Close the connection after this response.
    pub close: bool,
}

impl Response {
    /// A response with a `content-type` header and a body.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.as_bytes().to_vec())],
            body: body.into(),
            close: false,
        }
    }

    /// `text/plain` response.
    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::new(status, "text/plain; charset=utf-8", body)
    }

    /// `application/json` response.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::new(status, "application/json", body)
    }

    /// Append a header.
    pub fn with_header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// First value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Serialise to wire bytes. `head_only` for HEAD requests; `keep_alive`
    /// decides the `connection` header; `version` is the request's version.
    pub fn to_bytes(&self, head_only: bool, keep_alive: bool, version: Version) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(
            format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status)).as_bytes(),
        );
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            // Never emit a header value that could split the response.
            out.extend(value.iter().map(|&b| match b {
                b'\r' | b'\n' | 0 => b' ',
                b => b,
            }));
            out.extend_from_slice(b"\r\n");
        }
        let no_body = self.status == 204 || self.status == 304 || (100..200).contains(&self.status);
        if self.status == 304 {
            out.extend_from_slice(b"content-length: 0\r\n");
        } else if !no_body {
            out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes());
        }
        if !keep_alive {
            out.extend_from_slice(b"connection: close\r\n");
        } else if version == Version::Http10 {
            out.extend_from_slice(b"connection: keep-alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only && !no_body {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most one byte per `read`.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn one(input: &[u8]) -> Result<Option<(Head, Body)>, HttpError> {
        Conn::new(input).read_request()
    }

    fn status_of(input: &[u8]) -> Option<u16> {
        match one(input) {
            Err(e) => e.status(),
            Ok(_) => Some(0),
        }
    }

    #[test]
    fn parses_simple_get() {
        let (head, body) =
            one(b"GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nX-A:  v  \r\n\r\n")
                .unwrap()
                .unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/a/b?x=1&y=2");
        assert_eq!(head.path(), "/a/b");
        assert_eq!(head.query(), "x=1&y=2");
        assert_eq!(head.version, Version::Http11);
        assert_eq!(head.header("host"), Some(&b"example.com"[..]));
        assert_eq!(head.header("x-a"), Some(&b"v"[..]));
        assert!(head.keep_alive());
        assert_eq!(body, Body::default());
    }

    #[test]
    fn accepts_bare_lf_and_leading_blank_lines() {
        let (head, _) = one(b"\r\n\nGET / HTTP/1.0\nHost: h\n\n").unwrap().unwrap();
        assert_eq!(head.version, Version::Http10);
        assert!(!head.keep_alive());
    }

    #[test]
    fn non_utf8_header_bytes_are_kept_raw() {
        let input = b"GET / HTTP/1.1\r\nHost: h\xff\xfe\r\nX-Bin: \x80abc\xc3\r\n\r\n";
        let (head, _) = one(input).unwrap().unwrap();
        assert_eq!(head.header("x-bin"), Some(&b"\x80abc\xc3"[..]));
        assert_eq!(head.header_lossy("host"), "h\u{fffd}\u{fffd}");
    }

    #[test]
    fn non_ascii_target_or_method_is_rejected() {
        assert_eq!(status_of(b"GET /\xff HTTP/1.1\r\n\r\n"), Some(400));
        assert_eq!(status_of(b"G\xc3\xa9T / HTTP/1.1\r\n\r\n"), Some(400));
        assert_eq!(status_of(b"\xff\xfe\xfd\r\n\r\n"), Some(400));
    }

    #[test]
    fn garbage_is_bad_request() {
        for input in [
            &b"hello\r\n\r\n"[..],
            b"GET /\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET / HTTX/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            b"GET / HTTP/1.1\r\n: empty\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\0c\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(
                status_of(input),
                Some(400),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        assert_eq!(status_of(b"GET / HTTP/2.0\r\n\r\n"), Some(505));
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            Some(501)
        );
    }

    #[test]
    fn truncated_request_is_unexpected_eof() {
        assert!(matches!(
            one(b"GET / HTTP/1.1\r\nHost"),
            Err(HttpError::UnexpectedEof)
        ));
        assert!(matches!(
            one(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"),
            Err(HttpError::UnexpectedEof)
        ));
        assert!(one(b"").unwrap().is_none());
        assert!(one(b"\r\n").unwrap().is_none());
    }

    #[test]
    fn content_length_body() {
        let (head, body) = one(b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap()
            .unwrap();
        assert_eq!(head.body_kind().unwrap(), BodyKind::Length(5));
        assert_eq!(body.bytes, b"hello");
        assert_eq!(body.len, 5);
        // Repeated identical values are fine.
        let (_, body) = one(b"POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab")
            .unwrap()
            .unwrap();
        assert_eq!(body.bytes, b"ab");
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let input = b"POST /echo HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n\
            5;name=val\r\nhello\r\n1\r\n \r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n\
            GET /next HTTP/1.1\r\n\r\n";
        let mut conn = Conn::new(&input[..]);
        let (head, body) = conn.read_request().unwrap().unwrap();
        assert_eq!(head.body_kind().unwrap(), BodyKind::Chunked);
        assert_eq!(body.bytes, b"hello 0123456789");
        assert_eq!(body.len, 16);
        let (next, _) = conn.read_request().unwrap().unwrap();
        assert_eq!(next.target, "/next");
        assert!(conn.read_request().unwrap().is_none());
    }

    #[test]
    fn chunked_body_can_be_discarded() {
        let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let mut conn = Conn::new(&input[..]);
        let head = conn.read_head().unwrap().unwrap();
        let body = conn.read_body(head.body_kind().unwrap(), false).unwrap();
        assert!(body.bytes.is_empty());
        assert_eq!(body.len, 3);
    }

    #[test]
    fn malformed_chunks_are_rejected() {
        for input in [
            &b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
        ] {
            assert_eq!(
                status_of(input),
                Some(400),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let huge = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n";
        assert_eq!(status_of(huge), Some(413));
    }

    #[test]
    fn oversize_head_is_431() {
        let mut input = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES));
        input.extend_from_slice(b"\r\n\r\n");
        assert_eq!(status_of(&input), Some(431));
        // Without a terminator at all, the limit still applies.
        let endless = vec![b'a'; MAX_HEAD_BYTES + 10];
        assert_eq!(status_of(&endless), Some(431));
        // Just under the limit is fine.
        let mut ok = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        let fill = MAX_HEAD_BYTES - ok.len() - 4;
        ok.extend(std::iter::repeat_n(b'a', fill));
        ok.extend_from_slice(b"\r\n\r\n");
        assert_eq!(ok.len(), MAX_HEAD_BYTES);
        assert!(one(&ok).unwrap().is_some());
    }

    #[test]
    fn oversize_kept_body_is_413() {
        let input = format!(
            "POST /echo HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_KEPT_BODY_BYTES + 1
        );
        assert_eq!(status_of(input.as_bytes()), Some(413));
    }

    #[test]
    fn one_byte_at_a_time_pipelined() {
        let input = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /b HTTP/1.1\r\nConnection: close\r\n\r\n";
        let mut conn = Conn::new(Trickle(input));
        let (a, body) = conn.read_request().unwrap().unwrap();
        assert_eq!(
            (a.target.as_str(), body.bytes.as_slice()),
            ("/a", &b"xyz"[..])
        );
        let (b, _) = conn.read_request().unwrap().unwrap();
        assert_eq!(b.target, "/b");
        assert!(!b.keep_alive());
        assert!(conn.read_request().unwrap().is_none());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Deterministic pseudo-random fuzzing (xorshift), plus prefixes of a
        // valid request with a byte flipped.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"GET POST / HTTP/1.1\r\n:;0123456789abcdefABCDEF \t\xff\x00chunked";
        for _ in 0..3000 {
            let len = (next() % 200) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 4 == 0 {
                        r as u8
                    } else {
                        alphabet[(r as usize / 4) % alphabet.len()]
                    }
                })
                .collect();
            let mut conn = Conn::new(Trickle(&input));
            for _ in 0..4 {
                match conn.read_request() {
                    Ok(Some(_)) => continue,
                    _ => break,
                }
            }
        }
        let valid = b"POST /echo?q HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n";
        for i in 0..valid.len() {
            for flip in [0u8, b'\r', b'\n', 0xff, b' ', b':'] {
                let mut input = valid.to_vec();
                input[i] = flip;
                let _ = Conn::new(&input[..]).read_request();
                let _ = Conn::new(&input[..i]).read_request();
            }
        }
    }

    #[test]
    fn absolute_form_and_asterisk_paths() {
        let (head, _) = one(b"GET http://Host:8/x/y?q=1 HTTP/1.1\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(head.path(), "/x/y");
        assert_eq!(head.query(), "q=1");
        let (head, _) = one(b"GET HTTPS://host HTTP/1.1\r\n\r\n").unwrap().unwrap();
        assert_eq!(head.path(), "/");
        let (head, _) = one(b"OPTIONS * HTTP/1.1\r\n\r\n").unwrap().unwrap();
        assert_eq!(head.path(), "*");
    }

    #[test]
    fn connection_tokens_and_expect() {
        let (head, _) = one(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(head.keep_alive());
        let (head, _) = one(b"GET / HTTP/1.1\r\nConnection: upgrade, CLOSE\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!head.keep_alive());
        let (head, _) = one(b"GET / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(head.expects_continue());
    }

    #[test]
    fn response_serialisation() {
        let r = Response::text(200, "hi").with_header("x-a", "1");
        let s = String::from_utf8(r.to_bytes(false, true, Version::Http11)).unwrap();
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nx-a: 1\r\ncontent-length: 2\r\n\r\nhi"
        );
        let s = String::from_utf8(r.to_bytes(true, false, Version::Http11)).unwrap();
        assert!(s.ends_with("content-length: 2\r\nconnection: close\r\n\r\n"));
        let s = String::from_utf8(r.to_bytes(false, true, Version::Http10)).unwrap();
        assert!(s.contains("connection: keep-alive\r\n"));
        let r = Response::text(204, "ignored").with_header("x-b", "a\r\nb");
        let s = String::from_utf8(r.to_bytes(false, true, Version::Http11)).unwrap();
        assert!(!s.contains("content-length"));
        assert!(s.ends_with("x-b: a  b\r\n\r\n"));
        assert_eq!(reason(599), "Server Error");
    }
}
