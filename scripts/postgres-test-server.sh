#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks, from Debian's packages.
#
#   postgres-test-server.sh start DIR        initdb in DIR, start on a free loopback port, print the URL
#   postgres-test-server.sh createdb DIR DB [ICU_LOCALE]  create database DB (text sorted by that
#                                            ICU locale when given), print its URL
#   postgres-test-server.sh stop DIR         stop the server and delete DIR
#
# Trust authentication on 127.0.0.1 only; superuser `stratum`. TLS is on too, with a self-signed
# certificate for `localhost` (plain connections still work): the tests check that a client
# asking for TLS refuses a certificate no CA vouches for. Run as root, the server runs as
# the `postgres` system user (PostgreSQL refuses to run as root). Nothing outside DIR is touched.
set -euo pipefail

command=${1:?usage: postgres-test-server.sh start|createdb|stop DIR [DB]}
dir=${2:?usage: postgres-test-server.sh start|createdb|stop DIR [DB]}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "error: PostgreSQL's server is not installed (Debian package postgresql; scripts/install-deps.sh postgresql installs it)" >&2
    exit 1
fi

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_of() { cat "$dir/port"; }
url_of() { echo "postgres://stratum@127.0.0.1:$(port_of)/$1"; }

# Daemons started here must not hold any descriptor this script inherited beyond 0-2: a test
# process that spawns several children at once can leak one child's output pipe into another
# (the descriptor is inherited before it is marked close-on-exec), and a long-lived server
# holding the write end of a pipe keeps its reader waiting forever. (Bash reads this script
# on 255, which is kept.)
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done

case "$command" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" || { echo "error: $dir is not reachable by the postgres user (is a parent folder private?)" >&2; exit 1; }
    fi
    as_server_user "$bin/initdb" -D "$dir/data" -U stratum --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: bind 0, read it, release it (a race with another process is possible but
    # harmless: pg_ctl then fails and says so).
    # A self-signed certificate, for the TLS tests (openssl, from Debian's package of that name).
    openssl req -new -x509 -days 7 -nodes -subj /CN=localhost -keyout "$dir/data/server.key" -out "$dir/data/server.crt" >/dev/null 2>&1
    chmod 600 "$dir/data/server.key"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/data/server.key" "$dir/data/server.crt"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    echo "$port" >"$dir/port"
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c ssl=on -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    url_of postgres
    ;;
createdb)
    db=${3:?usage: postgres-test-server.sh createdb DIR DB [ICU_LOCALE]}
    # With ICU_LOCALE (en-US, say), the database sorts text by that ICU collation, as managed
    # servers and the official image's en_US default do; else by C, byte order, as SQLite.
    collation=()
    if [ -n "${4:-}" ]; then collation=(--template=template0 --locale-provider=icu "--icu-locale=$4"); fi
    as_server_user "$bin/createdb" -h 127.0.0.1 -p "$(port_of)" -U stratum "${collation[@]}" -- "$db"
    url_of "$db"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres-test-server.sh start|createdb|stop DIR [DB [ICU_LOCALE]]" >&2
    exit 2
    ;;
esac
