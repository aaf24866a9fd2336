/* Compiled seccomp programs kept in a directory, so that a container start does
 * not pay libseccomp's compile time again for a profile it has seen: Docker's
 * default profile for x86_64+x86+x32 takes ~15 ms to compile, ~0.05 ms to read.
 *
 * An entry is named by a 64-bit hash of the key — every input of the compiler,
 * serialised — and holds the key itself, compared byte for byte on lookup, so
 * a hash collision is only a miss. The directory must be the caller's own and
 * writable by nobody else: an entry is trusted like the state files. */
#define _GNU_SOURCE
#include "linux/seccomp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* Bump when the compiler's output for the same profile changes. */
#define CACHE_FORMAT "nook-seccomp-2" /* 2: the -ENOSYS stub */
#define CACHE_MAX_ENTRIES 64

struct cache_header {
        char magic[16];
        uint32_t key_len;
        uint32_t instructions;
};

struct key {
        char *data;
        size_t len, cap;
        bool failed;
};

static void key_add(struct key *k, const void *p, size_t n)
{
        if (k->failed)
                return;
        if (k->len + n > k->cap) {
                size_t cap = k->cap ? k->cap * 2 : 4096;
                while (cap < k->len + n)
                        cap *= 2;
                char *bigger = realloc(k->data, cap);
                if (bigger == NULL) {
                        k->failed = true;
                        return;
                }
                k->data = bigger;
                k->cap = cap;
        }
        memcpy(k->data + k->len, p, n);
        k->len += n;
}

static void key_u64(struct key *k, uint64_t v)
{
        key_add(k, &v, sizeof(v));
}

static void key_str(struct key *k, const char *s)
{
        key_u64(k, strlen(s));
        key_add(k, s, strlen(s));
}

static void key_opt(struct key *k, const struct opt_u64 *o)
{
        key_u64(k, o->set);
        key_u64(k, o->set ? o->value : 0);
}

/* Everything the program depends on: the profile's filter fields and libseccomp's version. */
static int build_key(const struct spec_seccomp *c, struct key *k)
{
        const struct scmp_version *v = seccomp_version();
        key_str(k, CACHE_FORMAT);
        key_u64(k, ((uint64_t)v->major << 32) | (v->minor << 16) | v->micro);
        key_u64(k, seccomp_api_get());
        /* The architectures the program covers (and its -ENOSYS stub) include the native one. */
        key_u64(k, seccomp_arch_native());
        key_u64(k, (uint64_t)c->default_action);
        key_opt(k, &c->default_errno_ret);
        key_u64(k, c->architectures.len);
        for (size_t i = 0; i < c->architectures.len; i++)
                key_str(k, c->architectures.items[i]);
        key_u64(k, c->syscalls.len);
        for (size_t i = 0; i < c->syscalls.len; i++) {
                const struct spec_seccomp_rule *r = &c->syscalls.items[i];
                key_u64(k, r->names.len);
                for (size_t j = 0; j < r->names.len; j++)
                        key_str(k, r->names.items[j]);
                key_u64(k, (uint64_t)r->action);
                key_opt(k, &r->errno_ret);
                key_u64(k, r->args.len);
                for (size_t j = 0; j < r->args.len; j++) {
                        const struct spec_seccomp_arg *a = &r->args.items[j];
                        key_u64(k, a->index);
                        key_u64(k, a->value);
                        key_u64(k, a->value_two);
                        key_u64(k, (uint64_t)a->op);
                }
        }
        return k->failed ? -ENOMEM : 0;
}

