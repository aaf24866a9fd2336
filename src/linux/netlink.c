#define _GNU_SOURCE
#include "linux/netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int netlink_open(nook_err *err)
{
        int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (sock < 0)
                return nook_error_errno(err, "open a netlink socket");
        return sock;
}

void *netlink_start(struct netlink_message *m, uint16_t type, uint16_t flags, size_t size)
{
        memset(m, 0, sizeof(*m));
        m->header.nlmsg_len = (uint32_t)NLMSG_LENGTH(size);
        m->header.nlmsg_type = type;
        m->header.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
        return NLMSG_DATA(&m->header);
}

int netlink_add(struct netlink_message *m, uint16_t type, const void *data, size_t len)
{
        size_t at = NLMSG_ALIGN(m->header.nlmsg_len);
        if (at + RTA_SPACE(len) > sizeof(m->bytes))
                return -EMSGSIZE;
        struct rtattr *attr = (struct rtattr *)(m->bytes + at);
        attr->rta_type = type;
        attr->rta_len = (uint16_t)RTA_LENGTH(len);
        memcpy(RTA_DATA(attr), data, len);
        m->header.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
        return 0;
}

static int send_message(int sock, struct netlink_message *m)
{
        static uint32_t seq;
        m->header.nlmsg_seq = ++seq;
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(sock, m->bytes, m->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                return -errno;
        return 0;
}

/* Reads answers to m until its ack or the end of its dump. */
static int read_answers(int sock, const struct netlink_message *m, int (*each)(const struct nlmsghdr *, void *),
                        void *ctx)
{
        char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
        for (;;) {
                ssize_t n = recv(sock, buf, sizeof(buf), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                int len = (int)n;
                for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_seq != m->header.nlmsg_seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                return e->error; /* 0: the ack */
                        }
                        int ret = each != NULL ? each(h, ctx) : 0;
                        if (ret < 0)
                                return ret;
                }
        }
}

int netlink_request(int sock, struct netlink_message *m, int (*each)(const struct nlmsghdr *msg, void *ctx), void *ctx)
{
        m->header.nlmsg_flags |= NLM_F_ACK;
        int ret = send_message(sock, m);
        return ret < 0 ? ret : read_answers(sock, m, each, ctx);
}

int netlink_dump(int sock, struct netlink_message *m, int (*each)(const struct nlmsghdr *msg, void *ctx), void *ctx)
{
        m->header.nlmsg_flags |= NLM_F_DUMP;
        int ret = send_message(sock, m);
        return ret < 0 ? ret : read_answers(sock, m, each, ctx);
}

void netlink_attributes(const struct nlmsghdr *msg, size_t size, const struct rtattr **attrs, int max)
{
        memset(attrs, 0, sizeof(*attrs) * (size_t)(max + 1));
        const struct rtattr *attr = (const struct rtattr *)((const char *)NLMSG_DATA(msg) + NLMSG_ALIGN(size));
        int len = (int)msg->nlmsg_len - (int)NLMSG_LENGTH(size);
        for (; RTA_OK(attr, len); attr = RTA_NEXT(attr, len))
                if (attr->rta_type <= max)
                        attrs[attr->rta_type] = attr;
}
