//! `latwatch top` in a real terminal: tmux gives it a pseudo-terminal of a chosen size, a real
//! nats-server carries the events, and the control interface and wadm are answered from the
//! recorded real replies. The screen is read back with `tmux capture-pane`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

const WAIT: Duration = Duration::from_secs(20);
const HOST: &str = "NDWZ6XD7GOIE343PD5PZMS753LNNJ5SGDLEER7SJJOO754CSWM7HBY5A";

/// A tmux server of the test's own (its own socket), killed on drop.
struct Tmux {
    socket: String,
    _dir: TestDir,
    exit_file: std::path::PathBuf,
    stty_file: std::path::PathBuf,
}

impl Tmux {
    /// Runs `latwatch ARGS` in a new `width`×`height` terminal; when it ends, the terminal's
    /// settings (`stty -a`) and its exit code are written to files and the pane stays open (so
    /// the restored screen can be read).
    fn start(args: &[&str], width: u16, height: u16) -> Tmux {
        let dir = temp_dir("top");
        let exit_file = dir.join("exit");
        let stty_file = dir.join("stty");
        // One tmux server per terminal: a socket name two tests shared would show one of them
        // the other's pane.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let socket = format!(
            "latwatch-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let config = dir.join("config");
        std::fs::create_dir_all(&config).unwrap();
        let script = format!(
            "env -u NATS_URL -u NATS_CONTEXT XDG_CONFIG_HOME='{}' '{}' {}; code=$?; stty -a > '{}' 2>&1; echo $code > '{}'; sleep 600",
            config.display(),
            env!("CARGO_BIN_EXE_latwatch"),
            quoted.join(" "),
            stty_file.display(),
            exit_file.display()
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["sh", "-c", &script])
            .env("TERM", "xterm-256color")
            .status()
            .expect(
                "tmux runs: the end-to-end test of latwatch top needs tmux (apt-get install tmux)",
            );
        assert!(status.success());
        Tmux {
            socket,
            _dir: dir,
            exit_file,
            stty_file,
        }
    }

