#define _GNU_SOURCE
#include "container/sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
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

int sync_want_credentials(int fd, nook_err *err)
{
        int on = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
                return nook_error_errno(err, "SO_PASSCRED");
        return 0;
}

static const char *const type_names[SYNC_TYPE_MAX + 1] = {
        [SYNC_JOINED] = "JOINED",
        [SYNC_HELLO] = "HELLO",
        [SYNC_HOOKS] = "HOOKS",
        [SYNC_CONSOLE] = "CONSOLE",
        [SYNC_READY] = "READY",
        [SYNC_ERROR] = "ERROR",
        [SYNC_ENVIRONMENT] = "ENVIRONMENT",
        [SYNC_MAPPED] = "MAPPED",
        [SYNC_HOOKS_DONE] = "HOOKS_DONE",
        [SYNC_START] = "START",
        [SYNC_COMMITTED] = "COMMITTED",
};

const char *sync_type_name(enum sync_type type)
{
        if ((unsigned)type > SYNC_TYPE_MAX || type_names[type] == NULL)
                return "an unknown message";
        return type_names[type];
}

int sync_recv(int fd, struct sync_in *in, nook_err *err)
{
        struct sync_msg *msg = &in->msg;
        in->fd = -1;
        in->sender = 0;
        memset(msg, 0, SYNC_HEADER_SIZE);
        struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) - 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
                struct cmsghdr align;
        } control;
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        ssize_t n;
        /* ECONNRESET: the peer exited with a message of ours unread; the error is
         * reported once, before what it sent, which the next read returns. */
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && (errno == EINTR || errno == ECONNRESET));
        if (n < 0)
                return nook_error_errno(err, "receive from the container process");
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                        struct ucred cred;
                        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                        in->sender = cred.pid;
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        int got;
                        memcpy(&got, CMSG_DATA(c), sizeof(int));
                        if (in->fd < 0)
                                in->fd = got;
                        else
                                close(got);
                }
        }
        if (n == 0) {
                if (in->fd >= 0)
                        close(in->fd);
                in->fd = -1;
                return -EPIPE;
        }
        ((char *)msg)[n] = '\0';
        if ((size_t)n < SYNC_HEADER_SIZE) {
                if (in->fd >= 0)
                        close(in->fd);
                in->fd = -1;
                return nook_error(err, EPROTO, "short message from the container process");
        }
        return 0;
}

int sync_error_from_msg(const struct sync_msg *msg, nook_err *err)
{
        if (msg->value > 0) {
                /* From the stub: it names a stage and an errno, and the program path as text. */
                enum stub_stage stage = (enum stub_stage)(msg->value - 1);
                /* A refused exec under an LSM label (named after a newline): the policy's
                 * refusal of the transition comes here, not at the write of the label. */
                const char *note = strchr(msg->text, '\n');
                int path_len = note != NULL ? (int)(note - msg->text) : (int)strlen(msg->text);
                if (stage == STUB_STAGE_EXEC && note != NULL && (msg->code == EACCES || msg->code == EPERM))
                        return nook_error(err, msg->code, "exec: \"%.*s\" under %s", path_len, msg->text, note + 1);
                if (stage == STUB_STAGE_EXEC)
                        return nook_error(err, msg->code, "exec: \"%.*s\"", path_len, msg->text);
                return nook_error(err, msg->code, "%s", stub_stage_name(stage));
        }
        return nook_error_raw(err, msg->code, msg->text);
}

int sync_check_order(enum sync_type got, enum sync_type expected, const char *peer, nook_err *err)
{
        if (got == expected)
                return 0;
        return nook_error(err, EPROTO, "%s sent %s while nook waited for %s", peer, sync_type_name(got),
                          sync_type_name(expected));
}

int sync_expect(int fd, enum sync_type expected, const char *peer, struct sync_in *in, nook_err *err)
{
        int ret = sync_recv(fd, in, err);
        if (ret == -EPIPE)
                return nook_error(err, EPIPE, "%s exited during set-up (nook waited for %s)", peer,
                                  sync_type_name(expected));
        if (ret < 0)
                return ret;
        if (in->msg.type == SYNC_ERROR)
                ret = sync_error_from_msg(&in->msg, err);
        else
                ret = sync_check_order((enum sync_type)in->msg.type, expected, peer, err);
        if (ret < 0 && in->fd >= 0) {
                close(in->fd);
                in->fd = -1;
        }
        return ret;
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

void sync_stub_messages(const char *path, const char *exec_note, struct stub_message *ready,
                        struct stub_message *error, struct stub_message *hello)
{
        fill_template(ready, SYNC_READY, NULL);
        _cleanup_free_ char *text = NULL;
        if (exec_note != NULL && asprintf(&text, "%s\n%s", path, exec_note) < 0)
                text = NULL;
        fill_template(error, SYNC_ERROR, text != NULL ? text : path);
        fill_template(hello, SYNC_HELLO, NULL);
}
