#!/bin/sh
# The 8-byte round trip of C nodes against scif4j's Java nodes, in the same run, ROUNDS times
# interleaved, each pair pinned to cpus 0 and 1:
#   java<->java  `./scif pingpong` (its "scif send/recv (adaptive)" median)
#   c<->c        scif-peer ping (node 1) against scif-peer pong (node 0)
#   c<->java     scif-peer ping (node 1) against tools/ScifPong.java (node 0, a Java shm node)
# prints each median and the ratios to Java<->Java. Needs the packaged build (it never builds:
# `mvn -B -o -q -DskipTests package` first). Run from the repository root, under the machine lock:
#   flock -x /tmp/scif4j-machine.lock libscif/tools/bench-roundtrip.sh [ROUNDS] [ROUND_TRIPS]
# SCIF_PEER=path/to/scif-peer measures another build of the C side (e.g. a before/after pair).
set -eu
rounds=${1:-3}
trips=${2:-100000}
peer=${SCIF_PEER:-libscif/target/bin/scif-peer}
jar=$(ls scif-bench/target/scif-bench-*-all.jar | head -1)
java=${JAVA:-java}
opens="--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"
dir=$(mktemp -d /dev/shm/libscif-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT

# $1: the pong command (node 0); prints the C ping's median against it
c_ping() {
	"$@" >/dev/null &
	pong=$!
	c=$(SCIF_FABRIC="shm:rt?node=1&dir=$dir" timeout 120 taskset -c 1 "$peer" ping 0 3000 "$trips" | awk '{print $2}')
	wait "$pong" || true # never hold the machine lock for a peer that failed: both are time-limited
	echo "$c"
}

for r in $(seq "$rounds"); do
	jj=$(SCIF_NO_BUILD=1 ./scif pingpong --rounds 1 --round-trips "$trips" --stream-bytes 64k --messages 100 2>/dev/null \
		| awk '/scif send\/recv \(adaptive\)/ {print $4; exit}')
	cc=$(c_ping env SCIF_FABRIC="shm:rt?node=0&dir=$dir" timeout 120 taskset -c 0 "$peer" pong 3000)
	cj=$(c_ping timeout 120 taskset -c 0 "$java" $opens -cp "$jar" libscif/tools/ScifPong.java "shm:rt?node=0&dir=$dir" 3000)
	echo "round $r: java<->java p50 ${jj} ns, c<->c ${cc} ns ($(echo "scale=2; $cc / $jj" | bc)x)," \
		"c<->java ${cj} ns ($(echo "scale=2; $cj / $jj" | bc)x)"
done
