/// Offers captured from real peers by the scripts in tools/ (raw copies in tools/webrtc-fixtures/captures/,
/// regenerate this file with tools/webrtc-fixtures/make_sdp_fixtures.py). Line endings are LF here; the
/// parser accepts both.
enum SDPFixtures {
    /// Chromium 156 (headless), tools/webrtc-fixtures/capture_chromium.py
    static let chromiumRecvonlyWithDataChannel = """
        v=0
        o=- 2832702918810880045 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=extmap-allow-mixed
        a=msid-semantic: WMS
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 37 38 102 103 104 107 108 109 114 115 116 117 39 40 41 42 43 44 45 46 47 48 118 119 120 49
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:158928143 1 udp 2113937151 202830a0-ac29-4b4f-a65a-3ac9aeb8c4ef.local 40244 typ host generation 0 network-cost 999
        a=candidate:3256863983 1 udp 2113942271 bac6eba9-e96b-403a-9059-e439210e2997.local 48794 typ host generation 0 network-cost 999
        a=ice-ufrag:mdV0
        a=ice-pwd:OEvUQBRPA6wJ/Z8TLQD07SOc
        a=ice-options:trickle
        a=fingerprint:sha-256 42:C9:C7:3F:BB:4A:61:67:30:DB:FE:8F:06:05:40:CF:C1:AF:40:A9:0E:6E:6F:70:76:8D:F5:F7:12:1A:71:5E
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 urn:3gpp:video-orientation
        a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
        a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
        a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
        a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
        a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
        a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
        a=recvonly
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:100 VP9/90000
        a=rtcp-fb:100 goog-remb
        a=rtcp-fb:100 transport-cc
        a=rtcp-fb:100 ccm fir
        a=rtcp-fb:100 nack
        a=rtcp-fb:100 nack pli
        a=fmtp:100 profile-id=2
        a=rtpmap:101 rtx/90000
        a=fmtp:101 apt=100
        a=rtpmap:35 VP9/90000
        a=rtcp-fb:35 goog-remb
        a=rtcp-fb:35 transport-cc
        a=rtcp-fb:35 ccm fir
        a=rtcp-fb:35 nack
        a=rtcp-fb:35 nack pli
        a=fmtp:35 profile-id=1
        a=rtpmap:36 rtx/90000
        a=fmtp:36 apt=35
        a=rtpmap:37 VP9/90000
        a=rtcp-fb:37 goog-remb
        a=rtcp-fb:37 transport-cc
        a=rtcp-fb:37 ccm fir
        a=rtcp-fb:37 nack
        a=rtcp-fb:37 nack pli
        a=fmtp:37 profile-id=3
        a=rtpmap:38 rtx/90000
        a=fmtp:38 apt=37
        a=rtpmap:102 H264/90000
        a=rtcp-fb:102 goog-remb
        a=rtcp-fb:102 transport-cc
        a=rtcp-fb:102 ccm fir
        a=rtcp-fb:102 nack
        a=rtcp-fb:102 nack pli
        a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:103 rtx/90000
        a=fmtp:103 apt=102
        a=rtpmap:104 H264/90000
        a=rtcp-fb:104 goog-remb
        a=rtcp-fb:104 transport-cc
        a=rtcp-fb:104 ccm fir
        a=rtcp-fb:104 nack
        a=rtcp-fb:104 nack pli
        a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
        a=rtpmap:107 rtx/90000
        a=fmtp:107 apt=104
        a=rtpmap:108 H264/90000
        a=rtcp-fb:108 goog-remb
        a=rtcp-fb:108 transport-cc
        a=rtcp-fb:108 ccm fir
        a=rtcp-fb:108 nack
        a=rtcp-fb:108 nack pli
        a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:109 rtx/90000
        a=fmtp:109 apt=108
        a=rtpmap:114 H264/90000
        a=rtcp-fb:114 goog-remb
        a=rtcp-fb:114 transport-cc
        a=rtcp-fb:114 ccm fir
        a=rtcp-fb:114 nack
        a=rtcp-fb:114 nack pli
        a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
        a=rtpmap:115 rtx/90000
        a=fmtp:115 apt=114
        a=rtpmap:116 H264/90000
        a=rtcp-fb:116 goog-remb
        a=rtcp-fb:116 transport-cc
        a=rtcp-fb:116 ccm fir
        a=rtcp-fb:116 nack
        a=rtcp-fb:116 nack pli
        a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
        a=rtpmap:117 rtx/90000
        a=fmtp:117 apt=116
        a=rtpmap:39 H264/90000
        a=rtcp-fb:39 goog-remb
        a=rtcp-fb:39 transport-cc
        a=rtcp-fb:39 ccm fir
        a=rtcp-fb:39 nack
        a=rtcp-fb:39 nack pli
        a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
        a=rtpmap:40 rtx/90000
        a=fmtp:40 apt=39
        a=rtpmap:41 H264/90000
        a=rtcp-fb:41 goog-remb
        a=rtcp-fb:41 transport-cc
        a=rtcp-fb:41 ccm fir
        a=rtcp-fb:41 nack
        a=rtcp-fb:41 nack pli
        a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f
        a=rtpmap:42 rtx/90000
        a=fmtp:42 apt=41
        a=rtpmap:43 H264/90000
        a=rtcp-fb:43 goog-remb
        a=rtcp-fb:43 transport-cc
        a=rtcp-fb:43 ccm fir
        a=rtcp-fb:43 nack
        a=rtcp-fb:43 nack pli
        a=fmtp:43 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=f4001f
        a=rtpmap:44 rtx/90000
        a=fmtp:44 apt=43
        a=rtpmap:45 AV1/90000
        a=rtcp-fb:45 goog-remb
        a=rtcp-fb:45 transport-cc
        a=rtcp-fb:45 ccm fir
        a=rtcp-fb:45 nack
        a=rtcp-fb:45 nack pli
        a=fmtp:45 level-idx=5;profile=0;tier=0
        a=rtpmap:46 rtx/90000
        a=fmtp:46 apt=45
        a=rtpmap:47 AV1/90000
        a=rtcp-fb:47 goog-remb
        a=rtcp-fb:47 transport-cc
        a=rtcp-fb:47 ccm fir
        a=rtcp-fb:47 nack
        a=rtcp-fb:47 nack pli
        a=fmtp:47 level-idx=5;profile=1;tier=0
        a=rtpmap:48 rtx/90000
        a=fmtp:48 apt=47
        a=rtpmap:118 red/90000
        a=rtpmap:119 rtx/90000
        a=fmtp:119 apt=118
        a=rtpmap:120 ulpfec/90000
        a=rtpmap:49 flexfec-03/90000
        a=rtcp-fb:49 goog-remb
        a=rtcp-fb:49 transport-cc
        a=fmtp:49 repair-window=10000000
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=candidate:158928143 1 udp 2113937151 202830a0-ac29-4b4f-a65a-3ac9aeb8c4ef.local 33228 typ host generation 0 network-cost 999
        a=candidate:3256863983 1 udp 2113942271 bac6eba9-e96b-403a-9059-e439210e2997.local 35449 typ host generation 0 network-cost 999
        a=ice-ufrag:mdV0
        a=ice-pwd:OEvUQBRPA6wJ/Z8TLQD07SOc
        a=ice-options:trickle
        a=fingerprint:sha-256 42:C9:C7:3F:BB:4A:61:67:30:DB:FE:8F:06:05:40:CF:C1:AF:40:A9:0E:6E:6F:70:76:8D:F5:F7:12:1A:71:5E
        a=setup:actpass
        a=mid:1
        a=sctp-port:5000
        a=max-message-size:262144
        """

