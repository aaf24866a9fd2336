/* `start`: run the startContainer hooks inside the container, connect to the
 * waiting init's start.sock (it execs the program and the connection closes,
 * or it writes why the exec failed), then run the poststart hooks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/hooks.h"
#include "container/launch.h"
#include "container/spawn.h"
#include "container/sync.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"

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

/* Reads what the init says before its exec: nothing (EOF) means it ran. */
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

/* A failing startContainer or poststart hook stops the container (OCI
 * lifecycle); `delete` then removes it and runs the poststop hooks. */
static void stop_container(const struct container_state *state)
{
        _cleanup_close_ int pidfd = sys_pidfd_open(state->pid, 0);
        if (pidfd < 0 || state_process_start_time(state->pid) != state->start_time)
                return;
        if (sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0) {
                struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
                while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
                        ;
        }
}

static int run_hooks(const struct container_state *state, const struct spec *spec, enum spec_hook_kind kind,
                     enum container_status status, nook_err *err)
{
        if (spec->hooks[kind].len == 0)
                return 0;
        json_object *o = state_to_json(state, status);
        const char *json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        int ret = kind == HOOK_START_CONTAINER ? spawn_run_hooks(state, spec, kind, json, err)
                                               : hooks_run(spec, kind, json, err);
        json_object_put(o);
        if (ret < 0)
                stop_container(state);
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
