#!/bin/sh
# The 8-byte round trip of C nodes (scif-peer ping/pong) against scif4j's Java nodes in the
# same run: `./scif pingpong` (Java <-> Java, pinned to cpus 0 and 1), then the C pair pinned
# the same way, ROUNDS times interleaved; prints each median and the C/Java ratio per round.
# Run from the repository root, under the machine lock:
#   flock -x /tmp/scif4j-machine.lock libscif/tools/bench-roundtrip.sh [ROUNDS] [ROUND_TRIPS]
set -eu
rounds=${1:-3}
trips=${2:-100000}
peer=libscif/target/bin/scif-peer
dir=$(mktemp -d /dev/shm/libscif-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
for r in $(seq "$rounds"); do
	java=$(./scif pingpong --rounds 1 --round-trips "$trips" --stream-bytes 64k --messages 100 2>/dev/null \
		| awk '/scif send\/recv \(adaptive\)/ {print $4; exit}')
	SCIF_FABRIC="shm:rt?node=0&dir=$dir" timeout 120 taskset -c 0 "$peer" pong 3000 >/dev/null &
	pong=$!
	c=$(SCIF_FABRIC="shm:rt?node=1&dir=$dir" timeout 120 taskset -c 1 "$peer" ping 0 3000 "$trips" | awk '{print $2}')
	wait "$pong" || true # never hold the machine lock for a peer that failed: both are time-limited
	echo "round $r: java<->java p50 ${java} ns, c<->c p50 ${c} ns, ratio $(echo "scale=2; $c / $java" | bc)"
done
