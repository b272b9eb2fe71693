function __rtd_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rtd_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __rtd_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rtd_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __rtd_parse_tokens -S
    set -l unparsed_tokens (__rtd_tokens -pc)
    switch $unparsed_tokens[1]
    case 'rtd'
        __rtd_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'capture'
            __rtd_parse_subcommand 1 'size=' 'fps=' 'pace=' 'o/output=' 'frames=' 'duration=' 'preset=' 'tune=' 'crf=' 'bitrate=' 'keyint=' 'q/quiet' 'log-level=' 'version' 'h/help'
        case 'detect'
            __rtd_parse_subcommand 1 'detector=' 'min-area=' 'sensitivity=' 'hog-stride=' 'scale=' 'hit-threshold=' 'label=' 'min-neighbors=' 'min-size=' 'labels=' 'input-size=' 'confidence=' 'nms=' 'threads=' 'o/output=' 'frames-out=' 'annotate' 'every=' 'max-fps=' 'camera=' 'frames=' 'duration=' 'size=' 'fps=' 'pace=' 'q/quiet' 'log-level=' 'version' 'h/help'
        case 'serve'
            __rtd_parse_subcommand 0 'camera=+' 'size=' 'fps=' 'pace=' 'detector=' 'min-area=' 'sensitivity=' 'hog-stride=' 'scale=' 'hit-threshold=' 'label=' 'min-neighbors=' 'min-size=' 'labels=' 'input-size=' 'confidence=' 'nms=' 'threads=' 'host=' 'port=' 'udp-port=' 'public-ip=' 'codec=' 'bitrate=' 'min-bitrate=' 'max-bitrate=' 'keyint=' 'max-peers=' 'consent-timeout=' 'no-webrtc' 'ws-max-fps=' 'cert=' 'key=' 'log-level=' 'version' 'h/help'
        case 'signal'
            __rtd_parse_subcommand 1 'camera=' 'whep' 'token=' 'stun=' 'codec=' 'o/output=' 'frames-out=' 'detections-out=' 'duration=' 'frames=' 'timeout=' 'stats' 'json' 'log-level=' 'version' 'h/help'
        case 'probe-cameras'
            __rtd_parse_subcommand 1 'json' 'version' 'h/help'
        case 'replay'
            __rtd_parse_subcommand 1 'version' 'h/help'
        case 'help'
            __rtd_parse_subcommand -r 1 'version'
        end
    end
end

