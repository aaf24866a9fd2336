/* The criu swrk client: a socketpair, `criu swrk 3`, protobuf-c messages. */
#define _GNU_SOURCE
#include "linux/criu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu_rpc.pb-c.h"
#include "linux/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* A criu_resp is small; a restore's notifications carry at most a script name. */
#define CRIU_MESSAGE_MAX (64 * 1024)
#define CRIU_FIRST_EXTRA_FD 4 /* 0-2 stdio, 3 the socket (runc's numbering) */
#define CRIU_CLOSE_WAIT_MS 10000

static const struct {
        const char *name;
        enum criu_cgroup_mode mode;
        CriuCgMode wire;
} cgroup_modes[] = {
        { "soft", CRIU_CGROUP_SOFT, CRIU_CG_MODE__SOFT },
        { "full", CRIU_CGROUP_FULL, CRIU_CG_MODE__FULL },
        { "strict", CRIU_CGROUP_STRICT, CRIU_CG_MODE__STRICT },
        { "ignore", CRIU_CGROUP_IGNORE, CRIU_CG_MODE__IGNORE },
};

bool criu_cgroup_mode_parse(const char *name, enum criu_cgroup_mode *mode)
{
        if (name == NULL || name[0] == '\0') {
                *mode = CRIU_CGROUP_DEFAULT;
                return true;
        }
        for (size_t i = 0; i < ARRAY_SIZE(cgroup_modes); i++)
                if (strcmp(cgroup_modes[i].name, name) == 0) {
                        *mode = cgroup_modes[i].mode;
                        return true;
                }
        return false;
}

static CriuCgMode cgroup_mode_wire(enum criu_cgroup_mode mode)
{
        for (size_t i = 0; i < ARRAY_SIZE(cgroup_modes); i++)
                if (cgroup_modes[i].mode == mode)
                        return cgroup_modes[i].wire;
        return CRIU_CG_MODE__DEFAULT;
}

int criu_find(char **path, nook_err *err)
{
        const char *search = getenv("PATH");
        if (search == NULL || search[0] == '\0')
                search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_free_ char *copy = strdup(search);
        if (copy == NULL)
                return nook_error(err, ENOMEM, "criu");
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *candidate = path_join(dir, "criu");
                if (candidate == NULL)
                        return nook_error(err, ENOMEM, "criu");
                struct stat st;
                if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0) {
                        *path = steal_pointer(&candidate);
                        return 0;
                }
        }
        return nook_error(err, ENOENT, "criu is not installed (no `criu` on PATH): checkpoint and restore need it");
}

/* In the child, before exec: the socket at 3, the extra fds at 4 … (moved out of
 * the way first: a source may sit where another one goes). */
