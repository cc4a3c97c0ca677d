//! HTTP/1.1 to Envoy and demoapp through [`ureq`] 3, configured so that it sends and returns
//! what the tests mean:
//!
//! - one [`Conn`] is one TCP connection: ureq writes the requests and parses the responses, a
//!   connector of ours hands it the single stream (opened by [`Conn::open`], or bound to a
//!   source address by [`Conn::open_from`]) and refuses a second, so ureq never reconnects
//!   silently (tests that stay on one connection to stay on one Envoy worker would otherwise
//!   pass or fail by chance); [`get`] opens a fresh connection for each request;
//! - the `Host` header is the one given, not the URL's (the URL only names the socket);
//! - no header of ureq's own: no `user-agent`, `accept` or `accept-encoding` (ureq is built
//!   without gzip, so bodies come back as sent); only `host`, the given headers and
//!   `connection: close` where asked;
//! - redirects are answers (`max_redirects(0)`: tests read `location`), and so are 4xx/5xx
//!   (`http_status_as_error(false)`);
//! - [`TIMEOUT`] on the connect and on every read and write, as before; no proxy from the
//!   environment.
//!
//! What ureq cannot send (absolute-form targets, requests cut off halfway) goes through
//! [`super::raw`].

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::Duration;
use ureq::config::AutoHeaderValue;
use ureq::http::{self, HeaderMap, StatusCode};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, Transport,
};
use ureq::Agent;

/// Connect timeout, and the timeout of every read and write.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// ureq's input buffer: a whole response head must fit, so ureq's own limit on heads
/// (`max_response_header_size`, 64 KiB).
const INPUT_BUFFER: usize = 64 * 1024;

/// ureq's output buffer: each request header line must fit (the longest here is 8 KiB,
/// e2e_security).
const OUTPUT_BUFFER: usize = 16 * 1024;

/// A response: status, headers (names lower-cased; repeated names as sent), body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// From a status, headers and body (values that are not UTF-8 are read lossily).
    pub(crate) fn new(status: StatusCode, headers: &HeaderMap, body: Vec<u8>) -> Response {
        Response {
            status: status.as_u16(),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (k.as_str().to_string(), v)
                })
                .collect(),
            body,
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The standard reason phrase of the status (`Not Found`; empty for codes it has none
    /// for). ureq does not keep the phrase the server sent.
    pub fn reason(&self) -> &'static str {
        StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
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

/// Like [`get`], with header values as bytes: ureq sends any byte but controls as given
/// (`obs-text`, e.g. Latin-1 or broken UTF-8).
pub fn get_bytes(
    addr: SocketAddr,
    host: &str,
    path: &str,
    headers: &[(&str, &[u8])],
) -> io::Result<Response> {
    Conn::open(addr)?.send("GET", path, host, headers.iter().copied(), false)
}

/// One client connection; `request(.., keep_alive: true)` reuses it. A request after the
/// server closed it fails (ureq is not let open another).
pub struct Conn {
    agent: Agent,
    base: String,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> io::Result<Conn> {
        Conn::from_stream(addr, TcpStream::connect_timeout(&addr, TIMEOUT)?)
    }

    /// Like [`Conn::open`], from source address `src` (e.g. another 127.0.0.x, so a proxy sees
    /// a different client IP). IPv4 only.
    pub fn open_from(src: Ipv4Addr, addr: SocketAddr) -> io::Result<Conn> {
        Conn::from_stream(addr, connect_from(src, addr)?)
    }

    fn from_stream(addr: SocketAddr, stream: TcpStream) -> io::Result<Conn> {
        stream.set_nodelay(true)?;
        let config = Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .timeout_per_read(Some(TIMEOUT))
            .timeout_per_write(Some(TIMEOUT))
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            // Idle time never retires the connection (that would mean a second one).
            .max_idle_age(Duration::from_secs(24 * 3600))
            // ureq zero-fills both buffers for each connection: at its default 128 KiB each,
            // that took about 1 ms per fresh connection in the debug build the tests run in.
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .build();
        let connector = OneConnection {
            addr,
            stream: Mutex::new(Some(stream)),
        };
        Ok(Conn {
            agent: Agent::with_parts(config, connector, DefaultResolver::default()),
            base: format!("http://{addr}"),
        })
    }

    /// Sends one request (`target` in origin form, `/path?query`) and reads its response;
    /// `keep_alive: false` adds `Connection: close`.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        host: &str,
        headers: &[(&str, &str)],
        keep_alive: bool,
    ) -> io::Result<Response> {
        let headers = headers.iter().map(|&(k, v)| (k, v.as_bytes()));
        self.send(method, target, host, headers, keep_alive)
    }

    fn send<'a>(
        &mut self,
        method: &str,
        target: &str,
        host: &str,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        keep_alive: bool,
    ) -> io::Result<Response> {
        let bad = |e: http::Error| io::Error::new(io::ErrorKind::InvalidInput, e);
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{target}", self.base))
            .header(http::header::HOST, host);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if !keep_alive {
            req = req.header(http::header::CONNECTION, "close");
        }
        let req = req.body(()).map_err(bad)?;
        let mut r = self.agent.run(req).map_err(ureq::Error::into_io)?;
        let body = r.body_mut().read_to_vec().map_err(ureq::Error::into_io)?;
        Ok(Response::new(r.status(), r.headers(), body))
    }
}

