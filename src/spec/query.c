/* Questions asked of a parsed spec: which namespace entry of a type it has,
 * which namespace a sysctl key lives in. A leaf of spec/. */
#define _GNU_SOURCE
#include <string.h>

#include "spec/spec.h"
#include "util/cleanup.h"

const struct spec_namespace *spec_namespace(const struct spec *spec, enum spec_namespace_type type)
{
        if (spec->linux == NULL)
                return NULL;
        for (size_t i = 0; i < spec->linux->namespaces.len; i++)
                if (spec->linux->namespaces.items[i].type == type)
                        return &spec->linux->namespaces.items[i];
        return NULL;
}

enum spec_namespace_type spec_sysctl_namespace(const char *key)
{
        static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                                "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                                "kernel.shmmni", "kernel.shm_rmid_forced" };
        for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
                if (strcmp(key, ipc_keys[i]) == 0)
                        return NS_IPC;
        if (strncmp(key, "fs.mqueue.", 10) == 0)
                return NS_IPC;
        if (strncmp(key, "net.", 4) == 0)
                return NS_NETWORK;
        if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
                return NS_UTS;
        return NS_TYPE_COUNT;
}
