//! Test harness: a real nats-server on a free loopback port, the real latwatch binary, and a real
//! async-nats publisher. Every child process is killed when its guard drops.
#![allow(dead_code)] // each test file uses a different part of the harness

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const FIXTURES_1X: &str = include_str!("../fixtures/host-1x-events.jsonl");
pub const FIXTURES_LEGACY: &str = include_str!("../fixtures/legacy-events.jsonl");
pub const FIXTURES_SPEC: &str = include_str!("../fixtures/spec-events.jsonl");

/// Every fixture line, in file order.
pub fn all_fixtures() -> Vec<&'static str> {
    FIXTURES_1X
        .lines()
        .chain(FIXTURES_LEGACY.lines())
        .chain(FIXTURES_SPEC.lines())
        .collect()
}

/// The short event name in a fixture line (what its subject ends with).
/// A pretty line without its date: lines of events not from today (every fixture's) begin
/// with one (`2026-11-24 09:12:03.104  host_started  …`).
pub fn undated(line: &str) -> &str {
    let bytes = line.as_bytes();
    let dated = bytes.len() > 11
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && bytes[10] == b' ';
    if dated {
        &line[11..]
    } else {
        line
    }
}

pub fn event_name(payload: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(payload).expect("fixture is JSON");
    value["type"]
        .as_str()
        .expect("fixture has a type")
        .trim_start_matches("com.wasmcloud.lattice.")
        .to_owned()
}

/// The first fixture line of the named kind.
pub fn fixture(name: &str) -> &'static str {
    all_fixtures()
        .into_iter()
        .find(|line| event_name(line) == name)
        .unwrap_or_else(|| panic!("no {name} fixture"))
}

/// A port nothing listens on right now (never 4222, which a developer's own server may hold).
pub fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind a loopback port")
            .local_addr()
            .expect("local addr")
            .port();
        if port != 4222 {
            return port;
        }
    }
}

/// A nats-server child process.
pub struct NatsServer {
    child: Option<Child>,
    started_once: bool,
    pub port: u16,
    extra_args: Vec<String>,
}

/// The INFO line the server on `port` greets with, if one answers.
fn server_name_at(port: u16) -> Option<String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    Some(line)
}

impl NatsServer {
    pub fn start() -> NatsServer {
        NatsServer::start_with(&[])
    }

    pub fn start_with(extra_args: &[&str]) -> NatsServer {
        let mut server = NatsServer {
            child: None,
            started_once: false,
            port: free_port(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections. Tests run in parallel, so
    /// the port may have been taken since it was picked: the server is named uniquely, and only an
    /// INFO line with that name counts as "up". A first start that loses its port tries another.
    pub fn restart(&mut self) {
        self.stop();
        let first_start = !self.started_once;
        self.started_once = true;
        for _attempt in 0..5 {
            if self.try_start() {
                return;
            }
            assert!(
                first_start,
                "nats-server could not restart on port {}",
                self.port
            );
            self.port = free_port();
        }
        panic!("nats-server did not start");
    }

    fn try_start(&mut self) -> bool {
        static STARTS: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "latwatch-test-{}-{}",
            std::process::id(),
            STARTS.fetch_add(1, Ordering::Relaxed)
        );
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
        let mut child = Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-n", &name])
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start {binary} ({err}); install it: apt-get install -y nats-server")
            });
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return false; // it exited: the port was taken
            }
            if server_name_at(self.port).is_some_and(|info| info.contains(&name)) {
                self.child = Some(child);
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Restarts on the same port with other arguments (say, other credentials).
    pub fn restart_with(&mut self, extra_args: &[&str]) {
        self.extra_args = extra_args.iter().map(|s| s.to_string()).collect();
        self.restart();
    }

    /// The server's process id (to stop it with SIGSTOP, as a hung server).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server runs").id()
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes with async-nats from synchronous tests.
pub struct Publisher {
    runtime: tokio::runtime::Runtime,
    client: async_nats::Client,
}

impl Publisher {
    pub fn connect(url: &str) -> Publisher {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = runtime
            .block_on(async_nats::connect(url))
            .expect("publisher connects");
        Publisher { runtime, client }
    }

    pub fn publish(&self, subject: &str, payload: impl Into<Vec<u8>>) {
        let payload = payload.into();
        self.runtime.block_on(async {
            self.client
                .publish(subject.to_owned(), payload.into())
                .await
                .expect("publish");
            self.client.flush().await.expect("flush");
        });
    }

    /// Publishes a request with its reply subject (as a wasmCloud 2 operator does), and flushes.
    pub fn publish_with_reply(&self, subject: &str, reply: &str, payload: impl AsRef<[u8]>) {
        let payload = payload.as_ref().to_vec();
        self.runtime.block_on(async {
            self.client
                .publish_with_reply(subject.to_owned(), reply.to_owned(), payload.into())
                .await
                .expect("publish");
            self.client.flush().await.expect("flush");
        });
    }

    /// A request as the wasmCloud 2 operator makes one: `Err` with the client's words
    /// (`NoResponders`), or `waited` after 3 s.
    pub fn request(&self, subject: &str, body: &str) -> Result<(), String> {
        self.runtime.block_on(async {
            let asked = self
                .client
                .request(subject.to_owned(), body.to_owned().into());
            match tokio::time::timeout(Duration::from_secs(3), asked).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(why)) => Err(format!("{:?}", why.kind())),
                Err(_) => Err("waited".to_owned()),
            }
        })
    }

