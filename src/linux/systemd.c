/* Running nook-systemd: the request in a memfd on its stdin, its stdout and
 * stderr in memfds (no pipe to fill or to break), a pidfd polled with the
 * timeout, the answer parsed. */
#define _GNU_SOURCE
#include "linux/systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef NOOK_LIBEXECDIR
#define NOOK_LIBEXECDIR "/usr/local/libexec/nook"
#endif

/* Beyond the helper's own deadline, before nook gives up on it. */
#define HELPER_GRACE_MS 1000

extern char **environ;

const char *systemd_bus_name(enum systemd_bus bus)
{
        return bus == SYSTEMD_BUS_USER ? "user" : "system";
}

void systemd_manager_free(struct systemd_manager *m)
{
        free(m->manager);
        free(m->version);
        free(m->cgroup);
        free(m->address);
        memset(m, 0, sizeof(*m));
}

int systemd_helper_path(char **out, nook_err *err)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        _cleanup_free_ char *beside = NULL;
        if (n > 0) {
                exe[n] = '\0';
                char *slash = strrchr(exe, '/');
                if (slash != NULL && asprintf(&beside, "%.*s/" SYSTEMD_HELPER, (int)(slash - exe), exe) < 0)
                        beside = NULL;
        }
        if (beside != NULL && access(beside, X_OK) == 0) {
                *out = steal_pointer(&beside);
                return 0;
        }
        if (access(NOOK_LIBEXECDIR "/" SYSTEMD_HELPER, X_OK) == 0) {
                *out = strdup(NOOK_LIBEXECDIR "/" SYSTEMD_HELPER);
                return *out != NULL ? 0 : nook_error(err, ENOMEM, "systemd helper");
        }
        return nook_error(err, ENOENT,
                          "systemd: the helper `" SYSTEMD_HELPER "` is neither next to nook (`%s`) nor at "
                          "`" NOOK_LIBEXECDIR "/" SYSTEMD_HELPER "` (it is built with nook: build/" SYSTEMD_HELPER ")",
                          beside != NULL ? beside : "?");
}

char *systemd_request_json(const char *op, enum systemd_bus bus, const char *unit, json_object *properties,
                           int timeout_ms)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        if (o == NULL)
                return NULL;
        json_object_object_add(o, "op", json_object_new_string(op));
        json_object_object_add(o, "bus", json_object_new_string(systemd_bus_name(bus)));
        if (unit != NULL)
                json_object_object_add(o, "unit", json_object_new_string(unit));
        json_object_object_add(o, "timeout_ms", json_object_new_int(timeout_ms > 0 ? timeout_ms : SYSTEMD_TIMEOUT_MS));
        if (properties != NULL)
                json_object_object_add(o, "properties", json_object_get(properties));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return text != NULL ? strdup(text) : NULL;
}

static int make_memfd(const char *name, const char *content, nook_err *err)
{
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "systemd helper: memfd_create");
        size_t len = content != NULL ? strlen(content) : 0;
        for (size_t done = 0; done < len;) {
                ssize_t w = write(fd, content + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return nook_error_errno(err, "systemd helper: write the request");
                done += (size_t)w;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return nook_error_errno(err, "systemd helper: lseek");
        return steal_fd(&fd);
}

static int spawn_helper(const char *helper, int in, int out, int errfd, pid_t *pid, nook_err *err)
{
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, errfd, STDERR_FILENO);
        /* Engines hand nook fds without O_CLOEXEC (conmon's pipes, --preserve-fds): not the helper's. */
        posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
        /* nook may block or ignore signals (run's forwarding, hooks' SIGPIPE): the helper starts clean. */
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        char *argv[] = { (char *)SYSTEMD_HELPER, NULL };
        int e = posix_spawn(pid, helper, &actions, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (e != 0)
                return nook_error(err, e, "systemd: run `%s`", helper);
        return 0;
}

/* Waits for *pid to exit within timeout_ms (reaped: *pid becomes 0); past that,
 * returns an error and leaves *pid to its _cleanup_pid_. */
static int wait_helper(const char *helper, pid_t *pid, int timeout_ms, int *status, nook_err *err)
{
        _cleanup_close_ int pidfd = sys_pidfd_open(*pid, 0);
        if (pidfd >= 0) {
                struct timespec start, now;
                clock_gettime(CLOCK_MONOTONIC, &start);
                for (;;) {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
                        int r = elapsed < timeout_ms ? poll(&pfd, 1, (int)(timeout_ms - elapsed)) : 0;
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r == 0)
                                return nook_error(err, ETIMEDOUT, "systemd: `%s` did not answer within %d ms", helper,
                                                  timeout_ms);
                        break;
                }
        }
        int ret = pid_wait(pid, status);
        return ret < 0 ? nook_error(err, -ret, "systemd: wait for `%s`", helper) : 0;
}

static int read_memfd(int fd, char **out, nook_err *err)
{
        if (lseek(fd, 0, SEEK_SET) < 0)
                return nook_error_errno(err, "systemd helper: lseek");
        return read_all_fd(fd, out, NULL, err);
}

