/* nook restore [options] ID */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "container/container.h"

int cmd_restore(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        struct restore_options o = { 0 };
        struct create_options *c = &o.create;
        struct option_list empty_ns = { 0 };
        const struct option options[] = {
                { "image-path", 0, OPTION_STRING, &o.criu.image_path, "the image to restore (default ./checkpoint)",
                  "DIR" },
                { "work-path", 0, OPTION_STRING, &o.criu.work_path, "where criu writes its logs (default: the image path)",
                  "DIR" },
                { "bundle", 'b', OPTION_STRING, &c->bundle, "the bundle directory (default: the current one)", "DIR" },
                { "detach", 'd', OPTION_FLAG, &o.detach, "return once the container runs", "" },
                { "pid-file", 0, OPTION_STRING, &c->pid_file, "write the container process's pid to FILE", "FILE" },
                { "console-socket", 0, OPTION_STRING, &c->console_socket,
                  "unix socket to send the terminal's master fd to", "PATH" },
                { "no-subreaper", 0, OPTION_FLAG, &o.no_subreaper,
                  "in the foreground, do not take the container's orphans", "" },
                { "no-pivot", 0, OPTION_FLAG, &c->no_pivot, "accepted for runc's callers (criu makes the root)", "" },
                { "no-new-keyring", 0, OPTION_FLAG, &c->no_new_keyring, "accepted for runc's callers", "" },
                { "tcp-established", 0, OPTION_FLAG, &o.criu.sw.tcp_established, "restore established TCP connections",
                  "" },
                { "ext-unix-sk", 0, OPTION_FLAG, &o.criu.sw.ext_unix_sk, "allow unix sockets connected outside", "" },
                { "shell-job", 0, OPTION_FLAG, &o.criu.sw.shell_job, "allow a session and terminal from outside", "" },
                { "file-locks", 0, OPTION_FLAG, &o.criu.sw.file_locks, "restore file locks", "" },
                { "manage-cgroups-mode", 0, OPTION_STRING, &o.criu.manage_cgroups_mode,
                  "how criu restores cgroups: soft, full, strict or ignore (default soft)", "MODE" },
                { "empty-ns", 0, OPTION_LIST, &empty_ns,
                  "a namespace made empty, not restored (network; repeatable)", "NAMESPACE" },
                { "auto-dedup", 0, OPTION_FLAG, &o.criu.sw.auto_dedup, "free the image's memory as it is restored", "" },
                { "lazy-pages", 0, OPTION_FLAG, &o.criu.sw.lazy_pages,
                  "restore memory lazily from criu's lazy-pages daemon", "" },
                { "lsm-profile", 0, OPTION_STRING, &o.lsm_profile, "the LSM profile of the restored processes",
                  "TYPE:NAME" },
                { "lsm-mount-context", 0, OPTION_STRING, &o.lsm_mount_context,
                  "the SELinux context of the restored mounts", "CONTEXT" },
        };
        char *root = NULL;
        int ret = cli_parse_id_command(g, "restore", "Create a container from a bundle and a checkpoint image; "
                                                     "unless -d, wait for it and return its exit code.",
                                       options, sizeof(options) / sizeof(options[0]), argc, argv, &root, &c->id, err);
        if (ret == 0) {
                c->root = root;
                c->rootless = g->rootless;
                c->systemd_cgroup = g->systemd_cgroup;
                o.criu.empty_ns = empty_ns.items;
                o.criu.n_empty_ns = empty_ns.len;
                ret = container_restore(&o, exit_code, err);
        }
        free(empty_ns.items);
        free(root);
        return ret > 0 ? 0 : ret;
}