    /// Chromium 156 (headless), tools/webrtc-fixtures/capture_chromium.py --audio
    static let chromiumAudioVideoDataChannel = """
        v=0
        o=- 3763955172759142553 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1 2
        a=extmap-allow-mixed
        a=msid-semantic: WMS
        m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1703507361 1 udp 2113937151 fec76f72-598c-4b28-9d06-22dc3b5d419e.local 58118 typ host generation 0 network-cost 999
        a=candidate:1660623121 1 udp 2113942271 89e2b680-efcd-4317-b44c-8d21f26df66d.local 45515 typ host generation 0 network-cost 999
        a=ice-ufrag:HaMz
        a=ice-pwd:UKnB8eKPAujGPfqzRDIBir2P
        a=ice-options:trickle
        a=fingerprint:sha-256 BA:73:27:71:CC:90:F8:B0:79:05:B8:68:76:52:6E:33:7C:FC:2B:21:A8:4B:B6:87:94:D0:8F:E8:8E:F1:00:F4
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:- 5e3cea0a-14b9-4d1e-b3a4-be8919b5d0b5
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        a=ssrc:717465910 cname:T3bLaP1efIU4BWKJ
        a=ssrc:717465910 msid:- 5e3cea0a-14b9-4d1e-b3a4-be8919b5d0b5
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 37 38 102 103 104 107 108 109 114 115 116 117 39 40 41 42 43 44 45 46 47 48 118 119 120 49
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1703507361 1 udp 2113937151 fec76f72-598c-4b28-9d06-22dc3b5d419e.local 51072 typ host generation 0 network-cost 999
        a=candidate:1660623121 1 udp 2113942271 89e2b680-efcd-4317-b44c-8d21f26df66d.local 41219 typ host generation 0 network-cost 999
        a=ice-ufrag:HaMz
        a=ice-pwd:UKnB8eKPAujGPfqzRDIBir2P
        a=ice-options:trickle
        a=fingerprint:sha-256 BA:73:27:71:CC:90:F8:B0:79:05:B8:68:76:52:6E:33:7C:FC:2B:21:A8:4B:B6:87:94:D0:8F:E8:8E:F1:00:F4
        a=setup:actpass
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:13 urn:3gpp:video-orientation
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
        a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
        a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
        a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
        a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
        a=recvonly
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:100 VP9/90000
        a=rtcp-fb:100 goog-remb
        a=rtcp-fb:100 transport-cc
        a=rtcp-fb:100 ccm fir
        a=rtcp-fb:100 nack
        a=rtcp-fb:100 nack pli
        a=fmtp:100 profile-id=2
        a=rtpmap:101 rtx/90000
        a=fmtp:101 apt=100
        a=rtpmap:35 VP9/90000
        a=rtcp-fb:35 goog-remb
        a=rtcp-fb:35 transport-cc
        a=rtcp-fb:35 ccm fir
        a=rtcp-fb:35 nack
        a=rtcp-fb:35 nack pli
        a=fmtp:35 profile-id=1
        a=rtpmap:36 rtx/90000
        a=fmtp:36 apt=35
        a=rtpmap:37 VP9/90000
        a=rtcp-fb:37 goog-remb
        a=rtcp-fb:37 transport-cc
        a=rtcp-fb:37 ccm fir
        a=rtcp-fb:37 nack
        a=rtcp-fb:37 nack pli
        a=fmtp:37 profile-id=3
        a=rtpmap:38 rtx/90000
        a=fmtp:38 apt=37
        a=rtpmap:102 H264/90000
        a=rtcp-fb:102 goog-remb
        a=rtcp-fb:102 transport-cc
        a=rtcp-fb:102 ccm fir
        a=rtcp-fb:102 nack
        a=rtcp-fb:102 nack pli
        a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:103 rtx/90000
        a=fmtp:103 apt=102
        a=rtpmap:104 H264/90000
        a=rtcp-fb:104 goog-remb
        a=rtcp-fb:104 transport-cc
        a=rtcp-fb:104 ccm fir
        a=rtcp-fb:104 nack
        a=rtcp-fb:104 nack pli
        a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
        a=rtpmap:107 rtx/90000
        a=fmtp:107 apt=104
        a=rtpmap:108 H264/90000
        a=rtcp-fb:108 goog-remb
        a=rtcp-fb:108 transport-cc
        a=rtcp-fb:108 ccm fir
        a=rtcp-fb:108 nack
        a=rtcp-fb:108 nack pli
        a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:109 rtx/90000
        a=fmtp:109 apt=108
        a=rtpmap:114 H264/90000
        a=rtcp-fb:114 goog-remb
        a=rtcp-fb:114 transport-cc
        a=rtcp-fb:114 ccm fir
        a=rtcp-fb:114 nack
        a=rtcp-fb:114 nack pli
        a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
        a=rtpmap:115 rtx/90000
        a=fmtp:115 apt=114
        a=rtpmap:116 H264/90000
        a=rtcp-fb:116 goog-remb
        a=rtcp-fb:116 transport-cc
        a=rtcp-fb:116 ccm fir
        a=rtcp-fb:116 nack
        a=rtcp-fb:116 nack pli
        a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
        a=rtpmap:117 rtx/90000
        a=fmtp:117 apt=116
        a=rtpmap:39 H264/90000
        a=rtcp-fb:39 goog-remb
        a=rtcp-fb:39 transport-cc
        a=rtcp-fb:39 ccm fir
        a=rtcp-fb:39 nack
        a=rtcp-fb:39 nack pli
        a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
        a=rtpmap:40 rtx/90000
        a=fmtp:40 apt=39
        a=rtpmap:41 H264/90000
        a=rtcp-fb:41 goog-remb
        a=rtcp-fb:41 transport-cc
        a=rtcp-fb:41 ccm fir
        a=rtcp-fb:41 nack
        a=rtcp-fb:41 nack pli
        a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f
        a=rtpmap:42 rtx/90000
        a=fmtp:42 apt=41
        a=rtpmap:43 H264/90000
        a=rtcp-fb:43 goog-remb
        a=rtcp-fb:43 transport-cc
        a=rtcp-fb:43 ccm fir
        a=rtcp-fb:43 nack
        a=rtcp-fb:43 nack pli
        a=fmtp:43 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=f4001f
        a=rtpmap:44 rtx/90000
        a=fmtp:44 apt=43
        a=rtpmap:45 AV1/90000
        a=rtcp-fb:45 goog-remb
        a=rtcp-fb:45 transport-cc
        a=rtcp-fb:45 ccm fir
        a=rtcp-fb:45 nack
        a=rtcp-fb:45 nack pli
        a=fmtp:45 level-idx=5;profile=0;tier=0
        a=rtpmap:46 rtx/90000
        a=fmtp:46 apt=45
        a=rtpmap:47 AV1/90000
        a=rtcp-fb:47 goog-remb
        a=rtcp-fb:47 transport-cc
        a=rtcp-fb:47 ccm fir
        a=rtcp-fb:47 nack
        a=rtcp-fb:47 nack pli
        a=fmtp:47 level-idx=5;profile=1;tier=0
        a=rtpmap:48 rtx/90000
        a=fmtp:48 apt=47
        a=rtpmap:118 red/90000
        a=rtpmap:119 rtx/90000
        a=fmtp:119 apt=118
        a=rtpmap:120 ulpfec/90000
        a=rtpmap:49 flexfec-03/90000
        a=rtcp-fb:49 goog-remb
        a=rtcp-fb:49 transport-cc
        a=fmtp:49 repair-window=10000000
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=candidate:1703507361 1 udp 2113937151 fec76f72-598c-4b28-9d06-22dc3b5d419e.local 53102 typ host generation 0 network-cost 999
        a=candidate:1660623121 1 udp 2113942271 89e2b680-efcd-4317-b44c-8d21f26df66d.local 36010 typ host generation 0 network-cost 999
        a=ice-ufrag:HaMz
        a=ice-pwd:UKnB8eKPAujGPfqzRDIBir2P
        a=ice-options:trickle
        a=fingerprint:sha-256 BA:73:27:71:CC:90:F8:B0:79:05:B8:68:76:52:6E:33:7C:FC:2B:21:A8:4B:B6:87:94:D0:8F:E8:8E:F1:00:F4
        a=setup:actpass
        a=mid:2
        a=sctp-port:5000
        a=max-message-size:262144
        """

