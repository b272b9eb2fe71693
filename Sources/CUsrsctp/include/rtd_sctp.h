// Thin C shim over usrsctp (AF_CONN mode). No usrsctp type crosses this header: Swift sees only an
// opaque handle, plain integers and byte buffers.
#ifndef RTD_SCTP_H
#define RTD_SCTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct rtd_sctp rtd_sctp;

// Event kinds reported through rtd_sctp_event_fn.
enum {
    RTD_SCTP_EV_COMM_UP = 1,        // a = outbound streams, b = inbound streams
    RTD_SCTP_EV_COMM_LOST = 2,      // association aborted / failed (a = error)
    RTD_SCTP_EV_SHUTDOWN = 3,       // orderly shutdown complete
    RTD_SCTP_EV_CANT_START = 4,     // association could not be set up
    RTD_SCTP_EV_STREAM_RESET = 6,   // a = flags (RTD_SCTP_RESET_*), streams = list
    RTD_SCTP_EV_SEND_SPACE = 7,     // send buffer has room again (a = free bytes)
    RTD_SCTP_EV_SEND_FAILED = 8,    // a = error, b = stream id
    RTD_SCTP_EV_SENDER_DRY = 9,     // everything sent has been acknowledged
};

// Stream reset flags reported with RTD_SCTP_EV_STREAM_RESET.
enum {
    RTD_SCTP_RESET_INCOMING = 1,    // the peer reset its outgoing (our incoming) streams
    RTD_SCTP_RESET_OUTGOING = 2,    // our outgoing streams were reset
    RTD_SCTP_RESET_DENIED = 4,
    RTD_SCTP_RESET_FAILED = 8,
};

// Partial-reliability policies for rtd_sctp_send.
enum {
    RTD_SCTP_PR_NONE = 0,
    RTD_SCTP_PR_TTL = 1,            // value = lifetime in milliseconds
    RTD_SCTP_PR_RTX = 3,            // value = max retransmissions
};

// Callbacks carry the association id given to rtd_sctp_create, never a pointer into Swift, so a
// late callback for a closed association is simply looked up and ignored.
// Threads: output runs on usrsctp's timer thread (retransmissions, SACK timer) or synchronously
// inside whichever rtd_sctp_* call made usrsctp send; data and event run on the thread inside
// rtd_sctp_input (or another rtd_sctp_* call) or on the timer thread. Receivers must not block.
typedef void (*rtd_sctp_output_fn)(uintptr_t id, const uint8_t *packet, size_t length);
typedef void (*rtd_sctp_data_fn)(uintptr_t id, const uint8_t *data, size_t length, uint16_t sid,
                                 uint32_t ppid, int unordered, int end_of_record);
typedef void (*rtd_sctp_event_fn)(uintptr_t id, int kind, uint32_t a, uint32_t b,
                                  const uint16_t *streams, size_t stream_count);

// Initialises usrsctp once per process (thread-safe; later calls are no-ops).
void rtd_sctp_global_init(rtd_sctp_output_fn output, rtd_sctp_data_fn data, rtd_sctp_event_fn event);

// Creates a non-blocking one-to-one AF_CONN socket bound to local_port, with WebRTC options set.
// Returns NULL and sets *err (errno) on failure. id must be non-zero and unique while alive.
rtd_sctp *rtd_sctp_create(uintptr_t id, uint16_t local_port, uint32_t send_buffer, uint16_t streams, int *err);

// Starts the association (both WebRTC roles connect; SCTP resolves the INIT collision) and pins
// the path MTU: no packet handed to the output callback exceeds `mtu` bytes (>= 524).
// Returns 0 or an errno.
int rtd_sctp_connect(rtd_sctp *s, uint16_t remote_port, uint32_t mtu);

// Feeds one SCTP packet received over DTLS.
void rtd_sctp_input(rtd_sctp *s, const uint8_t *packet, size_t length);

// Sends (part of) a message. Returns bytes accepted (may be < length when the send buffer is
// short; send the remainder later) or -errno (-EWOULDBLOCK when no room at all).
long rtd_sctp_send(rtd_sctp *s, uint16_t sid, uint32_t ppid, int unordered, int pr_policy,
                   uint32_t pr_value, const uint8_t *data, size_t length);

// Requests an outgoing stream reset (RFC 6525) for the given streams. Returns 0 or an errno.
int rtd_sctp_reset_streams(rtd_sctp *s, const uint16_t *sids, size_t count);

// Aborts the association, closes the socket and frees s. No callback for id arrives afterwards
// from this socket's data path; a timer-thread output already in flight may still be delivered.
void rtd_sctp_close(rtd_sctp *s);

#endif