    /// Publishes every payload without waiting in between, then flushes once.
    pub fn publish_burst(&self, subject: &str, payloads: impl Iterator<Item = Vec<u8>>) {
        self.runtime.block_on(async {
            for payload in payloads {
                self.client
                    .publish(subject.to_owned(), payload.into())
                    .await
                    .expect("publish");
            }
            self.client.flush().await.expect("flush");
        });
    }

    /// Creates a JetStream stream (file storage) on these subjects, as wadm creates
    /// `wasmbus_events`.
    pub fn create_stream(&self, name: &str, subjects: &[&str]) {
        self.runtime.block_on(async {
            let js = async_nats::jetstream::new(self.client.clone());
            js.create_stream(async_nats::jetstream::stream::Config {
                name: name.to_owned(),
                subjects: subjects.iter().map(|s| s.to_string()).collect(),
                max_age: Duration::from_secs(70),
                ..Default::default()
            })
            .await
            .expect("create the stream");
        });
    }

    /// Creates a stream that copies `source` (no subjects of its own) and keeps a day: how more
    /// history is kept where wadm's stream already takes the subjects.
    pub fn create_copy_stream(&self, name: &str, source: &str) {
        self.runtime.block_on(async {
            let js = async_nats::jetstream::new(self.client.clone());
            js.create_stream(async_nats::jetstream::stream::Config {
                name: name.to_owned(),
                sources: Some(vec![async_nats::jetstream::stream::Source {
                    name: source.to_owned(),
                    ..Default::default()
                }]),
                max_age: Duration::from_secs(24 * 3600),
                ..Default::default()
            })
            .await
            .expect("create the copy");
        });
    }

    /// How many messages a stream holds.
    pub fn stream_messages(&self, name: &str) -> u64 {
        self.runtime.block_on(async {
            let js = async_nats::jetstream::new(self.client.clone());
            let mut stream = js.get_stream(name).await.expect("the stream");
            stream.info().await.expect("its info").state.messages
        })
    }

    /// Creates the two streams wadm creates that latwatch reads at startup: `wadm_status`
    /// (`wadm.status.*.*`, the last 10 messages per subject, no age limit) and `wadm_events`
    /// (`wadm.evt.*.>`, 70 s).
    pub fn create_wadm_streams(&self) {
        self.runtime.block_on(async {
            let js = async_nats::jetstream::new(self.client.clone());
            js.create_stream(async_nats::jetstream::stream::Config {
                name: "wadm_status".to_owned(),
                subjects: vec!["wadm.status.*.*".to_owned()],
                max_messages_per_subject: 10,
                ..Default::default()
            })
            .await
            .expect("create wadm_status");
            js.create_stream(async_nats::jetstream::stream::Config {
                name: "wadm_events".to_owned(),
                subjects: vec!["wadm.evt.*.>".to_owned()],
                max_age: Duration::from_secs(70),
                ..Default::default()
            })
            .await
            .expect("create wadm_events");
        });
    }