    /// aiortc 1.16.0, tools/webrtc-fixtures/capture_aiortc.py
    static let aiortcRecvonlyWithDataChannel = """
        v=0
        o=- 4004604797 4004604797 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=msid-semantic:WMS *
        m=video 47820 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
        c=IN IP4 192.0.2.2
        a=recvonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=mid:0
        a=msid:57a58593-edc2-4bef-9709-c612f7b7f4b6 52d8a085-809c-4032-bce2-e59e4f0ac475
        a=rtcp:9 IN IP4 0.0.0.0
        a=rtcp-mux
        a=ssrc-group:FID 1361047393 2046988864
        a=ssrc:1361047393 cname:a83138f4-752e-4aba-805f-e7aa76c0c9b8
        a=ssrc:2046988864 cname:a83138f4-752e-4aba-805f-e7aa76c0c9b8
        a=rtpmap:97 VP8/90000
        a=rtcp-fb:97 nack
        a=rtcp-fb:97 nack pli
        a=rtcp-fb:97 goog-remb
        a=rtpmap:98 rtx/90000
        a=fmtp:98 apt=97
        a=rtpmap:99 H264/90000
        a=rtcp-fb:99 nack
        a=rtcp-fb:99 nack pli
        a=rtcp-fb:99 goog-remb
        a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:100 rtx/90000
        a=fmtp:100 apt=99
        a=rtpmap:101 H264/90000
        a=rtcp-fb:101 nack
        a=rtcp-fb:101 nack pli
        a=rtcp-fb:101 goog-remb
        a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:102 rtx/90000
        a=fmtp:102 apt=101
        a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 47820 typ host
        a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 56807 typ host
        a=end-of-candidates
        a=ice-ufrag:uf2J
        a=ice-pwd:icxzf7l6l8JZ8aHaOzOf8D
        a=fingerprint:sha-256 2E:76:7F:C2:75:12:3E:D6:34:89:65:58:0D:A5:88:AA:D9:67:93:B3:40:D7:DD:7D:27:71:E2:3F:30:48:55:AE
        a=fingerprint:sha-384 19:CC:DF:E5:E2:A3:AF:38:7A:79:A1:8E:72:7A:A4:33:E4:0E:7C:B9:BC:FA:82:86:1A:D5:C6:9B:FA:7D:86:28:93:6B:EF:95:93:50:77:BA:2D:73:29:01:7F:29:D2:67
        a=fingerprint:sha-512 15:27:64:3B:8C:0B:02:A8:1C:92:0B:CF:85:A9:6C:52:9B:E1:FA:9C:95:FC:13:CD:19:BE:59:05:A9:FF:42:96:77:2C:44:BA:C0:AF:51:0B:31:79:F9:E5:5E:B2:1F:1B:B1:29:EA:EF:52:13:3F:A2:30:C7:ED:E9:FF:BC:FD:1A
        a=setup:actpass
        m=application 43765 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 192.0.2.2
        a=mid:1
        a=sctp-port:5000
        a=max-message-size:262144
        a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 43765 typ host
        a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 60058 typ host
        a=end-of-candidates
        a=ice-ufrag:uf2J
        a=ice-pwd:icxzf7l6l8JZ8aHaOzOf8D
        a=fingerprint:sha-256 2E:76:7F:C2:75:12:3E:D6:34:89:65:58:0D:A5:88:AA:D9:67:93:B3:40:D7:DD:7D:27:71:E2:3F:30:48:55:AE
        a=fingerprint:sha-384 19:CC:DF:E5:E2:A3:AF:38:7A:79:A1:8E:72:7A:A4:33:E4:0E:7C:B9:BC:FA:82:86:1A:D5:C6:9B:FA:7D:86:28:93:6B:EF:95:93:50:77:BA:2D:73:29:01:7F:29:D2:67
        a=fingerprint:sha-512 15:27:64:3B:8C:0B:02:A8:1C:92:0B:CF:85:A9:6C:52:9B:E1:FA:9C:95:FC:13:CD:19:BE:59:05:A9:FF:42:96:77:2C:44:BA:C0:AF:51:0B:31:79:F9:E5:5E:B2:1F:1B:B1:29:EA:EF:52:13:3F:A2:30:C7:ED:E9:FF:BC:FD:1A
        a=setup:actpass
        """