static int place_fds(int sock, const int *extra, size_t n)
{
        int high = CRIU_FIRST_EXTRA_FD + (int)n;
        int moved_sock = fcntl(sock, F_DUPFD, high);
        if (moved_sock < 0)
                return -1;
        int moved[16];
        if (n > ARRAY_SIZE(moved))
                return -1;
        for (size_t i = 0; i < n; i++)
                if ((moved[i] = fcntl(extra[i], F_DUPFD, high)) < 0)
                        return -1;
        if (dup2(moved_sock, 3) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (dup2(moved[i], CRIU_FIRST_EXTRA_FD + (int)i) < 0)
                        return -1;
        return 0;
}

int criu_swrk_start(const char *binary, const struct criu_swrk_setup *setup, struct criu_swrk *w, nook_err *err)
{
        static const struct criu_swrk_setup plain = { .mntns_fd = -1 };
        const struct criu_swrk_setup *s = setup != NULL ? setup : &plain;
        *w = (struct criu_swrk){ .pid = -1, .pidfd = -1, .sock = -1 };
        if (s->n_extra > 16)
                return nook_error(err, E2BIG, "criu: too many fds to pass");
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return nook_error_errno(err, "criu: socketpair");
        /* The child says why its exec failed here; a successful exec closes it (EOF). */
        int report[2];
        if (pipe2(report, O_CLOEXEC) < 0) {
                int saved = errno;
                close(sv[0]);
                close(sv[1]);
                return nook_error(err, saved, "criu: pipe");
        }
        pid_t pid = fork();
        if (pid < 0) {
                int saved = errno;
                close(sv[0]);
                close(sv[1]);
                close(report[0]);
                close(report[1]);
                return nook_error(err, saved, "criu: fork");
        }
        if (pid == 0) {
                int code = 0;
                if (s->mntns_fd >= 0 && setns(s->mntns_fd, CLONE_NEWNS) < 0)
                        code = errno;
                if (code == 0 && place_fds(sv[1], s->extra_fds, s->n_extra) < 0)
                        code = errno;
                if (code == 0 && s->quiet) {
                        int null = open("/dev/null", O_RDWR);
                        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
                                code = errno;
                }
                if (code == 0 && s->sigmask != NULL)
                        sigprocmask(SIG_SETMASK, s->sigmask, NULL);
                if (code == 0) {
                        char *const argv[] = { "criu", "swrk", "3", NULL };
                        execv(binary, argv);
                        code = errno;
                }
                (void)!write(report[1], &code, sizeof(code));
                _exit(127);
        }
        close(sv[1]);
        close(report[1]);
        w->pid = pid;
        w->sock = sv[0];
        w->pidfd = sys_pidfd_open(pid, 0);
        int code = 0;
        ssize_t n;
        while ((n = read(report[0], &code, sizeof(code))) < 0 && errno == EINTR)
                ;
        close(report[0]);
        if (n == sizeof(code)) {
                criu_swrk_close(w);
                return nook_error(err, code, "criu: start `%s swrk`", binary);
        }
        if (w->pidfd < 0) {
                int saved = errno;
                criu_swrk_close(w);
                return nook_error(err, saved, "criu: pidfd_open");
        }
        return 0;
}

void criu_swrk_close(struct criu_swrk *w)
{
        if (w->sock >= 0)
                close(w->sock);
        w->sock = -1;
        if (w->pid > 0 && !w->reaped) {
                /* A criu cut off in the middle undoes what it did (a restore kills the
                 * tree it made, a dump thaws the container): a moment for that first. */
                struct pollfd pfd = { .fd = w->pidfd, .events = POLLIN };
                if (w->pidfd < 0 || poll(&pfd, 1, CRIU_CLOSE_WAIT_MS) <= 0) {
                        if (w->pidfd >= 0)
                                sys_pidfd_send_signal(w->pidfd, SIGKILL, NULL, 0);
                        else
                                kill(w->pid, SIGKILL);
                }
                while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                w->reaped = true;
        }
        if (w->pidfd >= 0)
                close(w->pidfd);
        w->pidfd = -1;
}

/* Waits for criu to exit once it answered; its status (how it exited) into *status. */
static int wait_exit(struct criu_swrk *w, int *status, nook_err *err)
{
        shutdown(w->sock, SHUT_WR);
        for (;;) {
                pid_t r = waitpid(w->pid, status, 0);
                if (r == w->pid)
                        break;
                if (r < 0 && errno != EINTR)
                        return nook_error_errno(err, "criu: wait for it");
        }
        w->reaped = true;
        return 0;
}

static int send_request(struct criu_swrk *w, const CriuReq *req, nook_err *err)
{
        size_t len = criu_req__get_packed_size(req);
        _cleanup_free_ uint8_t *buf = malloc(len);
        if (buf == NULL)
                return nook_error(err, ENOMEM, "request");
        criu_req__pack(req, buf);
        ssize_t n;
        while ((n = send(w->sock, buf, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
                ;
        if (n < 0)
                return nook_error_errno(err, "send the request");
        return 0;
}

/* One message from criu, with the fd it passed (or -1). */
static int receive(struct criu_swrk *w, CriuResp **resp, int *fd, nook_err *err)
{
        *fd = -1;
        _cleanup_free_ uint8_t *buf = malloc(CRIU_MESSAGE_MAX);
        if (buf == NULL)
                return nook_error(err, ENOMEM, "reply");
        union {
                struct cmsghdr align;
                char space[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = CRIU_MESSAGE_MAX };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                              .msg_controllen = sizeof(control.space) };
        /* criu's end of the socket may outlive criu (in a process it made): its exit
         * counts as the end of the conversation too. */
        int flags = MSG_CMSG_CLOEXEC;
        for (;;) {
                struct pollfd pfd[2] = { { .fd = w->sock, .events = POLLIN }, { .fd = w->pidfd, .events = POLLIN } };
                if (poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return nook_error_errno(err, "poll");
                }
                if (pfd[0].revents == 0 && (pfd[1].revents & POLLIN))
                        flags |= MSG_DONTWAIT; /* one last look: it may have answered, then exited */
                break;
        }
        ssize_t n;
        while ((n = recvmsg(w->sock, &msg, flags)) < 0 && errno == EINTR)
                ;
        if (n < 0 && errno == EAGAIN)
                n = 0;
        if (n < 0)
                return nook_error_errno(err, "read its reply");
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len >= CMSG_LEN(sizeof(int)))
                        memcpy(fd, CMSG_DATA(c), sizeof(int));
        if (n == 0) {
                if (*fd >= 0)
                        close(*fd);
                *fd = -1;
                return nook_error(err, 0, "it exited without an answer");
        }
        if (msg.msg_flags & MSG_TRUNC) {
                if (*fd >= 0)
                        close(*fd);
                *fd = -1;
                return nook_error(err, EMSGSIZE, "a reply larger than %d bytes", CRIU_MESSAGE_MAX);
        }
        *resp = criu_resp__unpack(NULL, (size_t)n, buf);
        if (*resp == NULL) {
                if (*fd >= 0)
                        close(*fd);
                *fd = -1;
                return nook_error(err, EPROTO, "a reply nook cannot decode");
        }
        return 0;
}

static int failure(const CriuResp *resp, const char *what, nook_err *err)
{
        int code = resp->has_cr_errno && resp->cr_errno > 0 ? resp->cr_errno : 0;
        if (resp->cr_errmsg != NULL && resp->cr_errmsg[0] != '\0') {
                /* criu's first error line ends with a newline. */
                size_t len = strcspn(resp->cr_errmsg, "\n");
                return nook_error(err, code, "criu %s failed: %.*s", what, (int)len, resp->cr_errmsg);
        }
        return nook_error(err, code, "criu %s failed", what);
}

static const char *request_name(CriuReqType type)
{
        switch (type) {
        case CRIU_REQ_TYPE__DUMP:
                return "dump";
        case CRIU_REQ_TYPE__PRE_DUMP:
                return "pre-dump";
        case CRIU_REQ_TYPE__RESTORE:
                return "restore";
        case CRIU_REQ_TYPE__CHECK:
                return "check";
        case CRIU_REQ_TYPE__FEATURE_CHECK:
                return "feature check";
        case CRIU_REQ_TYPE__VERSION:
                return "version";
        default:
                return "request";
        }
}

/* Sends req, answers notifications (notify may be NULL: each is acknowledged),
 * and returns criu's final reply in *out. */
static int exchange(struct criu_swrk *w, const CriuReq *req, criu_notify_fn notify, void *data, CriuResp **out,
                    nook_err *err)
{
        int ret = send_request(w, req, err);
        const char *what = request_name(req->type);
        while (ret == 0) {
                CriuResp *resp = NULL;
                int fd = -1;
                ret = receive(w, &resp, &fd, err);
                if (ret < 0)
                        return nook_error_wrap(err, "criu %s", what);
                if (resp->type != CRIU_REQ_TYPE__NOTIFY) {
                        if (fd >= 0)
                                close(fd);
                        if (!resp->success) {
                                ret = failure(resp, what, err);
                                criu_resp__free_unpacked(resp, NULL);
                                return ret;
                        }
                        if (resp->type != req->type) {
                                ret = nook_error(err, EPROTO, "criu %s: a reply of type %d", what, resp->type);
                                criu_resp__free_unpacked(resp, NULL);
                                return ret;
                        }
                        *out = resp;
                        return 0;
                }
                const char *script = resp->notify != NULL && resp->notify->script != NULL ? resp->notify->script : "";
                pid_t pid = resp->notify != NULL && resp->notify->has_pid ? resp->notify->pid : 0;
                if (notify != NULL)
                        ret = notify(data, script, pid, fd, err);
                else if (fd >= 0)
                        close(fd);
                criu_resp__free_unpacked(resp, NULL);
                if (ret < 0)
                        return ret;
                CriuReq ack = CRIU_REQ__INIT;
                ack.type = CRIU_REQ_TYPE__NOTIFY;
                ack.has_notify_success = true;
                ack.notify_success = true;
                ret = send_request(w, &ack, err);
        }
        return ret;
}

/* The first "Error (file:line): message" of a criu log, without its prefix. */
static char *first_log_error(int dirfd, const char *name)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        _cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (f == NULL)
                return NULL;
        fd = -1;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) >= 0) {
                char *e = strstr(line, "Error (");
                if (e == NULL)
                        continue;
                char *text = strstr(e, "): ");
                text = text != NULL ? text + 3 : e;
                text[strcspn(text, "\n")] = '\0';
                memmove(line, text, strlen(text) + 1);
                return line;
        }
        free(line);
        return NULL;
}