    /// Publishes through JetStream and waits for the stream's ack, as wadm publishes (so each
    /// message is stored before the next is published, whichever stream stores it); a subject no
    /// stream stores is published plainly.
    pub fn publish_stored(&self, subject: &str, payload: &[u8]) {
        if !subject.starts_with("wadm.") {
            return self.publish(subject, payload.to_vec());
        }
        self.publish_acked(subject, payload);
    }

    /// Publishes through JetStream and waits for the stream's ack, whatever the subject: every
    /// message is stored before the next is published, so the streams' stored times keep the
    /// recording's order.
    pub fn publish_acked(&self, subject: &str, payload: &[u8]) {
        self.runtime.block_on(async {
            let js = async_nats::jetstream::new(self.client.clone());
            js.publish(subject.to_owned(), payload.to_vec().into())
                .await
                .expect("publish")
                .await
                .expect("the stream's ack");
        });
    }

    /// [`Publisher::publish_stored`] for many messages on one subject: published a hundred at a
    /// time, then their acks awaited (async-nats holds back publishes with too many acks
    /// outstanding); the stream stores them in order.
    pub fn publish_stored_burst(&self, subject: &str, payloads: impl Iterator<Item = Vec<u8>>) {
        self.runtime.block_on(async {
            let js = async_nats::jetstream::new(self.client.clone());
            let mut acks = Vec::new();
            for payload in payloads {
                acks.push(
                    js.publish(subject.to_owned(), payload.into())
                        .await
                        .expect("publish"),
                );
                if acks.len() == 100 {
                    for ack in acks.drain(..) {
                        ack.await.expect("the stream's ack");
                    }
                }
            }
            for ack in acks {
                ack.await.expect("the stream's ack");
            }
        });
    }

    /// Publishes a fixture line on `wasmbus.evt.<lattice>.<its name>`.
    pub fn publish_event(&self, lattice: &str, payload: &str) {
        self.publish(
            &format!("wasmbus.evt.{lattice}.{}", event_name(payload)),
            payload,
        );
    }
}

/// A running latwatch, its stdout split into lines and its stderr collected.
pub struct Latwatch {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<Receiver<Vec<u8>>>,
    stderr: Arc<Mutex<String>>,
}

/// latwatch with a clean slate: none of the developer's NATS/wash variables, and a nats
/// configuration folder of its own (no context selected) so a local `nats context select` cannot
/// leak into a test.
pub fn latwatch_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latwatch"));
    command
        .args(args)
        .env("XDG_CONFIG_HOME", empty_config_dir());
    for name in [
        "NATS_URL",
        "NATS_CONTEXT",
        "NATS_CREDS",
        "NATS_NKEY",
        "NATS_USER",
        "NATS_PASSWORD",
        "NATS_TOKEN",
        "NATS_CA",
        "NATS_CERT",
        "NATS_KEY",
        "WASH_CTL_CREDS",
        "WASMCLOUD_CTL_JWT",
        "WASMCLOUD_CTL_SEED",
        "WASMCLOUD_LATTICE",
        "WASMCLOUD_CTL_HOST",
        "WASMCLOUD_CTL_PORT",
        "NO_COLOR",
        "CLICOLOR_FORCE",
    ] {
        command.env_remove(name);
    }
    command
}

/// A fresh temporary folder, removed when the value is dropped: keep it bound for as long as its
/// files are used (`let dir = temp_dir("x");`, then `dir.join(…)`).
pub struct TestDir(tempfile::TempDir);

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for TestDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}

impl AsRef<std::path::Path> for TestDir {
    fn as_ref(&self) -> &std::path::Path {
        self.0.path()
    }
}

pub fn temp_dir(name: &str) -> TestDir {
    TestDir(
        tempfile::Builder::new()
            .prefix(&format!("latwatch-{name}-"))
            .tempdir()
            .expect("temp dir"),
    )
}

/// A nats configuration folder that does not exist: no context is selected, and nothing is left
/// behind.
fn empty_config_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("latwatch-tests-no-nats-config")
}

impl Latwatch {
    pub fn spawn(args: &[&str]) -> Latwatch {
        Latwatch::spawn_command(latwatch_command(args))
    }