/* FNV-1a: only names the file; the key inside decides. */
static uint64_t hash_key(const struct key *k)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < k->len; i++) {
                h ^= (unsigned char)k->data[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* The cache directory, if it is ours alone; -1 otherwise (or when missing and !create). */
static int open_cache_dir(const char *path, bool create)
{
        if (create && mkdir(path, 0700) < 0 && errno == ENOENT) {
                _cleanup_error_ nook_err ignored = NULL;
                mkdir_p(path, 0700, &ignored);
        }
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -1;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
                log_debug("seccomp cache `%s` is not private to this user: not used", path);
                close(fd);
                return -1;
        }
        return fd;
}

static bool cache_load(int dirfd, const char *name, const struct key *k, struct seccomp_program *out)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
                return false;
        size_t size = (size_t)st.st_size;
        if (size < sizeof(struct cache_header) + k->len)
                return false;
        _cleanup_free_ char *data = malloc(size);
        if (data == NULL || pread(fd, data, size, 0) != (ssize_t)size)
                return false;
        struct cache_header h;
        memcpy(&h, data, sizeof(h));
        size_t want = sizeof(h) + k->len + (size_t)h.instructions * sizeof(struct sock_filter);
        if (strncmp(h.magic, CACHE_FORMAT, sizeof(h.magic)) != 0 || h.key_len != k->len || size != want ||
            h.instructions == 0 || h.instructions > 4096 || memcmp(data + sizeof(h), k->data, k->len) != 0)
                return false;
        size_t bytes = (size_t)h.instructions * sizeof(struct sock_filter);
        out->filter = malloc(bytes);
        if (out->filter == NULL)
                return false;
        memcpy(out->filter, data + sizeof(h) + k->len, bytes);
        out->len = h.instructions;
        return true;
}

/* Keeps the directory bounded: past the limit, the oldest entry goes. */
static void cache_trim(int dirfd)
{
        _cleanup_closedir_ DIR *d = opendir_dup(dirfd);
        if (d == NULL)
                return;
        size_t count = 0;
        char oldest[NAME_MAX + 1] = "";
        struct timespec oldest_time = { 0 };
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                struct stat st;
                if (e->d_name[0] == '.' || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                count++;
                if (oldest[0] == '\0' || st.st_mtim.tv_sec < oldest_time.tv_sec ||
                    (st.st_mtim.tv_sec == oldest_time.tv_sec && st.st_mtim.tv_nsec < oldest_time.tv_nsec)) {
                        snprintf(oldest, sizeof(oldest), "%s", e->d_name);
                        oldest_time = st.st_mtim;
                }
        }
        if (count > CACHE_MAX_ENTRIES && oldest[0] != '\0')
                unlinkat(dirfd, oldest, 0);
}

static void cache_store(int dirfd, const char *name, const struct key *k, const struct seccomp_program *p)
{
        struct cache_header h = { .key_len = (uint32_t)k->len, .instructions = (uint32_t)p->len };
        strncpy(h.magic, CACHE_FORMAT, sizeof(h.magic));
        size_t bytes = p->len * sizeof(struct sock_filter);
        size_t size = sizeof(h) + k->len + bytes;
        _cleanup_free_ char *data = malloc(size);
        if (data == NULL)
                return;
        memcpy(data, &h, sizeof(h));
        memcpy(data + sizeof(h), k->data, k->len);
        memcpy(data + sizeof(h) + k->len, p->filter, bytes);
        _cleanup_error_ nook_err err = NULL;
        if (write_file_atomic(dirfd, name, data, size, 0600, &err) < 0) {
                log_debug("seccomp cache: %s", err->msg);
                return;
        }
        cache_trim(dirfd);
}

int seccomp_compile_cached(const struct spec_seccomp *config, const char *cache_dir, struct seccomp_program *out,
                           nook_err *err)
{
        if (cache_dir == NULL)
                return seccomp_compile(config, out, err);
        struct key k = { 0 };
        _cleanup_free_ char *key_data = NULL;
        int ret = build_key(config, &k);
        key_data = k.data;
        if (ret < 0)
                return seccomp_compile(config, out, err);
        char name[32];
        snprintf(name, sizeof(name), "%016llx", (unsigned long long)hash_key(&k));

        memset(out, 0, sizeof(*out));
        _cleanup_close_ int dirfd = open_cache_dir(cache_dir, false);
        if (dirfd >= 0 && cache_load(dirfd, name, &k, out)) {
                /* The flags depend on the kernel, not the profile: always worked out afresh. */
                ret = seccomp_flags(config, &out->flags, err);
                if (ret < 0)
                        seccomp_program_free(out);
                return ret;
        }
        ret = seccomp_compile(config, out, err);
        if (ret < 0)
                return ret;
        if (dirfd < 0)
                dirfd = open_cache_dir(cache_dir, true);
        if (dirfd >= 0)
                cache_store(dirfd, name, &k, out);
        return 0;
}
