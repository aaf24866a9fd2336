/* rtnetlink, step by step: the addresses are read first (taking an interface
 * down drops its IPv6 ones), the interface goes down, moves and is renamed in
 * one RTM_NEWLINK (no window where its name could clash), and in the new
 * namespace gets its addresses back and goes up. */
#define _GNU_SOURCE
#include "linux/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux/net.h"
#include "linux/netlink.h"
#include "util/cleanup.h"

struct link {
        int index;
        unsigned flags;
};

static int read_link(const struct nlmsghdr *msg, void *ctx)
{
        if (msg->nlmsg_type != RTM_NEWLINK)
                return 0;
        const struct ifinfomsg *info = NLMSG_DATA(msg);
        struct link *link = ctx;
        link->index = info->ifi_index;
        link->flags = info->ifi_flags;
        return 0;
}

/* The interface called name (or with index, when name is NULL) of sock's namespace. */
static int find_link(int sock, const char *name, int index, struct link *link)
{
        struct netlink_message m;
        struct ifinfomsg *info = netlink_start(&m, RTM_GETLINK, 0, sizeof(*info));
        info->ifi_family = AF_UNSPEC;
        info->ifi_index = name != NULL ? 0 : index;
        if (name != NULL && netlink_add(&m, IFLA_IFNAME, name, strlen(name) + 1) < 0)
                return -EMSGSIZE;
        *link = (struct link){ .index = -1 };
        int ret = netlink_request(sock, &m, read_link, link);
        return ret < 0 ? ret : link->index < 0 ? -ENODEV : 0;
}

static int set_link_up(int sock, int index, bool up)
{
        struct netlink_message m;
        struct ifinfomsg *info = netlink_start(&m, RTM_NEWLINK, 0, sizeof(*info));
        info->ifi_family = AF_UNSPEC;
        info->ifi_index = index;
        info->ifi_flags = up ? IFF_UP : 0;
        info->ifi_change = IFF_UP;
        return netlink_request(sock, &m, NULL, NULL);
}

struct address {
        unsigned char family, prefix_len;
        unsigned char bytes[16];
        size_t len;
};

struct addresses {
        int index;
        struct address *items;
        size_t len;
};