    /// aiortc 1.16.0, tools/webrtc-fixtures/capture_aiortc.py --audio
    static let aiortcAudioVideoDataChannel = """
        v=0
        o=- 4005313992 4005313992 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=group:BUNDLE 0 1 2
        a=msid-semantic:WMS *
        m=audio 59798 UDP/TLS/RTP/SAVPF 96 9 0 8
        c=IN IP4 192.0.2.2
        a=recvonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=mid:0
        a=msid:89cd6656-7d5b-4e73-a289-e546fc3f8587 7e72deef-29ef-449a-8ce9-ac4472f49782
        a=rtcp:9 IN IP4 0.0.0.0
        a=rtcp-mux
        a=ssrc:3602488688 cname:b41c7f7e-d3d9-4812-a914-2bc19ec448b4
        a=rtpmap:96 opus/48000/2
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 59798 typ host
        a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 46702 typ host
        a=candidate:515ae63a77a753b18d358b2f26d91543 1 udp 2130706431 10.118.145.1 34689 typ host
        a=end-of-candidates
        a=ice-ufrag:x6Kp
        a=ice-pwd:nSihkyqQFBawekUgrBBrvW
        a=fingerprint:sha-256 D6:5E:F1:16:BC:DB:B2:C4:0D:34:5F:33:F3:FE:51:CD:E5:79:19:D3:B4:9B:13:26:30:EB:95:EB:D0:EC:9D:75
        a=fingerprint:sha-384 B0:10:40:B6:F1:7F:77:D8:95:FB:25:E1:15:1D:9E:1B:C7:4A:78:7D:33:B4:52:82:1D:A5:CF:5A:12:32:6F:9D:2C:0F:8C:73:E8:41:BA:B8:3F:D0:30:EB:F1:48:ED:6D
        a=fingerprint:sha-512 F2:D4:A9:65:6C:47:42:CC:B2:E6:8B:1E:8D:2D:04:96:E0:7B:DB:29:6D:4E:91:BF:F2:DF:E6:35:83:D6:68:14:80:19:95:7D:F8:9B:EE:1B:08:5E:DC:82:44:0E:6E:09:C0:FB:72:C7:4B:A7:F5:48:C0:64:69:47:39:CE:A3:C5
        a=setup:actpass
        m=video 35436 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
        c=IN IP4 192.0.2.2
        a=recvonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=mid:1
        a=msid:89cd6656-7d5b-4e73-a289-e546fc3f8587 add1685b-5eeb-422e-a911-277b55fd69f4
        a=rtcp:9 IN IP4 0.0.0.0
        a=rtcp-mux
        a=ssrc-group:FID 2218161276 3341041460
        a=ssrc:2218161276 cname:b41c7f7e-d3d9-4812-a914-2bc19ec448b4
        a=ssrc:3341041460 cname:b41c7f7e-d3d9-4812-a914-2bc19ec448b4
        a=rtpmap:97 VP8/90000
        a=rtcp-fb:97 nack
        a=rtcp-fb:97 nack pli
        a=rtcp-fb:97 goog-remb
        a=rtpmap:98 rtx/90000
        a=fmtp:98 apt=97
        a=rtpmap:99 H264/90000
        a=rtcp-fb:99 nack
        a=rtcp-fb:99 nack pli
        a=rtcp-fb:99 goog-remb
        a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:100 rtx/90000
        a=fmtp:100 apt=99
        a=rtpmap:101 H264/90000
        a=rtcp-fb:101 nack
        a=rtcp-fb:101 nack pli
        a=rtcp-fb:101 goog-remb
        a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:102 rtx/90000
        a=fmtp:102 apt=101
        a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 35436 typ host
        a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 58753 typ host
        a=candidate:515ae63a77a753b18d358b2f26d91543 1 udp 2130706431 10.118.145.1 32967 typ host
        a=end-of-candidates
        a=ice-ufrag:x6Kp
        a=ice-pwd:nSihkyqQFBawekUgrBBrvW
        a=fingerprint:sha-256 D6:5E:F1:16:BC:DB:B2:C4:0D:34:5F:33:F3:FE:51:CD:E5:79:19:D3:B4:9B:13:26:30:EB:95:EB:D0:EC:9D:75
        a=fingerprint:sha-384 B0:10:40:B6:F1:7F:77:D8:95:FB:25:E1:15:1D:9E:1B:C7:4A:78:7D:33:B4:52:82:1D:A5:CF:5A:12:32:6F:9D:2C:0F:8C:73:E8:41:BA:B8:3F:D0:30:EB:F1:48:ED:6D
        a=fingerprint:sha-512 F2:D4:A9:65:6C:47:42:CC:B2:E6:8B:1E:8D:2D:04:96:E0:7B:DB:29:6D:4E:91:BF:F2:DF:E6:35:83:D6:68:14:80:19:95:7D:F8:9B:EE:1B:08:5E:DC:82:44:0E:6E:09:C0:FB:72:C7:4B:A7:F5:48:C0:64:69:47:39:CE:A3:C5
        a=setup:actpass
        m=application 43860 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 192.0.2.2
        a=mid:2
        a=sctp-port:5000
        a=max-message-size:262144
        a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 43860 typ host
        a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 45070 typ host
        a=candidate:515ae63a77a753b18d358b2f26d91543 1 udp 2130706431 10.118.145.1 36054 typ host
        a=end-of-candidates
        a=ice-ufrag:x6Kp
        a=ice-pwd:nSihkyqQFBawekUgrBBrvW
        a=fingerprint:sha-256 D6:5E:F1:16:BC:DB:B2:C4:0D:34:5F:33:F3:FE:51:CD:E5:79:19:D3:B4:9B:13:26:30:EB:95:EB:D0:EC:9D:75
        a=fingerprint:sha-384 B0:10:40:B6:F1:7F:77:D8:95:FB:25:E1:15:1D:9E:1B:C7:4A:78:7D:33:B4:52:82:1D:A5:CF:5A:12:32:6F:9D:2C:0F:8C:73:E8:41:BA:B8:3F:D0:30:EB:F1:48:ED:6D
        a=fingerprint:sha-512 F2:D4:A9:65:6C:47:42:CC:B2:E6:8B:1E:8D:2D:04:96:E0:7B:DB:29:6D:4E:91:BF:F2:DF:E6:35:83:D6:68:14:80:19:95:7D:F8:9B:EE:1B:08:5E:DC:82:44:0E:6E:09:C0:FB:72:C7:4B:A7:F5:48:C0:64:69:47:39:CE:A3:C5
        a=setup:actpass
        """