int criu_check(const char *binary, int work_dir_fd, const char *work_dir, nook_err *err)
{
        struct criu_swrk w;
        /* (It says "Looks good." on its stdout.) */
        const struct criu_swrk_setup quiet = { .mntns_fd = -1, .quiet = true };
        int ret = criu_swrk_start(binary, &quiet, &w, err);
        if (ret < 0)
                return ret;
        /* criu 3.17 wants a directory for the check's log, and says nothing but "no". */
        CriuOpts opts = CRIU_OPTS__INIT;
        opts.images_dir_fd = work_dir_fd;
        opts.log_file = CRIU_CHECK_LOG;
        opts.has_log_level = true;
        opts.log_level = 2;
        CriuReq req = CRIU_REQ__INIT;
        req.type = CRIU_REQ_TYPE__CHECK;
        req.opts = &opts;
        CriuResp *resp = NULL;
        ret = exchange(&w, &req, NULL, NULL, &resp, err);
        if (ret == 0)
                criu_resp__free_unpacked(resp, NULL);
        criu_swrk_close(&w);
        if (ret < 0) {
                nook_error_free(err);
                _cleanup_free_ char *why = first_log_error(work_dir_fd, CRIU_CHECK_LOG);
                return nook_error(err, 0, "criu cannot work on this host: `criu check` failed%s%s (log: `%s/%s`)",
                                  why != NULL ? ": " : "", why != NULL ? why : "", work_dir, CRIU_CHECK_LOG);
        }
        return 0;
}