/* The permanent addresses of global scope (RFC 3549 2.3.3.2): those a user set. */
static int keep_address(const struct nlmsghdr *msg, void *ctx)
{
        struct addresses *list = ctx;
        const struct ifaddrmsg *ifa = NLMSG_DATA(msg);
        if (msg->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != list->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
                return 0;
        const struct rtattr *attrs[IFA_MAX + 1];
        netlink_attributes(msg, sizeof(*ifa), attrs, IFA_MAX);
        uint32_t flags = ifa->ifa_flags;
        if (attrs[IFA_FLAGS] != NULL && RTA_PAYLOAD(attrs[IFA_FLAGS]) >= sizeof(flags))
                memcpy(&flags, RTA_DATA(attrs[IFA_FLAGS]), sizeof(flags));
        /* IFA_LOCAL is the address itself; IFA_ADDRESS the peer's on a point-to-point link. */
        const struct rtattr *local = attrs[IFA_LOCAL] != NULL ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
        if (!(flags & IFA_F_PERMANENT) || local == NULL || RTA_PAYLOAD(local) > sizeof(list->items->bytes))
                return 0;
        struct address *bigger = realloc(list->items, (list->len + 1) * sizeof(*bigger));
        if (bigger == NULL)
                return -ENOMEM;
        list->items = bigger;
        struct address *a = &list->items[list->len++];
        *a = (struct address){ .family = ifa->ifa_family, .prefix_len = ifa->ifa_prefixlen, .len = RTA_PAYLOAD(local) };
        memcpy(a->bytes, RTA_DATA(local), a->len);
        return 0;
}

static int read_addresses(int sock, struct addresses *list)
{
        struct netlink_message m;
        struct ifaddrmsg *ifa = netlink_start(&m, RTM_GETADDR, 0, sizeof(*ifa));
        ifa->ifa_family = AF_UNSPEC;
        return netlink_dump(sock, &m, keep_address, list);
}

static int add_address(int sock, int index, const struct address *a)
{
        struct netlink_message m;
        struct ifaddrmsg *ifa = netlink_start(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
        *ifa = (struct ifaddrmsg){ .ifa_family = a->family, .ifa_prefixlen = a->prefix_len,
                                   .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)index };
        if (netlink_add(&m, IFA_LOCAL, a->bytes, a->len) < 0 || netlink_add(&m, IFA_ADDRESS, a->bytes, a->len) < 0)
                return -EMSGSIZE;
        int ret = netlink_request(sock, &m, NULL, NULL);
        return ret == -EEXIST ? 0 : ret;
}

static int move_link(int sock, int index, const char *new_name, int netns_fd)
{
        struct netlink_message m;
        struct ifinfomsg *info = netlink_start(&m, RTM_NEWLINK, 0, sizeof(*info));
        info->ifi_family = AF_UNSPEC;
        info->ifi_index = index;
        uint32_t fd = (uint32_t)netns_fd;
        if (netlink_add(&m, IFLA_NET_NS_FD, &fd, sizeof(fd)) < 0 ||
            netlink_add(&m, IFLA_IFNAME, new_name, strlen(new_name) + 1) < 0)
                return -EMSGSIZE;
        return netlink_request(sock, &m, NULL, NULL);
}

int netdev_check(const char *name, nook_err *err)
{
        _cleanup_close_ int sock = netlink_open(err);
        if (sock < 0)
                return sock;
        struct link link;
        int ret = find_link(sock, name, 0, &link);
        if (ret < 0)
                return nook_error(err, -ret, "interface `%s` of nook's network namespace", name);
        return 0;
}

/* In the container's namespace: the interface found under its new name (or, for a
 * template, by its index, which the kernel keeps unless taken), its addresses, up. */
static int settle_link(int target, const char *new_name, int old_index, const struct addresses *list, nook_err *err)
{
        struct link link;
        bool template = strchr(new_name, '%') != NULL;
        int ret = find_link(target, template ? NULL : new_name, old_index, &link);
        if (ret < 0)
                return nook_error(err, -ret, "find `%s` in the container's network namespace", new_name);
        for (size_t i = 0; i < list->len; i++) {
                ret = add_address(target, link.index, &list->items[i]);
                if (ret < 0)
                        return nook_error(err, -ret, "give `%s` its address back", new_name);
        }
        ret = set_link_up(target, link.index, true);
        if (ret < 0)
                return nook_error(err, -ret, "set `%s` up", new_name);
        return 0;
}

/* After a failed move: the kernel moves first and renames after, so the interface may
 * sit in the container's namespace under its old name. It goes back as it was. */
static void undo_move(int sock, int target, const char *name, const struct link *before,
                      const struct addresses *list)
{
        struct link moved;
        _cleanup_close_ int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (own >= 0 && find_link(target, name, 0, &moved) == 0)
                (void)move_link(target, moved.index, name, own);
        struct link back;
        if (find_link(sock, name, 0, &back) < 0)
                return;
        for (size_t i = 0; i < list->len; i++)
                (void)add_address(sock, back.index, &list->items[i]);
        if (before->flags & IFF_UP)
                (void)set_link_up(sock, back.index, true);
}

int netdev_move(const char *name, const char *new_name, int netns_fd, nook_err *err)
{
        _cleanup_close_ int sock = netlink_open(err);
        if (sock < 0)
                return sock;
        struct link link, taken;
        int ret = find_link(sock, name, 0, &link);
        if (ret < 0)
                return nook_error(err, -ret, "interface `%s` of nook's network namespace", name);
        _cleanup_close_ int target = net_socket_in(netns_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, err);
        if (target < 0)
                return target;
        /* The spec's check: the name must be free there (a template finds a free one). */
        if (strchr(new_name, '%') == NULL && find_link(target, new_name, 0, &taken) == 0)
                return nook_error(err, EEXIST, "move `%s` into the container's network namespace as `%s`", name,
                                  new_name);
        struct addresses list = { .index = link.index };
        ret = read_addresses(sock, &list);
        if (ret == 0)
                ret = set_link_up(sock, link.index, false);
        if (ret == 0) {
                ret = move_link(sock, link.index, new_name, netns_fd);
                if (ret < 0)
                        undo_move(sock, target, name, &link, &list);
        }
        if (ret < 0) {
                free(list.items);
                return nook_error(err, -ret, "move `%s` into the container's network namespace as `%s`", name,
                                  new_name);
        }
        ret = settle_link(target, new_name, link.index, &list, err);
        free(list.items);
        return ret;
}