    /// Firefox ESR (headless, no OpenH264 plugin so VP8 only), tools/webrtc-fixtures/capture_firefox.py
    static let firefoxRecvonlyWithDataChannel = """
        v=0
        o=mozilla...THIS_IS_SDPARTA-99.0 2069801068289822744 0 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=sendrecv
        a=fingerprint:sha-256 B4:5A:7D:53:9B:B0:BC:93:F9:89:A5:5F:E5:6A:3C:CF:C4:F4:3B:E2:AD:3E:21:73:04:3C:6F:16:B4:18:BC:62
        a=group:BUNDLE 0 1
        a=ice-options:trickle
        a=msid-semantic:WMS *
        m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 99 100 123 122 119
        c=IN IP4 0.0.0.0
        a=candidate:0 1 UDP 2122187007 16b38dc7-7ff4-4050-9839-83abd369b9c5.local 38303 typ host
        a=candidate:1 1 UDP 2122252543 a591b48c-1c1e-4ed0-a03a-e710c7addf71.local 50635 typ host
        a=candidate:2 1 TCP 2105458943 16b38dc7-7ff4-4050-9839-83abd369b9c5.local 9 typ host tcptype active
        a=candidate:3 1 TCP 2105524479 a591b48c-1c1e-4ed0-a03a-e710c7addf71.local 9 typ host tcptype active
        a=candidate:0 2 UDP 2122187006 16b38dc7-7ff4-4050-9839-83abd369b9c5.local 58504 typ host
        a=candidate:1 2 UDP 2122252542 a591b48c-1c1e-4ed0-a03a-e710c7addf71.local 48126 typ host
        a=candidate:2 2 TCP 2105458942 16b38dc7-7ff4-4050-9839-83abd369b9c5.local 9 typ host tcptype active
        a=candidate:3 2 TCP 2105524478 a591b48c-1c1e-4ed0-a03a-e710c7addf71.local 9 typ host tcptype active
        a=recvonly
        a=end-of-candidates
        a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:5 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
        a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap-allow-mixed
        a=fmtp:120 max-fs=12288;max-fr=60
        a=fmtp:124 apt=120
        a=fmtp:121 max-fs=12288;max-fr=60
        a=fmtp:125 apt=121
        a=fmtp:100 apt=99
        a=fmtp:119 apt=122
        a=ice-pwd:e746f3777ae6adef215ed59319ad33c8
        a=ice-ufrag:b937c576
        a=mid:0
        a=rtcp:58504 IN IP4 16b38dc7-7ff4-4050-9839-83abd369b9c5.local
        a=rtcp-fb:120 nack
        a=rtcp-fb:120 nack pli
        a=rtcp-fb:120 ccm fir
        a=rtcp-fb:120 goog-remb
        a=rtcp-fb:120 transport-cc
        a=rtcp-fb:121 nack
        a=rtcp-fb:121 nack pli
        a=rtcp-fb:121 ccm fir
        a=rtcp-fb:121 goog-remb
        a=rtcp-fb:121 transport-cc
        a=rtcp-fb:99 nack
        a=rtcp-fb:99 nack pli
        a=rtcp-fb:99 ccm fir
        a=rtcp-fb:99 goog-remb
        a=rtcp-fb:99 transport-cc
        a=rtcp-fb:123 nack
        a=rtcp-fb:123 nack pli
        a=rtcp-fb:123 ccm fir
        a=rtcp-fb:123 goog-remb
        a=rtcp-fb:123 transport-cc
        a=rtcp-fb:122 nack
        a=rtcp-fb:122 nack pli
        a=rtcp-fb:122 ccm fir
        a=rtcp-fb:122 goog-remb
        a=rtcp-fb:122 transport-cc
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:120 VP8/90000
        a=rtpmap:124 rtx/90000
        a=rtpmap:121 VP9/90000
        a=rtpmap:125 rtx/90000
        a=rtpmap:99 AV1/90000
        a=rtpmap:100 rtx/90000
        a=rtpmap:123 ulpfec/90000
        a=rtpmap:122 red/90000
        a=rtpmap:119 rtx/90000
        a=setup:actpass
        a=ssrc:477723522 cname:{0bd46968-f612-4aca-8066-017b24895e41}
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=candidate:0 1 UDP 2122187007 16b38dc7-7ff4-4050-9839-83abd369b9c5.local 47204 typ host
        a=candidate:1 1 UDP 2122252543 a591b48c-1c1e-4ed0-a03a-e710c7addf71.local 35759 typ host
        a=candidate:2 1 TCP 2105458943 16b38dc7-7ff4-4050-9839-83abd369b9c5.local 9 typ host tcptype active
        a=candidate:3 1 TCP 2105524479 a591b48c-1c1e-4ed0-a03a-e710c7addf71.local 9 typ host tcptype active
        a=sendrecv
        a=end-of-candidates
        a=ice-pwd:e746f3777ae6adef215ed59319ad33c8
        a=ice-ufrag:b937c576
        a=mid:1
        a=setup:actpass
        a=sctp-port:5000
        a=max-message-size:1073741823
        """
}