int criu_version(struct criu_swrk *w, int *version, nook_err *err)
{
        CriuReq req = CRIU_REQ__INIT;
        req.type = CRIU_REQ_TYPE__VERSION;
        req.has_keep_open = true;
        req.keep_open = true;
        CriuResp *resp = NULL;
        int ret = exchange(w, &req, NULL, NULL, &resp, err);
        if (ret < 0)
                return ret;
        if (resp->version == NULL) {
                criu_resp__free_unpacked(resp, NULL);
                return nook_error(err, EPROTO, "criu version: no version in its reply");
        }
        *version = resp->version->major_number * 10000 + resp->version->minor_number * 100 +
                   (resp->version->has_sublevel ? resp->version->sublevel : 0);
        criu_resp__free_unpacked(resp, NULL);
        return 0;
}

int criu_check_features(struct criu_swrk *w, bool mem_track, bool lazy_pages, nook_err *err)
{
        CriuFeatures want = CRIU_FEATURES__INIT;
        want.has_mem_track = mem_track;
        want.mem_track = mem_track;
        want.has_lazy_pages = lazy_pages;
        want.lazy_pages = lazy_pages;
        CriuReq req = CRIU_REQ__INIT;
        req.type = CRIU_REQ_TYPE__FEATURE_CHECK;
        req.has_keep_open = true;
        req.keep_open = true;
        req.features = &want;
        CriuResp *resp = NULL;
        int ret = exchange(w, &req, NULL, NULL, &resp, err);
        if (ret < 0)
                return ret;
        const CriuFeatures *got = resp->features;
        if (mem_track && (got == NULL || !got->has_mem_track || !got->mem_track))
                ret = nook_error(err, ENOTSUP, "criu cannot track memory changes on this host (soft-dirty "
                                               "bits): no pre-dump");
        else if (lazy_pages && (got == NULL || !got->has_lazy_pages || !got->lazy_pages))
                ret = nook_error(err, ENOTSUP, "criu cannot restore memory lazily on this host "
                                               "(userfaultfd): no lazy pages");
        criu_resp__free_unpacked(resp, NULL);
        return ret;
}

