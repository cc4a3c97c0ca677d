//! A small HTTP/1.1 client over `std::net::TcpStream`: enough to talk to Envoy and demoapp,
//! including requests no well-behaved client would send (raw bytes, absolute-form targets).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Read/write timeout of every request.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A response: status, headers in order (names lower-cased), body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// The reason phrase (`Not Found`).
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The demoapp pod that answered (`x-demoapp-name`), if a pod answered.
    pub fn pod(&self) -> Option<&str> {
        self.header("x-demoapp-name")
    }

    /// One line for failure messages: `503 (no pod) "meshroute: …"`.
    pub fn summary(&self) -> String {
        let body = self.text();
        let body = body.trim_end();
        let body: String = body.chars().take(160).collect();
        format!(
            "{} ({}) {:?}",
            self.status,
            self.pod().unwrap_or("no pod"),
            body
        )
    }
}

/// `GET path` with `Host: host` on a fresh connection (`Connection: close`).
pub fn get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> io::Result<Response> {
    Conn::open(addr)?.request("GET", path, host, headers, false)
}

/// Sends `raw` exactly as given on a fresh connection and reads one response.
pub fn send_raw(addr: SocketAddr, raw: &[u8]) -> io::Result<Response> {
    let mut c = Conn::open(addr)?;
    c.stream.write_all(raw)?;
    c.stream.flush()?;
    c.read_response(false)
}

/// Builds a request head; `headers` go after `Host`.
pub fn request_bytes(
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    keep_alive: bool,
) -> Vec<u8> {
    let mut s = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    if !keep_alive {
        s.push_str("Connection: close\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// One client connection; `request(.., keep_alive: true)` reuses it.
pub struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> io::Result<Conn> {
        Conn::from_stream(TcpStream::connect_timeout(&addr, TIMEOUT)?)
    }

    /// Like [`Conn::open`], from source address `src` (e.g. another 127.0.0.x, so a proxy sees
    /// a different client IP). IPv4 only.
    pub fn open_from(src: std::net::Ipv4Addr, addr: SocketAddr) -> io::Result<Conn> {
        Conn::from_stream(connect_from(src, addr)?)
    }

    fn from_stream(stream: TcpStream) -> io::Result<Conn> {
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.set_nodelay(true)?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Conn { stream, reader })
    }

    /// Sends one request and reads its response.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        host: &str,
        headers: &[(&str, &str)],
        keep_alive: bool,
    ) -> io::Result<Response> {
        let raw = request_bytes(method, target, host, headers, keep_alive);
        self.stream.write_all(&raw)?;
        self.stream.flush()?;
        self.read_response(method == "HEAD")
    }

    fn read_line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let n = self.reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a complete response",
            ));
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        Ok(line)
    }

    /// Reads one response (status line, headers, body by content-length, chunked or close).
    pub fn read_response(&mut self, head_only: bool) -> io::Result<Response> {
        let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
        let status_line = String::from_utf8_lossy(&self.read_line()?).into_owned();
        let mut parts = status_line.splitn(3, ' ');
        let status = parts
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
        let reason = parts.next().unwrap_or("").trim().to_string();
        let mut headers = Vec::new();
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let mut r = Response {
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        if head_only || status / 100 == 1 || status == 204 || status == 304 {
            return Ok(r);
        }
        let chunked = r
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            loop {
                let size_line = String::from_utf8_lossy(&self.read_line()?).into_owned();
                let size_hex = size_line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_hex, 16)
                    .map_err(|_| bad(format!("bad chunk size {size_line:?}")))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while !self.read_line()?.is_empty() {}
                    break;
                }
                let mut chunk = vec![0; size];
                self.reader.read_exact(&mut chunk)?;
                r.body.extend_from_slice(&chunk);
                self.read_line()?;
            }
        } else if let Some(len) = r.header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| bad(format!("bad content-length {len:?}")))?;
            r.body = vec![0; len];
            self.reader.read_exact(&mut r.body)?;
        } else {
            self.reader.read_to_end(&mut r.body)?;
        }
        Ok(r)
    }
}

/// A TCP connection to `addr` from `src:0` (bind before connect; std has no such call).
fn connect_from(src: std::net::Ipv4Addr, addr: SocketAddr) -> io::Result<TcpStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(dst) = addr else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "IPv4 only"));
    };
    let sockaddr = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket syscalls on a descriptor this function owns; on success it is handed
    // to TcpStream (which closes it), on failure closed here.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let local = sockaddr(src, 0);
        let remote = sockaddr(*dst.ip(), dst.port());
        if libc::bind(fd, std::ptr::addr_of!(local).cast(), len) != 0
            || libc::connect(fd, std::ptr::addr_of!(remote).cast(), len) != 0
        {
            let e = io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        Ok(TcpStream::from_raw_fd(fd))
    }
}

/// Runs `f(i)` for `i in 0..n` on `n` threads and returns the results in order.
pub fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                s.spawn({
                    let f = &f;
                    move || f(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Counts the pods that answered: `pod name → responses` (`"<status>"` for answers no pod gave).
pub fn tally<'a>(
    responses: impl IntoIterator<Item = &'a Response>,
) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for r in responses {
        let k = r
            .pod()
            .map_or_else(|| format!("<{}>", r.status), str::to_string);
        *m.entry(k).or_insert(0) += 1;
    }
    m
}