/// Hands ureq the one stream of a [`Conn`] and refuses to open another.
struct OneConnection {
    addr: SocketAddr,
    stream: Mutex<Option<TcpStream>>,
}

impl std::fmt::Debug for OneConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OneConnection({})", self.addr)
    }
}

impl Connector for OneConnection {
    type Out = Stream;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Stream>, ureq::Error> {
        let stream = self.stream.lock().map(|mut s| s.take()).ok().flatten();
        let stream = stream.ok_or_else(|| {
            ureq::Error::Io(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                format!(
                    "the connection to {} is closed (one Conn is one connection)",
                    self.addr
                ),
            ))
        })?;
        let c = details.config;
        let buffers = LazyBuffers::new(c.input_buffer_size(), c.output_buffer_size());
        Ok(Some(Stream {
            stream,
            buffers,
            read_timeout: None,
            write_timeout: None,
        }))
    }
}

/// ureq's view of a TCP stream (ureq's own `TcpTransport` is not public): its buffers, and
/// socket timeouts from the time ureq has left for each read and write (set only when that
/// changes; a new socket has none).
#[derive(Debug)]
struct Stream {
    stream: TcpStream,
    buffers: LazyBuffers,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// Sets the socket timeout for `t` through `set` unless `current` is it already; the timeout
/// error when no time is left.
fn socket_timeout(
    t: NextTimeout,
    current: &mut Option<Duration>,
    set: impl FnOnce(Option<Duration>) -> io::Result<()>,
) -> Result<(), ureq::Error> {
    if t.after.is_zero() {
        return Err(ureq::Error::Timeout(t.reason));
    }
    let want = t.not_zero().map(|d| *d);
    if *current != want {
        set(want)?;
        *current = want;
    }
    Ok(())
}

/// A socket error that is a timeout becomes ureq's timeout error.
fn io_error(e: io::Error, t: NextTimeout) -> ureq::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ureq::Error::Timeout(t.reason),
        _ => ureq::Error::Io(e),
    }
}

