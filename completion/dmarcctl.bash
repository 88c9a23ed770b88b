# bash completion for dmarcctl(1)
#
# Installed as share/bash-completion/completions/dmarcctl, where
# bash-completion loads it on first use; or source it from ~/.bashrc.

_dmarcctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n = || return
	else
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local commands="parse ingest fetch reparse db reports errors raw summary
		sources advise tls check dns failures help version"
	local global_opts="--db -c --config -q --quiet -v --verbose -h --help"
	local window_opts="--days --since --until"

	# the command: the first word that is neither an option nor the
	# argument of --db or -c
	local i cmd='' cmd_at=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--db | -c | --config) ((i++)) ;;
		--db=* | --config=*) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			cmd_at=$i
			break
			;;
		esac
	done

	# values of options, wherever they are
	case $prev in
	-c | --config)
		_dmarcctl_files
		return
		;;
	--db)
		return	# a conninfo: nothing to guess
		;;
	--format)
		local formats="text json csv"
		case $cmd in advise | check | dns) formats="text json" ;; esac
		_dmarcctl_words "$formats"
		return
		;;
	--class)
		_dmarcctl_words "aligned partial third-party relay indirect unauthenticated"
		return
		;;
	--account)
		# default ([imap]) and the [imap.NAME] sections of the config
		_dmarcctl_words "default $(_dmarcctl_accounts)"
		return
		;;
	--days | --max-silence | --limit)
		_dmarcctl_words "1 2 3 7 14 30 90"
		return
		;;
	--since | --until | --domain)
		return
		;;
	esac
	case $cur in
	--format=*)
		local formats="text json csv"
		case $cmd in advise | check | dns) formats="text json" ;; esac
		cur=${cur#--format=}
		_dmarcctl_words "$formats"
		return
		;;
	--config=*)
		cur=${cur#--config=}
		_dmarcctl_files
		return
		;;
	esac

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			_dmarcctl_words "$global_opts"
		else
			_dmarcctl_words "$commands"
		fi
		return
	fi

	local opts=
	case $cmd in
	parse) opts="--records --help" ;;
	ingest) opts="--dry-run --json --help" ;;
	fetch) opts="--account --dry-run --json --watch --insecure --help" ;;
	reparse) opts="--failed --help" ;;
	raw | version) opts="--help" ;;
	db)
		if ((cword == cmd_at + 1)); then
			_dmarcctl_words "migrate status prune --help"
		fi
		return
		;;
	reports) opts="$window_opts --domain --format --help" ;;
	errors) opts="$window_opts --format --help" ;;
	summary)
		opts="$window_opts --domain --no-dns --format --help" ;;
	advise)
		opts="$window_opts --domain --no-dns --all --format --help" ;;
	sources)
		opts="$window_opts --domain --class --limit --addresses --no-dns --format --help" ;;
	tls) opts="$window_opts --domain --no-dns --probe --format --help" ;;
	dns) opts="$window_opts --domain --probe --format --help" ;;
	failures) opts="$window_opts --domain --no-dns --format --help" ;;
	check) opts="--domain --max-silence --format --help" ;;
	help)
		if ((cword == cmd_at + 1)); then
			_dmarcctl_words "$commands"
		fi
		return
		;;
	*) return ;;
	esac

	if [[ $cur == -* ]]; then
		_dmarcctl_words "$opts"
		return
	fi
	case $cmd in
	parse | ingest)
		# files, directories (ingest walks them; Maildirs), or -
		_dmarcctl_files
		;;
	esac
}

# the NAMEs of the [imap.NAME] sections of the config file in use
_dmarcctl_accounts()
{
	local i conf=${DMARCCTL_CONFIG:-/etc/dmarcctl/dmarcctl.conf}
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c | --config) conf=${words[i + 1]} ;;
		--config=*) conf=${words[i]#--config=} ;;
		esac
	done
	[ -r "$conf" ] || return 0
	sed -n 's/^[[:space:]]*\[[[:space:]]*imap\.\([A-Za-z0-9_-]*\)[[:space:]]*\].*/\1/p' \
	    "$conf" 2>/dev/null
}

# the words of $1 that start with $cur
_dmarcctl_words()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# file and directory names, as bash-completion's _filedir would give them
_dmarcctl_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
	fi
}

complete -F _dmarcctl dmarcctl
