#define _GNU_SOURCE
#include "linux/userns.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

bool userns_is_initial(void)
{
        /* The initial user namespace has a fixed inode number (PROC_USER_INIT_INO). */
        struct stat st;
        return stat("/proc/self/ns/user", &st) < 0 || st.st_ino == 0xEFFFFFFDU;
}

char *userns_format_map(const spec_id_mappings *maps)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (f == NULL)
                return NULL;
        for (size_t i = 0; i < maps->len; i++)
                fprintf(f, "%u %u %u\n", maps->items[i].container_id, maps->items[i].host_id, maps->items[i].size);
        fclose(f);
        return out;
}

bool userns_maps_are_self(const spec_id_mappings *maps, unsigned own_id)
{
        return maps->len == 1 && maps->items[0].host_id == own_id && maps->items[0].size == 1;
}

bool userns_map_id(const spec_id_mappings *maps, uint32_t container_id, uint32_t *host_id)
{
        for (size_t i = 0; i < maps->len; i++) {
                const struct spec_id_mapping *m = &maps->items[i];
                if (container_id >= m->container_id && container_id - m->container_id < m->size) {
                        *host_id = m->host_id + (container_id - m->container_id);
                        return true;
                }
        }
        return false;
}

static int write_map_file(pid_t pid, const char *file, const spec_id_mappings *maps, nook_err *err)
{
        _cleanup_free_ char *text = userns_format_map(maps);
        if (text == NULL)
                return nook_error(err, ENOMEM, "%s", file);
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        int ret = write_file_at(AT_FDCWD, path, text, strlen(text), err);
        if (ret < 0)
                return nook_error_wrap(err, "write %s", file);
        return 0;
}

static int write_identity_map(pid_t pid, const char *file, const spec_id_mappings *maps, nook_err *err)
{
        char text[4096];
        size_t n = 0;
        for (size_t i = 0; i < maps->len; i++) {
                int w = snprintf(text + n, sizeof(text) - n, "%u %u %u\n", maps->items[i].container_id,
                                 maps->items[i].container_id, maps->items[i].size);
                if (w < 0 || (size_t)w >= sizeof(text) - n)
                        return nook_error(err, E2BIG, "%s: too many mappings", file);
                n += (size_t)w;
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        int ret = write_file_at(AT_FDCWD, path, text, n, err);
        if (ret < 0)
                return nook_error_wrap(err, "write the identity %s of the container's user namespace", file);
        return 0;
}

int userns_write_identity_maps(pid_t pid, const spec_id_mappings *uids, const spec_id_mappings *gids, nook_err *err)
{
        int ret = write_identity_map(pid, "gid_map", gids, err);
        return ret < 0 ? ret : write_identity_map(pid, "uid_map", uids, err);
}

int userns_create_with_maps(const spec_id_mappings *uids, const spec_id_mappings *gids, nook_err *err)
{
        int hold[2];
        if (pipe2(hold, O_CLOEXEC) < 0)
                return nook_error_errno(err, "pipe");
        _cleanup_close_ int hold_rd = hold[0], hold_wr = hold[1];
        /* The child only waits for EOF, so that its user namespace lives until we hold it. */
        _cleanup_pid_ pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) {
                char c;
                close(hold_wr);
                while (read(hold_rd, &c, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        if (pid < 0)
                return nook_error_errno(err, "clone a user namespace");
        close(steal_fd(&hold_rd));
        int ret = write_map_file(pid, "gid_map", gids, err);
        if (ret == 0)
                ret = write_map_file(pid, "uid_map", uids, err);
        if (ret < 0)
                return ret;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "open `%s`", path);
        close(steal_fd(&hold_wr)); /* the holder's cue to exit */
        pid_wait(&pid, NULL);
        return fd;
}

/* Runs newuidmap/newgidmap <pid> <cid> <hid> <size>…, which check /etc/subuid and /etc/subgid. */
static int run_map_helper(const char *helper, pid_t pid, const spec_id_mappings *maps, nook_err *err)
{
        size_t argc = 2 + 3 * maps->len;
        _cleanup_free_ char **argv = calloc(argc + 1, sizeof(char *));
        _cleanup_free_ char *numbers = calloc(argc, 16);
        if (argv == NULL || numbers == NULL)
                return nook_error(err, ENOMEM, "%s", helper);
        argv[0] = (char *)helper;
        argv[1] = numbers;
        snprintf(argv[1], 16, "%d", pid);
        for (size_t i = 0; i < maps->len; i++) {
                const uint32_t values[3] = { maps->items[i].container_id, maps->items[i].host_id,
                                             maps->items[i].size };
                for (size_t j = 0; j < 3; j++) {
                        char *slot = numbers + 16 * (2 + 3 * i + j - 1);
                        snprintf(slot, 16, "%u", values[j]);
                        argv[2 + 3 * i + j] = slot;
                }
        }
        char path[64];
        snprintf(path, sizeof(path), "/usr/bin/%s", helper);
        if (access(path, X_OK) < 0)
                return nook_error_errno(err, "%s is needed to map subordinate ids (package uidmap)", path);
        _cleanup_pid_ pid_t child = 0;
        int e = posix_spawn(&child, path, NULL, NULL, argv, environ);
        if (e != 0)
                return nook_error(err, e, "run %s", path);
        int status;
        int ret = pid_wait(&child, &status);
        if (ret < 0)
                return nook_error(err, -ret, "wait for %s", path);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return nook_error(err, EPERM, "%s %d failed (are the ranges in /etc/sub%cid?)", helper, pid,
                                  helper[3] == 'u' ? 'u' : 'g');
        return 0;
}

int userns_write_maps(pid_t pid, const spec_id_mappings *uids, const spec_id_mappings *gids, nook_err *err)
{
        int ret;
        if (geteuid() == 0) {
                ret = write_map_file(pid, "gid_map", gids, err);
                if (ret == 0)
                        ret = write_map_file(pid, "uid_map", uids, err);
                return ret;
        }
        if (userns_maps_are_self(gids, getegid())) {
                /* An unprivileged process may map its own gid only after giving up setgroups(2). */
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
                ret = write_file_at(AT_FDCWD, path, "deny", 4, err);
                if (ret == 0)
                        ret = write_map_file(pid, "gid_map", gids, err);
        } else {
                ret = run_map_helper("newgidmap", pid, gids, err);
        }
        if (ret < 0)
                return ret;
        if (userns_maps_are_self(uids, geteuid()))
                return write_map_file(pid, "uid_map", uids, err);
        return run_map_helper("newuidmap", pid, uids, err);
}
