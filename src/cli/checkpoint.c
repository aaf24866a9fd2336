/* nook checkpoint [options] ID */
#define _GNU_SOURCE
#include <stdlib.h>

#include "cli/cli.h"
#include "container/container.h"

int cmd_checkpoint(const struct global_options *g, int argc, char **argv, int *exit_code, nook_err *err)
{
        (void)exit_code;
        struct checkpoint_options o = { .status_fd = -1 };
        struct option_list empty_ns = { 0 };
        const struct option options[] = {
                { "image-path", 0, OPTION_STRING, &o.criu.image_path, "where criu writes the image (default ./checkpoint)",
                  "DIR" },
                { "work-path", 0, OPTION_STRING, &o.criu.work_path, "where criu writes its logs (default: the image path)",
                  "DIR" },
                { "parent-path", 0, OPTION_STRING, &o.parent_path,
                  "an earlier (pre-dump) image, relative to the image path", "DIR" },
                { "leave-running", 0, OPTION_FLAG, &o.leave_running, "keep the container running afterwards", "" },
                { "tcp-established", 0, OPTION_FLAG, &o.criu.sw.tcp_established, "save established TCP connections",
                  "" },
                { "tcp-skip-in-flight", 0, OPTION_FLAG, &o.tcp_skip_in_flight,
                  "skip TCP connections still being set up", "" },
                { "link-remap", 0, OPTION_FLAG, &o.link_remap, "link open but deleted files back where possible",
                  "" },
                { "ext-unix-sk", 0, OPTION_FLAG, &o.criu.sw.ext_unix_sk, "allow unix sockets connected outside", "" },
                { "shell-job", 0, OPTION_FLAG, &o.criu.sw.shell_job, "allow a session and terminal from outside", "" },
                { "file-locks", 0, OPTION_FLAG, &o.criu.sw.file_locks, "save file locks", "" },
                { "pre-dump", 0, OPTION_FLAG, &o.pre_dump,
                  "save the memory only, leave the container running (for a later dump)", "" },
                { "manage-cgroups-mode", 0, OPTION_STRING, &o.criu.manage_cgroups_mode,
                  "how criu saves cgroups: soft, full, strict or ignore (default soft)", "MODE" },
                { "empty-ns", 0, OPTION_LIST, &empty_ns,
                  "a namespace restored empty, not saved (network; repeatable)", "NAMESPACE" },
                { "auto-dedup", 0, OPTION_FLAG, &o.criu.sw.auto_dedup, "deduplicate memory against the parent image",
                  "" },
                { "lazy-pages", 0, OPTION_FLAG, &o.criu.sw.lazy_pages,
                  "serve the memory to a lazy restore instead of saving it (with --page-server)", "" },
                { "page-server", 0, OPTION_STRING, &o.page_server, "send the memory to criu's page server there",
                  "ADDRESS:PORT" },
                { "status-fd", 0, OPTION_INT, &o.status_fd, "with --lazy-pages: written \\0 once pages are served",
                  "FD" },
        };
        char *root = NULL;
        int ret = cli_parse_id_command(g, "checkpoint", "Save a running container's processes with criu; "
                                                        "the container is then deleted unless --leave-running "
                                                        "or --pre-dump.",
                                       options, sizeof(options) / sizeof(options[0]), argc, argv, &root, &o.id, err);
        if (ret == 0) {
                o.root = root;
                o.criu.empty_ns = empty_ns.items;
                o.criu.n_empty_ns = empty_ns.len;
                ret = container_checkpoint(&o, err);
        }
        free(empty_ns.items);
        free(root);
        return ret > 0 ? 0 : ret;
}
