#define _GNU_SOURCE
#include "container/sync.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/socket.h"

_Static_assert(offsetof(struct sync_msg, text) == SYNC_HEADER_SIZE, "sync header layout");

int sync_send(int fd, enum sync_type type, int32_t value, nook_err *err)
{
        struct sync_msg msg = { .type = type, .value = value };
        if (write(fd, &msg, SYNC_HEADER_SIZE + 1) < 0)
                return nook_error_errno(err, "send to the container process");
        return 0;
}

void sync_send_error(int fd, const struct nook_error *error)
{
        struct sync_msg msg = { .type = SYNC_ERROR, .code = error->code };
        size_t len = strlen(error->msg);
        if (len >= SYNC_TEXT_MAX)
                len = SYNC_TEXT_MAX - 1;
        memcpy(msg.text, error->msg, len);
        msg.text[len] = '\0';
        if (write(fd, &msg, SYNC_HEADER_SIZE + len + 1) < 0) {
                /* The parent is gone; nobody is left to tell. */
        }
}

int sync_send_fd(int fd, enum sync_type type, int passed_fd, nook_err *err)
{
        struct sync_msg msg = { .type = type };
        if (socket_send_fd(fd, &msg, SYNC_HEADER_SIZE + 1, passed_fd, 0) < 0)
                return nook_error_errno(err, "send fd");
        return 0;
}

int sync_recv(int fd, struct sync_msg *msg, int *passed_fd, nook_err *err)
{
        if (passed_fd != NULL)
                *passed_fd = -1;
        memset(msg, 0, SYNC_HEADER_SIZE);
        struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) - 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        ssize_t n;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        /* A process that exits with a message of ours unread resets the socket, and
         * the kernel reports that before the messages it sent last (its error): the
         * report cleared, they can be read. */
        if (n < 0 && errno == ECONNRESET)
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0)
                return nook_error_errno(err, "receive from the container process");
        if (n == 0)
                return -EPIPE;
        ((char *)msg)[n] = '\0';
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                int got;
                memcpy(&got, CMSG_DATA(c), sizeof(int));
                if (passed_fd != NULL && *passed_fd < 0)
                        *passed_fd = got;
                else
                        close(got);
        }
        if ((size_t)n < SYNC_HEADER_SIZE)
                return nook_error(err, EPROTO, "short message from the container process");
        return 0;
}

int sync_error_from_msg(const struct sync_msg *msg, nook_err *err)
{
        if (msg->value > 0) {
                /* From the stub: it names a stage and an errno, and the program path as text. */
                enum stub_stage stage = (enum stub_stage)(msg->value - 1);
                if (stage == STUB_STAGE_EXEC)
                        return nook_error(err, msg->code, "exec: \"%s\"", msg->text);
                return nook_error(err, msg->code, "%s", stub_stage_name(stage));
        }
        return nook_error_raw(err, msg->code, msg->text);
}

int sync_expect(int fd, enum sync_type expected, struct sync_msg *msg, nook_err *err)
{
        int ret = sync_recv(fd, msg, NULL, err);
        if (ret == -EPIPE)
                return nook_error(err, EPIPE, "the container process exited during set-up");
        if (ret < 0)
                return ret;
        if (msg->type == SYNC_ERROR)
                return sync_error_from_msg(msg, err);
        if (msg->type != expected)
                return nook_error(err, EPROTO, "unexpected message %u from the container process (wanted %u)",
                                  msg->type, expected);
        return 0;
}

static void fill_template(struct stub_message *m, enum sync_type type, const char *text)
{
        struct sync_msg msg = { .type = type };
        size_t len = text != NULL ? strlen(text) : 0;
        if (SYNC_HEADER_SIZE + len + 1 > STUB_MESSAGE_MAX)
                len = STUB_MESSAGE_MAX - SYNC_HEADER_SIZE - 1;
        if (len > 0)
                memcpy(msg.text, text, len);
        msg.text[len] = '\0';
        m->len = (uint32_t)(SYNC_HEADER_SIZE + len + 1);
        m->code_offset = offsetof(struct sync_msg, code);
        m->value_offset = offsetof(struct sync_msg, value);
        memcpy(m->bytes, &msg, m->len);
}

void sync_stub_messages(const char *path, struct stub_message *ready, struct stub_message *error,
                        struct stub_message *fork_report)
{
        fill_template(ready, SYNC_READY, NULL);
        fill_template(error, SYNC_ERROR, path);
        fill_template(fork_report, SYNC_PID, NULL);
}