    pub fn spawn_command(command: Command) -> Latwatch {
        let mut latwatch = Latwatch::spawn_stalled(command);
        latwatch.resume_stdout();
        latwatch
    }

    /// Spawns latwatch with nobody reading its stdout until [`Latwatch::resume_stdout`]: a
    /// consumer that cannot keep up.
    pub fn spawn_stalled(mut command: Command) -> Latwatch {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("latwatch starts");
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(String::new()));
        let collected = stderr.clone();
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Latwatch {
            child,
            stdin,
            stdout: None,
            stderr,
        }
    }

    /// Takes stdout to read it some other way than line by line.
    pub fn take_stdout(&mut self) -> std::process::ChildStdout {
        self.child.stdout.take().expect("stdout not yet read")
    }

    /// Starts reading stdout, line by line.
    pub fn resume_stdout(&mut self) {
        let mut stdout = BufReader::new(self.child.stdout.take().expect("stdout not yet read"));
        let (lines_tx, lines_rx) = mpsc::channel();
        thread::spawn(move || loop {
            let mut line = Vec::new();
            match stdout.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if lines_tx.send(line).is_err() {
                        break;
                    }
                }
            }
        });
        self.stdout = Some(lines_rx);
    }

    /// Spawns latwatch on `server` and waits for its "listening" line.
    pub fn listening(server: &NatsServer, args: &[&str]) -> Latwatch {
        let url = server.url();
        let mut all = vec!["-s", url.as_str()];
        all.extend_from_slice(args);
        let latwatch = Latwatch::spawn(&all);
        latwatch.wait_stderr("listening", Duration::from_secs(10));
        latwatch
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr contains `needle`; panics with what stderr said otherwise.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let stderr = self.stderr();
            if stderr.contains(needle) {
                return stderr;
            }
            assert!(
                Instant::now() < deadline,
                "stderr never said {needle:?}; it said:\n{stderr}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The next stdout line (with its newline), or `None` after `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Option<Vec<u8>> {
        self.stdout.as_ref()?.recv_timeout(timeout).ok()
    }

    /// Exactly `n` stdout lines as text; panics with stderr if they do not come in time.
    pub fn lines(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::with_capacity(n);
        while lines.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Some(line) => lines.push(String::from_utf8(line).expect("stdout is UTF-8")),
                None => panic!(
                    "got {} of {n} lines; stderr:\n{}\nlines:\n{}",
                    lines.len(),
                    self.stderr(),
                    lines.join("")
                ),
            }
        }
        lines
    }

    /// Stops reading stdout: the pipe's read end closes, as when `| head` exits.
    pub fn close_stdout(&mut self) {
        self.stdout = None;
    }

    pub fn write_stdin(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// The exit status, if latwatch has exited.
    pub fn child_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads drain what is left.
                thread::sleep(Duration::from_millis(50));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "latwatch did not exit; stderr:\n{}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every stdout line still to come, until stdout closes.
    pub fn rest(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line(Duration::from_secs(5)) {
            lines.push(String::from_utf8(line).expect("stdout is UTF-8"));
        }
        lines
    }
}

