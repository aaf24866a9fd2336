/* Name tables of the OCI config: capabilities, rlimits, namespaces. A leaf of spec/. */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/spec.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Indexed by capability number (linux/capability.h). */
static const char *const capability_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

int spec_capability_count(void)
{
        return (int)ARRAY_SIZE(capability_names);
}

int spec_capability_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(capability_names); i++)
                if (strcmp(capability_names[i], name) == 0)
                        return (int)i;
        return -1;
}

const char *spec_capability_name(int cap)
{
        if (cap < 0 || (size_t)cap >= ARRAY_SIZE(capability_names))
                return NULL;
        return capability_names[cap];
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        { "RLIMIT_CPU", RLIMIT_CPU },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },
        { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_STACK", RLIMIT_STACK },
        { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_NPROC", RLIMIT_NPROC },
        { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
        { "RLIMIT_AS", RLIMIT_AS },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
        { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int spec_rlimit_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (strcmp(rlimit_names[i].name, name) == 0)
                        return rlimit_names[i].resource;
        return -1;
}

const char *spec_rlimit_name(int resource)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (rlimit_names[i].resource == resource)
                        return rlimit_names[i].name;
        return NULL;
}

static const struct {
        const char *name;
        int clone_flag;
} namespace_types[NS_TYPE_COUNT] = {
        [NS_MOUNT] = { "mount", CLONE_NEWNS },
        [NS_PID] = { "pid", CLONE_NEWPID },
        [NS_NETWORK] = { "network", CLONE_NEWNET },
        [NS_IPC] = { "ipc", CLONE_NEWIPC },
        [NS_UTS] = { "uts", CLONE_NEWUTS },
        [NS_USER] = { "user", CLONE_NEWUSER },
        [NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
        [NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *spec_namespace_name(enum spec_namespace_type type)
{
        return namespace_types[type].name;
}

int spec_namespace_clone_flag(enum spec_namespace_type type)
{
        return namespace_types[type].clone_flag;
}
