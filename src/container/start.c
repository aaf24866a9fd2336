/* `start`: connect to the waiting init's start.sock; it execs the program and
 * the connection closes (success), or it writes why the exec failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/hooks.h"
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

int container_start(const char *root, const char *id, nook_err *err)
{
        struct container_state *state = NULL;
        int ret = state_load(root, id, &state, err);
        if (ret < 0)
                return ret;
        enum container_status status = state_status(state);
        if (status != STATUS_CREATED) {
                ret = nook_error(err, 0, "cannot start container \"%s\": it is %s, not created", id,
                                 state_status_name(status));
                state_free(state);
                return ret;
        }
        _cleanup_close_ int sock = connect_start_socket(state->dir, err);
        ret = sock < 0 ? sock : start_wait_exec(sock, err);
        if (ret == 0) {
                struct spec *spec = NULL;
                nook_err spec_err = NULL;
                if (spec_load(state->dir, &spec, &spec_err) < 0) {
                        log_warning("start: poststart hooks not run: %s", spec_err->msg);
                        nook_error_free(&spec_err);
                } else if (spec->hooks[HOOK_POSTSTART].len > 0) {
                        json_object *o = state_to_json(state, STATUS_RUNNING);
                        ret = hooks_run(spec, HOOK_POSTSTART, json_object_to_json_string(o), err);
                        json_object_put(o);
                }
                spec_free(spec);
        }
        state_free(state);
        return ret;
}
