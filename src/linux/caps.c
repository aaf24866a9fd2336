#define _GNU_SOURCE
#include "linux/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int caps_last_cap(void)
{
        static int last = -1;
        if (last >= 0)
                return last;
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &text, NULL, NULL) == 0)
                last = atoi(text);
        if (last <= 0)
                last = CAP_LAST_CAP;
        return last;
}

uint64_t caps_bounding(void)
{
        uint64_t mask = 0;
        int last = caps_last_cap();
        for (int cap = 0; cap <= last; cap++)
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
                        mask |= 1ULL << cap;
        return mask;
}

int caps_drop_bounding(uint64_t keep, nook_err *err)
{
        int last = caps_last_cap();
        for (int cap = 0; cap <= last; cap++) {
                if (keep & (1ULL << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return nook_error_errno(err, "drop capability %d from the bounding set", cap);
        }
        return 0;
}

void caps_clamp(struct spec_capabilities *caps, uint64_t available)
{
        caps->bounding &= available;
        caps->effective &= available;
        caps->permitted &= available;
        caps->inheritable &= available;
        caps->ambient &= available;
        /* A capability outside permitted cannot be effective, nor ambient outside permitted and inheritable. */
        caps->effective &= caps->permitted;
        caps->ambient &= caps->permitted & caps->inheritable;
}

void caps_to_capset(const struct spec_capabilities *caps, struct __user_cap_header_struct *header,
                    struct __user_cap_data_struct data[2])
{
        memset(data, 0, 2 * sizeof(*data));
        header->version = _LINUX_CAPABILITY_VERSION_3;
        header->pid = 0;
        for (int i = 0; i < 2; i++) {
                data[i].effective = (uint32_t)(caps->effective >> (32 * i));
                data[i].permitted = (uint32_t)(caps->permitted >> (32 * i));
                data[i].inheritable = (uint32_t)(caps->inheritable >> (32 * i));
        }
}

int caps_raise_all(nook_err *err)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2];
        if (syscall(SYS_capget, &header, data) < 0)
                return nook_error_errno(err, "capget");
        for (int i = 0; i < 2; i++) {
                data[i].effective = data[i].permitted;
                data[i].inheritable = 0;
        }
        if (syscall(SYS_capset, &header, data) < 0)
                return nook_error_errno(err, "capset");
        return 0;
}
