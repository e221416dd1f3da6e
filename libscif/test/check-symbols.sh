#!/bin/sh
# Checks the ABI of a built libscif: SONAME libscif.so.0; every SCIF function of scif.h
# exported under the version SCIF_0.0; nothing exported but scif_* and scif4j_*; libc and
# the dynamic loader the only dependencies.
set -eu
lib=$1
hdr=$2
fail=0
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libscif.so.0 ] || { echo "SONAME is '$soname', expected libscif.so.0"; fail=1; }
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for n in $needed; do
	case $n in libc.so.6|ld-linux-x86-64.so.2) ;; *) echo "depends on $n: only libc is allowed"; fail=1;; esac
done
# Defined dynamic symbols: "name@@VERSION" (objdump -T lists VERSION then name).
defs=$(objdump -T "$lib" | awk '$4 != "*UND*" && $2 != "" && NF >= 7 && $(NF-1) != "Base" {print $NF "@" $(NF-1)}' | sort)
for d in $defs; do
	name=${d%@*}; ver=${d#*@}
	case $name in
	SCIF_0.0) ;;
	scif_*|scif4j_*) [ "$ver" = SCIF_0.0 ] || { echo "$name has version $ver, expected SCIF_0.0"; fail=1; } ;;
	*) echo "exports $name: only scif_* and scif4j_* may be visible"; fail=1 ;;
	esac
done
for f in $(grep -o '^[a-z_ *]*\bscif_[a-zA-Z_]*(' "$hdr" | sed 's/.*\(scif_[a-zA-Z_]*\)(/\1/'); do
	echo "$defs" | grep -qx "$f@SCIF_0.0" || { echo "$f is declared in scif.h but not exported as $f@@SCIF_0.0"; fail=1; }
done
count=$(echo "$defs" | grep -c '^scif_' || true)
[ "$count" -ge 22 ] || { echo "only $count scif_* exports, expected the 22 SCIF functions"; fail=1; }
[ $fail = 0 ] && echo "symbols: $count scif_* exports under SCIF_0.0, SONAME libscif.so.0, libc only"
exit $fail
