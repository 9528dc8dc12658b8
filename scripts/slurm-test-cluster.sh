#!/usr/bin/env bash
# A throw-away one-node Slurm cluster for the tests, from Debian's packages (slurm-wlm).
#
#   slurm-test-cluster.sh start DIR    write DIR/slurm.conf, start slurmctld and slurmd, wait
#                                      until the node is idle, print the path of slurm.conf
#   slurm-test-cluster.sh stop DIR     stop both daemons and delete DIR
#
# Clients find the cluster through SLURM_CONF=DIR/slurm.conf. No authentication (auth/none):
# the daemons listen on loopback only, on free ports. Needs root (slurmd runs jobs as their
# submitter). Nothing outside DIR is touched.
set -euo pipefail

command=${1:?usage: slurm-test-cluster.sh start|stop DIR}
dir=${2:?usage: slurm-test-cluster.sh start|stop DIR}

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
    for daemon in slurmctld slurmd sbatch sinfo; do
        command -v "$daemon" >/dev/null || { echo "error: $daemon is not installed (Debian package slurm-wlm; scripts/install-deps.sh slurm-wlm)" >&2; exit 1; }
    done
    [ "$(id -u)" -eq 0 ] || { echo "error: a local Slurm cluster needs root (slurmd starts jobs as their user)" >&2; exit 1; }
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    dir="$(cd "$dir" && pwd)"
    node="$(hostname -s)"
    read -r controller_port node_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])')
    cat >"$dir/slurm.conf" <<EOF
ClusterName=stratum-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
SlurmctldPort=$controller_port
SlurmdPort=$node_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -i -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF" -N "$node"
    for _ in $(seq 1 150); do
        if [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; then
            echo "$SLURM_CONF"
            exit 0
        fi
        sleep 0.2
    done
    echo "error: the local Slurm node did not become idle in 30 s" >&2
    tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    exit 1
    ;;
stop)
    # SIGTERM, then SIGKILL what is still there after 5 s: a slurmd whose controller went first
    # was seen ignoring SIGTERM for good (it outlived a test run by half an hour).
    pids=()
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
        if [ -f "$pidfile" ]; then pids+=("$(cat "$pidfile")"); fi
    done
    if [ "${#pids[@]}" -gt 0 ]; then
        kill "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 1 50); do
            running=()
            for pid in "${pids[@]}"; do
                # A zombie (a parent that does not reap) counts as gone.
                state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
                if [ -n "$state" ] && [ "$state" != Z ]; then running+=("$pid"); fi
            done
            [ "${#running[@]}" -eq 0 ] && break
            sleep 0.1
        done
        if [ "${#running[@]}" -gt 0 ]; then kill -KILL "${running[@]}" 2>/dev/null || true; fi
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: slurm-test-cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
