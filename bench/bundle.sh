# Sourced by bench.sh and compare.sh: the bundle every runtime runs, in $1 —
# `runc spec`'s default config with the terminal off and /bin/true as the
# process, over the busybox rootfs of scripts/make-rootfs.sh.
bench_bundle() {
        scripts/make-rootfs.sh "$1/rootfs"
        (cd "$1" && runc spec)
        sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/' "$1/config.json"
}
