#include "rtd_sctp.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <usrsctp.h>

// Source port, destination port, verification tag, checksum (RFC 4960 §3.1).
#define SCTP_COMMON_HEADER_SIZE 12u

struct rtd_sctp {
    struct socket *sock;
    uintptr_t id;
};

static rtd_sctp_output_fn g_output;
static rtd_sctp_data_fn g_data;
static rtd_sctp_event_fn g_event;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

// usrsctp hands us the sconn_addr of the destination, which is our association id.
static int conn_output(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df) {
    (void)tos; (void)set_df;
    g_output((uintptr_t)addr, buffer, length);
    return 0;
}

static void global_init_once(void) {
    usrsctp_init(0, conn_output, NULL);
    // WebRTC peers do not negotiate ECN; browsers switch it off.
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    // Per-socket SCTP_ENABLE_STREAM_RESET still has to be set; this enables RE-CONFIG support.
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    usrsctp_sysctl_set_sctp_pr_enable(1);
}

void rtd_sctp_global_init(rtd_sctp_output_fn output, rtd_sctp_data_fn data, rtd_sctp_event_fn event) {
    g_output = output; g_data = data; g_event = event;
    pthread_once(&g_once, global_init_once);
}

static void handle_notification(uintptr_t id, const union sctp_notification *n, size_t length) {
    if (length < sizeof(n->sn_header)) return;
    switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
        if (length < sizeof(struct sctp_assoc_change)) return;
        const struct sctp_assoc_change *c = &n->sn_assoc_change;
        int kind = 0;
        switch (c->sac_state) {
        case SCTP_COMM_UP: kind = RTD_SCTP_EV_COMM_UP; break;
        case SCTP_COMM_LOST: kind = RTD_SCTP_EV_COMM_LOST; break;
        case SCTP_SHUTDOWN_COMP: kind = RTD_SCTP_EV_SHUTDOWN; break;
        case SCTP_CANT_STR_ASSOC: kind = RTD_SCTP_EV_CANT_START; break;
        default: return;
        }
        uint32_t a = kind == RTD_SCTP_EV_COMM_UP ? c->sac_outbound_streams : c->sac_error;
        g_event(id, kind, a, c->sac_inbound_streams, NULL, 0);
        break;
    }
    case SCTP_STREAM_RESET_EVENT: {
        const struct sctp_stream_reset_event *r = &n->sn_strreset_event;
        if (length < sizeof(*r) || r->strreset_length > length) return;
        size_t count = (r->strreset_length - sizeof(*r)) / sizeof(uint16_t);
        uint32_t flags = 0;
        if (r->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) flags |= RTD_SCTP_RESET_INCOMING;
        if (r->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) flags |= RTD_SCTP_RESET_OUTGOING;
        if (r->strreset_flags & SCTP_STREAM_RESET_DENIED) flags |= RTD_SCTP_RESET_DENIED;
        if (r->strreset_flags & SCTP_STREAM_RESET_FAILED) flags |= RTD_SCTP_RESET_FAILED;
        g_event(id, RTD_SCTP_EV_STREAM_RESET, flags, 0, r->strreset_stream_list, count);
        break;
    }
    case SCTP_SEND_FAILED_EVENT: {
        const struct sctp_send_failed_event *f = &n->sn_send_failed_event;
        if (length < sizeof(*f)) return;
        g_event(id, RTD_SCTP_EV_SEND_FAILED, f->ssfe_error, f->ssfe_info.snd_sid, NULL, 0);
        break;
    }
    case SCTP_SENDER_DRY_EVENT:
        g_event(id, RTD_SCTP_EV_SENDER_DRY, 0, 0, NULL, 0);
        break;
    default:
        break;
    }
}

// Upcall mode: usrsctp calls this on the thread that ran usrsctp_conninput, or on its own timer
// thread. We own `data` and must free it. ulp_info carries the association id.
static int receive_cb(struct socket *sock, union sctp_sockstore addr, void *data, size_t datalen,
                      struct sctp_rcvinfo rcv, int flags, void *ulp_info) {
    (void)sock; (void)addr;
    uintptr_t id = (uintptr_t)ulp_info;
    if (data == NULL) return 1; // the association went away; socket-level events arrive separately
    if (flags & MSG_NOTIFICATION) {
        handle_notification(id, data, datalen);
    } else {
        g_data(id, data, datalen, rcv.rcv_sid, ntohl(rcv.rcv_ppid),
               (rcv.rcv_flags & SCTP_UNORDERED) != 0, (flags & MSG_EOR) != 0);
    }
    free(data);
    return 1;
}

static int send_cb(struct socket *sock, uint32_t sb_free, void *ulp_info) {
    (void)sock;
    g_event((uintptr_t)ulp_info, RTD_SCTP_EV_SEND_SPACE, sb_free, 0, NULL, 0);
    return 0;
}

