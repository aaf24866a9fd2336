/* The C side of the stub: capture what swapping the exe link needs, build the
 * arena, copy the freestanding code and jump to it. */
#define _GNU_SOURCE
#include "linux/stub.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/caps.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The bounds of the freestanding code, from the linker. */
extern const char __start_nook_stub[], __stop_nook_stub[];

static const char *const stage_names[STUB_STAGE_COUNT] = {
        [STUB_STAGE_EXE] = "replace /proc/self/exe",
        [STUB_STAGE_FORK] = "fork the container process",
        [STUB_STAGE_SESSION] = "start a new session",
        [STUB_STAGE_TERMINAL] = "set the controlling terminal",
        [STUB_STAGE_CAPS] = "set capabilities",
        [STUB_STAGE_AMBIENT] = "raise ambient capabilities",
        [STUB_STAGE_NO_NEW_PRIVS] = "set no_new_privs",
        [STUB_STAGE_SECCOMP] = "load seccomp filter",
        [STUB_STAGE_READY] = "report ready",
        [STUB_STAGE_WAIT] = "wait for start",
        [STUB_STAGE_EXEC] = "exec",
};

const char *stub_stage_name(enum stub_stage stage)
{
        if ((unsigned)stage >= STUB_STAGE_COUNT)
                return "container start";
        return stage_names[stage];
}

bool stub_exe_needs_protection(void)
{
        struct statvfs st;
        if (statvfs("/proc/self/exe", &st) == 0 && (st.f_flag & ST_RDONLY))
                return false;
        return true;
}

static int capture_mappings(struct stub_exe *exe, nook_err *err)
{
        struct stat self;
        if (stat("/proc/self/exe", &self) < 0)
                return nook_error_errno(err, "stat `/proc/self/exe`");
        _cleanup_fclose_ FILE *maps = fopen("/proc/self/maps", "re");
        if (maps == NULL)
                return nook_error_errno(err, "open `/proc/self/maps`");
        char line[512];
        exe->n_unmap = 0;
        while (fgets(line, sizeof(line), maps) != NULL) {
                unsigned long start, end, offset, inode;
                unsigned major, minor;
                char perms[8];
                if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &offset, &major, &minor,
                           &inode) != 7)
                        continue;
                if (inode != self.st_ino || makedev(major, minor) != self.st_dev)
                        continue;
                if (exe->n_unmap == STUB_MAX_UNMAP)
                        return nook_error(err, E2BIG, "too many mappings of nook's binary");
                exe->unmap[exe->n_unmap].start = start;
                exe->unmap[exe->n_unmap].len = end - start;
                exe->n_unmap++;
        }
        return 0;
}

/* Fields 26-28 and 45-51 of /proc/self/stat are the mm layout PR_SET_MM_MAP asks for. */
static int capture_mm(struct prctl_mm_map *mm, nook_err *err)
{
        _cleanup_free_ char *stat = NULL;
        int ret = read_file_at(AT_FDCWD, "/proc/self/stat", &stat, NULL, err);
        if (ret < 0)
                return ret;
        char *p = strrchr(stat, ')');
        if (p == NULL)
                return nook_error(err, EINVAL, "parse `/proc/self/stat`");
        unsigned long field[53] = { 0 };
        int n = 3;
        for (char *tok = strtok(p + 2, " "); tok != NULL && n < 53; tok = strtok(NULL, " "))
                field[n++] = strtoul(tok, NULL, 10);
        if (n < 52)
                return nook_error(err, EINVAL, "parse `/proc/self/stat`: %d fields", n);
        memset(mm, 0, sizeof(*mm));
        mm->start_code = field[26];
        mm->end_code = field[27];
        mm->start_stack = field[28];
        mm->start_data = field[45];
        mm->end_data = field[46];
        mm->start_brk = field[47];
        mm->arg_start = field[48];
        mm->arg_end = field[49];
        mm->env_start = field[50];
        mm->env_end = field[51];
        return 0;
}

/* An empty, sealed memfd, reopened read-only (an exe must not be open for writing). */
static int make_exe_memfd(nook_err *err)
{
        _cleanup_close_ int memfd = memfd_create("nook-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (memfd < 0)
                return nook_error_errno(err, "memfd_create");
        if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) < 0)
                return nook_error_errno(err, "seal memfd");
        char path[64];
        int fd = open(fd_path(memfd, path, sizeof(path)), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nook_error_errno(err, "reopen memfd read-only");
        return fd;
}