/* The request's options, protobuf-c form; what they point to stays the caller's. */
struct wire_options {
        CriuOpts opts;
        CriuPageServerInfo ps;
        ExtMountMap *mounts;
        ExtMountMap **mount_ptrs;
        InheritFd *inherit;
        InheritFd **inherit_ptrs;
        CgroupRoot *roots;
        CgroupRoot **root_ptrs;
        JoinNamespace *joins;
        JoinNamespace **join_ptrs;
};

static void wire_options_free(struct wire_options *w)
{
        free(w->mounts);
        free(w->mount_ptrs);
        free(w->inherit);
        free(w->inherit_ptrs);
        free(w->roots);
        free(w->root_ptrs);
        free(w->joins);
        free(w->join_ptrs);
}

#define SET(field, value) (o->has_##field = true, o->field = (value))

static int wire_options_fill(struct wire_options *w, const struct criu_options *in, enum criu_request type,
                             nook_err *err)
{
        *w = (struct wire_options){ .opts = CRIU_OPTS__INIT, .ps = CRIU_PAGE_SERVER_INFO__INIT };
        CriuOpts *o = &w->opts;
        o->images_dir_fd = in->images_dir_fd;
        if (in->work_dir_fd >= 0)
                SET(work_dir_fd, in->work_dir_fd);
        /* runc's level: criu's log says enough to find why a dump or restore failed. */
        SET(log_level, 4);
        o->log_file = (char *)in->log_file;
        if (type != CRIU_RESTORE && in->pid > 0)
                SET(pid, in->pid);
        o->root = (char *)in->root;
        o->parent_img = (char *)in->parent_image;
        if (in->parent_image != NULL)
                SET(track_mem, true);
        o->freeze_cgroup = (char *)in->freeze_cgroup;
        o->cgroup_yard = (char *)in->cgroup_yard;
        o->config_file = (char *)in->config_file;
        o->lsm_profile = (char *)in->lsm_profile;
        o->lsm_mount_context = (char *)in->lsm_mount_context;
        SET(leave_running, in->leave_running);
        SET(tcp_established, in->sw.tcp_established);
        if (in->tcp_skip_in_flight)
                SET(tcp_skip_in_flight, true);
        if (in->link_remap)
                SET(link_remap, true);
        SET(ext_unix_sk, in->sw.ext_unix_sk);
        SET(shell_job, in->sw.shell_job);
        SET(file_locks, in->sw.file_locks);
        SET(auto_dedup, in->sw.auto_dedup);
        SET(lazy_pages, in->sw.lazy_pages);
        SET(manage_cgroups, true); /* (what criu before manage_cgroups_mode reads) */
        SET(manage_cgroups_mode, cgroup_mode_wire(in->cgroup_mode));
        SET(empty_ns, in->empty_ns);
        SET(notify_scripts, true);
        /* A terminal's master is the caller's (a console socket's peer): criu makes a new pty. */
        SET(orphan_pts_master, true);
        if (type == CRIU_RESTORE) {
                SET(rst_sibling, true);
                SET(evasive_devices, true);
        }
        if (in->status_fd >= 0)
                SET(status_fd, in->status_fd);
        if (in->page_server_address != NULL) {
                w->ps.address = (char *)in->page_server_address;
                w->ps.has_port = true;
                w->ps.port = in->page_server_port;
                o->ps = &w->ps;
        }
        o->n_external = in->n_external;
        o->external = (char **)in->external;

        w->mounts = calloc(in->n_mounts + 1, sizeof(*w->mounts));
        w->mount_ptrs = calloc(in->n_mounts + 1, sizeof(*w->mount_ptrs));
        w->inherit = calloc(in->n_inherit + 1, sizeof(*w->inherit));
        w->inherit_ptrs = calloc(in->n_inherit + 1, sizeof(*w->inherit_ptrs));
        w->roots = calloc(in->n_cgroup_roots + 1, sizeof(*w->roots));
        w->root_ptrs = calloc(in->n_cgroup_roots + 1, sizeof(*w->root_ptrs));
        w->joins = calloc(in->n_join_ns + 1, sizeof(*w->joins));
        w->join_ptrs = calloc(in->n_join_ns + 1, sizeof(*w->join_ptrs));
        if (w->mounts == NULL || w->mount_ptrs == NULL || w->inherit == NULL || w->inherit_ptrs == NULL ||
            w->roots == NULL || w->root_ptrs == NULL || w->joins == NULL || w->join_ptrs == NULL)
                return nook_error(err, ENOMEM, "criu: request");
        for (size_t i = 0; i < in->n_mounts; i++) {
                ext_mount_map__init(&w->mounts[i]);
                w->mounts[i].key = (char *)in->mounts[i].key;
                w->mounts[i].val = (char *)in->mounts[i].value;
                w->mount_ptrs[i] = &w->mounts[i];
        }
        o->n_ext_mnt = in->n_mounts;
        o->ext_mnt = w->mount_ptrs;
        for (size_t i = 0; i < in->n_inherit; i++) {
                inherit_fd__init(&w->inherit[i]);
                w->inherit[i].key = (char *)in->inherit[i].key;
                w->inherit[i].fd = in->inherit[i].fd;
                w->inherit_ptrs[i] = &w->inherit[i];
        }
        o->n_inherit_fd = in->n_inherit;
        o->inherit_fd = w->inherit_ptrs;
        for (size_t i = 0; i < in->n_cgroup_roots; i++) {
                cgroup_root__init(&w->roots[i]);
                w->roots[i].ctrl = (char *)in->cgroup_roots[i].key;
                w->roots[i].path = (char *)in->cgroup_roots[i].value;
                w->root_ptrs[i] = &w->roots[i];
        }
        o->n_cg_root = in->n_cgroup_roots;
        o->cg_root = w->root_ptrs;
        for (size_t i = 0; i < in->n_join_ns; i++) {
                join_namespace__init(&w->joins[i]);
                w->joins[i].ns = (char *)in->join_ns[i].key;
                w->joins[i].ns_file = (char *)in->join_ns[i].value;
                w->join_ptrs[i] = &w->joins[i];
        }
        o->n_join_ns = in->n_join_ns;
        o->join_ns = w->join_ptrs;
        return 0;
}