function __rtd_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __rtd_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __rtd_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __rtd_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__rtd_tokens -p)
    if test -z "$(__rtd_tokens -t)"
        set -l index (count (__rtd_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'rtd' -f
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'capture' -d 'Read frames from a source and write them as Y4M, or record them to H.264 (mkv/mp4).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'detect' -d 'Run object detection on frames and write one JSON Lines record per processed frame.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'serve' -d 'Serve cameras to browsers and WebRTC peers, with a viewer page.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'signal' -d 'Connect to an rtd server (or any WHEP endpoint) as a receive-only WebRTC peer.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'probe-cameras' -d 'List cameras with their formats, sizes and frame rates, or describe a file or stream.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'replay' -d 'Replay a recording with its detections, or export an annotated video.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_positional "rtd" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" size' -l 'size' -d 'Frame size, WIDTHxHEIGHT (even numbers). Default: the source\'s own; testsrc: 640x480.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" fps' -l 'fps' -d 'Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source\'s own; testsrc: 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" pace' -l 'pace' -d 'How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).' -rfka 'auto realtime fast'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" o output' -l 'output' -s 'o' -d 'Output: - (Y4M on stdout), FILE.y4m, or FILE.mkv / FILE.mp4 (H.264).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" frames' -l 'frames' -d 'Stop after this many frames.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" duration' -l 'duration' -d 'Stop after this many seconds (wall clock for live sources, media time for files).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" preset' -l 'preset' -d 'H.264 preset for mkv/mp4 output (ultrafast ... veryslow).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" tune' -l 'tune' -d 'H.264 tune for mkv/mp4 output, e.g. zerolatency or film.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" crf' -l 'crf' -d 'H.264 constant quality for mkv/mp4 output (0-51, lower is better); ignored with --bitrate.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" bitrate' -l 'bitrate' -d 'H.264 target bitrate in kbit/s for mkv/mp4 output.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" keyint' -l 'keyint' -d 'Keyframe interval in frames for mkv/mp4 output (default: 2 seconds).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr except errors.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd capture" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" detector' -l 'detector' -d 'motion (default; MOG2 background subtraction), hog (people), haar[:FILE.xml] (faces by default), yolo:FILE.onnx (YOLOv5/v8 ONNX), or none.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" min-area' -l 'min-area' -d 'motion: smallest box, in pixels of the frame (default: 0.1% of the frame).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" sensitivity' -l 'sensitivity' -d 'motion: 0 (only strong changes) ... 1 (every flicker).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" hog-stride' -l 'hog-stride' -d 'hog: window stride in pixels (larger is faster, coarser).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" scale' -l 'scale' -d 'hog/haar: image pyramid scale step.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" hit-threshold' -l 'hit-threshold' -d 'hog: SVM decision threshold; raise it to reject weak hits.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" label' -l 'label' -d 'haar: label of the detected objects (default: from the cascade\'s file name, e.g. face).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" min-neighbors' -l 'min-neighbors' -d 'haar: neighbours a hit needs to count.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" min-size' -l 'min-size' -d 'haar: smallest object side in pixels.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" labels' -l 'labels' -d 'yolo: class names, one per line (default: COCO\'s 80).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" input-size' -l 'input-size' -d 'yolo: model input size when the model does not fix it.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" confidence' -l 'confidence' -d 'yolo: minimum score.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" nms' -l 'nms' -d 'yolo: IoU above which overlapping boxes of one class are merged.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" threads' -l 'threads' -d 'Threads OpenCV may use (detection runs on its own thread either way).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" o output' -l 'output' -s 'o' -d 'Where records go: - (stdout, the default) or a .jsonl file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" frames-out' -l 'frames-out' -d 'Pass frames on as Y4M: - (stdout) or a .y4m/.mkv/.mp4 file. With -, records need -o FILE.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" annotate' -l 'annotate' -d 'Draw boxes, labels, scores and track ids into the frames passed on with --frames-out.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" every' -l 'every' -d 'Detect on every Nth frame only.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" max-fps' -l 'max-fps' -d 'Detect at most this many times per second of video.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" camera' -l 'camera' -d 'Camera name put in each record\'s "camera" field.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" frames' -l 'frames' -d 'Stop after this many input frames.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" duration' -l 'duration' -d 'Stop after this many seconds.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" size' -l 'size' -d 'Frame size, WIDTHxHEIGHT (even numbers). Default: the source\'s own; testsrc: 640x480.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" fps' -l 'fps' -d 'Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source\'s own; testsrc: 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" pace' -l 'pace' -d 'How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).' -rfka 'auto realtime fast'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" q quiet' -l 'quiet' -s 'q' -d 'No summary or progress on stderr.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd detect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve"' -l 'camera' -d 'A camera, NAME=SOURCE (repeatable). Default: cam0=testsrc.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" size' -l 'size' -d 'Frame size, WIDTHxHEIGHT (even numbers). Default: the source\'s own; testsrc: 640x480.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" fps' -l 'fps' -d 'Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source\'s own; testsrc: 30.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" pace' -l 'pace' -d 'How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).' -rfka 'auto realtime fast'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" detector' -l 'detector' -d 'motion (default; MOG2 background subtraction), hog (people), haar[:FILE.xml] (faces by default), yolo:FILE.onnx (YOLOv5/v8 ONNX), or none.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-area' -l 'min-area' -d 'motion: smallest box, in pixels of the frame (default: 0.1% of the frame).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" sensitivity' -l 'sensitivity' -d 'motion: 0 (only strong changes) ... 1 (every flicker).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" hog-stride' -l 'hog-stride' -d 'hog: window stride in pixels (larger is faster, coarser).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" scale' -l 'scale' -d 'hog/haar: image pyramid scale step.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" hit-threshold' -l 'hit-threshold' -d 'hog: SVM decision threshold; raise it to reject weak hits.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" label' -l 'label' -d 'haar: label of the detected objects (default: from the cascade\'s file name, e.g. face).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-neighbors' -l 'min-neighbors' -d 'haar: neighbours a hit needs to count.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-size' -l 'min-size' -d 'haar: smallest object side in pixels.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" labels' -l 'labels' -d 'yolo: class names, one per line (default: COCO\'s 80).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" input-size' -l 'input-size' -d 'yolo: model input size when the model does not fix it.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" confidence' -l 'confidence' -d 'yolo: minimum score.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" nms' -l 'nms' -d 'yolo: IoU above which overlapping boxes of one class are merged.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" threads' -l 'threads' -d 'Threads OpenCV may use (detection runs on its own thread either way).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" host' -l 'host' -d 'Address to serve on (0.0.0.0: every interface).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" port' -l 'port' -d 'HTTP port.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" udp-port' -l 'udp-port' -d 'The one UDP port all WebRTC peers share (0: any free port).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" public-ip' -l 'public-ip' -d 'Address to announce as an extra ICE candidate (a 1:1 NAT\'s public address).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" codec' -l 'codec' -d 'Only offer this codec: h264 or vp8 (default: whichever the viewer prefers).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" bitrate' -l 'bitrate' -d 'Starting video bitrate in kbit/s.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" min-bitrate' -l 'min-bitrate' -d 'Lowest bitrate congestion control may choose, kbit/s.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" max-bitrate' -l 'max-bitrate' -d 'Highest bitrate congestion control may choose, kbit/s.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" keyint' -l 'keyint' -d 'Seconds between periodic keyframes (viewers that join get one at once).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" max-peers' -l 'max-peers' -d 'Most peers at once (more get 503).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" consent-timeout' -l 'consent-timeout' -d 'Seconds without an ICE consent check after which a viewer is dropped (RFC 7675).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" no-webrtc' -l 'no-webrtc' -d 'Turn WebRTC off: signaling answers 503 and the viewer page uses the WebSocket fallback (/api/ws).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" ws-max-fps' -l 'ws-max-fps' -d 'Most JPEG pictures a second to each WebSocket (/api/ws) viewer.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" cert' -l 'cert' -d 'DTLS certificate (PEM) to use instead of a fresh self-signed one; its fingerprint goes in every answer.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" key' -l 'key' -d 'Private key (PEM) for --cert.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" camera' -l 'camera' -d 'Camera to watch (default: the server\'s first).' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" whep' -l 'whep' -d 'Use WHEP signaling instead of rtd\'s JSON protocol.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" token' -l 'token' -d 'Bearer token sent as Authorization: Bearer TOKEN.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" stun' -l 'stun' -d 'STUN server for a server-reflexive candidate, e.g. stun:stun.example.org:3478.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" codec' -l 'codec' -d 'Ask rtd serve for this codec: h264 or vp8 (default: the server\'s choice; not sent over WHEP).' -rfka 'h264 vp8'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" o output' -l 'output' -s 'o' -d 'Write the received video, not re-encoded, to this .mkv/.mp4/.webm file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" frames-out' -l 'frames-out' -d 'Decoded frames as Y4M: - (stdout) or a file. With -, records need --detections-out FILE.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" detections-out' -l 'detections-out' -d 'Where data-channel records go: - (stdout, the default unless --frames-out -) or a .jsonl file.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" duration' -l 'duration' -d 'Stop after this many seconds of video.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" frames' -l 'frames' -d 'Stop after this many frames.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" timeout' -l 'timeout' -d 'Seconds allowed for each of: signaling, connecting, the first frame.' -rfka ''
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" stats' -l 'stats' -d 'At the end, print time to connect and to first frame, fps, bitrate, loss, NACK/PLI counts, RTT and (for testsrc:stamp) glass-to-glass latency on stderr.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" json' -l 'json' -d 'With --stats: print the figures as one JSON object.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" log-level' -l 'log-level' -d 'Log detail on stderr: trace, debug, info, notice, warning, error, critical.' -rfka 'trace debug info notice warning error critical'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd signal" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" json' -l 'json' -d 'Print JSON (schema in the README).'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd probe-cameras" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" version' -l 'version' -d 'Show the version.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd replay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rtd' -n '__rtd_should_offer_completions_for_flags_or_options "rtd help" version' -l 'version' -d 'Show the version.'
