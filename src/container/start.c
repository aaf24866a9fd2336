/* `start`: run the startContainer hooks inside the container, connect to the
 * waiting init's start.sock (it execs the program and the connection closes,
 * or it writes why the exec failed), then run the poststart hooks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/hooks_at.h"
#include "container/launch.h"
#include "container/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static int connect_start_socket(const char *dir, nook_err *err)
{
        _cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return nook_error_errno(err, "open state dir `%s`", dir);
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return nook_error_errno(err, "socket");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/start.sock", dirfd);
        if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return nook_error_errno(err, "connect to the container's start socket");
        /* From now on the container counts as started. */
        unlinkat(dirfd, "start.sock", 0);
        return steal_fd(&sock);
}

/* Reads what the init says before its exec: nothing (EOF) means it ran. The
 * EOF comes once execve has returned into the program, not while it is under
 * way: the socket is closed-on-exec, and the kernel defers the last fput of
 * such files (which wakes us) to task work run on the return to user space. So
 * the poststart hooks, run after this, see the program executed. */
int start_wait_exec(int fd, nook_err *err)
{
        struct sync_msg msg;
        size_t got = 0;
        for (;;) {
                ssize_t n = read(fd, (char *)&msg + got, sizeof(msg) - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nook_error_errno(err, "read from the container process");
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        if (got == 0)
                return 0;
        if (got < SYNC_HEADER_SIZE)
                return nook_error(err, EPROTO, "short message from the container process");
        ((char *)&msg)[got] = '\0';
        return sync_error_from_msg(&msg, err);
}

/* A failing startContainer or poststart hook: the runtime-spec has the runtime
 * stop the container and go on with the lifecycle at its destruction — the
 * cgroup and the state go, the poststop hooks run — and report the hook's error. */
static void destroy_after_failed_hook(struct container_state *state, const struct spec *spec)
{
        nook_err destroy_err = NULL;
        if (container_destroy(state, spec, &destroy_err) < 0) {
                log_warning("%s", destroy_err->msg);
                nook_error_free(&destroy_err);
        }
}

static int run_hooks(struct container_state *state, const struct spec *spec, enum spec_hook_kind kind,
                     enum container_status status, nook_err *err)
{
        int ret = hooks_run_at(kind, state, spec, status, err);
        if (ret < 0)
                destroy_after_failed_hook(state, spec);
        return ret;
}

int container_start(const char *root, const char *id, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        struct spec *spec = NULL;
        enum container_status status = state_status(state);
        if (status != STATUS_CREATED)
                ret = nook_error(err, 0, "cannot start container \"%s\": it is %s, not created", id,
                                 state_status_name(status));
        if (ret == 0)
                ret = spec_load(state->dir, &spec, err);
        /* Inside the container, before its program runs. */
        if (ret == 0)
                ret = run_hooks(state, spec, HOOK_START_CONTAINER, STATUS_CREATED, err);
        if (ret == 0) {
                _cleanup_close_ int sock = connect_start_socket(state->dir, err);
                ret = sock < 0 ? sock : start_wait_exec(sock, err);
        }
        if (ret == 0)
                ret = run_hooks(state, spec, HOOK_POSTSTART, STATUS_RUNNING, err);
        spec_free(spec);
        state_free(state);
        return ret;
}
