
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'latwatch' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'latwatch'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'latwatch' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'NATS credentials file (user JWT and seed); also read from wash''s WASH_CTL_CREDS')
            [CompletionResult]::new('--nkey', '--nkey', [CompletionResultType]::ParameterName, 'File holding an nkey user seed')
            [CompletionResult]::new('--jwt', '--jwt', [CompletionResultType]::ParameterName, 'User JWT, with --seed (as wash takes them)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'User nkey seed signing for --jwt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name (or user:password@ in the URL)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for --user')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Authentication token')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate(s) to verify the server with (PEM)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Client certificate for mutual TLS (PEM), with --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Client private key for mutual TLS (PEM), with --tls-cert')
            [CompletionResult]::new('--ctl-host', '--ctl-host', [CompletionResultType]::ParameterName, 'NATS host, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('--ctl-port', '--ctl-port', [CompletionResultType]::ParameterName, 'NATS port, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--lattice', '--lattice', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--subject-prefix', '--subject-prefix', [CompletionResultType]::ParameterName, 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--exclude-type', '--exclude-type', [CompletionResultType]::ParameterName, 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)')
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'Show only events about these components, including links to or from them (repeatable)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Show only events about these providers, including links to or from them (repeatable)')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'Show only what belongs to these wadm applications: their events, wadm''s events and status changes (names or globs, repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl` records or `nats sub --raw` output, one per line')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl` records or `nats sub --raw` output, one per line')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host''s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)')
            [CompletionResult]::new('--silence-hint', '--silence-hint', [CompletionResultType]::ParameterName, 'If nothing arrives within SECS of subscribing, explain on stderr why and which lattices on the server do have traffic (0: never)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Exit after printing N events')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after printing N events')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Also append every received event (before filters) to FILE as a jsonl record, written as it arrives; `--input FILE` replays it')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'First replay the events stored since WHEN (a duration like 90s, 10m, 1h30m, or an RFC 3339 time) from the JetStream stream that keeps the lattice''s events, and wadm''s deploys and application statuses from its streams (wadm_events, wadm_status) merged in time order, then continue live')
            [CompletionResult]::new('--last', '--last', [CompletionResultType]::ParameterName, 'First show the last N stored events that pass the filters (-t, --host, --app, --filter…, as `kubectl logs --tail` counts), searching back through the newest 200,000 (plus N) messages of each stream at most, then continue live')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'The JetStream stream to replay and fill gaps from [default: the stream that stores the lattice''s subjects, e.g. wadm''s wasmbus_events]')
            [CompletionResult]::new('--buffer', '--buffer', [CompletionResultType]::ParameterName, 'Memory for events that stdout cannot take yet (a slow reader); past it events are dropped, reported, and filled from a stream when there is one (e.g. 64MiB, 1GiB)')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)')
            [CompletionResult]::new('--until-app', '--until-app', [CompletionResultType]::ParameterName, 'Exit 0 when every named wadm application has this status (NAME=STATUS, e.g. hello-app=deployed; repeatable); exit 4 if one fails. LATTICE/NAME is that lattice''s application; a bare NAME is every application of that name in the lattices watched')
            [CompletionResult]::new('--until-type', '--until-type', [CompletionResultType]::ParameterName, 'Exit 0 when an event of one of these kinds arrives (with the other --until-* flags: all must match)')
            [CompletionResult]::new('--until-host', '--until-host', [CompletionResultType]::ParameterName, 'Exit 0 when an event about one of these hosts arrives (key, prefix, name or glob)')
            [CompletionResult]::new('--until-component', '--until-component', [CompletionResultType]::ParameterName, 'Exit 0 when an event about one of these components arrives')
            [CompletionResult]::new('--until-provider', '--until-provider', [CompletionResultType]::ParameterName, 'Exit 0 when an event about one of these providers arrives')
            [CompletionResult]::new('--until-filter', '--until-filter', [CompletionResultType]::ParameterName, 'Exit 0 when an event for which this jq expression is truthy arrives')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 4 when an event of these kinds arrives about the --until-host/component/provider (all hosts when none is given), with --until-app of an awaited application (an event of no known application never fails it); `none` turns it off [default with --until-*: *_failed]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Exit 3 if the run has not ended by then (a duration: 30s, 5m, 1h; plain numbers are seconds)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Exit 0 after DURATION in which no event arrived (filtered ones count as arrived)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it')
            [CompletionResult]::new('--tls-first', '--tls-first', [CompletionResultType]::ParameterName, 'Start TLS before the NATS handshake, for servers configured with handshake_first')
            [CompletionResult]::new('--all-lattices', '--all-lattices', [CompletionResultType]::ParameterName, 'Watch every lattice on the server (wasmbus.evt.*.>)')
            [CompletionResult]::new('--legacy', '--legacy', [CompletionResultType]::ParameterName, 'Also listen on the bare wasmbus.evt.<lattice> subject of wasmCloud <= 0.82 and OTP hosts; events published on both subjects are shown once')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print each event''s original JSON on one line (same as -o json)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never (as other tools spell it)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of local time')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--full-ids', '--full-ids', [CompletionResultType]::ParameterName, 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB')
            [CompletionResult]::new('--heartbeats', '--heartbeats', [CompletionResultType]::ParameterName, 'Print every heartbeat and health status, not only those that change something')
            [CompletionResult]::new('--no-compress', '--no-compress', [CompletionResultType]::ParameterName, 'Print every repeat of a host''s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'At exit, print counts on stderr: messages received, shown, filtered out, per kind, per host, hosts alive, failures, per application')
            [CompletionResult]::new('--apps', '--apps', [CompletionResultType]::ParameterName, 'In --json and -o jsonl, include wadm''s application messages: its CloudEvents, and in -o jsonl its status messages (pretty output shows them unless --no-apps)')
            [CompletionResult]::new('--no-apps', '--no-apps', [CompletionResultType]::ParameterName, 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags')
            [CompletionResult]::new('--no-fill', '--no-fill', [CompletionResultType]::ParameterName, 'Do not fill gaps (a reconnect, dropped events) from the JetStream stream that keeps the lattice''s events; only report them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them into a folder')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The lattice as a live table: hosts, components, providers, links and applications, as the control interface and wadm tell at start and every event changes them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'latwatch;completions' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write every shell''s script into DIR, under the standard names (latwatch.bash, _latwatch, latwatch.fish, _latwatch.ps1, latwatch.elv)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'NATS credentials file (user JWT and seed); also read from wash''s WASH_CTL_CREDS')
            [CompletionResult]::new('--nkey', '--nkey', [CompletionResultType]::ParameterName, 'File holding an nkey user seed')
            [CompletionResult]::new('--jwt', '--jwt', [CompletionResultType]::ParameterName, 'User JWT, with --seed (as wash takes them)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'User nkey seed signing for --jwt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name (or user:password@ in the URL)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for --user')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Authentication token')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate(s) to verify the server with (PEM)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Client certificate for mutual TLS (PEM), with --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Client private key for mutual TLS (PEM), with --tls-cert')
            [CompletionResult]::new('--ctl-host', '--ctl-host', [CompletionResultType]::ParameterName, 'NATS host, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('--ctl-port', '--ctl-port', [CompletionResultType]::ParameterName, 'NATS port, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--lattice', '--lattice', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--subject-prefix', '--subject-prefix', [CompletionResultType]::ParameterName, 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--exclude-type', '--exclude-type', [CompletionResultType]::ParameterName, 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)')
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'Show only events about these components, including links to or from them (repeatable)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Show only events about these providers, including links to or from them (repeatable)')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'Show only what belongs to these wadm applications: their events, wadm''s events and status changes (names or globs, repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host''s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it')
            [CompletionResult]::new('--tls-first', '--tls-first', [CompletionResultType]::ParameterName, 'Start TLS before the NATS handshake, for servers configured with handshake_first')
            [CompletionResult]::new('--all-lattices', '--all-lattices', [CompletionResultType]::ParameterName, 'Watch every lattice on the server (wasmbus.evt.*.>)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never (as other tools spell it)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of local time')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--full-ids', '--full-ids', [CompletionResultType]::ParameterName, 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB')
            [CompletionResult]::new('--no-compress', '--no-compress', [CompletionResultType]::ParameterName, 'Print every repeat of a host''s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--no-apps', '--no-apps', [CompletionResultType]::ParameterName, 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'latwatch;man' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'NATS credentials file (user JWT and seed); also read from wash''s WASH_CTL_CREDS')
            [CompletionResult]::new('--nkey', '--nkey', [CompletionResultType]::ParameterName, 'File holding an nkey user seed')
            [CompletionResult]::new('--jwt', '--jwt', [CompletionResultType]::ParameterName, 'User JWT, with --seed (as wash takes them)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'User nkey seed signing for --jwt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name (or user:password@ in the URL)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for --user')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Authentication token')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate(s) to verify the server with (PEM)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Client certificate for mutual TLS (PEM), with --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Client private key for mutual TLS (PEM), with --tls-cert')
            [CompletionResult]::new('--ctl-host', '--ctl-host', [CompletionResultType]::ParameterName, 'NATS host, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('--ctl-port', '--ctl-port', [CompletionResultType]::ParameterName, 'NATS port, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--lattice', '--lattice', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--subject-prefix', '--subject-prefix', [CompletionResultType]::ParameterName, 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--exclude-type', '--exclude-type', [CompletionResultType]::ParameterName, 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)')
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'Show only events about these components, including links to or from them (repeatable)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Show only events about these providers, including links to or from them (repeatable)')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'Show only what belongs to these wadm applications: their events, wadm''s events and status changes (names or globs, repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host''s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it')
            [CompletionResult]::new('--tls-first', '--tls-first', [CompletionResultType]::ParameterName, 'Start TLS before the NATS handshake, for servers configured with handshake_first')
            [CompletionResult]::new('--all-lattices', '--all-lattices', [CompletionResultType]::ParameterName, 'Watch every lattice on the server (wasmbus.evt.*.>)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never (as other tools spell it)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of local time')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--full-ids', '--full-ids', [CompletionResultType]::ParameterName, 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB')
            [CompletionResult]::new('--no-compress', '--no-compress', [CompletionResultType]::ParameterName, 'Print every repeat of a host''s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--no-apps', '--no-apps', [CompletionResultType]::ParameterName, 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'latwatch;top' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash''s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'NATS credentials file (user JWT and seed); also read from wash''s WASH_CTL_CREDS')
            [CompletionResult]::new('--nkey', '--nkey', [CompletionResultType]::ParameterName, 'File holding an nkey user seed')
            [CompletionResult]::new('--jwt', '--jwt', [CompletionResultType]::ParameterName, 'User JWT, with --seed (as wash takes them)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'User nkey seed signing for --jwt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name (or user:password@ in the URL)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for --user')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Authentication token')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate(s) to verify the server with (PEM)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Client certificate for mutual TLS (PEM), with --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Client private key for mutual TLS (PEM), with --tls-cert')
            [CompletionResult]::new('--ctl-host', '--ctl-host', [CompletionResultType]::ParameterName, 'NATS host, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('--ctl-port', '--ctl-port', [CompletionResultType]::ParameterName, 'NATS port, as wash takes it; used only when --server and NATS_URL are not given')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--lattice', '--lattice', [CompletionResultType]::ParameterName, 'The lattice(s) to watch, comma-separated')
            [CompletionResult]::new('--subject-prefix', '--subject-prefix', [CompletionResultType]::ParameterName, 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Show only these event kinds (repeatable, comma-separated; globs allowed)')
            [CompletionResult]::new('--exclude-type', '--exclude-type', [CompletionResultType]::ParameterName, 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)')
            [CompletionResult]::new('--component', '--component', [CompletionResultType]::ParameterName, 'Show only events about these components, including links to or from them (repeatable)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Show only events about these providers, including links to or from them (repeatable)')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'Show only what belongs to these wadm applications: their events, wadm''s events and status changes (names or globs, repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host''s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it')
            [CompletionResult]::new('--tls-first', '--tls-first', [CompletionResultType]::ParameterName, 'Start TLS before the NATS handshake, for servers configured with handshake_first')
            [CompletionResult]::new('--all-lattices', '--all-lattices', [CompletionResultType]::ParameterName, 'Watch every lattice on the server (wasmbus.evt.*.>)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never (as other tools spell it)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of local time')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print messages whole: wadm''s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)')
            [CompletionResult]::new('--full-ids', '--full-ids', [CompletionResultType]::ParameterName, 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB')
            [CompletionResult]::new('--no-compress', '--no-compress', [CompletionResultType]::ParameterName, 'Print every repeat of a host''s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines on stderr (errors and warnings are still shown)')
            [CompletionResult]::new('--no-apps', '--no-apps', [CompletionResultType]::ParameterName, 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'latwatch;help' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them into a folder')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The lattice as a live table: hosts, components, providers, links and applications, as the control interface and wadm tell at start and every event changes them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'latwatch;help;completions' {
            break
        }
        'latwatch;help;man' {
            break
        }
        'latwatch;help;top' {
            break
        }
        'latwatch;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