#undef SET

int criu_request(struct criu_swrk *w, enum criu_request type, const struct criu_options *opts,
                 criu_notify_fn notify, void *data, pid_t *restored, nook_err *err)
{
        static const CriuReqType wire_type[] = {
                [CRIU_DUMP] = CRIU_REQ_TYPE__DUMP,
                [CRIU_PRE_DUMP] = CRIU_REQ_TYPE__PRE_DUMP,
                [CRIU_RESTORE] = CRIU_REQ_TYPE__RESTORE,
        };
        struct wire_options wire;
        int ret = wire_options_fill(&wire, opts, type, err);
        CriuReq req = CRIU_REQ__INIT;
        req.type = wire_type[type];
        req.opts = &wire.opts;
        CriuResp *resp = NULL;
        if (ret == 0)
                ret = exchange(w, &req, notify, data, &resp, err);
        wire_options_free(&wire);
        if (ret < 0)
                return ret;
        if (restored != NULL)
                *restored = resp->restore != NULL ? resp->restore->pid : 0;
        criu_resp__free_unpacked(resp, NULL);
        int status = 0;
        ret = wait_exit(w, &status, err);
        if (ret < 0)
                return ret;
        /* After a pre-dump criu waits for the next request of a series (nook sends
         * one a call, as runc does): the closed socket ends it with a failure. */
        if (type != CRIU_PRE_DUMP && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                return nook_error(err, 0, "criu %s: it reported success, then exited with status %d",
                                  request_name(req.type), WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return 0;
}
