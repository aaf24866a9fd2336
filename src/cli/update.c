/* nook update [--resources FILE|-] [--memory N …] ID */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "container/container.h"

/* A size: a number with an optional binary suffix (k, m, g, t; "b" or "kb" …), or -1. */
static int parse_size(const char *name, const char *text, struct opt_i64 *out, nook_err *err)
{
        char *end = NULL;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno == 0 && end != text && v == -1 && *end == '\0') {
                *out = (struct opt_i64){ true, -1 };
                return 0;
        }
        static const char *const suffixes = "kmgt";
        long long scale = 1;
        const char *s = end != NULL ? strchr(suffixes, tolower((unsigned char)*end)) : NULL;
        if (end != NULL && *end != '\0' && s != NULL) {
                for (const char *p = suffixes; p <= s; p++)
                        scale *= 1024;
                end++;
        }
        if (end != NULL && (*end == 'b' || *end == 'B'))
                end++;
        if (errno != 0 || end == text || *end != '\0' || v < 0 || v > INT64_MAX / scale)
                return nook_error(err, 0, "update: --%s: \"%s\" is not a size (bytes, or with k, m, g, t) or -1", name,
                                  text);
        *out = (struct opt_i64){ true, v * scale };
        return 0;
}

static int parse_i64(const char *name, const char *text, struct opt_i64 *out, nook_err *err)
{
        char *end = NULL;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0')
                return nook_error(err, 0, "update: --%s: \"%s\" is not a number", name, text);
        *out = (struct opt_i64){ true, v };
        return 0;
}

static int parse_u64(const char *name, const char *text, struct opt_u64 *out, nook_err *err)
{
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
                return nook_error(err, 0, "update: --%s: \"%s\" is not a positive number", name, text);
        *out = (struct opt_u64){ true, v };
        return 0;
}

int cmd_update(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        struct update_options o = { 0 };
        const char *memory = NULL, *swap = NULL, *reservation = NULL, *quota = NULL, *period = NULL;
        const char *shares = NULL, *share = NULL, *rt_runtime = NULL, *rt_period = NULL, *pids = NULL;
        const char *blkio = NULL;
        const struct option options[] = {
                { "resources", 'r', OPTION_STRING, &o.resources, "a linux.resources JSON file (- for stdin)", "FILE" },
                { "memory", 'm', OPTION_STRING, &memory, "memory limit (bytes, k, m, g; -1: none)", "N" },
                { "memory-swap", 0, OPTION_STRING, &swap, "memory+swap limit", "N" },
                { "memory-reservation", 0, OPTION_STRING, &reservation, "memory soft limit", "N" },
                { "cpu-quota", 0, OPTION_STRING, &quota, "CPU time (µs) per period; -1: none", "N" },
                { "cpu-period", 0, OPTION_STRING, &period, "CFS period (µs)", "N" },
                { "cpu-shares", 0, OPTION_STRING, &shares, "CPU shares (cgroup2: converted to a weight)", "N" },
                { "cpu-share", 0, OPTION_STRING, &share, "same as --cpu-shares (runc's name)", "N" },
                { "cpu-rt-runtime", 0, OPTION_STRING, &rt_runtime, "realtime runtime (µs, v1)", "N" },
                { "cpu-rt-period", 0, OPTION_STRING, &rt_period, "realtime period (µs, v1)", "N" },
                { "cpuset-cpus", 0, OPTION_STRING, &o.cpuset_cpus, "CPUs allowed (0-3,5)", "LIST" },
                { "cpuset-mems", 0, OPTION_STRING, &o.cpuset_mems, "memory nodes allowed", "LIST" },
                { "pids-limit", 0, OPTION_STRING, &pids, "maximum number of tasks (0 or -1: none)", "N" },
                { "blkio-weight", 0, OPTION_STRING, &blkio, "block I/O weight (10-1000)", "N" },
        };
        size_t n = sizeof(options) / sizeof(options[0]);
        char *root = NULL;
        const char *id = NULL;
        int ret = cli_parse_id_command(g, "update", "Change the resource limits of a container.", options, n, argc,
                                       argv, &root, &id, err);
        if (ret != 0) {
                free(root);
                return ret > 0 ? 0 : ret;
        }
        if (memory != NULL)
                ret = parse_size("memory", memory, &o.memory, err);
        if (ret == 0 && swap != NULL)
                ret = parse_size("memory-swap", swap, &o.memory_swap, err);
        if (ret == 0 && reservation != NULL)
                ret = parse_size("memory-reservation", reservation, &o.memory_reservation, err);
        if (ret == 0 && quota != NULL)
                ret = parse_i64("cpu-quota", quota, &o.cpu_quota, err);
        if (ret == 0 && period != NULL)
                ret = parse_u64("cpu-period", period, &o.cpu_period, err);
        if (ret == 0 && (shares != NULL || share != NULL))
                ret = parse_u64("cpu-shares", shares != NULL ? shares : share, &o.cpu_shares, err);
        if (ret == 0 && rt_runtime != NULL)
                ret = parse_i64("cpu-rt-runtime", rt_runtime, &o.cpu_rt_runtime, err);
        if (ret == 0 && rt_period != NULL)
                ret = parse_u64("cpu-rt-period", rt_period, &o.cpu_rt_period, err);
        if (ret == 0 && pids != NULL)
                ret = parse_i64("pids-limit", pids, &o.pids_limit, err);
        if (ret == 0 && blkio != NULL)
                ret = parse_u64("blkio-weight", blkio, &o.blkio_weight, err);
        if (ret == 0)
                ret = container_update(root, id, &o, err);
        free(root);
        return ret;
}
