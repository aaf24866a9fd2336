/* The config.json that `nook spec` writes: runc's defaults, with the capability
 * set that Docker and Podman give (seed 003) and the full masked-path list. */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/default_seccomp.h"
#include "spec/spec.h"
#include "util/cleanup.h"

static const char default_config[] =
        "{"
        "  \"ociVersion\": \"1.2.0\","
        "  \"process\": {"
        "    \"terminal\": true,"
        "    \"user\": { \"uid\": 0, \"gid\": 0 },"
        "    \"args\": [ \"sh\" ],"
        "    \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\" ],"
        "    \"cwd\": \"/\","
        "    \"capabilities\": {"
        "      \"bounding\": @CAPS@, \"effective\": @CAPS@, \"permitted\": @CAPS@"
        "    },"
        "    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],"
        "    \"noNewPrivileges\": true"
        "  },"
        "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },"
        "  \"hostname\": \"nook\","
        "  \"mounts\": ["
        "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
        "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },"
        "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
        "      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\" ] },"
        "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
        "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },"
        "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
        "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },"
        "    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
        "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },"
        "    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
        "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\" ] }"
        "  ],"
        "  \"linux\": {"
        "    \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },"
        "    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },"
        "                    { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" } ],"
        "    \"maskedPaths\": [ \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
        "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\","
        "      \"/proc/scsi\", \"/sys/firmware\", \"/sys/devices/virtual/powercap\" ],"
        "    \"readonlyPaths\": [ \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\" ]"
        "  }"
        "}";

/* Docker's and Podman's default set, the one seed 003 lists. */
static const char default_capabilities[] =
        "[ \"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\", \"CAP_FOWNER\", \"CAP_MKNOD\", \"CAP_NET_RAW\","
        " \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETFCAP\", \"CAP_SETPCAP\", \"CAP_NET_BIND_SERVICE\","
        " \"CAP_SYS_CHROOT\", \"CAP_KILL\", \"CAP_AUDIT_WRITE\" ]";

static char *expand_template(void)
{
        size_t cap_len = strlen(default_capabilities);
        size_t size = sizeof(default_config) + 3 * cap_len;
        char *out = malloc(size);
        if (out == NULL)
                return NULL;
        char *w = out;
        for (const char *r = default_config; *r != '\0';) {
                if (strncmp(r, "@CAPS@", 6) == 0) {
                        memcpy(w, default_capabilities, cap_len);
                        w += cap_len;
                        r += 6;
                } else {
                        *w++ = *r++;
                }
        }
        *w = '\0';
        return out;
}

static json_object *id_mapping(unsigned host_id)
{
        json_object *list = json_object_new_array();
        json_object *m = json_object_new_object();
        json_object_object_add(m, "containerID", json_object_new_int64(0));
        json_object_object_add(m, "hostID", json_object_new_int64(host_id));
        json_object_object_add(m, "size", json_object_new_int64(1));
        json_object_array_add(list, m);
        return list;
}

/* An unprivileged caller gets a user namespace that maps it to root, /sys bound
 * from the host, and no cgroup settings (as `runc spec --rootless`). */
static void make_rootless(json_object *config)
{
        json_object *linux_ = json_object_object_get(config, "linux");
        json_object *namespaces = json_object_object_get(linux_, "namespaces");
        json_object *user = json_object_new_object();
        json_object_object_add(user, "type", json_object_new_string("user"));
        json_object_array_add(namespaces, user);
        json_object_object_add(linux_, "uidMappings", id_mapping(getuid()));
        json_object_object_add(linux_, "gidMappings", id_mapping(getgid()));
        json_object_object_del(linux_, "resources");

        json_object *mounts = json_object_object_get(config, "mounts");
        for (size_t i = 0; i < json_object_array_length(mounts); i++) {
                json_object *m = json_object_array_get_idx(mounts, i);
                const char *dest = json_object_get_string(json_object_object_get(m, "destination"));
                json_object *options = json_object_object_get(m, "options");
                if (strcmp(dest, "/sys") == 0) {
                        json_object_object_add(m, "type", json_object_new_string("none"));
                        json_object_object_add(m, "source", json_object_new_string("/sys"));
                        json_object_array_put_idx(options, 0, json_object_new_string("rbind"));
                        json_object_array_add(options, json_object_new_string("nosuid"));
                } else if (strcmp(dest, "/dev/pts") == 0) {
                        /* gid 5 (tty) is not mapped in a single-id user namespace. */
                        json_object_array_del_idx(options, json_object_array_length(options) - 1, 1);
                }
        }
}

/* The seccomp profile that fits the capabilities the template grants. */
static void add_seccomp(json_object *config)
{
        json_object *process = json_object_object_get(config, "process");
        json_object *bounding = json_object_object_get(json_object_object_get(process, "capabilities"), "bounding");
        uint64_t caps = 0;
        for (size_t i = 0; i < json_object_array_length(bounding); i++) {
                int cap = spec_capability_from_name(json_object_get_string(json_object_array_get_idx(bounding, i)));
                if (cap >= 0)
                        caps |= 1ULL << cap;
        }
        json_object_object_add(json_object_object_get(config, "linux"), "seccomp", default_seccomp_profile(caps));
}

char *spec_default_json(bool rootless)
{
        char *text = expand_template();
        if (text == NULL)
                return NULL;
        _cleanup_json_ json_object *config = json_tokener_parse(text);
        free(text);
        if (config == NULL)
                return NULL;
        add_seccomp(config);
        if (rootless)
                make_rootless(config);
        return strdup(json_object_to_json_string_ext(
                config, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}
