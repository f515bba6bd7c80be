
use builtin;
use str;

set edit:completion:arg-completer[latwatch] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'latwatch'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'latwatch'= {
            cand -s 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]'
            cand --server 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]'
            cand --context 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]'
            cand --creds 'NATS credentials file (user JWT and seed); also read from wash''s WASH_CTL_CREDS'
            cand --nkey 'File holding an nkey user seed'
            cand --jwt 'User JWT, with --seed (as wash takes them)'
            cand --seed 'User nkey seed signing for --jwt'
            cand --user 'User name (or user:password@ in the URL)'
            cand --password 'Password for --user'
            cand --token 'Authentication token'
            cand --tls-ca 'CA certificate(s) to verify the server with (PEM)'
            cand --tls-cert 'Client certificate for mutual TLS (PEM), with --tls-key'
            cand --tls-key 'Client private key for mutual TLS (PEM), with --tls-cert'
            cand --ctl-host 'NATS host, as wash takes it; used only when --server and NATS_URL are not given'
            cand --ctl-port 'NATS port, as wash takes it; used only when --server and NATS_URL are not given'
            cand -x 'The lattice(s) to watch, comma-separated'
            cand --lattice 'The lattice(s) to watch, comma-separated'
            cand --subject-prefix 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)'
            cand -t 'Show only these event kinds (repeatable, comma-separated; globs allowed)'
            cand --type 'Show only these event kinds (repeatable, comma-separated; globs allowed)'
            cand --exclude-type 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type'
            cand --host 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)'
            cand --component 'Show only events about these components, including links to or from them (repeatable)'
            cand --provider 'Show only events about these providers, including links to or from them (repeatable)'
            cand --app 'Show only what belongs to these wadm applications: their events, wadm''s events and status changes (names or globs, repeatable)'
            cand --filter 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)'
            cand -i 'Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl` records or `nats sub --raw` output, one per line'
            cand --input 'Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl` records or `nats sub --raw` output, one per line'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored'
            cand --silence-hint 'If nothing arrives within SECS of subscribing, explain on stderr why and which lattices on the server do have traffic (0: never)'
            cand -n 'Exit after printing N events'
            cand --count 'Exit after printing N events'
            cand --record 'Also append every received event (before filters) to FILE as a jsonl record, written as it arrives; `--input FILE` replays it'
            cand --since 'First replay the events stored since WHEN (a duration like 90s, 10m, 1h30m, or an RFC 3339 time) from the JetStream stream that keeps the lattice''s events, then continue live'
            cand --last 'First replay the last N stored events from JetStream, then continue live'
            cand --stream 'The JetStream stream to replay and fill gaps from [default: the stream that stores the lattice''s subjects, e.g. wadm''s wasmbus_events]'
            cand --buffer 'Memory for events that stdout cannot take yet (a slow reader); past it events are dropped, reported, and filled from a stream when there is one (e.g. 64MiB, 1GiB)'
            cand --ping-interval 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)'
            cand --until-app 'Exit 0 when every named wadm application has this status (NAME=STATUS, e.g. hello-app=deployed; repeatable); exit 4 if one fails'
            cand --until-type 'Exit 0 when an event of one of these kinds arrives (with the other --until-* flags: all must match)'
            cand --until-host 'Exit 0 when an event about one of these hosts arrives (key, prefix, name or glob)'
            cand --until-component 'Exit 0 when an event about one of these components arrives'
            cand --until-provider 'Exit 0 when an event about one of these providers arrives'
            cand --until-filter 'Exit 0 when an event for which this jq expression is truthy arrives'
            cand --fail-on 'Exit 4 when an event of these kinds arrives about the --until-host/component/provider (all hosts when none is given); `none` turns it off [default with --until-*: *_failed]'
            cand --timeout 'Exit 3 if the run has not ended by then (a duration: 30s, 5m, 1h; plain numbers are seconds)'
            cand --idle-timeout 'Exit 0 after DURATION in which no event arrived (filtered ones count as arrived)'
            cand --tls-first 'Start TLS before the NATS handshake, for servers configured with handshake_first'
            cand --all-lattices 'Watch every lattice on the server (wasmbus.evt.*.>)'
            cand --legacy 'Also listen on the bare wasmbus.evt.<lattice> subject of wasmCloud <= 0.82 and OTP hosts; events published on both subjects are shown once'
            cand --json 'Print each event''s original JSON on one line (same as -o json)'
            cand --utc 'Show times in UTC instead of local time'
            cand --full-ids 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB'
            cand --heartbeats 'Print every heartbeat and health status, not only those that change something'
            cand -q 'No status lines on stderr (errors and warnings are still shown)'
            cand --quiet 'No status lines on stderr (errors and warnings are still shown)'
            cand --summary 'At exit, print counts on stderr: messages received, shown, filtered out, per kind, per host, hosts alive, failures, per application'
            cand --apps 'In --json and -o jsonl, include wadm''s application messages: its CloudEvents, and in -o jsonl its status messages (pretty output shows them unless --no-apps)'
            cand --no-apps 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags'
            cand --no-fill 'Do not fill gaps (a reconnect, dropped events) from the JetStream stream that keeps the lattice''s events; only report them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand completions 'Print a shell completion script, or write all of them into a folder'
            cand man 'Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'latwatch;completions'= {
            cand --out-dir 'Write every shell''s script into DIR, under the standard names (latwatch.bash, _latwatch, latwatch.fish, _latwatch.ps1, latwatch.elv)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'latwatch;man'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'latwatch;help'= {
            cand completions 'Print a shell completion script, or write all of them into a folder'
            cand man 'Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'latwatch;help;completions'= {
        }
        &'latwatch;help;man'= {
        }
        &'latwatch;help;help'= {
        }
    ]
    $completions[$command]
}