    /// latwatch's process id: the pane's shell runs it as its only child (`env` execs it).
    fn latwatch_pid(&self) -> u32 {
        let shell: u32 = self
            .tmux(&["display-message", "-p", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("the pane's pid");
        let deadline = Instant::now() + WAIT;
        loop {
            let child = std::fs::read_dir("/proc")
                .expect("/proc")
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .find(|pid| {
                    // "pid (comm) state ppid …": the comm may hold spaces, so split after it.
                    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                        stat.rsplit_once(')')
                            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                            .and_then(|ppid| ppid.parse::<u32>().ok())
                            == Some(shell)
                    })
                });
            if let Some(pid) = child {
                return pid;
            }
            assert!(Instant::now() < deadline, "latwatch is not running");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `stty -a` in the pane after latwatch ended (written before the exit code is).
    fn terminal_settings(&self) -> String {
        std::fs::read_to_string(&self.stty_file).expect("the terminal settings")
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// Waits until the screen satisfies `check`; panics with the screen otherwise.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn alternate_screen(&self) -> bool {
        self.tmux(&["display-message", "-p", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// latwatch's exit code, once it has ended.
    fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file) {
                if let Ok(code) = text.trim().parse() {
                    return code;
                }
            }
            assert!(
                Instant::now() < deadline,
                "latwatch top did not end:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// `latwatch top` on `server` at 160×40 without color, with `extra` flags, once it has drawn.
fn top_watching(server: &NatsServer, extra: &[&str]) -> Tmux {
    let url = server.url();
    let mut args = vec!["top", "-s", &url, "--color", "never"];
    args.extend_from_slice(extra);
    let top = Tmux::start(&args, 160, 40);
    top.wait_for("the view", |s| s.contains("events (0)"));
    top
}

/// The screen line that holds every one of `parts`.
fn row<'s>(screen: &'s str, parts: &[&str]) -> Option<&'s str> {
    screen
        .lines()
        .find(|line| parts.iter().all(|p| line.contains(p)))
}

/// The cells of a row, split on runs of spaces.
fn cells(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[test]
fn top_starts_from_the_lattice_and_follows_its_events() {
    let server = NatsServer::start();
    let _lattice = Responder::start(&server.url(), recorded_replies());
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 140, 40);

    // From the control interface and wadm's API: the host, what it runs, the link, the app.
    let screen = top.wait_for("the seeded lattice", |s| {
        s.contains("aged-sunset-0616")
            && s.contains("hello_app-hello")
            && s.contains("links (1)")
            && s.contains("hello_app-httpserver → hello_app")
            && row(s, &["hello-app", "deployed"]).is_some()
    });
    assert!(
        top.alternate_screen(),
        "the view is on the alternate screen"
    );
    let component = row(&screen, &["hello_app-hello ", "aged-sunset-0616"]).unwrap();
    assert_eq!(
        &cells(component)[..5],
        ["hello_app-hello", "hello-app", "aged-sunset-0616", "2", "2"],
        "{screen}"
    );
    assert!(screen.contains("hosts 1"), "{screen}");

    // An instance count going 2 → 4, as the recorded v2 deploy scaled it.
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    assert!(messages[19].1.contains(r#""max_instances":4"#));
    publisher.publish(&messages[19].0, messages[19].1.as_bytes());
    top.wait_for("4 instances", |s| {
        row(s, &["hello_app-hello ", "aged-sunset-0616"])
            .is_some_and(|line| cells(line)[3..5] == ["4", "4"])
    });

    // A provider turning unhealthy.
    publisher.publish(
        "wasmbus.evt.default.health_check_failed",
        format!(
            r#"{{"specversion":"1.0","id":"h1","type":"com.wasmcloud.lattice.health_check_failed","source":"{HOST}","data":{{"host_id":"{HOST}","provider_id":"hello_app-httpserver"}}}}"#
        ),
    );
    let screen = top.wait_for("an unhealthy provider", |s| s.contains("UNHEALTHY"));
    assert!(screen.contains("1 unhealthy"), "{screen}");

    // A host going silent: three heartbeats teach it a 1 s interval, then nothing.
    for index in [21, 22, 23] {
        publisher.publish(&messages[index].0, messages[index].1.as_bytes());
        std::thread::sleep(Duration::from_millis(1100));
    }
    let screen = top.wait_for("a silent host", |s| s.contains("SILENT"));
    assert!(screen.contains("(1 silent)"), "{screen}");
    // The events pane shows the events as pretty lines.
    assert!(screen.contains("health_check_failed"), "{screen}");

    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
    assert!(
        !top.alternate_screen(),
        "the terminal is restored:\n{}",
        top.screen()
    );
}

#[test]
fn keys_filter_show_details_and_quit() {
    let server = NatsServer::start();
    let _lattice = Responder::start(&server.url(), recorded_replies());
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 120, 50);
    top.wait_for("the seeded lattice", |s| s.contains("links (1)"));
    // Tab to components, filter them, open the selected row's JSON.
    top.keys(&["Tab"]);
    top.keys(&[
        "/", "h", "e", "l", "l", "o", "_", "a", "p", "p", "-", "h", "Enter",
    ]);
    let screen = top.wait_for("the filtered pane", |s| s.contains("/hello_app-h"));
    assert!(screen.contains("components (1)"), "{screen}");
    top.keys(&["Enter"]);
    let screen = top.wait_for("the details", |s| s.contains("as latwatch holds it"));
    assert!(
        screen.contains(r#""image": "file:///srv/lab/hello_plugin_s.wasm""#),
        "{screen}"
    );
    assert!(screen.contains("Esc closes"), "{screen}");
    top.keys(&["Escape"]);
    top.wait_for("the details closed", |s| !s.contains("Esc closes"));
    // The events pane's lines open the event's own JSON.
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    publisher.publish(&messages[19].0, messages[19].1.as_bytes());
    top.wait_for("the event", |s| s.contains("events (1)"));
    top.keys(&["BTab", "BTab", "Enter"]);
    let screen = top.wait_for("the event's JSON", |s| {
        s.contains("\"specversion\": \"1.0\"")
    });
    assert!(
        screen.contains("com.wasmcloud.lattice.component_scaled"),
        "{screen}"
    );
    top.keys(&["Escape"]);
    // Ctrl-C quits too, with 0.
    top.keys(&["C-c"]);
    assert_eq!(top.exit_code(), 0);
    assert!(!top.alternate_screen());
}

#[test]
fn a_tiny_terminal_gets_a_message_and_resizing_works() {
    let server = NatsServer::start();
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 30, 8);
    top.wait_for("the size message", |s| s.contains("needs a terminal"));
    top.tmux(&["resize-window", "-x", "100", "-y", "30"]);
    top.wait_for("the panes", |s| {
        s.contains("components (0)") && s.contains("latwatch top")
    });
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

#[test]
fn top_needs_a_terminal() {
    let (status, stdout, stderr) = run_with_stdin(&["top", "-s", "nats://127.0.0.1:1"], b"");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("stdout is not one"), "{stderr}");
    assert!(stderr.contains("latwatch --json"), "{stderr}");
}

/// A reconnect asks the lattice again (what changed during the outage is not in any event
/// latwatch saw), and the header says so.
#[test]
fn a_reconnect_asks_the_lattice_again() {
    let server = NatsServer::start();
    let _lattice = Responder::start(&server.url(), recorded_replies());
    let proxy = Proxy::start(server.port);
    let top = Tmux::start(&["top", "-s", &proxy.url(), "--color", "never"], 120, 40);
    top.wait_for("the seeded lattice", |s| {
        s.contains("links (1)") && s.contains(" live")
    });
    // An event the control interface will not confirm: 4 instances, where host.get says 2.
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    publisher.publish(&messages[19].0, messages[19].1.as_bytes());
    let instances = |s: &str, n: &str| {
        row(s, &["hello_app-hello ", "aged-sunset-0616"]).is_some_and(|line| cells(line)[3] == n)
    };
    top.wait_for("4 instances", |s| instances(s, "4"));
    proxy.cut();
    top.wait_for("the outage", |s| s.contains("DISCONNECTED"));
    proxy.restore();
    // Seeded again: the host's own answer replaces what the events said.
    top.wait_for("the lattice asked again", |s| {
        s.contains(" live") && !s.contains("DISCONNECTED") && instances(s, "2")
    });
    // The watcher's driver marks the gap: counted in the header, a line in the events pane.
    top.wait_for("the gap counted and marked", |s| {
        s.contains("(1 gaps, ") && row(s, &["gap of "]).is_some()
    });
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Text from wadm reaches the terminal escaped: a status type keeps its case (`failed\e[2J`),
/// an OSC title, BEL, a switch off the alternate screen and a bidi override are shown, not
/// obeyed; an application name mixing scripts shows the odd code point (`h\u{435}llo-app`), in
/// the applications pane and in the events pane.
#[test]
fn hostile_statuses_are_shown_escaped_and_mixed_names_marked() {
    let server = NatsServer::start();
    let json = |text: &str| serde_json::to_string(text).unwrap();
    let app = "h\u{435}llo-app";
    let model = format!(
        r#"{{"result":"success","models":[{{"name":{},"deployed_version":"v1","detailed_status":{{"status":{{"type":{},"message":{}}}}}}}]}}"#,
        json(app),
        json("failed\u{1b}[2J"),
        json("\u{1b}]0;pwned\u{7}\u{1b}[?1049l\u{202e}")
    );
    let _wadm = Responder::start(
        &server.url(),
        vec![("wadm.api.default.model.get".to_owned(), model)],
    );
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 140, 40);
    let screen = top.wait_for("the application", |s| {
        row(s, &["h\\u{435}llo-app", "failed\\e[2J"]).is_some()
    });
    assert!(
        screen.contains("\\e]0;pwned\\x07\\e[?1049l\\u{202e}"),
        "{screen}"
    );
    let publisher = Publisher::connect(&server.url());
    publisher.publish(
        &format!("wadm.status.default.{app}"),
        format!(
            r#"{{"status":{{"type":{}}}}}"#,
            json("Failed\u{1b}]0;pwned\u{7}")
        ),
    );
    top.wait_for("the status line", |s| {
        row(
            s,
            &[
                "app_status",
                "h\\u{435}llo-app  failed\\e[2J → Failed\\e]0;pwned\\x07",
            ],
        )
        .is_some()
    });
    assert!(top.alternate_screen(), "{}", top.screen());
    let title = top.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert!(!title.contains("pwned"), "{title}");
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// On a terminal clap prints its errors styled, and would print what was typed raw with them:
/// a value holding escape sequences is quoted escaped, and the terminal's title stays.
#[test]
fn a_usage_error_on_a_terminal_quotes_the_value_escaped() {
    let top = Tmux::start(&["--timeout", "\u{1b}]0;pwned\u{7}\u{1b}[2J"], 100, 20);
    assert_eq!(top.exit_code(), 2, "{}", top.screen());
    let screen = top.screen();
    assert!(
        screen.contains("invalid value '\\e]0;pwned\\x07\\e[2J' for '--timeout"),
        "{screen}"
    );
    let title = top.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert!(!title.contains("pwned"), "{title}");
}

/// SIGINT, SIGHUP and SIGQUIT end `latwatch top` the way SIGTERM and `q` do: the alternate
/// screen left, raw mode off (the shell after it echoes and reads lines again), exit 0, 129 and
/// 131. Before, they killed it with the terminal left raw on the alternate screen.
#[test]
fn signals_restore_the_terminal() {
    let server = NatsServer::start();
    for (signal, code) in [("INT", 0), ("HUP", 129), ("QUIT", 131), ("TERM", 0)] {
        let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 100, 30);
        top.wait_for("the panes", |s| {
            s.contains("components (0)") && s.contains("latwatch top")
        });
        assert!(top.alternate_screen());
        support::signal(top.latwatch_pid(), signal);
        assert_eq!(top.exit_code(), code, "SIG{signal}:\n{}", top.screen());
        assert!(
            !top.alternate_screen(),
            "SIG{signal}: the alternate screen is left:\n{}",
            top.screen()
        );
        let settings = top.terminal_settings();
        let words: Vec<&str> = settings.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                words.contains(&mode),
                "SIG{signal}: the terminal is still raw (no {mode}):\n{settings}"
            );
        }
    }
}

/// A `--filter` whose cost the events decide (the four expressions of issue 19, chosen by
/// `.data.k`) neither freezes nor ends the view: the sentinel after them is shown, and `q` quits
/// even while more of them wait to be judged.
#[test]
fn an_expensive_filter_does_not_freeze_top() {
    let server = NatsServer::start();
    let filter = r#"def f: 1 + f; .data.sentinel or (
        if .data.k == "reduce" then (reduce range(1e15) as $i (0; . + 1)) > 0
        elif .data.k == "range" then [range(.data.n)] | length > 0
        elif .data.k == "repeat" then .data.s * .data.n | length > 0
        else f end)"#;
    let top = Tmux::start(
        &[
            "top",
            "-s",
            &server.url(),
            "--color",
            "never",
            "--filter",
            filter,
        ],
        140,
        40,
    );
    top.wait_for("the view", |s| s.contains("events (0)"));
    let publisher = Publisher::connect(&server.url());
    let event = |id: &str, data: &str| {
        format!(
            r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.component_scaled","source":"{HOST}","data":{{"component_id":"{id}","host_id":"{HOST}","max_instances":1,{data}}}}}"#
        )
    };
    let costly = |k: &str| event(k, &format!(r#""k":"{k}","n":1000000000000000,"s":"abc""#));
    let subject = "wasmbus.evt.default.component_scaled";
    for k in ["reduce", "recursion", "range", "repeat"] {
        publisher.publish(subject, costly(k));
    }
    publisher.publish(subject, event("sentinel-component", r#""sentinel":true"#));
    let screen = top.wait_for("the sentinel", |s| s.contains("sentinel-component"));
    assert!(
        screen.contains("events (1)"),
        "only the sentinel:\n{screen}"
    );
    // More of them queued, and the user quits meanwhile.
    for k in ["reduce", "recursion", "range", "repeat"] {
        publisher.publish(subject, costly(k));
    }
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
    assert!(
        !top.alternate_screen(),
        "the terminal is restored:\n{}",
        top.screen()
    );
}

/// A heartbeat of `host` (source and `host_id`) named `name`, listing `inventory` (the JSON of
/// its component and provider lists, in the generation's own form).
fn heartbeat(host: &str, name: &str, inventory: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"hb-{name}","type":"com.wasmcloud.lattice.host_heartbeat","source":"{host}","data":{{"host_id":"{host}","friendly_name":"{name}","version":"0.82.0",{inventory}}}}}"#
    )
}

fn scaled(component: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{component}","type":"com.wasmcloud.lattice.component_scaled","source":"{HOST}","data":{{"component_id":"{component}","host_id":"{HOST}","max_instances":1}}}}"#
    )
}

/// Issue 20: `-t` narrows the events pane, never what the tables are built from (it used to
/// narrow the subscription, and the tables stayed empty while the header said `live`); and
/// heartbeats of every generation fill the tables: 0.82's `actors` list (instances summed) and
/// ≤ 0.81's `actors` map, providers by `public_key`.
#[test]
fn a_type_filter_narrows_only_the_events_pane_and_legacy_heartbeats_fill_the_tables() {
    let server = NatsServer::start();
    let top = top_watching(&server, &["-t", "component_scaled"]);
    let publisher = Publisher::connect(&server.url());
    let subject = "wasmbus.evt.default.host_heartbeat";
    publisher.publish(
        subject,
        heartbeat(
            "NOLDHOST82",
            "old-host-082",
            r#""actors":[{"id":"legacy_echo","image_ref":"legacy.example/echo:0.1","instances":[{"max_instances":1},{"max_instances":2}]}],"providers":[{"public_key":"VLEGACYPROVIDER","link_name":"default","contract_id":"wasmcloud:httpserver"}]"#,
        ),
    );
    publisher.publish(
        subject,
        heartbeat(
            "NOLDHOST81",
            "old-host-081",
            r#""actors":{"mapped_actor":2},"providers":[]"#,
        ),
    );
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        scaled("sentinel-component"),
    );
    let screen = top.wait_for("the tables and the sentinel", |s| {
        s.contains("sentinel-component")
            && row(s, &["legacy_echo", "old-host-082"]).is_some()
            && row(s, &["mapped_actor", "old-host-081"]).is_some()
    });
    let echo = row(&screen, &["legacy_echo", "old-host-082"]).unwrap();
    assert!(cells(echo).contains(&"3"), "instances summed: {screen}");
    let mapped = row(&screen, &["mapped_actor", "old-host-081"]).unwrap();
    assert!(cells(mapped).contains(&"2"), "{screen}");
    assert!(screen.contains("VLEGACYPROVIDER"), "{screen}");
    // Only the sentinel passed -t: no heartbeat reached the events pane.
    assert!(screen.contains("events (1)"), "{screen}");
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 20: flags that shape, stop, record or replay the line output mean nothing to `top`,
/// and are refused (exit 2, on a terminal too), not silently ignored.
#[test]
fn flags_that_mean_nothing_to_top_are_refused() {
    let top = Tmux::start(
        &[
            "--count",
            "5",
            "--summary",
            "top",
            "-s",
            "nats://127.0.0.1:1",
        ],
        120,
        20,
    );
    assert_eq!(top.exit_code(), 2, "{}", top.screen());
    let screen = top.screen();
    assert!(
        screen.contains("--count, --summary mean nothing to latwatch top"),
        "{screen}"
    );
}

/// Issue 20: wadm repeating a status (and a failure's retries) shows what the line output
/// shows, never a raw `app_status  wadm  data=status,…` row.
#[test]
fn repeated_statuses_leave_no_raw_rows_in_the_events_pane() {
    let server = NatsServer::start();
    let top = top_watching(&server, &["--exclude-type", "component_scale_failed"]);
    let publisher = Publisher::connect(&server.url());
    for (subject, payload) in recorded(WADM_BROKEN_APP) {
        publisher.publish(&subject, payload.as_bytes());
    }
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        scaled("sentinel-component"),
    );
    let screen = top.wait_for("the sentinel", |s| s.contains("sentinel-component"));
    assert!(!screen.contains("data=status"), "{screen}");
    assert!(
        row(&screen, &["app_status", "broken-app"]).is_some(),
        "{screen}"
    );
    // The application's details: wadm's whole message, the failing scaler with its own, and
    // where the facts come from.
    top.keys(&["Tab", "Tab", "Tab", "Tab", "Enter"]);
    let screen = top.wait_for("the application's details", |s| {
        s.contains("failing scalers")
    });
    assert!(screen.contains("wadm: its status messages"), "{screen}");
    assert!(
        screen.contains("No such file or directory"),
        "the whole message:\n{screen}"
    );
    assert!(screen.contains(r#""scaler": "#), "{screen}");
    top.keys(&["Escape"]);
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 20: at 80×24 every pane with something in it shows a row, and the header says first
/// what matters (a failing application) before the terminal cuts it. `Esc` goes back and never
/// quits; `?` shows the keys. (At 80×24 the providers, links and applications panes used to
/// show no row, and the header was cut before `apps 2 (1 failing)`.)
#[test]
fn at_80_by_24_every_pane_shows_a_row_and_a_failing_app_is_in_the_header() {
    let server = NatsServer::start();
    let _lattice = Responder::start(&server.url(), recorded_replies());
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 80, 24);
    top.wait_for("the seeded lattice", |s| {
        s.contains("links (1)") && s.contains("applications (1)")
    });
    let publisher = Publisher::connect(&server.url());
    for (subject, payload) in recorded(WADM_BROKEN_APP) {
        if subject.starts_with("wadm.") {
            publisher.publish(&subject, payload.as_bytes());
        }
    }
    let screen = top.wait_for("the failing application", |s| {
        s.lines().next().is_some_and(|l| l.contains("(1 failing)"))
    });
    let header = screen.lines().next().unwrap();
    assert!(header.contains("apps 2 (1 failing)"), "{screen}");
    for row_of in [
        &["aged-sunset-0616", "1.9.2"][..],
        &["hello_app-hello", "hello-app"],
        &["hello_app-httpserver", "aged-sunset"],
        &["hello_app-httpserver →"],
        &["broken-app", "failed"],
    ] {
        assert!(row(&screen, row_of).is_some(), "{row_of:?}:\n{screen}");
    }
    // Esc with nothing to go back from stays; `?` shows the keys, Esc closes them.
    top.keys(&["Escape"]);
    top.keys(&["?"]);
    let screen = top.wait_for("the keys", |s| s.contains("these keys"));
    assert!(screen.contains("q, Ctrl-C"), "{screen}");
    top.keys(&["Escape"]);
    top.wait_for("the keys closed", |s| !s.contains("these keys"));
    // The events pane says when it does not follow the newest line.
    top.keys(&["BTab", "Up"]);
    top.wait_for("scrolled back", |s| {
        s.contains("not following (End follows)")
    });
    top.keys(&["End"]);
    top.wait_for("following again", |s| !s.contains("not following"));
    top.keys(&["p"]);
    top.wait_for("paused", |s| s.contains("PAUSED: not following"));
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 20: an application wadm deletes (its second `manifest_unpublished`) leaves the
/// applications pane; an undeployed one stays, shown undeployed.
#[test]
fn a_deleted_application_leaves_the_applications_pane() {
    let server = NatsServer::start();
    let _lattice = Responder::start(&server.url(), recorded_replies());
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 140, 40);
    top.wait_for("the seeded application", |s| {
        row(s, &["hello-app", "deployed"]).is_some()
    });
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    let unpublished: Vec<&(String, String)> = messages
        .iter()
        .filter(|(subject, _)| subject.ends_with("manifest_unpublished"))
        .collect();
    assert_eq!(unpublished.len(), 2, "undeploy, then delete");
    publisher.publish(&unpublished[0].0, unpublished[0].1.as_bytes());
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        scaled("sentinel-one"),
    );
    let screen = top.wait_for("the first sentinel", |s| s.contains("sentinel-one"));
    assert!(
        screen.contains("applications (1)"),
        "undeployed stays:\n{screen}"
    );
    publisher.publish(&unpublished[1].0, unpublished[1].1.as_bytes());
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        scaled("sentinel-two"),
    );
    let screen = top.wait_for("the second sentinel", |s| s.contains("sentinel-two"));
    assert!(screen.contains("applications (0)"), "{screen}");
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 20: `top` runs the watcher's driver and pipeline, so `--legacy` (0.81–0.82 hosts publish
/// every event on two subjects) shows each event once, as the line output does. It used to show
/// each twice.
#[test]
fn legacy_events_published_twice_show_once() {
    let server = NatsServer::start();
    let top = Tmux::start(
        &["--legacy", "top", "-s", &server.url(), "--color", "never"],
        160,
        40,
    );
    top.wait_for("the view", |s| s.contains("events (0)"));
    let publisher = Publisher::connect(&server.url());
    let twice = scaled("twice-component");
    publisher.publish("wasmbus.evt.default", twice.as_bytes());
    publisher.publish("wasmbus.evt.default.component_scaled", twice.as_bytes());
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        scaled("sentinel-component"),
    );
    let screen = top.wait_for("the sentinel", |s| {
        row(s, &["component_scaled", "sentinel-component"]).is_some()
    });
    let shown = screen
        .lines()
        .filter(|line| line.contains("component_scaled") && line.contains("twice-component"))
        .count();
    assert_eq!(shown, 1, "{screen}");
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 21, item 1: at 80×24 a failing application's row keeps the root cause (the end of
/// wadm's error chain) in its message column, not only the chain's start.
#[test]
fn a_failing_apps_row_keeps_the_root_cause() {
    let server = NatsServer::start();
    let top = Tmux::start(&["top", "-s", &server.url(), "--color", "never"], 80, 24);
    top.wait_for("the view", |s| s.contains("events (0)"));
    let publisher = Publisher::connect(&server.url());
    let chain = format!(
        "failed to fetch component: {}dns error: failed to lookup address information: Name or \
         service not known",
        "while pulling layer sha256:0123456789abcdef; ".repeat(8)
    );
    let status = serde_json::json!({
        "status": {"type": "failed", "message": chain},
        "scalers": [],
    });
    publisher.publish("wadm.status.default.shop", status.to_string());
    let screen = top.wait_for("the failing application", |s| {
        row(s, &["shop", "failed"]).is_some()
    });
    let shop = row(&screen, &["shop", "failed"]).unwrap();
    assert!(shop.contains("not known"), "{screen}");
    assert!(shop.contains('…'), "{screen}");
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 20, item 4: `--app` (like `--host/--component/--provider`) narrows the links pane too:
/// a link is shown when its source or target is a kept component or provider. The sentinel: a
/// link of the kept application, published after hello-app's link, shows alone.
#[test]
fn app_narrows_the_links_pane() {
    let server = NatsServer::start();
    let top = top_watching(&server, &["--app", "broken-app"]);
    let publisher = Publisher::connect(&server.url());
    let hello = recorded(WADM_HELLO_APP);
    let broken = |text: &str| {
        text.replace("hello_app", "broken_app")
            .replace("hello-app", "broken-app")
    };
    // hello-app's component and link, then broken-app's (the same, renamed).
    publisher.publish(&hello[8].0, hello[8].1.as_bytes());
    publisher.publish(&hello[12].0, hello[12].1.as_bytes());
    publisher.publish(&hello[8].0, broken(&hello[8].1));
    publisher.publish(&hello[12].0, broken(&hello[12].1));
    let screen = top.wait_for("broken-app's link", |s| {
        s.contains("broken_app-httpserver →")
    });
    assert!(screen.contains("links (1)"), "{screen}");
    assert!(!screen.contains("hello_app-httpserver →"), "{screen}");
    top.keys(&["q"]);
    assert_eq!(top.exit_code(), 0);
}

/// Issue 22: wasmCloud 2 hosts are rows of the hosts pane (name, version, uptime, heartbeat age,
/// group, environment and counts), beside 1.x hosts; a restart under a new id replaces the row.
#[test]
fn top_shows_wasmcloud_2_hosts() {
    let server = NatsServer::start();
    let top = top_watching(&server, &[]);
    let publisher = Publisher::connect(&server.url());
    let v2: Vec<(String, String)> = recorded(include_str!("fixtures/v2-hosts-workloads.jsonl"))
        .into_iter()
        .filter(|(subject, _)| subject.starts_with("runtime.operator.heartbeat."))
        .collect();
    for (subject, payload) in &v2[..2] {
        publisher.publish(subject, payload.as_bytes().to_vec());
    }
    publisher.publish(
        "wasmbus.evt.default.host_heartbeat",
        heartbeat("NH1X", "one-ex-1234", r#""components":[],"providers":[]"#),
    );
    let screen = top.wait_for("both generations", |s| {
        row(s, &["wiry-earthquake-9592", "workloads="]).is_some()
            && row(s, &["cheerful-crown-5011", "workloads="]).is_some()
            && s.contains("one-ex-1234")
    });
    let b = row(&screen, &["wiry-earthquake-9592", "workloads="]).unwrap();
    assert!(
        b.contains("environment=tenant-b,hostgroup=edge") && b.contains("workloads=0 components=0"),
        "{screen}"
    );
    // Host B restarts: same hostname, a new id and name, started after its last heartbeat; its
    // old row goes.
    let mut restarted: serde_json::Value = serde_json::from_str(&v2[1].1).unwrap();
    restarted["id"] = "01a2360c-0000-7000-8000-00000000000b".into();
    restarted["friendlyName"] = "brave-river-1234".into();
    restarted["workloadCount"] = "2".into();
    restarted["startedAt"] = chrono::Utc::now().to_rfc3339().into();
    publisher.publish(
        "runtime.operator.heartbeat.01a2360c-0000-7000-8000-00000000000b",
        restarted.to_string().into_bytes(),
    );
    let screen = top.wait_for("the restarted host", |s| {
        row(s, &["brave-river-1234", "workloads=2"]).is_some()
    });
    assert!(
        row(&screen, &["wiry-earthquake-9592", "workloads="]).is_none(),
        "{screen}"
    );
}

/// With `--workloads`, a workloads pane beside the applications: each workload the operator
/// started, on which host, in what state, and a failure's text (from the recorded session: a
/// stand-in host answers the recorded requests with the recorded answers).
#[test]
fn top_shows_wasmcloud_2_workloads() {
    let server = NatsServer::start();
    let top = top_watching(&server, &["--workloads"]);
    let publisher = Publisher::connect(&server.url());
    let session: Vec<serde_json::Value> = include_str!("fixtures/v2-hosts-workloads.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    // Each recorded start and the host's recorded answer (the test publishes both, as the
    // operator and the host did).
    let answers: Vec<(String, String)> = session
        .iter()
        .filter(|m| text(m, "subject").ends_with(".workload.start"))
        .map(|request| {
            let reply = text(request, "reply");
            let answer = session
                .iter()
                .find(|m| text(m, "subject") == reply)
                .unwrap();
            (text(request, "payload"), text(answer, "payload"))
        })
        .collect();
    let start_subject = session
        .iter()
        .map(|m| text(m, "subject"))
        .find(|s| s.ends_with(".workload.start"))
        .unwrap();
    let beat = session
        .iter()
        .find(|m| text(m, "subject").starts_with("runtime.operator.heartbeat."))
        .unwrap();
    publisher.publish(&text(beat, "subject"), text(beat, "payload").into_bytes());
    top.wait_for("the v2 host", |s| s.contains("cheerful-crown-5011"));
    // latwatch listens to a host's requests once it heard its heartbeat: ask until the pane shows
    // the answers (each time on a new inbox, answered by the stand-in).
    let deadline = Instant::now() + WAIT;
    let mut asked = 0;
    let screen = loop {
        for (request, answer) in &answers {
            asked += 1;
            let inbox = format!("_INBOX.top.{asked}");
            publisher.publish_with_reply(&start_subject, &inbox, request.clone().into_bytes());
            publisher.publish(&inbox, answer.clone().into_bytes());
        }
        let screen = top.screen();
        // Cells are cut to their columns: the keys' starts are enough.
        if row(&screen, &["default/hello-7f9", "RUNNING"]).is_some()
            && row(&screen, &["default/ghost-5d8", "ERROR"]).is_some()
        {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "no workloads pane rows:\n{screen}"
        );
        publisher.publish(&text(beat, "subject"), text(beat, "payload").into_bytes());
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(screen.contains("workloads (2)"), "{screen}");
    let hello = row(&screen, &["default/hello-7f9", "RUNNING"]).unwrap();
    assert!(hello.contains("cheerful-cr"), "{screen}");
    let ghost = row(&screen, &["default/ghost-5d8", "ERROR"]).unwrap();
    assert!(ghost.contains("failed to"), "{screen}");
}