impl Transport for Stream {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let t = timeout.for_write();
        socket_timeout(t, &mut self.write_timeout, |d| {
            self.stream.set_write_timeout(d)
        })?;
        let output = &self.buffers.output()[..amount];
        (&self.stream).write_all(output).map_err(|e| io_error(e, t))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let t = timeout.for_read();
        socket_timeout(t, &mut self.read_timeout, |d| {
            self.stream.set_read_timeout(d)
        })?;
        let n = loop {
            match (&self.stream).read(self.buffers.input_append_buf()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r.map_err(|e| io_error(e, t))?,
            }
        };
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    /// Asked before ureq reuses the connection: open while a read would block (closed, or
    /// unasked-for bytes, otherwise).
    fn is_open(&mut self) -> bool {
        let mut b = [0];
        let open = self.stream.set_nonblocking(true).is_ok()
            && matches!(self.stream.peek(&mut b), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        self.stream.set_nonblocking(false).is_ok() && open
    }
}

/// A TCP connection to `addr` from `src:0` (bind before connect; std has no such call).
fn connect_from(src: Ipv4Addr, addr: SocketAddr) -> io::Result<TcpStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(dst) = addr else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "IPv4 only"));
    };
    let sockaddr = |ip: Ipv4Addr, port: u16| libc::sockaddr_in {
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

#[cfg(test)]
mod tests {
    //! What goes on the wire, against a scripted server on 127.0.0.1.
    use super::*;
    use std::net::TcpListener;
    use std::thread::JoinHandle;

    /// Accepts one connection; for each of `answers` reads one request head and writes the
    /// answer; then closes. Returns the request heads.
    fn serve(answers: &'static [&'static [u8]]) -> (SocketAddr, JoinHandle<Vec<Vec<u8>>>) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().expect("accept");
            let mut heads = Vec::new();
            let mut buf = Vec::new();
            for answer in answers {
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let mut b = [0; 4096];
                    let n = s.read(&mut b).expect("read");
                    assert!(n > 0, "client closed early");
                    buf.extend_from_slice(&b[..n]);
                }
                let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
                heads.push(buf.drain(..end).collect());
                s.write_all(answer).expect("write");
            }
            heads
        });
        (addr, t)
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-b: 1\r\nx-b: 2\r\n\r\nok";

    #[test]
    fn get_sends_the_host_given_the_path_as_is_and_no_header_of_its_own() {
        let (addr, server) = serve(&[OK]);
        let r = get(
            addr,
            "demoappv10.magedu.com",
            "/a/../b//c?x=%2e",
            &[("x-a", "1")],
        );
        let r = r.expect("request");
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
        let x_b: Vec<_> = r.headers.iter().filter(|(k, _)| k == "x-b").collect();
        assert_eq!(x_b.len(), 2, "{:?}", r.headers);
        assert_eq!(
            server.join().expect("server"),
            [
                b"GET /a/../b//c?x=%2e HTTP/1.1\r\nhost: demoappv10.magedu.com\r\nx-a: 1\r\n\
               connection: close\r\n\r\n"
            ]
        );
    }

    #[test]
    fn header_values_that_are_not_utf8_go_out_as_given() {
        let (addr, server) = serve(&[OK]);
        get_bytes(addr, "h", "/", &[("x-bin", b"caf\xe9 \xff")]).expect("request");
        let head = &server.join().expect("server")[0];
        let line = b"\r\nx-bin: caf\xe9 \xff\r\n";
        assert!(head.windows(line.len()).any(|w| w == line), "{head:?}");
    }

    #[test]
    fn redirects_and_errors_are_answers() {
        const ANSWERS: &[&[u8]] = &[
            b"HTTP/1.1 302 Found\r\nlocation: http://elsewhere/x\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\ngone",
        ];
        let (addr, server) = serve(ANSWERS);
        let mut c = Conn::open(addr).expect("connect");
        let r = c.request("GET", "/", "h", &[], true).expect("302");
        assert_eq!(
            (r.status, r.header("location")),
            (302, Some("http://elsewhere/x"))
        );
        let r = c.request("GET", "/", "h", &[], true).expect("503");
        assert_eq!((r.status, r.text().as_str()), (503, "gone"));
        assert_eq!(server.join().expect("server").len(), 2, "one connection");
    }

    #[test]
    fn a_conn_is_one_connection_and_fails_once_it_is_closed() {
        let (addr, server) = serve(&[OK, OK]);
        let mut c = Conn::open(addr).expect("connect");
        for _ in 0..2 {
            assert_eq!(
                c.request("GET", "/", "h", &[], true)
                    .expect("request")
                    .status,
                200
            );
        }
        server.join().expect("server");
        let e = c
            .request("GET", "/", "h", &[], true)
            .expect_err("the server closed it");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted, "{e}");
    }
}
