# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_latwatch_global_optspecs
    string join \n s/server= context= creds= nkey= jwt= seed= user= password= token= tls-ca= tls-cert= tls-key= tls-first ctl-host= ctl-port= x/lattice= all-lattices workloads subject-prefix= legacy t/type= exclude-type= host= hostgroup= namespace= environment= component= provider= app= filter= i/input= o/output= json color= no-color utc timestamps= v/verbose full-ids silence-hint= v2-interval= heartbeats no-compress n/count= q/quiet summary apps no-apps record= since= last= stream= no-fill buffer= ping-interval= until-app= until-workload= until-type= until-host= until-component= until-provider= until-filter= fail-on= timeout= idle-timeout= connect-timeout= h/help V/version
end

function __fish_latwatch_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_latwatch_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_latwatch_using_subcommand
    set -l cmd (__fish_latwatch_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c latwatch -n "__fish_latwatch_needs_command" -s s -l server -d 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash\'s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l context -d 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l creds -d 'NATS credentials file (user JWT and seed); also read from wash\'s WASH_CTL_CREDS' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -l nkey -d 'File holding an nkey user seed' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -l jwt -d 'User JWT, with --seed (as wash takes them)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l seed -d 'User nkey seed signing for --jwt' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l user -d 'User name (or user:password@ in the URL)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l password -d 'Password for --user' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l token -d 'Authentication token' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l tls-ca -d 'CA certificate(s) to verify the server with (PEM)' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -l tls-cert -d 'Client certificate for mutual TLS (PEM), with --tls-key' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -l tls-key -d 'Client private key for mutual TLS (PEM), with --tls-cert' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -l ctl-host -d 'NATS host, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l ctl-port -d 'NATS port, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -s x -l lattice -d 'The lattice(s) to watch, comma-separated' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l subject-prefix -d 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -s t -l type -d 'Show only these event kinds (repeatable, comma-separated; globs allowed)' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_needs_command" -l exclude-type -d 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_needs_command" -l host -d 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l hostgroup -d 'wasmCloud 2: show only hosts of these host groups (the `hostgroup` label; globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l namespace -d 'wasmCloud 2: show only workloads of these namespaces (globs, repeatable; with --workloads)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l environment -d 'wasmCloud 2: show only hosts of these tenant environments (globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l component -d 'Show only events about these components, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l provider -d 'Show only events about these providers, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l app -d 'Show only what belongs to these wadm applications: their events, wadm\'s events and status changes (names or globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l filter -d 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -s i -l input -d 'Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl` records or `nats sub --raw` output, one per line' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -s o -l output -d 'Output format' -r -f -a "pretty\t'One human line per event'
json\t'Each event\'s original payload bytes, one per line (for jq)'
jsonl\t'One record per line: {"subject", "received", "event"}'"
complete -c latwatch -n "__fish_latwatch_needs_command" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored' -r -f -a "auto\t''
always\t''
never\t''"
complete -c latwatch -n "__fish_latwatch_needs_command" -l timestamps -d 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host\'s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)' -r -f -a "auto\t'HH:MM:SS.mmm, with the date when not today'
full\t'RFC 3339 on every line'"
complete -c latwatch -n "__fish_latwatch_needs_command" -l silence-hint -d 'If nothing arrives within SECS of subscribing, explain on stderr why and which lattices on the server do have traffic (0: never)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l v2-interval -d 'wasmCloud 2 hosts heartbeat every 15 s: a host is silent after two missed heartbeats and lost after four. For tests, which cannot wait a minute' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -s n -l count -d 'Exit after printing N events' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l record -d 'Also append every received event (before filters) to FILE as a jsonl record, written as it arrives; `--input FILE` replays it' -r -F
complete -c latwatch -n "__fish_latwatch_needs_command" -l since -d 'First replay the events stored since WHEN (a duration like 90s, 10m, 1h30m, or an RFC 3339 time) from the JetStream stream that keeps the lattice\'s events, and wadm\'s deploys and application statuses from its streams (wadm_events, wadm_status) merged in time order, then continue live' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l last -d 'First show the last N stored events that pass the filters (-t, --host, --app, --filter…, as `kubectl logs --tail` counts), searching back through the newest 200,000 (plus N) messages of each stream at most, then continue live' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l stream -d 'The JetStream stream to replay and fill gaps from [default: the stream that stores the lattice\'s subjects, e.g. wadm\'s wasmbus_events]' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l buffer -d 'Memory for events that stdout cannot take yet (a slow reader); past it events are dropped, reported, and filled from a stream when there is one (e.g. 64MiB, 1GiB)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l ping-interval -d 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-app -d 'Exit 0 when every named wadm application has this status (NAME=STATUS, e.g. hello-app=deployed; repeatable); exit 4 if one fails. LATTICE/NAME is that lattice\'s application; a bare NAME is every application of that name in the lattices watched' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-workload -d 'wasmCloud 2: exit 0 when a workload of each NAMESPACE/NAME (globs: the operator suffixes names, default/hello-*=running) is in STATE (running, error, not_found, stopped; repeatable: all must be reached); exit 4 if one fails, with the host\'s error. Implies --workloads' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-type -d 'Exit 0 when an event of one of these kinds arrives (with the other --until-* flags: all must match)' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-host -d 'Exit 0 when an event about one of these hosts arrives (key, prefix, name or glob)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-component -d 'Exit 0 when an event about one of these components arrives' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-provider -d 'Exit 0 when an event about one of these providers arrives' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l until-filter -d 'Exit 0 when an event for which this jq expression is truthy arrives' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l fail-on -d 'Exit 4 when an event of these kinds arrives about the --until-host/component/provider (all hosts when none is given), with --until-app of an awaited application (an event of no known application never fails it); `none` turns it off [default with --until-*: *_failed, except failures --until-type names: `--until-type component_scale_failed` exits 0 on one]' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_needs_command" -l timeout -d 'Exit 3 if the run has not ended by then (a duration: 30s, 5m, 1h; plain numbers are seconds)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l idle-timeout -d 'Exit 0 after DURATION in which no event arrived (filtered ones count as arrived)' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l connect-timeout -d 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it' -r
complete -c latwatch -n "__fish_latwatch_needs_command" -l tls-first -d 'Start TLS before the NATS handshake, for servers configured with handshake_first'
complete -c latwatch -n "__fish_latwatch_needs_command" -l all-lattices -d 'Watch every lattice on the server (wasmbus.evt.*.>)'
complete -c latwatch -n "__fish_latwatch_needs_command" -l workloads -d 'wasmCloud 2: also watch the operator\'s requests to each heartbeating host and the hosts\' answers: workloads started, failed (with the host\'s whole error text), stopped. Side effect: while latwatch listens on runtime.host.<id>.>, a request to a host that just died waits for its timeout instead of failing fast with "no responders"'
complete -c latwatch -n "__fish_latwatch_needs_command" -l legacy -d 'Also listen on the bare wasmbus.evt.<lattice> subject of wasmCloud <= 0.82 and OTP hosts; events published on both subjects are shown once'
complete -c latwatch -n "__fish_latwatch_needs_command" -l json -d 'Print each event\'s original JSON on one line (same as -o json)'
complete -c latwatch -n "__fish_latwatch_needs_command" -l no-color -d 'Same as --color never (as other tools spell it)'
complete -c latwatch -n "__fish_latwatch_needs_command" -l utc -d 'Show times in UTC instead of local time'
complete -c latwatch -n "__fish_latwatch_needs_command" -s v -l verbose -d 'Print messages whole: wadm\'s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)'
complete -c latwatch -n "__fish_latwatch_needs_command" -l full-ids -d 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB'
complete -c latwatch -n "__fish_latwatch_needs_command" -l heartbeats -d 'Print every heartbeat and health status, not only those that change something'
complete -c latwatch -n "__fish_latwatch_needs_command" -l no-compress -d 'Print every repeat of a host\'s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)'
complete -c latwatch -n "__fish_latwatch_needs_command" -s q -l quiet -d 'No status lines on stderr (errors and warnings are still shown)'
complete -c latwatch -n "__fish_latwatch_needs_command" -l summary -d 'At exit, print counts on stderr: messages received, shown, filtered out, per kind, per host, hosts alive, failures, per application'
complete -c latwatch -n "__fish_latwatch_needs_command" -l apps -d 'In --json and -o jsonl, include wadm\'s application messages: its CloudEvents, and in -o jsonl its status messages (pretty output shows them unless --no-apps)'
complete -c latwatch -n "__fish_latwatch_needs_command" -l no-apps -d 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags'
complete -c latwatch -n "__fish_latwatch_needs_command" -l no-fill -d 'Do not fill gaps (a reconnect, dropped events) from the JetStream stream that keeps the lattice\'s events; only report them'
complete -c latwatch -n "__fish_latwatch_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c latwatch -n "__fish_latwatch_needs_command" -s V -l version -d 'Print version'
complete -c latwatch -n "__fish_latwatch_needs_command" -f -a "completions" -d 'Print a shell completion script, or write all of them into a folder'
complete -c latwatch -n "__fish_latwatch_needs_command" -f -a "man" -d 'Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1'
complete -c latwatch -n "__fish_latwatch_needs_command" -f -a "top" -d 'The lattice as a live table: hosts, components, providers, links and applications, as the control interface and wadm tell at start and every event changes them'
complete -c latwatch -n "__fish_latwatch_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l out-dir -d 'Write every shell\'s script into DIR, under the standard names (latwatch.bash, _latwatch, latwatch.fish, _latwatch.ps1, latwatch.elv)' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -s s -l server -d 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash\'s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l context -d 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l creds -d 'NATS credentials file (user JWT and seed); also read from wash\'s WASH_CTL_CREDS' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l nkey -d 'File holding an nkey user seed' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l jwt -d 'User JWT, with --seed (as wash takes them)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l seed -d 'User nkey seed signing for --jwt' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l user -d 'User name (or user:password@ in the URL)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l password -d 'Password for --user' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l token -d 'Authentication token' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l tls-ca -d 'CA certificate(s) to verify the server with (PEM)' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l tls-cert -d 'Client certificate for mutual TLS (PEM), with --tls-key' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l tls-key -d 'Client private key for mutual TLS (PEM), with --tls-cert' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l ctl-host -d 'NATS host, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l ctl-port -d 'NATS port, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -s x -l lattice -d 'The lattice(s) to watch, comma-separated' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l subject-prefix -d 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -s t -l type -d 'Show only these event kinds (repeatable, comma-separated; globs allowed)' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l exclude-type -d 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l host -d 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l hostgroup -d 'wasmCloud 2: show only hosts of these host groups (the `hostgroup` label; globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l namespace -d 'wasmCloud 2: show only workloads of these namespaces (globs, repeatable; with --workloads)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l environment -d 'wasmCloud 2: show only hosts of these tenant environments (globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l component -d 'Show only events about these components, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l provider -d 'Show only events about these providers, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l app -d 'Show only what belongs to these wadm applications: their events, wadm\'s events and status changes (names or globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l filter -d 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored' -r -f -a "auto\t''
always\t''
never\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l timestamps -d 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host\'s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)' -r -f -a "auto\t'HH:MM:SS.mmm, with the date when not today'
full\t'RFC 3339 on every line'"
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l ping-interval -d 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l connect-timeout -d 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l tls-first -d 'Start TLS before the NATS handshake, for servers configured with handshake_first'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l all-lattices -d 'Watch every lattice on the server (wasmbus.evt.*.>)'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l workloads -d 'wasmCloud 2: also watch the operator\'s requests to each heartbeating host and the hosts\' answers: workloads started, failed (with the host\'s whole error text), stopped. Side effect: while latwatch listens on runtime.host.<id>.>, a request to a host that just died waits for its timeout instead of failing fast with "no responders"'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l no-color -d 'Same as --color never (as other tools spell it)'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l utc -d 'Show times in UTC instead of local time'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -s v -l verbose -d 'Print messages whole: wadm\'s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l full-ids -d 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l no-compress -d 'Print every repeat of a host\'s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -s q -l quiet -d 'No status lines on stderr (errors and warnings are still shown)'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -l no-apps -d 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags'
complete -c latwatch -n "__fish_latwatch_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -s s -l server -d 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash\'s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l context -d 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l creds -d 'NATS credentials file (user JWT and seed); also read from wash\'s WASH_CTL_CREDS' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l nkey -d 'File holding an nkey user seed' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l jwt -d 'User JWT, with --seed (as wash takes them)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l seed -d 'User nkey seed signing for --jwt' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l user -d 'User name (or user:password@ in the URL)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l password -d 'Password for --user' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l token -d 'Authentication token' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l tls-ca -d 'CA certificate(s) to verify the server with (PEM)' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l tls-cert -d 'Client certificate for mutual TLS (PEM), with --tls-key' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l tls-key -d 'Client private key for mutual TLS (PEM), with --tls-cert' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l ctl-host -d 'NATS host, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l ctl-port -d 'NATS port, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -s x -l lattice -d 'The lattice(s) to watch, comma-separated' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l subject-prefix -d 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -s t -l type -d 'Show only these event kinds (repeatable, comma-separated; globs allowed)' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l exclude-type -d 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l host -d 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l hostgroup -d 'wasmCloud 2: show only hosts of these host groups (the `hostgroup` label; globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l namespace -d 'wasmCloud 2: show only workloads of these namespaces (globs, repeatable; with --workloads)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l environment -d 'wasmCloud 2: show only hosts of these tenant environments (globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l component -d 'Show only events about these components, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l provider -d 'Show only events about these providers, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l app -d 'Show only what belongs to these wadm applications: their events, wadm\'s events and status changes (names or globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l filter -d 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored' -r -f -a "auto\t''
always\t''
never\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l timestamps -d 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host\'s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)' -r -f -a "auto\t'HH:MM:SS.mmm, with the date when not today'
full\t'RFC 3339 on every line'"
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l ping-interval -d 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l connect-timeout -d 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l tls-first -d 'Start TLS before the NATS handshake, for servers configured with handshake_first'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l all-lattices -d 'Watch every lattice on the server (wasmbus.evt.*.>)'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l workloads -d 'wasmCloud 2: also watch the operator\'s requests to each heartbeating host and the hosts\' answers: workloads started, failed (with the host\'s whole error text), stopped. Side effect: while latwatch listens on runtime.host.<id>.>, a request to a host that just died waits for its timeout instead of failing fast with "no responders"'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l no-color -d 'Same as --color never (as other tools spell it)'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l utc -d 'Show times in UTC instead of local time'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -s v -l verbose -d 'Print messages whole: wadm\'s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l full-ids -d 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l no-compress -d 'Print every repeat of a host\'s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -s q -l quiet -d 'No status lines on stderr (errors and warnings are still shown)'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -l no-apps -d 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags'
complete -c latwatch -n "__fish_latwatch_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -s s -l server -d 'NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash\'s WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l context -d 'A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS [default: the context selected with `nats context select`, if any]' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l creds -d 'NATS credentials file (user JWT and seed); also read from wash\'s WASH_CTL_CREDS' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l nkey -d 'File holding an nkey user seed' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l jwt -d 'User JWT, with --seed (as wash takes them)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l seed -d 'User nkey seed signing for --jwt' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l user -d 'User name (or user:password@ in the URL)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l password -d 'Password for --user' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l token -d 'Authentication token' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l tls-ca -d 'CA certificate(s) to verify the server with (PEM)' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l tls-cert -d 'Client certificate for mutual TLS (PEM), with --tls-key' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l tls-key -d 'Client private key for mutual TLS (PEM), with --tls-cert' -r -F
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l ctl-host -d 'NATS host, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l ctl-port -d 'NATS port, as wash takes it; used only when --server and NATS_URL are not given' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -s x -l lattice -d 'The lattice(s) to watch, comma-separated' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l subject-prefix -d 'Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it (P.wasmbus.evt.<lattice>.>)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -s t -l type -d 'Show only these event kinds (repeatable, comma-separated; globs allowed)' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l exclude-type -d 'Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type' -r -f -a "host_started\t''
host_stopped\t''
host_heartbeat\t''
labels_changed\t''
component_scaled\t''
component_scale_failed\t''
component_start_failed\t''
provider_started\t''
provider_start_failed\t''
provider_stopped\t''
health_check_passed\t''
health_check_failed\t''
health_check_status\t''
linkdef_set\t''
linkdef_set_failed\t''
linkdef_deleted\t''
config_set\t''
config_deleted\t''
actor_scaled\t''
actor_scale_failed\t''
actors_started\t''
actors_start_failed\t''
actors_stopped\t''
actor_started\t''
actor_stopped\t''
actor_start_failed\t''
actor_updated\t''
actor_update_failed\t''
refmap_set\t''
manifest_published\t''
manifest_unpublished\t''
app_status\t''
v2_host_heartbeat\t''
v2_request\t''
v2_workload_started\t''
v2_workload_failed\t''
v2_workload_stopped\t''
v2_workload_status\t''
v2_workload_unanswered\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l host -d 'Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l hostgroup -d 'wasmCloud 2: show only hosts of these host groups (the `hostgroup` label; globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l namespace -d 'wasmCloud 2: show only workloads of these namespaces (globs, repeatable; with --workloads)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l environment -d 'wasmCloud 2: show only hosts of these tenant environments (globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l component -d 'Show only events about these components, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l provider -d 'Show only events about these providers, including links to or from them (repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l app -d 'Show only what belongs to these wadm applications: their events, wadm\'s events and status changes (names or globs, repeatable)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l filter -d 'Show only events for which this jq expression is truthy (run on the CloudEvent JSON)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb (CLICOLOR_FORCE forces it); json and jsonl are never colored' -r -f -a "auto\t''
always\t''
never\t''"
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l timestamps -d 'How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and stern print. A host event shows its own time (the host\'s clock); a wadm status, which has none, the time latwatch received it (a replay: the time the server stored it)' -r -f -a "auto\t'HH:MM:SS.mmm, with the date when not today'
full\t'RFC 3339 on every line'"
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l ping-interval -d 'How often to ping the server; after three unanswered pings the server counts as hung and latwatch reconnects (a duration: 2s, 500ms)' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l connect-timeout -d 'Keep trying the first connection for this long (NATS starting beside latwatch in CI): a refused or unresolved server is tried again, said once on stderr; exit 1 when no connection came. With --until-* or --until-app, --timeout sets it' -r
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l tls-first -d 'Start TLS before the NATS handshake, for servers configured with handshake_first'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l all-lattices -d 'Watch every lattice on the server (wasmbus.evt.*.>)'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l workloads -d 'wasmCloud 2: also watch the operator\'s requests to each heartbeating host and the hosts\' answers: workloads started, failed (with the host\'s whole error text), stopped. Side effect: while latwatch listens on runtime.host.<id>.>, a request to a host that just died waits for its timeout instead of failing fast with "no responders"'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l no-color -d 'Same as --color never (as other tools spell it)'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l utc -d 'Show times in UTC instead of local time'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -s v -l verbose -d 'Print messages whole: wadm\'s status messages and errors are otherwise shortened on a line, keeping their start and their root cause (`failed to fetch component: … dns error: …`)'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l full-ids -d 'Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l no-compress -d 'Print every repeat of a host\'s failure in full (by default the same failure again, same id and error, is a short line: `same error again (×3, over 31s)`)'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -s q -l quiet -d 'No status lines on stderr (errors and warnings are still shown)'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -l no-apps -d 'Leave wadm applications out: no wadm subscriptions, status lines or app= tags'
complete -c latwatch -n "__fish_latwatch_using_subcommand top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c latwatch -n "__fish_latwatch_using_subcommand help; and not __fish_seen_subcommand_from completions man top help" -f -a "completions" -d 'Print a shell completion script, or write all of them into a folder'
complete -c latwatch -n "__fish_latwatch_using_subcommand help; and not __fish_seen_subcommand_from completions man top help" -f -a "man" -d 'Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1'
complete -c latwatch -n "__fish_latwatch_using_subcommand help; and not __fish_seen_subcommand_from completions man top help" -f -a "top" -d 'The lattice as a live table: hosts, components, providers, links and applications, as the control interface and wadm tell at start and every event changes them'
complete -c latwatch -n "__fish_latwatch_using_subcommand help; and not __fish_seen_subcommand_from completions man top help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