int stub_exe_capture(struct stub_exe *exe, nook_err *err)
{
        int ret = capture_mappings(exe, err);
        if (ret == 0)
                ret = capture_mm(&exe->mm, err);
        if (ret < 0)
                return ret;
        int fd = make_exe_memfd(err);
        if (fd < 0)
                return fd;
        exe->mm.exe_fd = (uint32_t)fd;
        return 0;
}

/* A bump allocator over one anonymous mapping. */
struct arena {
        char *base;
        size_t size, used;
};

static void *arena_alloc(struct arena *a, size_t size)
{
        size_t start = (a->used + 15) & ~(size_t)15;
        if (start + size > a->size)
                return NULL;
        a->used = start + size;
        return a->base + start;
}

static char *const *arena_strings(struct arena *a, const char *const *strings, size_t n)
{
        char **out = arena_alloc(a, (n + 1) * sizeof(char *));
        if (out == NULL)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(strings[i]) + 1;
                out[i] = arena_alloc(a, len);
                if (out[i] == NULL)
                        return NULL;
                memcpy(out[i], strings[i], len);
        }
        out[n] = NULL;
        return out;
}

static size_t strings_size(const char *const *strings, size_t n)
{
        size_t size = (n + 1) * sizeof(char *) + 16;
        for (size_t i = 0; i < n; i++)
                size += strlen(strings[i]) + 1 + 16;
        return size;
}

int stub_build(const struct stub_request *req, struct stub_plan **out, nook_err *err)
{
        size_t size = sizeof(struct stub_plan) + 64 + strlen(req->path) + 1 + strings_size(req->argv, req->argc) +
                      strings_size(req->envp, req->envc) + req->filter_len * sizeof(struct sock_filter) + 64;
        struct arena a = { .size = size };
        a.base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a.base == MAP_FAILED)
                return nook_error_errno(err, "allocate the start-up arena");
        struct stub_plan *p = arena_alloc(&a, sizeof(*p));
        memset(p, 0, sizeof(*p));

        if (req->exe != NULL) {
                p->swap_exe = 1;
                p->n_unmap = req->exe->n_unmap;
                memcpy(p->unmap, req->exe->unmap, sizeof(p->unmap));
                p->mm = req->exe->mm;
                p->mm.brk = (uint64_t)syscall(SYS_brk, 0);
        }
        p->fork_child = req->fork_child;
        if (req->hello != NULL)
                p->hello = *req->hello;
        p->ctty_fd = req->ctty_fd;
        if (req->caps != NULL) {
                p->set_caps = 1;
                caps_to_capset(req->caps, &p->cap_header, p->cap_data);
                p->ambient = req->caps->ambient;
                p->last_cap = caps_last_cap();
        }
        p->no_new_privs = req->no_new_privs;
        if (req->filter != NULL) {
                struct sock_filter *filter = arena_alloc(&a, req->filter_len * sizeof(*filter));
                memcpy(filter, req->filter, req->filter_len * sizeof(*filter));
                p->seccomp = 1;
                p->seccomp_prog.len = (unsigned short)req->filter_len;
                p->seccomp_prog.filter = filter;
                p->seccomp_flags = req->seccomp_flags;
                p->seccomp_listener = (req->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0;
        }
        p->sync_fd = req->sync_fd;
        if (req->ready != NULL)
                p->ready = *req->ready;
        if (req->error != NULL)
                p->error = *req->error;
        p->await_fd = req->await_fd;
        p->accept_fd = req->accept_fd;
        char *path = arena_alloc(&a, strlen(req->path) + 1);
        strcpy(path, req->path);
        p->path = path;
        p->argv = arena_strings(&a, req->argv, req->argc);
        p->envp = arena_strings(&a, req->envp, req->envc);
        if (p->argv == NULL || p->envp == NULL) {
                munmap(a.base, a.size);
                return nook_error(err, ENOMEM, "start-up arena too small");
        }
        *out = p;
        return 0;
}

void stub_run(struct stub_plan *plan)
{
        if (!plan->swap_exe)
                stub_main(plan);
        /* Run a copy: the original is about to be unmapped with the rest of nook. */
        size_t size = (size_t)(__stop_nook_stub - __start_nook_stub);
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t mapped = (size + page - 1) & ~(page - 1);
        char *code = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (code == MAP_FAILED)
                _exit(1);
        memcpy(code, __start_nook_stub, size);
        if (mprotect(code, mapped, PROT_READ | PROT_EXEC) < 0)
                _exit(1);
        void (*entry)(struct stub_plan *) =
                (void (*)(struct stub_plan *))(code + ((const char *)stub_main - __start_nook_stub));
        entry(plan);
        _exit(1);
}