int systemd_run_helper(const char *helper, const char *request, int timeout_ms, json_object **answer, nook_err *err)
{
        if (timeout_ms <= 0)
                timeout_ms = SYSTEMD_TIMEOUT_MS;
        _cleanup_close_ int in = make_memfd("nook-systemd-request", request, err);
        if (in < 0)
                return in;
        _cleanup_close_ int out = make_memfd("nook-systemd-answer", NULL, err);
        if (out < 0)
                return out;
        _cleanup_close_ int errfd = make_memfd("nook-systemd-error", NULL, err);
        if (errfd < 0)
                return errfd;
        _cleanup_pid_ pid_t pid = 0; /* killed and reaped past its time */
        int ret = spawn_helper(helper, in, out, errfd, &pid, err);
        int status = 0;
        if (ret == 0)
                ret = wait_helper(helper, &pid, timeout_ms + HELPER_GRACE_MS, &status, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *stdout_text = NULL, *stderr_text = NULL;
        ret = read_memfd(out, &stdout_text, err);
        if (ret == 0)
                ret = read_memfd(errfd, &stderr_text, err);
        if (ret < 0)
                return ret;
        /* The error is the helper's first line. */
        stderr_text[strcspn(stderr_text, "\n")] = '\0';
        if (WIFSIGNALED(status))
                return nook_error(err, EIO, "systemd: `%s` was killed by signal %d", helper, WTERMSIG(status));
        /* The helper's classes of failure: the manager never reached (3), the unit exists (4). */
        static const int codes[] = { [1] = EIO, [3] = ENOTCONN, [4] = EEXIST };
        int exit_status = WEXITSTATUS(status);
        if (exit_status < (int)(sizeof(codes) / sizeof(codes[0])) && codes[exit_status] != 0 && stderr_text[0] != '\0')
                return nook_error_raw(err, codes[exit_status], stderr_text);
        if (WEXITSTATUS(status) != 0)
                return nook_error(err, EIO, "systemd: `%s` exited with status %d%s%s", helper, WEXITSTATUS(status),
                                  stderr_text[0] != '\0' ? ": " : "", stderr_text);
        _cleanup_json_ json_object *o = json_tokener_parse(stdout_text);
        if (o == NULL || !json_object_is_type(o, json_type_object))
                return nook_error(err, EPROTO, "systemd: `%s` answered no JSON object: \"%.200s\"", helper,
                                  stdout_text);
        *answer = steal_pointer(&o);
        return 0;
}

/* ---- the operations ---- */

static int run_op(const char *op, enum systemd_bus bus, const char *unit, json_object *properties, int timeout_ms,
                  json_object **answer, nook_err *err)
{
        _cleanup_free_ char *helper = NULL;
        int ret = systemd_helper_path(&helper, err);
        if (ret < 0)
                return ret;
        _cleanup_free_ char *request = systemd_request_json(op, bus, unit, properties, timeout_ms);
        if (request == NULL)
                return nook_error(err, ENOMEM, "systemd request");
        return systemd_run_helper(helper, request, timeout_ms, answer, err);
}

static char *answer_string(json_object *answer, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(answer, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return strdup(json_object_get_string(v));
}

int systemd_ping(enum systemd_bus bus, int timeout_ms, struct systemd_manager *out, nook_err *err)
{
        memset(out, 0, sizeof(*out));
        _cleanup_json_ json_object *answer = NULL;
        int ret = run_op("ping", bus, NULL, NULL, timeout_ms, &answer, err);
        if (ret < 0)
                return ret;
        out->manager = answer_string(answer, "manager");
        out->version = answer_string(answer, "version");
        out->cgroup = answer_string(answer, "cgroup");
        out->address = answer_string(answer, "address");
        out->manager_uid = (uid_t)json_object_get_int64(json_object_object_get(answer, "manager_uid"));
        out->uid = (uid_t)json_object_get_int64(json_object_object_get(answer, "uid"));
        if (out->manager == NULL || out->version == NULL || out->cgroup == NULL || out->address == NULL) {
                systemd_manager_free(out);
                return nook_error(err, EPROTO, "systemd: ping: incomplete answer from `" SYSTEMD_HELPER "`");
        }
        return 0;
}

int systemd_start_unit(enum systemd_bus bus, const char *unit, json_object *properties, int timeout_ms,
                       char **unit_cgroup, nook_err *err)
{
        _cleanup_json_ json_object *answer = NULL;
        int ret = run_op("start", bus, unit, properties, timeout_ms, &answer, err);
        if (ret < 0)
                return ret;
        *unit_cgroup = answer_string(answer, "cgroup");
        if (*unit_cgroup == NULL)
                return nook_error(err, EPROTO, "systemd: start unit `%s`: the answer has no cgroup", unit);
        return 0;
}

int systemd_set_unit_properties(enum systemd_bus bus, const char *unit, json_object *properties, int timeout_ms,
                                nook_err *err)
{
        _cleanup_json_ json_object *answer = NULL;
        return run_op("set-properties", bus, unit, properties, timeout_ms, &answer, err);
}

int systemd_stop_unit(enum systemd_bus bus, const char *unit, int timeout_ms, bool *existed, nook_err *err)
{
        _cleanup_json_ json_object *answer = NULL;
        int ret = run_op("stop", bus, unit, NULL, timeout_ms, &answer, err);
        if (ret == 0 && existed != NULL)
                *existed = json_object_get_boolean(json_object_object_get(answer, "existed"));
        return ret;
}
