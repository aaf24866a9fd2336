# bash completion for nook(8). Commands and options are read from nook's own
# --help (so they cannot drift from what nook accepts), container ids from
# `nook list -q` under the --root given on the line.

# Prints the options of `nook [COMMAND] --help`, one a line; those that take a
# value are followed by a space and the value's name (DIR, FILE, FORMAT ...).
_nook_options()
{
        "$1" ${2:+"$2"} --help 2>/dev/null | awk '
                /^ +-/ {
                        i = 1
                        if ($1 ~ /,$/) { sub(/,$/, "", $1); i = 2 }
                        value = ($(i + 1) ~ /^[A-Z[]/) ? " " $(i + 1) : ""
                        if (i == 2) print $1 value
                        print $i value
                }'
}

_nook()
{
        local nook=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
        local command= root=() i word value
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
        local globals
        globals=$(_nook_options "$nook")
        # The command is the first word that is neither a global option nor its value.
        for ((i = 1; i < COMP_CWORD; i++)); do
                word=${COMP_WORDS[i]}
                if [[ $word == -* ]]; then
                        value=$(awk -v o="${word%%=*}" '$1 == o { print $2 }' <<<"$globals")
                        if [ "$word" = --root ]; then
                                root=(--root "${COMP_WORDS[i + 1]}")
                        elif [[ $word == --root=* ]]; then
                                root=(--root "${word#--root=}")
                        fi
                        [ -n "$value" ] && [[ $word != *=* ]] && i=$((i + 1))
                        continue
                fi
                command=$word
                break
        done
        local options=$globals
        [ -n "$command" ] && options=$(_nook_options "$nook" "$command")
        # The value of an option.
        if [[ $prev == -* ]]; then
                value=$(awk -v o="$prev" '$1 == o { print $2 }' <<<"$options")
                case "$prev:$value" in
                --log-format:*) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
                --rootless:*) COMPREPLY=($(compgen -W "true false auto" -- "$cur")); return ;;
                --manage-cgroups-mode:*) COMPREPLY=($(compgen -W "soft full strict ignore" -- "$cur")); return ;;
                --empty-ns:*) COMPREPLY=($(compgen -W "network" -- "$cur")); return ;;
                *:FORMAT)
                        case "$command" in
                        inspect | check) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
                        *) COMPREPLY=($(compgen -W "table json" -- "$cur")) ;;
                        esac
                        return ;;
                *:DIR) COMPREPLY=($(compgen -d -- "$cur")); return ;;
                *:FILE | *:PATH) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                *:?*) COMPREPLY=(); return ;;
                esac
        fi
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$options")" -- "$cur"))
                return
        fi
        # The first word after the options: a command, or a container id.
        local commands
        commands=$("$nook" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
        for ((i = i + 1; i < COMP_CWORD; i++)); do
                word=${COMP_WORDS[i]}
                [[ $word == -* ]] || return  # an id is there already
                value=$(awk -v o="${word%%=*}" '$1 == o { print $2 }' <<<"$options")
                [ -n "$value" ] && [[ $word != *=* ]] && i=$((i + 1))
        done
        case "$command" in
        "") COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
        list | spec | check | features) COMPREPLY=() ;;
        *) COMPREPLY=($(compgen -W "$("$nook" "${root[@]}" list -q 2>/dev/null)" -- "$cur")) ;;
        esac
}

complete -F _nook nook
