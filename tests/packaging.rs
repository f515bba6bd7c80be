//! Fitting the ecosystem: completions (checked in, never stale), the man page, help that teaches,
//! the version, and a crate that packages.

mod support;

use std::path::Path;
use std::process::Command;

use support::latwatch_command;

fn stdout_of(args: &[&str]) -> String {
    let output = latwatch_command(args).output().unwrap();
    assert!(
        output.status.success(),
        "latwatch {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

const SHELLS: [(&str, &str); 5] = [
    ("bash", "latwatch.bash"),
    ("zsh", "_latwatch"),
    ("fish", "latwatch.fish"),
    ("powershell", "_latwatch.ps1"),
    ("elvish", "latwatch.elv"),
];

/// The checked-in scripts are exactly what the binary generates.
#[test]
fn checked_in_completions_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in SHELLS {
        let checked_in = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|_| panic!("completions/{file} is missing"));
        assert!(
            checked_in == stdout_of(&["completions", shell]),
            "completions/{file} is stale: regenerate every script with \
             `cargo run -q -- completions --out-dir completions`"
        );
    }
}

/// `--out-dir` writes every script under its standard name.
#[test]
fn out_dir_writes_every_shell() {
    let dir = support::temp_dir("completions");
    let output = latwatch_command(&["completions", "--out-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    for (_, file) in SHELLS {
        assert!(dir.join(file).is_file(), "{file} not written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Completion offers the known event kinds for the type flags, and the values of --output and
/// --color; the type flags still take any text (globs, newer kinds).
#[test]
fn completions_offer_kinds_and_values() {
    let fish = stdout_of(&["completions", "fish"]);
    for flag in ["type", "exclude-type", "until-type", "fail-on"] {
        // One `complete` entry; fish lists its values one per line.
        let line = fish
            .split("complete -c ")
            .find(|entry| entry.contains(&format!("-l {flag} ")))
            .unwrap_or_else(|| panic!("no fish completion for --{flag}"));
        for kind in [
            "component_scaled",
            "host_heartbeat",
            "component_scale_failed",
        ] {
            assert!(
                line.contains(kind),
                "--{flag} does not offer {kind}: {line}"
            );
        }
    }
    let entry = |flag: &str| {
        fish.split("complete -c ")
            .find(|entry| entry.contains(&format!("-l {flag} ")))
            .unwrap_or_else(|| panic!("no fish completion for --{flag}"))
    };
    let output = entry("output");
    assert!(
        output.contains("pretty") && output.contains("jsonl"),
        "{output}"
    );
    let color = entry("color");
    assert!(
        color.contains("always") && color.contains("never"),
        "{color}"
    );

    let any = latwatch_command(&["-i", "-", "-t", "*_failed,brand_new_kind"])
        .output()
        .unwrap();
    assert!(
        any.status.success(),
        "{}",
        String::from_utf8_lossy(&any.stderr)
    );
}

/// `latwatch man` is a roff page with the flags, the examples and the exit codes.
#[test]
fn man_page_is_roff_with_the_whole_story() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH latwatch 1"), "{page}");
    for needle in [
        ".SH NAME",
        ".SH OPTIONS",
        "until\\-type",
        "NATS_URL",
        "Exit codes",
        "4  a \\-\\-fail\\-on",
    ] {
        assert!(page.contains(needle), "man page lacks {needle:?}");
    }
}

/// `--help` teaches (examples for watching, jq, filtering, waiting in CI, replaying; exit codes);
/// `-h` stays short; every flag that reads an environment variable says which.
#[test]
fn help_teaches_and_short_help_stays_short() {
    let long = stdout_of(&["--help"]);
    let short = stdout_of(&["-h"]);
    for example in [
        "latwatch --json | jq",
        "latwatch -t '*_failed'",
        "--until-type component_scaled",
        "latwatch --since 10m",
    ] {
        assert!(
            long.contains(example),
            "--help lacks the example {example:?}"
        );
    }
    for code in [
        "0  success",
        "1  runtime error",
        "2  usage error",
        "3  --timeout",
        "4  a --fail-on",
    ] {
        assert!(long.contains(code), "--help lacks exit code {code:?}");
    }
    assert!(!short.contains("Exit codes:"), "-h carries the long text");
    assert!(
        short.contains("latwatch --help"),
        "-h does not say where the rest is"
    );
    assert!(
        short.lines().count() * 3 < long.lines().count() * 2,
        "-h ({} lines) is not much shorter than --help ({} lines)",
        short.lines().count(),
        long.lines().count()
    );

    use clap::CommandFactory;
    let definition = latwatch::cli::Cli::command();
    let mut envs = 0;
    for arg in definition.get_arguments() {
        if let Some(env) = arg.get_env() {
            let env = env.to_str().unwrap();
            assert!(long.contains(&format!("[env: {env}")), "--help hides {env}");
            envs += 1;
        }
    }
    assert!(envs >= 15, "only {envs} flags read the environment");
    // Variables read without a flag of their own are named in the help of the flag they feed.
    for env in [
        "WASH_CTL_CREDS",
        "WASMCLOUD_CTL_HOST",
        "NO_COLOR",
        "CLICOLOR_FORCE",
    ] {
        assert!(long.contains(env), "--help never mentions {env}");
    }
}

/// Secrets from the environment never appear in help.
#[test]
fn help_never_shows_secret_values() {
    let output = latwatch_command(&["--help"])
        .env("NATS_PASSWORD", "hunter2-secret")
        .env("NATS_TOKEN", "token-secret")
        .env("WASMCLOUD_CTL_SEED", "SUAseed-secret")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(!help.contains("secret"), "{help}");
}

/// `--version`: the crate version, and the commit when built from a git checkout.
#[test]
fn version_names_the_commit() {
    let version = stdout_of(&["--version"]);
    assert!(
        version.starts_with(&format!("latwatch {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        let commit = String::from_utf8(head.stdout).unwrap();
        assert!(
            version.contains(&format!("(git {})", commit.trim())),
            "{version} does not name HEAD {commit}"
        );
    }
}

/// Generated text written to a pipe already closed (`| true`, `| head -c 10`) ends quietly with
/// exit 0, as the watcher does (clap_complete panics on a write error: exit 101).
#[test]
fn generated_text_into_a_closed_pipe_ends_quietly() {
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["completions", "fish"],
        &["completions", "powershell"],
        &["completions", "elvish"],
        &["man"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = latwatch_command(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// Issue 21: `latwatch completions --help` lays its examples out one per line.
#[test]
fn completions_help_shows_one_example_a_line() {
    let help = stdout_of(&["completions", "--help"]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(
            help.lines()
                .any(|line| line.trim_start().starts_with(&format!("{shell}:"))
                    && line.contains(&format!("latwatch completions {shell}"))),
            "{help}"
        );
    }
}

/// `latwatch man` without the commit a checkout build adds to its version (`0.1.0 (git 1a2b3c4d5e)`):
/// the checked-in page names the release, whichever commit built the binary.
fn man_page_without_commit(page: &str) -> String {
    let mut rest = page;
    let mut out = String::with_capacity(page.len());
    while let Some(start) = rest.find(" (git ") {
        let Some(end) = rest[start..].find(')') else {
            break;
        };
        out.push_str(&rest[..start]);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The checked-in man page (packaged: the Debian package and the release archives install it) is
/// exactly what `latwatch man` prints, less the commit.
#[test]
fn checked_in_man_page_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/latwatch.1");
    let checked_in = std::fs::read_to_string(&path).expect("man/latwatch.1 is missing");
    let generated = man_page_without_commit(&stdout_of(&["man"]));
    assert!(
        !generated.contains("(git "),
        "the commit is still in the page"
    );
    assert!(
        checked_in == generated,
        "man/latwatch.1 is stale: regenerate it with \
         `cargo run -q -- man | sed 's/ (git [0-9a-f]*)//' > man/latwatch.1`"
    );
    assert!(
        checked_in.contains(&format!("\"latwatch {}\"", env!("CARGO_PKG_VERSION"))),
        "man/latwatch.1 does not name version {}",
        env!("CARGO_PKG_VERSION")
    );
}

/// The files the Debian package and the release archives ship, and the metadata `cargo deb` and
/// `cargo binstall` read: the assets exist, the completions go where bash-completion, zsh and fish
/// look, and binstall's archive names are the ones the release workflow makes.
#[test]
fn packaging_metadata_points_at_real_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for line in [
        "repository = \"https://github.com/latwatch/latwatch\"",
        "homepage = \"https://github.com/latwatch/latwatch\"",
        "[package.metadata.deb]",
        "[package.metadata.binstall]",
        "[\"man/latwatch.1\", \"usr/share/man/man1/latwatch.1\", \"644\"],",
        "[\"completions/latwatch.bash\", \"usr/share/bash-completion/completions/latwatch\", \"644\"],",
        "[\"completions/_latwatch\", \"usr/share/zsh/vendor-completions/_latwatch\", \"644\"],",
        "[\"completions/latwatch.fish\", \"usr/share/fish/vendor_completions.d/latwatch.fish\", \"644\"],",
        "pkg-url = \"{ repo }/releases/download/v{ version }/{ name }-v{ version }-{ target }.tar.gz\"",
        "bin-dir = \"{ name }-v{ version }-{ target }/{ bin }{ binary-ext }\"",
    ] {
        assert!(
            manifest.lines().any(|l| l.trim() == line),
            "Cargo.toml lacks {line}"
        );
    }
    for asset in [
        "man/latwatch.1",
        "completions/latwatch.bash",
        "completions/_latwatch",
        "completions/latwatch.fish",
        "README.md",
        "LICENSE",
    ] {
        assert!(root.join(asset).is_file(), "{asset} is missing");
    }
    // The release workflow names its archives the way binstall's pkg-url and bin-dir expect.
    let release = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    for needle in [
        "tags: [\"v*\"]",
        "name=\"latwatch-v$VERSION-$TARGET\"",
        "-czf \"dist/$name.tar.gz\" \"$name\"",
        "7z a -tzip \"$name.zip\" \"$name\"",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(release.contains(needle), "release.yml lacks {needle}");
    }
}

/// Issue 21, item 11: the README is for people in a hurry. Its first screen has the two commands
/// (the one CI runs among them), it stays short, its tour reaches the operator's two questions
/// early, and every relative link in it and in docs/ resolves (the reference moved there).
#[test]
fn readme_is_short_and_its_links_resolve() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.len() < 16 * 1024, "README is {} bytes", readme.len());
    let first_screen: String = readme.lines().take(25).collect::<Vec<_>>().join("\n");
    for command in [
        "cargo run --release --locked -- --input examples/lattice-capture.jsonl",
        "cargo test --all-targets --locked",
    ] {
        assert!(
            first_screen.contains(command),
            "first screen lacks {command}"
        );
    }
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.contains("cargo test --all-targets --locked\n"));
    let broken_at = |heading: &str| readme.find(heading).unwrap_or(usize::MAX);
    assert!(broken_at("## What is broken right now") < 6 * 1024);
    assert!(broken_at("## Wait for a deploy in CI") < 10 * 1024);

    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for (start, _) in text.match_indices("](") {
            let rest = &text[start + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.starts_with("http") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let linked = dir.join(path);
            assert!(
                linked.exists(),
                "{}: link to {target} is broken",
                file.display()
            );
            if !anchor.is_empty() {
                let heading_anchors: Vec<String> = std::fs::read_to_string(&linked)
                    .unwrap()
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(|l| {
                        l.trim_start_matches('#')
                            .trim()
                            .to_lowercase()
                            .chars()
                            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                            .map(|c| if c == ' ' { '-' } else { c })
                            .collect()
                    })
                    .collect();
                assert!(
                    heading_anchors.iter().any(|a| a == anchor),
                    "{}: no heading for #{anchor} in {path}",
                    file.display()
                );
            }
        }
    }
}