rtd_sctp *rtd_sctp_create(uintptr_t id, uint16_t local_port, uint32_t send_buffer, uint16_t streams, int *err) {
    rtd_sctp *s = calloc(1, sizeof(*s));
    if (!s) { *err = ENOMEM; return NULL; }
    s->id = id;
    usrsctp_register_address((void *)id);
    // Wake the sender once half the buffer is free again.
    s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb, send_cb, send_buffer / 2, (void *)id);
    if (!s->sock) { *err = errno; goto fail; }
    if (usrsctp_set_non_blocking(s->sock, 1) < 0) goto fail_errno;

    int sndbuf = (int)send_buffer;
    if (usrsctp_setsockopt(s->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0) goto fail_errno;
    // Closing aborts instead of lingering: the DTLS transport underneath is going away anyway.
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    if (usrsctp_setsockopt(s->sock, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) goto fail_errno;
    struct sctp_assoc_value av = { .assoc_id = SCTP_ALL_ASSOC, .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ };
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av)) < 0) goto fail_errno;
    int on = 1;
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on)) < 0) goto fail_errno;
    // Lets a message larger than the free send space be accepted in pieces; SCTP_EOR ends it.
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &on, sizeof(on)) < 0) goto fail_errno;
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on)) < 0) goto fail_errno;
    struct sctp_initmsg im = { .sinit_num_ostreams = streams, .sinit_max_instreams = streams };
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)) < 0) goto fail_errno;
    const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT, SCTP_SENDER_DRY_EVENT };
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        struct sctp_event ev = { .se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1 };
        if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)) < 0) goto fail_errno;
    }

    struct sockaddr_conn local = { .sconn_family = AF_CONN, .sconn_port = htons(local_port), .sconn_addr = (void *)id };
    if (usrsctp_bind(s->sock, (struct sockaddr *)&local, sizeof(local)) < 0) goto fail_errno;
    return s;

fail_errno:
    *err = errno;
fail:
    if (s->sock) usrsctp_close(s->sock);
    usrsctp_deregister_address((void *)id);
    free(s);
    return NULL;
}

int rtd_sctp_connect(rtd_sctp *s, uint16_t remote_port, uint32_t mtu) {
    struct sockaddr_conn remote = { .sconn_family = AF_CONN, .sconn_port = htons(remote_port), .sconn_addr = (void *)s->id };
    if (usrsctp_connect(s->sock, (struct sockaddr *)&remote, sizeof(remote)) < 0 && errno != EINPROGRESS) return errno;
    // The path MTU can only be pinned once the association (and so the path) exists; DTLS
    // fragments nothing, so PMTU discovery must stay off.
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof(pp));
    memcpy(&pp.spp_address, &remote, sizeof(remote));
    pp.spp_flags = SPP_PMTUD_DISABLE;
    // For AF_CONN usrsctp counts only an overhead of the 12-byte common header on top of
    // spp_pathmtu (measured: pathmtu 1000 gives 1012-byte packets), so subtract it to make `mtu`
    // the largest packet handed to DTLS.
    if (mtu < 512 + SCTP_COMMON_HEADER_SIZE) return EINVAL;
    pp.spp_pathmtu = mtu - SCTP_COMMON_HEADER_SIZE;
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)) < 0) return errno;
    return 0;
}

void rtd_sctp_input(rtd_sctp *s, const uint8_t *packet, size_t length) {
    usrsctp_conninput((void *)s->id, packet, length, 0);
}

long rtd_sctp_send(rtd_sctp *s, uint16_t sid, uint32_t ppid, int unordered, int pr_policy,
                   uint32_t pr_value, const uint8_t *data, size_t length) {
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = SCTP_EOR | (unordered ? SCTP_UNORDERED : 0);
    if (pr_policy != RTD_SCTP_PR_NONE) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = (uint16_t)pr_policy;
        spa.sendv_prinfo.pr_value = pr_value;
    }
    ssize_t n = usrsctp_sendv(s->sock, data, length, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
    return n < 0 ? -(long)errno : (long)n;
}

int rtd_sctp_reset_streams(rtd_sctp *s, const uint16_t *sids, size_t count) {
    if (count == 0 || count > 0xFFFF) return EINVAL;
    size_t size = sizeof(struct sctp_reset_streams) + count * sizeof(uint16_t);
    struct sctp_reset_streams *r = calloc(1, size);
    if (!r) return ENOMEM;
    r->srs_assoc_id = SCTP_ALL_ASSOC;
    r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    r->srs_number_streams = (uint16_t)count;
    memcpy(r->srs_stream_list, sids, count * sizeof(uint16_t));
    int rc = usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, r, (socklen_t)size) < 0 ? errno : 0;
    free(r);
    return rc;
}

void rtd_sctp_close(rtd_sctp *s) {
    usrsctp_close(s->sock);
    usrsctp_deregister_address((void *)s->id);
    free(s);
}
