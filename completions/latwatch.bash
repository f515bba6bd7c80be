_latwatch() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="latwatch"
                ;;
            latwatch,completions)
                cmd="latwatch__subcmd__completions"
                ;;
            latwatch,help)
                cmd="latwatch__subcmd__help"
                ;;
            latwatch,man)
                cmd="latwatch__subcmd__man"
                ;;
            latwatch,top)
                cmd="latwatch__subcmd__top"
                ;;
            latwatch__subcmd__help,completions)
                cmd="latwatch__subcmd__help__subcmd__completions"
                ;;
            latwatch__subcmd__help,help)
                cmd="latwatch__subcmd__help__subcmd__help"
                ;;
            latwatch__subcmd__help,man)
                cmd="latwatch__subcmd__help__subcmd__man"
                ;;
            latwatch__subcmd__help,top)
                cmd="latwatch__subcmd__help__subcmd__top"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        latwatch)
            opts="-s -x -t -i -o -v -n -q -h -V --server --context --creds --nkey --jwt --seed --user --password --token --tls-ca --tls-cert --tls-key --tls-first --ctl-host --ctl-port --lattice --all-lattices --workloads --subject-prefix --legacy --type --exclude-type --host --hostgroup --namespace --environment --component --provider --app --filter --input --output --json --color --no-color --utc --timestamps --verbose --full-ids --silence-hint --v2-interval --heartbeats --no-compress --count --quiet --summary --apps --no-apps --record --since --last --stream --no-fill --buffer --ping-interval --until-app --until-workload --until-type --until-host --until-component --until-provider --until-filter --fail-on --timeout --idle-timeout --connect-timeout --help --version completions man top help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --server)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -s)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --context)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nkey)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jwt)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --seed)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-ca)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lattice)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -x)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --subject-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --exclude-type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --hostgroup)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --namespace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --environment)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --component)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --app)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --filter)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --input)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --output)
                    COMPREPLY=($(compgen -W "pretty json jsonl" -- "${cur}"))
                    return 0
                    ;;
                -o)
                    COMPREPLY=($(compgen -W "pretty json jsonl" -- "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timestamps)
                    COMPREPLY=($(compgen -W "auto full" -- "${cur}"))
                    return 0
                    ;;
                --silence-hint)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --v2-interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --count)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -n)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --record)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --since)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --last)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --stream)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --buffer)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ping-interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --until-app)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --until-workload)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --until-type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --until-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --until-component)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --until-provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --until-filter)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fail-on)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --idle-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__completions)
            opts="-s -x -t -v -q -h --out-dir --server --context --creds --nkey --jwt --seed --user --password --token --tls-ca --tls-cert --tls-key --tls-first --ctl-host --ctl-port --lattice --all-lattices --workloads --subject-prefix --type --exclude-type --host --hostgroup --namespace --environment --component --provider --app --filter --color --no-color --utc --timestamps --verbose --full-ids --no-compress --quiet --no-apps --ping-interval --connect-timeout --help bash elvish fish powershell zsh"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --out-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --server)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -s)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --context)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nkey)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jwt)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --seed)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-ca)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lattice)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -x)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --subject-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --exclude-type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --hostgroup)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --namespace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --environment)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --component)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --app)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --filter)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timestamps)
                    COMPREPLY=($(compgen -W "auto full" -- "${cur}"))
                    return 0
                    ;;
                --ping-interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__help)
            opts="completions man top help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__help__subcmd__completions)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__help__subcmd__man)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__help__subcmd__top)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__man)
            opts="-s -x -t -v -q -h --server --context --creds --nkey --jwt --seed --user --password --token --tls-ca --tls-cert --tls-key --tls-first --ctl-host --ctl-port --lattice --all-lattices --workloads --subject-prefix --type --exclude-type --host --hostgroup --namespace --environment --component --provider --app --filter --color --no-color --utc --timestamps --verbose --full-ids --no-compress --quiet --no-apps --ping-interval --connect-timeout --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --server)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -s)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --context)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nkey)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jwt)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --seed)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-ca)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lattice)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -x)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --subject-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --exclude-type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --hostgroup)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --namespace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --environment)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --component)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --app)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --filter)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timestamps)
                    COMPREPLY=($(compgen -W "auto full" -- "${cur}"))
                    return 0
                    ;;
                --ping-interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        latwatch__subcmd__top)
            opts="-s -x -t -v -q -h --server --context --creds --nkey --jwt --seed --user --password --token --tls-ca --tls-cert --tls-key --tls-first --ctl-host --ctl-port --lattice --all-lattices --workloads --subject-prefix --type --exclude-type --host --hostgroup --namespace --environment --component --provider --app --filter --color --no-color --utc --timestamps --verbose --full-ids --no-compress --quiet --no-apps --ping-interval --connect-timeout --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --server)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -s)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --context)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nkey)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jwt)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --seed)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-ca)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ctl-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lattice)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -x)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --subject-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --exclude-type)
                    COMPREPLY=($(compgen -W "host_started host_stopped host_heartbeat labels_changed component_scaled component_scale_failed component_start_failed provider_started provider_start_failed provider_stopped health_check_passed health_check_failed health_check_status linkdef_set linkdef_set_failed linkdef_deleted config_set config_deleted actor_scaled actor_scale_failed actors_started actors_start_failed actors_stopped actor_started actor_stopped actor_start_failed actor_updated actor_update_failed refmap_set manifest_published manifest_unpublished app_status v2_host_heartbeat v2_request v2_workload_started v2_workload_failed v2_workload_stopped v2_workload_status v2_workload_unanswered" -- "${cur}"))
                    return 0
                    ;;
                --host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --hostgroup)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --namespace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --environment)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --component)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --app)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --filter)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timestamps)
                    COMPREPLY=($(compgen -W "auto full" -- "${cur}"))
                    return 0
                    ;;
                --ping-interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _latwatch -o nosort -o bashdefault -o default latwatch
else
    complete -F _latwatch -o bashdefault -o default latwatch
fi
