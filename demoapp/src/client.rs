//! A tiny HTTP/1.1 client, so that a `FROM scratch` image (no shell, no curl) can health-check
//! itself and act as a mesh client:
//!
//! - `demoapp --probe URL`: one GET, exit 0 on a 2xx/3xx answer, 1 otherwise (Docker
//!   healthchecks).
//! - `demoapp --fetch URL [--proxy IP:PORT] [-H 'Name: value']… [--count N] [-i]`: curl-like
//!   GET; prints each response body (with `-i` the status line and headers first), exits 1 if
//!   any request failed or got a status ≥ 400 (like `curl -f`).
//!
//! Only `http://` URLs; one connection per request (`Connection: close`); the response is read
//! to EOF (chunked bodies are decoded).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What `--fetch`/`--probe` were asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    pub url: String,
    /// Send the request to this HTTP proxy (absolute-form request target), e.g. a sidecar Envoy.
    pub proxy: Option<SocketAddr>,
    pub headers: Vec<(String, String)>,
    pub count: u32,
    /// Print the status line and headers before the body.
    pub include: bool,
    pub timeout: Duration,
    /// `--probe`: no output, exit status only.
    pub probe: bool,
}

impl FetchConfig {
    pub fn new(url: &str) -> Self {
        FetchConfig {
            url: url.to_string(),
            proxy: None,
            headers: Vec::new(),
            count: 1,
            include: false,
            timeout: Duration::from_secs(5),
            probe: false,
        }
    }
}

/// A parsed `http://host[:port][/path]` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// `host[:port]` as written (the Host header).
    pub authority: String,
    pub path: String,
}

pub fn parse_url(url: &str) -> Result<Url, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("{url:?}: expected http://host[:port]/path"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{url:?}: unclosed ["))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| format!("{url:?}: bad port"))?,
            None if after.is_empty() => 80,
            None => return Err(format!("{url:?}: bad authority")),
        };
        (h.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse().map_err(|_| format!("{url:?}: bad port"))?,
            ),
            None => (authority.to_string(), 80),
        }
    };
    if host.is_empty() || path.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err(format!("{url:?}: expected http://host[:port]/path"));
    }
    Ok(Url {
        host,
        port,
        authority: authority.to_string(),
        path,
    })
}

/// One response.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// The status line as received, e.g. `HTTP/1.1 200 OK`.
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The request bytes: origin-form to the server, absolute-form to a proxy.
pub fn request_bytes(url: &Url, via_proxy: bool, headers: &[(String, String)]) -> Vec<u8> {
    let target = if via_proxy {
        format!("http://{}{}", url.authority, url.path)
    } else {
        url.path.clone()
    };
    let mut req = format!("GET {target} HTTP/1.1\r\n");
    let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    if !has("host") {
        req.push_str(&format!("Host: {}\r\n", url.authority));
    }
    if !has("user-agent") {
        req.push_str("User-Agent: demoapp-fetch\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    req.into_bytes()
}

/// Parses a complete response (read to EOF).
pub fn parse_reply(raw: &[u8]) -> Result<Reply, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("incomplete response head")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_string();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    } else if let Some(n) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(n);
    }
    Ok(Reply {
        status,
        status_line,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

/// Sends one GET and reads the whole response.
pub fn get(cfg: &FetchConfig) -> Result<Reply, String> {
    let url = parse_url(&cfg.url)?;
    let addrs: Vec<SocketAddr> = match cfg.proxy {
        Some(p) => vec![p],
        None => (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
            .collect(),
    };
    let mut last = format!("no address for {}", url.host);
    for addr in addrs {
        match exchange(addr, &url, cfg) {
            Ok(r) => return Ok(r),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

fn exchange(addr: SocketAddr, url: &Url, cfg: &FetchConfig) -> io::Result<Reply> {
    let mut s = TcpStream::connect_timeout(&addr, cfg.timeout)?;
    s.set_read_timeout(Some(cfg.timeout))?;
    s.set_write_timeout(Some(cfg.timeout))?;
    s.write_all(&request_bytes(url, cfg.proxy.is_some(), &cfg.headers))?;
    let mut raw = Vec::new();
    s.take(16 * 1024 * 1024).read_to_end(&mut raw)?;
    parse_reply(&raw).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Runs `--fetch`/`--probe`; returns the process exit code.
pub fn run(cfg: &FetchConfig, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let mut failed = false;
    for _ in 0..cfg.count.max(1) {
        match get(cfg) {
            Ok(r) => {
                if r.status >= 400 {
                    failed = true;
                }
                if cfg.probe {
                    if r.status >= 400 {
                        let _ = writeln!(err, "demoapp: {} answered {}", cfg.url, r.status_line);
                    }
                    continue;
                }
                if cfg.include {
                    let _ = write!(out, "{}\r\n", r.status_line);
                    for (k, v) in &r.headers {
                        let _ = write!(out, "{k}: {v}\r\n");
                    }
                    let _ = write!(out, "\r\n");
                }
                let _ = out.write_all(&r.body);
                let _ = out.flush();
            }
            Err(e) => {
                failed = true;
                let _ = writeln!(err, "demoapp: {}: {e}", cfg.url);
            }
        }
    }
    u8::from(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://demoappv10:8080/a/b?x=1").unwrap();
        assert_eq!(
            (
                u.host.as_str(),
                u.port,
                u.authority.as_str(),
                u.path.as_str()
            ),
            ("demoappv10", 8080, "demoappv10:8080", "/a/b?x=1")
        );
        let u = parse_url("http://example.com").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        let u = parse_url("http://h?q").unwrap();
        assert_eq!(u.path, "/?q");
        let u = parse_url("http://[::1]:9/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        for bad in [
            "https://x/",
            "x:80",
            "http://",
            "http://h:port/",
            "http://u@h/",
            "http://h/a b",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_forms() {
        let u = parse_url("http://demoappv10:8080/p").unwrap();
        let direct = String::from_utf8(request_bytes(&u, false, &[])).unwrap();
        assert!(direct.starts_with("GET /p HTTP/1.1\r\nHost: demoappv10:8080\r\n"));
        let h = vec![("Host".to_string(), "other".to_string())];
        let proxied = String::from_utf8(request_bytes(&u, true, &h)).unwrap();
        assert!(proxied.starts_with("GET http://demoappv10:8080/p HTTP/1.1\r\n"));
        assert!(proxied.contains("Host: other\r\n") && !proxied.contains("Host: demoappv10"));
        assert!(proxied.ends_with("Connection: close\r\n\r\n"));
    }

    #[test]
    fn replies() {
        let r = parse_reply(b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\nX-A: b\r\n\r\nabcdef")
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"abc"[..]));
        assert_eq!(r.header("x-a"), Some("b"));
        let r = parse_reply(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(parse_reply(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_reply(b"SSH-2.0\r\n\r\n").is_err());
    }
}