impl Drop for Latwatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs latwatch to completion with `stdin` and returns (exit status, stdout, stderr).
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> (ExitStatus, Vec<u8>, String) {
    use std::io::Write;
    let mut child = latwatch_command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latwatch starts");
    let mut input = child.stdin.take().expect("stdin");
    let owned = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = input.write_all(&owned);
    });
    let output = child.wait_with_output().expect("latwatch runs");
    writer.join().expect("stdin writer");
    (
        output.status,
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A TCP proxy on a free loopback port in front of a server: [`Proxy::cut`] closes every
/// connection through it and refuses new ones until [`Proxy::restore`], as a network outage does.
pub struct Proxy {
    pub port: u16,
    cut: Arc<std::sync::atomic::AtomicBool>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(target: u16) -> Proxy {
        Proxy::start_slow(target, Duration::ZERO)
    }

    /// A proxy that holds each chunk the client sends for `upstream` before passing it on (the
    /// server's answers pass at once): the client's writes are done long before the server has
    /// read them.
    pub fn start_slow(target: u16, upstream: Duration) -> Proxy {
        use std::io::Write;
        use std::sync::atomic::AtomicBool;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let stopped = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (cut_flag, stop_flag, open) = (cut.clone(), stopped.clone(), connections.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop_flag.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                if cut_flag.load(Ordering::Relaxed) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut open = open.lock().unwrap();
                for (mut from, mut to, delay) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        upstream,
                    ),
                    (
                        server.try_clone().unwrap(),
                        client.try_clone().unwrap(),
                        Duration::ZERO,
                    ),
                ] {
                    thread::spawn(move || {
                        let mut chunk = [0u8; 16 * 1024];
                        while let Ok(n @ 1..) = from.read(&mut chunk) {
                            thread::sleep(delay);
                            if to.write_all(&chunk[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
                open.push(client);
                open.push(server);
            }
        });
        Proxy {
            port,
            cut,
            stopped,
            connections,
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
        for connection in self.connections.lock().unwrap().drain(..) {
            let _ = connection.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::Relaxed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Relaxed);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Sends a signal by name (`STOP`, `CONT`, `KILL`) to a process.
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Answers requests over a real server with recorded replies (as wadm or a host would), on a
/// runtime of its own, until dropped.
pub struct Responder {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Responder {
    /// Answers each `(subject, reply)`: every request on `subject` gets `reply`.
    pub fn start(url: &str, replies: Vec<(String, String)>) -> Responder {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let client = runtime
            .block_on(async_nats::connect(url))
            .expect("responder connects");
        for (subject, reply) in replies {
            let client = client.clone();
            let mut requests = runtime
                .block_on(client.subscribe(subject))
                .expect("subscribe");
            runtime.spawn(async move {
                use futures_util::StreamExt;
                while let Some(request) = requests.next().await {
                    if let Some(inbox) = request.reply {
                        let _ = client.publish(inbox, reply.clone().into()).await;
                        let _ = client.flush().await;
                    }
                }
            });
        }
        // The subscriptions are in place once the server answered a round trip.
        runtime.block_on(client.flush()).expect("flush");
        Responder {
            runtime: Some(runtime),
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The messages of a recorded fixture (`{"subject", "reply", "payload"}` a line).
pub fn recorded(fixture: &str) -> Vec<(String, String)> {
    fixture
        .lines()
        .map(|line| {
            let message: serde_json::Value = serde_json::from_str(line).expect("a fixture line");
            (
                message["subject"].as_str().expect("subject").to_owned(),
                message["payload"].as_str().expect("payload").to_owned(),
            )
        })
        .collect()
}

/// The recorded replies to control-interface and wadm API requests: (request subject, reply).
pub fn recorded_replies() -> Vec<(String, String)> {
    include_str!("../fixtures/ctl-replies-hello-app.jsonl")
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("a fixture line");
            (
                entry["request_subject"]
                    .as_str()
                    .expect("subject")
                    .to_owned(),
                entry["replies"][0].as_str().expect("a reply").to_owned(),
            )
        })
        .collect()
}

pub const WADM_HELLO_APP: &str = include_str!("../fixtures/wadm-hello-app.jsonl");
pub const WADM_BROKEN_APP: &str = include_str!("../fixtures/wadm-broken-app.jsonl");

/// The subjects each latwatch connection is subscribed to, from the server's monitoring endpoint
/// (`/connz?subs=1`; start the server with `-m <port>`).
pub fn latwatch_subscriptions(monitor: u16) -> Vec<Vec<String>> {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", monitor)) else {
        return Vec::new();
    };
    let _ = write!(
        stream,
        "GET /connz?subs=1&limit=1024 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let Some((_, body)) = response.split_once("\r\n\r\n") else {
        return Vec::new();
    };
    let Ok(connz) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    connz["connections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["name"] == "latwatch")
        .map(|c| {
            c["subscriptions_list"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Waits until exactly `n` latwatch connections are subscribed to `subject` (the server's own
/// list); panics with what it saw after 20 s.
pub fn wait_for_listeners(monitor: u16, subject: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let connections = latwatch_subscriptions(monitor);
        let listening = connections
            .iter()
            .filter(|subs| subs.iter().any(|s| s == subject))
            .count();
        if listening == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{listening} of {n} latwatch connections listen to {subject}: {connections:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
